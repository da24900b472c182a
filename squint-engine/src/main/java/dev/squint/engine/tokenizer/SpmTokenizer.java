package dev.squint.engine.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.PriorityQueue;

/**
 * SentencePiece-style BPE over scored pieces, as llama.cpp's {@code llama} vocabulary
 * ({@code LLM_VOCAB_TYPE_SPM}, used by LLaMA 1/2, Mistral, TinyLlama, llama2.c models).
 *
 * <p>Encoding a text fragment: prefix a space (at the start and after each special token, when
 * {@code add_space_prefix} is on), replace every space by {@code ▁} (U+2581), split into characters,
 * then repeatedly merge the adjacent pair whose concatenation is a vocabulary piece with the highest
 * score (ties: the leftmost pair), until no pair is a piece. A remaining symbol that is not a piece is
 * written as its UTF-8 bytes through the byte tokens {@code <0x00>..<0xFF>}.
 *
 * <p>Decoding concatenates pieces with {@code ▁} turned back into spaces and byte tokens as raw bytes,
 * then reads the bytes as UTF-8. CONTROL and UNKNOWN tokens are dropped. The space the encoder
 * prefixed is removed from the first piece that follows only dropped tokens (so both {@code decode(encode(s))}
 * and a sequence starting with BOS give back {@code s}, as SentencePiece does); llama.cpp's
 * {@code llama_detokenize} keeps that space when the sequence starts with BOS. A {@code ▁} in the input
 * is indistinguishable from an escaped space and decodes to a space, as in SentencePiece and llama.cpp.
 */
public final class SpmTokenizer implements ModelTokenizer {

    static final char ESCAPED_SPACE = '\u2581';

    private final Vocabulary vocab;
    private final boolean addSpacePrefix;
    /** Token of each byte value (its {@code <0xXX>} piece, else the one-byte piece), or -1. */
    private final int[] byteTokens = new int[256];
    /** Decoded bytes of each token for {@link #piece} with special = false. */
    private final byte[][] pieces;

    public SpmTokenizer(Vocabulary vocab, boolean addSpacePrefix) {
        this.vocab = vocab;
        this.addSpacePrefix = addSpacePrefix;
        for (int b = 0; b < 256; b++) {
            int id = vocab.id(String.format("<0x%02X>", b));
            if (id < 0 && b < 0x80) id = vocab.id(String.valueOf((char) b));
            byteTokens[b] = id;
        }
        pieces = new byte[vocab.size()][];
        for (int id = 0; id < vocab.size(); id++) pieces[id] = computePiece(id);
    }

    @Override public Vocabulary vocabulary() { return vocab; }

    public boolean addsSpacePrefix() { return addSpacePrefix; }

    @Override
    public int[] encode(String text, boolean addSpecial, boolean parseSpecial) {
        IntList out = new IntList(text.length() / 3 + 4);
        if (addSpecial && vocab.addsBos()) out.add(vocab.bosId());
        boolean previousSpecial = true;
        for (SpecialTokenSplitter.Fragment fragment : SpecialTokenSplitter.split(vocab, text, parseSpecial)) {
            if (fragment.raw()) {
                String s = addSpacePrefix && previousSpecial ? " " + fragment.text() : fragment.text();
                encodeFragment(s.replace(' ', ESCAPED_SPACE), out);
                previousSpecial = false;
            } else {
                out.add(fragment.token());
                previousSpecial = true;
            }
        }
        if (addSpecial && vocab.addsEos()) out.add(vocab.eosId());
        return out.toArray();
    }

    /** One adjacent pair of symbols whose concatenation is a piece. */
    private record Bigram(int left, int right, float score, int length) {}

    private void encodeFragment(String s, IntList out) {
        // Symbols are code points; start/length index into s (UTF-16 units), prev/next chain live symbols.
        int n = s.codePointCount(0, s.length());
        int[] start = new int[n];
        int[] length = new int[n];
        int[] prev = new int[n];
        int[] next = new int[n];
        for (int i = 0, pos = 0; i < n; i++) {
            int cp = s.codePointAt(pos);
            start[i] = pos;
            length[i] = Character.charCount(cp);
            pos += length[i];
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        PriorityQueue<Bigram> queue = new PriorityQueue<>(Math.max(1, n), (a, b) ->
                a.score != b.score ? Float.compare(b.score, a.score) : Integer.compare(a.left, b.left));
        for (int i = 1; i < n; i++) offer(s, start, length, i - 1, i, queue);
        while (!queue.isEmpty()) {
            Bigram bigram = queue.poll();
            int l = bigram.left, r = bigram.right;
            // Stale entry: one side was merged away or grew since the pair was queued.
            if (length[l] == 0 || length[r] == 0 || length[l] + length[r] != bigram.length) continue;
            length[l] += length[r];
            length[r] = 0;
            next[l] = next[r];
            if (next[r] >= 0) prev[next[r]] = l;
            offer(s, start, length, prev[l], l, queue);
            offer(s, start, length, l, next[l], queue);
        }
        // Every merged symbol is a piece by construction, so only single characters can miss the
        // vocabulary; llama.cpp's resegmentation of merges therefore reduces to byte fallback here.
        for (int i = n > 0 ? 0 : -1; i >= 0; i = next[i]) {
            String symbol = s.substring(start[i], start[i] + length[i]);
            int id = vocab.id(symbol);
            if (id >= 0) {
                out.add(id);
            } else {
                for (byte b : symbol.getBytes(StandardCharsets.UTF_8)) {
                    // llama.cpp aborts on a vocabulary without the byte token; <unk> (or nothing) is kinder
                    int byteId = byteTokens[b & 0xFF] >= 0 ? byteTokens[b & 0xFF] : vocab.unkId();
                    if (byteId >= 0) out.add(byteId);
                }
            }
        }
    }

    private void offer(String s, int[] start, int[] length, int left, int right, PriorityQueue<Bigram> queue) {
        if (left < 0 || right < 0) return;
        int len = length[left] + length[right];
        int id = vocab.id(s.substring(start[left], start[left] + len));
        if (id < 0) return;
        queue.add(new Bigram(left, right, vocab.score(id), len));
    }

    @Override
    public String decode(int[] ids) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(ids.length * 4);
        boolean stripSpace = addSpacePrefix;
        for (int id : ids) {
            checkId(id);
            byte[] piece = pieces[id];
            if (piece.length == 0) continue;
            int from = stripSpace && piece[0] == ' ' ? 1 : 0;
            bytes.write(piece, from, piece.length - from);
            stripSpace = false;
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Override
    public byte[] piece(int id, boolean special) {
        checkId(id);
        if (special && vocab.type(id).hiddenInOutput()) return vocab.text(id).getBytes(StandardCharsets.UTF_8);
        return pieces[id].clone();
    }

    private void checkId(int id) {
        if (id < 0 || id >= vocab.size()) throw new IllegalArgumentException("token id " + id + " is outside the vocabulary of " + vocab.size());
    }

    private byte[] computePiece(int id) {
        String text = vocab.text(id);
        return switch (vocab.type(id)) {
            case NORMAL -> text.replace(ESCAPED_SPACE, ' ').getBytes(StandardCharsets.UTF_8);
            case USER_DEFINED -> text.getBytes(StandardCharsets.UTF_8);
            case BYTE -> new byte[] {(byte) byteValue(text)};
            default -> new byte[0];
        };
    }

    /** The value of a {@code <0xXX>} byte token. */
    static int byteValue(String text) {
        if (text.length() != 6 || !text.startsWith("<0x") || text.charAt(5) != '>') {
            throw new IllegalArgumentException("byte token '" + text + "' is not of the form <0xXX>");
        }
        return Integer.parseInt(text, 3, 5, 16);
    }

    @Override public String toString() {
        return "SpmTokenizer[" + vocab + ", addSpacePrefix=" + addSpacePrefix + "]";
    }

    /** Growable int array, to avoid boxing token ids. */
    static final class IntList {
        private int[] a;
        private int n;

        IntList(int capacity) { a = new int[Math.max(4, capacity)]; }

        void add(int v) {
            if (n == a.length) a = Arrays.copyOf(a, n * 2);
            a[n++] = v;
        }

        int size() { return n; }

        int[] toArray() { return Arrays.copyOf(a, n); }
    }
}
