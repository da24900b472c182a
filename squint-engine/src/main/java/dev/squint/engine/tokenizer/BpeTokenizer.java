package dev.squint.engine.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * BPE with ranked merges, in two flavours.
 *
 * <p><b>Byte-level</b> (GPT-2, Llama 3, Qwen2: llama.cpp's {@code gpt2} vocabulary, Hugging Face BPE with
 * a ByteLevel pre-tokenizer): special tokens are cut out first ({@link SpecialTokenSplitter}); each
 * remaining fragment is split into words by the {@link PreTokenizer}; each word's UTF-8 bytes are spelled
 * with {@link ByteLevel}'s characters; then, within the word, the adjacent pair with the lowest merge
 * rank (ties: leftmost) is merged until no pair has a rank. With {@code ignoreMerges} (Llama 3) a word
 * that is itself a token is taken whole. A final symbol missing from the vocabulary (possible only with
 * an inconsistent vocabulary) is written character by character, characters without a token dropped,
 * as llama.cpp does.
 *
 * <p><b>SentencePiece-style</b> (Hugging Face BPE with {@code byte_fallback}, e.g. Llama 2, Mistral,
 * TinyLlama {@code tokenizer.json}): symbols are the characters of the normalized text (spaces as
 * {@code ▁}), merged by rank the same way; a character missing from the vocabulary becomes the byte
 * tokens {@code <0xXX>} of its UTF-8, else the unknown token.
 *
 * <p>Decoding: byte-level tokens map their characters back to bytes; SentencePiece-style tokens turn
 * {@code ▁} into spaces and byte tokens into raw bytes (and, when the normalizer prefixes {@code ▁}, the
 * first piece loses one leading space). Bytes are read as UTF-8. CONTROL and UNKNOWN tokens are dropped,
 * USER_DEFINED tokens are their text. No other clean-up of spaces is applied, so
 * {@code decode(encode(s)) == s} (for SentencePiece-style, except that a {@code ▁} in the input comes back
 * as a space).
 */
public final class BpeTokenizer implements ModelTokenizer {

    /** Rewrites one raw text fragment before pre-tokenization (Hugging Face normalizers). */
    @FunctionalInterface
    public interface FragmentNormalizer {
        /** @param atStart true for the fragment that begins the input text */
        String apply(String fragment, boolean atStart);
    }

    private final Vocabulary vocab;
    /** Rank of each merge, keyed {@code "left right"} as GGUF stores merges. */
    private final Map<String, Integer> ranks;
    private final PreTokenizer preTokenizer;
    private final boolean ignoreMerges;
    private final FragmentNormalizer normalizer;
    private final boolean byteLevel;
    private final boolean stripLeadingSpace;
    /** SentencePiece-style only: token of each byte value ({@code <0xXX>}) or -1. */
    private final int[] byteTokens = new int[256];
    private final TokenPieces pieces;

    /**
     * A byte-level tokenizer.
     *
     * @param merges         merge rules in priority order, each {@code "left right"}
     * @param addPrefixSpace prefix a space to each text fragment that does not start with one
     *                       (Hugging Face ByteLevel {@code add_prefix_space})
     * @param normalization  Unicode normalization applied to text fragments first, or null
     */
    public BpeTokenizer(Vocabulary vocab, List<String> merges, PreTokenizer preTokenizer, boolean ignoreMerges,
                        boolean addPrefixSpace, Normalizer.Form normalization) {
        this(vocab, merges, preTokenizer, ignoreMerges, (s, atStart) -> {
            String n = normalization == null ? s : Normalizer.normalize(s, normalization);
            return addPrefixSpace && !n.startsWith(" ") ? " " + n : n;
        }, true, false);
    }

    /**
     * @param normalizer        applied to each raw fragment before pre-tokenization
     * @param byteLevel         GPT-2 byte-level symbols, else characters with {@code <0xXX>} byte fallback
     * @param stripLeadingSpace decoding drops one leading space of the first visible piece (the one a
     *                          SentencePiece-style normalizer prefixed)
     * @throws IllegalArgumentException if a merge is not two tokens separated by a space
     */
    public BpeTokenizer(Vocabulary vocab, List<String> merges, PreTokenizer preTokenizer, boolean ignoreMerges,
                        FragmentNormalizer normalizer, boolean byteLevel, boolean stripLeadingSpace) {
        this.vocab = vocab;
        this.ranks = HashMap.newHashMap(merges.size());
        for (int i = 0; i < merges.size(); i++) {
            String merge = merges.get(i);
            // llama.cpp splits at the first space after the first character
            int space = merge.indexOf(' ', 1);
            if (space < 0) throw new IllegalArgumentException("merge " + i + " '" + merge + "' is not two tokens separated by a space");
            ranks.putIfAbsent(merge, i);
        }
        this.preTokenizer = preTokenizer;
        this.ignoreMerges = ignoreMerges;
        this.normalizer = normalizer;
        this.byteLevel = byteLevel;
        this.stripLeadingSpace = stripLeadingSpace;
        for (int b = 0; b < 256; b++) byteTokens[b] = byteLevel ? -1 : vocab.id(String.format("<0x%02X>", b));
        this.pieces = new TokenPieces(vocab, byteLevel ? BpeTokenizer::byteLevelBytes
                : text -> text.replace(SpmTokenizer.ESCAPED_SPACE, ' ').getBytes(StandardCharsets.UTF_8));
    }

    @Override public Vocabulary vocabulary() { return vocab; }

    public PreTokenizer preTokenizer() { return preTokenizer; }

    public boolean byteLevel() { return byteLevel; }

    @Override
    public int[] encode(String text, boolean addSpecial, boolean parseSpecial) {
        SpmTokenizer.IntList out = new SpmTokenizer.IntList(text.length() / 3 + 4);
        if (addSpecial && vocab.addsBos()) out.add(vocab.bosId());
        boolean atStart = true;
        for (SpecialTokenSplitter.Fragment fragment : SpecialTokenSplitter.split(vocab, text, parseSpecial)) {
            if (!fragment.raw()) {
                out.add(fragment.token());
            } else {
                String s = normalizer.apply(fragment.text(), atStart);
                for (String word : preTokenizer.split(s)) encodeWord(byteLevel ? ByteLevel.encode(word) : word, out);
            }
            atStart = false;
        }
        if (addSpecial && vocab.addsEos()) out.add(vocab.eosId());
        return out.toArray();
    }

    /** BPE within one word whose symbols are its code points (for byte-level words, its characters). */
    private void encodeWord(String w, SpmTokenizer.IntList out) {
        if (ignoreMerges) {
            int whole = vocab.id(w);
            if (whole >= 0) {
                out.add(whole);
                return;
            }
        }
        if (w.codePointCount(0, w.length()) == 1) { // no pair to merge: spares the queue for the many one-character words (digits, punctuation)
            int id = vocab.id(w);
            if (id >= 0) {
                out.add(id);
                return;
            }
        }
        SymbolMerger.merge(w, this::mergeRank, symbol -> {
            int id = vocab.id(symbol);
            if (id >= 0) {
                out.add(id);
            } else if (byteLevel) {
                for (int c = 0; c < symbol.length(); c++) {
                    int single = vocab.id(String.valueOf(symbol.charAt(c)));
                    if (single >= 0) out.add(single);
                }
            } else {
                for (byte b : symbol.getBytes(StandardCharsets.UTF_8)) {
                    int byteId = byteTokens[b & 0xFF] >= 0 ? byteTokens[b & 0xFF] : vocab.unkId();
                    if (byteId >= 0) out.add(byteId);
                }
            }
        });
    }

    /** The rank of merging {@code w[from, mid)} with {@code w[mid, to)}. */
    private double mergeRank(String w, int from, int mid, int to) {
        Integer rank = ranks.get(w.substring(from, mid) + ' ' + w.substring(mid, to));
        return rank == null ? SymbolMerger.NO_MERGE : rank;
    }

    @Override
    public String decode(int[] ids) {
        return pieces.decode(ids, stripLeadingSpace);
    }

    @Override
    public byte[] piece(int id, boolean special) {
        return pieces.piece(id, special);
    }

    private static byte[] byteLevelBytes(String text) {
        ByteArrayOutputStream b = new ByteArrayOutputStream(text.length());
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            int byteValue = ByteLevel.byteOf(cp);
            // a character outside the byte alphabet is kept as its own UTF-8
            if (byteValue >= 0) b.write(byteValue);
            else b.writeBytes(new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8));
            i += Character.charCount(cp);
        }
        return b.toByteArray();
    }

    @Override public String toString() {
        return "BpeTokenizer[" + vocab + ", " + ranks.size() + " merges, " + (byteLevel ? "byte-level" : "SentencePiece-style")
                + ", pre=" + preTokenizer.regexes() + "]";
    }
}
