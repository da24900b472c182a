package dev.squint.engine.tokenizer;

import dev.squint.core.SquintException;
import dev.squint.formats.hf.HfTokenizer;
import dev.squint.formats.hf.WordPiece;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * BERT's WordPiece tokenizer as the engine's {@link Tokenizer}: the algorithm (added tokens,
 * BertNormalizer, BertPreTokenizer, longest-match WordPiece) is {@link WordPiece} in squint-formats,
 * shared with ONNX calibration; this class fixes the model's sequence length and builds batches.
 *
 * <p>{@link #encodeForModel} adds {@code [CLS] ... [SEP]} and truncates the content so the sequence
 * fits {@link #maxLength()}; {@link #batch} pads to the longest sequence of the batch (not to a
 * fixed length: padded positions are masked, so the embeddings are the same) and builds the
 * attention masks.
 */
public final class WordPieceTokenizer implements Tokenizer {
    private final WordPiece wordPiece;
    private final int maxLength;

    /** One sequence as the model takes it: {@code [CLS] tokens [SEP]}, and whether tokens were cut. */
    public record Encoding(int[] ids, boolean truncated) {}

    /**
     * A padded batch, row-major {@code [size, length]}: ids, attention mask (1 = real token) and
     * token type ids (all 0 for single sequences).
     */
    public record Batch(int size, int length, int[] ids, int[] attentionMask, int[] typeIds, boolean[] truncated) {
        /** Real (unpadded) tokens of sequence {@code b}. */
        public int tokens(int b) {
            int n = 0;
            for (int t = 0; t < length; t++) n += attentionMask[b * length + t];
            return n;
        }
    }

    private WordPieceTokenizer(HfTokenizer t, int maxLength) {
        this.wordPiece = WordPiece.of(t);
        if (maxLength < 3) throw new SquintException("maximum sequence length " + maxLength + " leaves no room for text between [CLS] and [SEP]");
        this.maxLength = maxLength;
    }

    /**
     * @param maxLength longest sequence the model takes, special tokens included (the caller picks
     *                  it: tokenizer.json's truncation, tokenizer_config's model_max_length, or the
     *                  model's position count)
     */
    public static WordPieceTokenizer of(HfTokenizer tokenizer, int maxLength) {
        return new WordPieceTokenizer(tokenizer, maxLength);
    }

    /** tokenizer.json's own truncation length, if it sets one. */
    public static OptionalInt truncationLength(HfTokenizer tokenizer) {
        return WordPiece.truncationLength(tokenizer);
    }

    public int maxLength() { return maxLength; }

    public int clsId() { return wordPiece.clsId(); }

    public int sepId() { return wordPiece.sepId(); }

    public int padId() { return wordPiece.padId(); }

    public int unkId() { return wordPiece.unkId(); }

    @Override
    public int vocabSize() { return wordPiece.vocabSize(); }

    @Override
    public int[] encode(String text) { return wordPiece.encode(text); }

    /** {@code [CLS] tokens [SEP]}, the tokens cut at the end to fit {@link #maxLength()}. */
    public Encoding encodeForModel(String text) {
        WordPiece.Encoding e = wordPiece.encodeForModel(text, maxLength);
        return new Encoding(e.ids(), e.truncated());
    }

    /** Encodes each text for the model and pads them to the longest. */
    public Batch batch(List<String> texts) {
        Encoding[] encodings = new Encoding[texts.size()];
        int length = 0;
        for (int b = 0; b < encodings.length; b++) {
            encodings[b] = encodeForModel(texts.get(b));
            length = Math.max(length, encodings[b].ids().length);
        }
        int[] ids = new int[texts.size() * length];
        int[] mask = new int[ids.length];
        boolean[] truncated = new boolean[texts.size()];
        Arrays.fill(ids, padId());
        for (int b = 0; b < encodings.length; b++) {
            int[] e = encodings[b].ids();
            System.arraycopy(e, 0, ids, b * length, e.length);
            Arrays.fill(mask, b * length, b * length + e.length, 1);
            truncated[b] = encodings[b].truncated();
        }
        return new Batch(texts.size(), length, ids, mask, new int[ids.length], truncated);
    }

    @Override
    public String decode(int[] ids) { return wordPiece.decode(ids); }

    /** Token text of {@code id}, or null. */
    public String token(int id) { return wordPiece.token(id); }

    /** Builds the word-to-id map a test or tool can use to look up ids by token text. */
    public Map<String, Integer> vocabulary() { return wordPiece.vocabulary(); }
}
