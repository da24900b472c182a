package dev.squint.formats.hf;

import dev.squint.core.SquintException;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * BERT's WordPiece tokenizer as Hugging Face tokenizers runs it from a {@code tokenizer.json}
 * with a {@code WordPiece} model, a {@code BertNormalizer} and a {@code BertPreTokenizer}:
 *
 * <ol>
 *   <li><b>Added tokens</b> ({@code [CLS]}, {@code [SEP]}, ... with {@code normalized: false}) are
 *       matched in the raw text first and become their ids untouched.</li>
 *   <li><b>Normalizer</b>, in tokenizers' order: clean text (drop NUL, U+FFFD and control/format/
 *       unassigned/private-use characters other than tab, CR, LF; map Unicode white space to a
 *       space), put spaces around CJK ideographs, strip accents (NFD, then drop non-spacing marks),
 *       lowercase.</li>
 *   <li><b>Pre-tokenizer</b>: split on white space (dropped) and isolate every punctuation
 *       character (ASCII punctuation and Unicode categories P*).</li>
 *   <li><b>WordPiece</b>: greedy longest-match-first over code points; pieces after the first carry
 *       the continuing-subword prefix ({@code ##}); a word longer than
 *       {@code max_input_chars_per_word} code points, or one with a part no vocabulary entry covers,
 *       becomes the unknown token as a whole.</li>
 * </ol>
 *
 * <p>{@link #encodeForModel} adds {@code [CLS] ... [SEP]} and truncates the content to a given
 * length. This is the one implementation: the engine's tokenizer adapts it and ONNX calibration
 * encodes its text with it.
 */
public final class WordPiece {
    private final Map<String, Integer> vocab;
    private final String[] byId;
    private final int unkId;
    private final int clsId;
    private final int sepId;
    private final int padId;
    private final String prefix;
    private final int maxInputCharsPerWord;
    private final boolean cleanText;
    private final boolean handleChineseChars;
    private final boolean stripAccents;
    private final boolean lowercase;
    private final List<Special> addedTokens; // longest content first, so "[CLS]x" prefers the longer match
    private final boolean[] specialIds;

    private record Special(String content, int id) {}

    /** One sequence as the model takes it: {@code [CLS] tokens [SEP]}, and whether tokens were cut. */
    public record Encoding(int[] ids, boolean truncated) {}

    private WordPiece(HfTokenizer t) {
        HfTokenizer.TokenizerModel m = t.model();
        if (m.type() != HfTokenizer.ModelType.WORD_PIECE) {
            throw new SquintException("tokenizer model is " + m.type() + ", not WordPiece");
        }
        this.vocab = m.vocab();
        int size = 0;
        for (int id : vocab.values()) size = Math.max(size, id + 1);
        for (HfTokenizer.AddedToken a : t.addedTokens()) size = Math.max(size, a.id() + 1);
        this.byId = new String[size];
        for (var e : vocab.entrySet()) byId[e.getValue()] = e.getKey();
        this.specialIds = new boolean[size];
        List<Special> added = new ArrayList<>();
        for (HfTokenizer.AddedToken a : t.addedTokens()) {
            if (byId[a.id()] == null) byId[a.id()] = a.content();
            if (a.special()) specialIds[a.id()] = true;
            if (!a.content().isEmpty()) added.add(new Special(a.content(), a.id()));
        }
        added.sort(Comparator.comparingInt((Special s) -> s.content().length()).reversed());
        this.addedTokens = List.copyOf(added);
        String unk = m.unkToken().orElse("[UNK]");
        this.unkId = required(t, unk);
        this.clsId = required(t, "[CLS]");
        this.sepId = required(t, "[SEP]");
        this.padId = t.id("[PAD]").orElse(0);
        this.prefix = m.continuingSubwordPrefix().orElse("##");
        this.maxInputCharsPerWord = m.maxInputCharsPerWord().orElse(100);
        var bert = t.normalizer().stream().flatMap(c -> c.flatten().stream())
                .filter(c -> c.type().equals("BertNormalizer")).findFirst();
        this.cleanText = bert.flatMap(c -> c.bool("clean_text")).orElse(bert.isPresent());
        this.handleChineseChars = t.handlesChineseChars();
        this.stripAccents = t.stripsAccents();
        this.lowercase = t.lowercases();
    }

    private static int required(HfTokenizer t, String token) {
        return t.id(token).orElseThrow(() -> new SquintException("tokenizer has no " + token + " token, which BERT models need"));
    }

    /** The WordPiece pipeline of {@code tokenizer}, which must have a WordPiece model and [CLS], [SEP] and unknown tokens. */
    public static WordPiece of(HfTokenizer tokenizer) {
        return new WordPiece(tokenizer);
    }

    /** tokenizer.json's own truncation length, if it sets one. */
    public static java.util.OptionalInt truncationLength(HfTokenizer tokenizer) {
        return tokenizer.truncation().map(t -> t.get("max_length")).filter(v -> v instanceof Number)
                .map(v -> java.util.OptionalInt.of(((Number) v).intValue())).orElse(java.util.OptionalInt.empty());
    }

    public int clsId() { return clsId; }

    public int sepId() { return sepId; }

    public int padId() { return padId; }

    public int unkId() { return unkId; }

    public int vocabSize() { return byId.length; }

    public int[] encode(String text) {
        List<Integer> out = new ArrayList<>();
        String s = text == null ? "" : text;
        int start = 0, i = 0;
        while (i < s.length()) {
            Special hit = addedAt(s, i);
            if (hit == null) { i++; continue; }
            encodeText(s.substring(start, i), out);
            out.add(hit.id());
            i += hit.content().length();
            start = i;
        }
        encodeText(s.substring(start), out);
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    private Special addedAt(String s, int i) {
        for (Special a : addedTokens) if (s.startsWith(a.content(), i)) return a;
        return null;
    }

    /** {@code [CLS] tokens [SEP]}, the tokens cut at the end so the sequence is at most {@code maxLength} long. */
    public Encoding encodeForModel(String text, int maxLength) {
        if (maxLength < 3) throw new SquintException("maximum sequence length " + maxLength + " leaves no room for text between [CLS] and [SEP]");
        int[] content = encode(text);
        boolean truncated = content.length > maxLength - 2;
        int n = truncated ? maxLength - 2 : content.length;
        int[] ids = new int[n + 2];
        ids[0] = clsId;
        System.arraycopy(content, 0, ids, 1, n);
        ids[n + 1] = sepId;
        return new Encoding(ids, truncated);
    }

    /** Text of the ids: special tokens dropped, continuing pieces joined to the previous one, words separated by a space. */
    public String decode(int[] ids) {
        StringBuilder sb = new StringBuilder();
        for (int id : ids) {
            if (id < 0 || id >= byId.length || specialIds[id] || byId[id] == null) continue;
            String piece = byId[id];
            if (piece.startsWith(prefix)) {
                sb.append(piece, prefix.length(), piece.length());
            } else {
                if (!sb.isEmpty()) sb.append(' ');
                sb.append(piece);
            }
        }
        return sb.toString();
    }

    /** Token text of {@code id}, or null. */
    public String token(int id) {
        return id >= 0 && id < byId.length ? byId[id] : null;
    }

    private void encodeText(String text, List<Integer> out) {
        if (text.isEmpty()) return;
        for (String word : preTokenize(normalize(text))) wordPiece(word, out);
    }

    /** BertNormalizer, in tokenizers' order: clean, CJK spacing, accent stripping, lowercasing. */
    String normalize(String text) {
        StringBuilder sb = new StringBuilder(text.length() + 8);
        text.codePoints().forEach(c -> {
            if (cleanText) {
                if (c == 0 || c == 0xFFFD || isControl(c)) return;
                if (isWhitespace(c)) { sb.append(' '); return; }
            }
            if (handleChineseChars && isChineseChar(c)) {
                sb.append(' ').appendCodePoint(c).append(' ');
            } else {
                sb.appendCodePoint(c);
            }
        });
        String s = sb.toString();
        if (stripAccents) {
            String nfd = Normalizer.normalize(s, Normalizer.Form.NFD);
            StringBuilder kept = new StringBuilder(nfd.length());
            nfd.codePoints().filter(c -> Character.getType(c) != Character.NON_SPACING_MARK).forEach(kept::appendCodePoint);
            s = kept.toString();
        }
        return lowercase ? s.toLowerCase(Locale.ROOT) : s;
    }

    /** BertPreTokenizer: white space separates words and is dropped; each punctuation character is a word. */
    static List<String> preTokenize(String text) {
        List<String> words = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        text.codePoints().forEach(c -> {
            if (isWhitespace(c)) {
                flush(cur, words);
            } else if (isPunctuation(c)) {
                flush(cur, words);
                words.add(new String(Character.toChars(c)));
            } else {
                cur.appendCodePoint(c);
            }
        });
        flush(cur, words);
        return words;
    }

    private static void flush(StringBuilder cur, List<String> words) {
        if (!cur.isEmpty()) {
            words.add(cur.toString());
            cur.setLength(0);
        }
    }

    private void wordPiece(String word, List<Integer> out) {
        int[] cps = word.codePoints().toArray();
        if (cps.length > maxInputCharsPerWord) {
            out.add(unkId);
            return;
        }
        int mark = out.size();
        int start = 0;
        while (start < cps.length) {
            int end = cps.length;
            Integer found = null;
            while (start < end) {
                String piece = new String(cps, start, end - start);
                if (start > 0) piece = prefix + piece;
                found = vocab.get(piece);
                if (found != null) break;
                end--;
            }
            if (found == null) {
                // one uncovered part makes the whole word unknown, as tokenizers does
                out.subList(mark, out.size()).clear();
                out.add(unkId);
                return;
            }
            out.add(found);
            start = end;
        }
    }

    /** tokenizers' is_whitespace: tab, LF, CR and the Unicode White_Space property. */
    static boolean isWhitespace(int c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r'
                || (c >= 0x0B && c <= 0x0C) || c == 0x85 || Character.isSpaceChar(c);
    }

    /** tokenizers' is_control: categories Cc, Cf, Cs, Co, Cn except tab, LF and CR. */
    static boolean isControl(int c) {
        if (c == '\t' || c == '\n' || c == '\r') return false;
        int type = Character.getType(c);
        return type == Character.CONTROL || type == Character.FORMAT || type == Character.SURROGATE
                || type == Character.PRIVATE_USE || type == Character.UNASSIGNED;
    }

    /** ASCII punctuation (which includes symbols such as $ + < = > ^ ` |) or Unicode categories P*. */
    static boolean isPunctuation(int c) {
        if ((c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126)) return true;
        return switch (Character.getType(c)) {
            case Character.CONNECTOR_PUNCTUATION, Character.DASH_PUNCTUATION, Character.START_PUNCTUATION,
                 Character.END_PUNCTUATION, Character.INITIAL_QUOTE_PUNCTUATION, Character.FINAL_QUOTE_PUNCTUATION,
                 Character.OTHER_PUNCTUATION -> true;
            default -> false;
        };
    }

    /** The CJK Unified Ideograph blocks BERT's original tokenizer treats as one word each. */
    static boolean isChineseChar(int c) {
        return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF)
                || (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B820 && c <= 0x2CEAF)
                || (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
    }

    /** Builds the word-to-id map a test or tool can use to look up ids by token text. */
    public Map<String, Integer> vocabulary() {
        return new HashMap<>(vocab);
    }
}
