package dev.squint.engine.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

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
    private final TokenPieces pieces;

    public SpmTokenizer(Vocabulary vocab, boolean addSpacePrefix) {
        this.vocab = vocab;
        this.addSpacePrefix = addSpacePrefix;
        for (int b = 0; b < 256; b++) {
            int id = vocab.id(String.format("<0x%02X>", b));
            if (id < 0 && b < 0x80) id = vocab.id(String.valueOf((char) b));
            byteTokens[b] = id;
        }
        pieces = new TokenPieces(vocab, text -> text.replace(ESCAPED_SPACE, ' ').getBytes(StandardCharsets.UTF_8));
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

    private void encodeFragment(String s, IntList out) {
        // Every merged symbol is a piece by construction, so only single characters can miss the
        // vocabulary; llama.cpp's resegmentation of merges therefore reduces to byte fallback here.
        SymbolMerger.merge(s, this::mergePriority, symbol -> {
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
        });
    }

    /** A pair merges when its concatenation is a piece; the highest score first (lowest priority). */
    private double mergePriority(String s, int from, int mid, int to) {
        int id = vocab.id(s.substring(from, to));
        return id < 0 ? SymbolMerger.NO_MERGE : -(double) vocab.score(id);
    }

    @Override
    public String decode(int[] ids) {
        return pieces.decode(ids, addSpacePrefix);
    }

    @Override
    public byte[] piece(int id, boolean special) {
        return pieces.piece(id, special);
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
