package dev.squint.engine.tokenizer;

import java.util.ArrayList;
import java.util.List;

/**
 * Cuts special tokens out of text before tokenization, as llama.cpp's {@code tokenizer_st_partition}:
 * every special token, longest text first, is searched for in the text fragments that are still raw,
 * and each occurrence becomes its own id. CONTROL and UNKNOWN tokens are only matched when the caller
 * asks to parse special tokens; USER_DEFINED tokens always are (as Hugging Face tokenizers does with
 * added tokens).
 */
final class SpecialTokenSplitter {

    /** A piece of the input: raw text to tokenize ({@code token < 0}) or a special token's id. */
    record Fragment(String text, int token) {
        boolean raw() { return token < 0; }
    }

    private SpecialTokenSplitter() {}

    static List<Fragment> split(Vocabulary vocab, String text, boolean parseSpecial) {
        List<Fragment> fragments = new ArrayList<>();
        if (text.isEmpty()) return fragments;
        fragments.add(new Fragment(text, -1));
        // Vocabularies can have thousands of special tokens: skip those whose first character is not in the text.
        java.util.BitSet present = new java.util.BitSet(128);
        for (int i = 0; i < text.length(); i++) present.set(text.charAt(i));
        for (int id : vocab.specialsLongestFirst()) {
            if (!parseSpecial && vocab.type(id).hiddenInOutput()) continue;
            String special = vocab.text(id);
            if (!present.get(special.charAt(0))) continue;
            List<Fragment> next = null;
            for (int f = 0; f < fragments.size(); f++) {
                Fragment fragment = fragments.get(f);
                int match = fragment.raw() ? fragment.text().indexOf(special) : -1;
                if (match < 0) {
                    if (next != null) next.add(fragment);
                    continue;
                }
                if (next == null) next = new ArrayList<>(fragments.subList(0, f));
                cut(vocab, id, special, fragment.text(), match, next);
            }
            if (next != null) fragments = next;
        }
        return fragments;
    }

    private static void cut(Vocabulary vocab, int id, String special, String s, int firstMatch, List<Fragment> out) {
        int from = 0;
        int match = firstMatch;
        while (match >= 0) {
            int leftEnd = match;
            if (vocab.lstrip(id)) while (leftEnd > from && isSpace(s.charAt(leftEnd - 1))) leftEnd--;
            if (leftEnd > from) out.add(new Fragment(s.substring(from, leftEnd), -1));
            out.add(new Fragment(special, id));
            from = match + special.length();
            if (vocab.rstrip(id)) while (from < s.length() && isSpace(s.charAt(from))) from++;
            match = s.indexOf(special, from);
        }
        if (from < s.length()) out.add(new Fragment(s.substring(from), -1));
    }

    /** C's isspace in the "C" locale, which llama.cpp uses for lstrip/rstrip. */
    private static boolean isSpace(char c) {
        return c == ' ' || (c >= '\t' && c <= '\r');
    }
}
