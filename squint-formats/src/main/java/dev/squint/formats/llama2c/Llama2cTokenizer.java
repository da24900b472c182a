package dev.squint.formats.llama2c;

import dev.squint.core.MappedFile;
import dev.squint.core.ModelFormatException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * A llama2.c {@code tokenizer.bin}: the vocabulary as raw byte strings with their merge scores.
 *
 * <p>Layout (little-endian): int32 max_token_length, then for each of vocab_size tokens: float32
 * score, int32 length, length bytes. The token count is not in the file; it comes from the model
 * header, so it is a parameter here. Tokens are bytes, not strings: sentencepiece vocabularies
 * hold pieces that are not valid UTF-8 on their own.
 *
 * <p>Immutable: accessors hand out copies.
 */
public record Llama2cTokenizer(int maxTokenLength, List<byte[]> tokens, float[] scores) {

    private static final ValueLayout.OfInt INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    public Llama2cTokenizer {
        if (tokens.size() != scores.length) {
            throw new IllegalArgumentException(tokens.size() + " tokens but " + scores.length + " scores");
        }
        List<byte[]> copy = new ArrayList<>(tokens.size());
        for (byte[] t : tokens) copy.add(t.clone());
        tokens = Collections.unmodifiableList(copy);
        scores = scores.clone();
    }

    /**
     * Reads {@code vocabSize} tokens.
     *
     * @throws ModelFormatException if the file is missing, a length is negative, longer than
     *                              max_token_length or runs past the end, or bytes are left over
     */
    public static Llama2cTokenizer read(Path path, int vocabSize) {
        if (vocabSize <= 0) throw new IllegalArgumentException("vocabulary size must be positive, got " + vocabSize);
        long size;
        try {
            size = Files.size(path);
        } catch (NoSuchFileException e) {
            throw new ModelFormatException(path, "no such file");
        } catch (IOException e) {
            throw new ModelFormatException(path, "cannot read: " + e.getMessage(), e);
        }
        // Each token takes at least its 8-byte score and length: check before allocating per-token arrays.
        long minimum = Integer.BYTES + 8L * vocabSize;
        if (size < minimum) {
            throw new ModelFormatException(path, "file is " + size + " bytes, too short for " + vocabSize
                    + " tokens (at least " + minimum + " bytes); truncated, or the vocabulary size is wrong");
        }
        MappedFile file;
        try {
            file = MappedFile.open(path);
        } catch (UncheckedIOException e) {
            throw new ModelFormatException(path, "cannot map the file: " + e.getCause().getMessage(), e);
        }
        try (file) {
            MemorySegment seg = file.segment();
            int maxLength = seg.get(INT_LE, 0);
            if (maxLength <= 0) {
                throw new ModelFormatException(path, "max_token_length is " + maxLength + ", expected a positive number");
            }
            List<byte[]> tokens = new ArrayList<>(vocabSize);
            float[] scores = new float[vocabSize];
            long pos = Integer.BYTES;
            for (int id = 0; id < vocabSize; id++) {
                if (size - pos < 8) {
                    throw new ModelFormatException(path, "truncated: token " + id + " of " + vocabSize + " starts at byte " + pos
                            + ", past the end of its " + size + "-byte file");
                }
                scores[id] = seg.get(FLOAT_LE, pos);
                int length = seg.get(INT_LE, pos + 4);
                pos += 8;
                if (length < 0) throw new ModelFormatException(path, "token " + id + ": negative length " + length);
                if (length > maxLength) {
                    throw new ModelFormatException(path, "token " + id + ": length " + length + " exceeds max_token_length " + maxLength);
                }
                if (length > size - pos) {
                    throw new ModelFormatException(path, "truncated: token " + id + " needs " + length + " bytes at offset " + pos
                            + ", the file ends at " + size);
                }
                tokens.add(seg.asSlice(pos, length).toArray(ValueLayout.JAVA_BYTE));
                pos += length;
            }
            if (pos != size) {
                throw new ModelFormatException(path, (size - pos) + " bytes left after " + vocabSize
                        + " tokens; the vocabulary size does not match this tokenizer");
            }
            return new Llama2cTokenizer(maxLength, tokens, scores);
        }
    }

    public int size() { return scores.length; }

    /** The token's bytes (a copy). */
    public byte[] token(int id) { return tokens.get(id).clone(); }

    /** The token decoded as UTF-8 (malformed bytes become U+FFFD), for display. */
    public String text(int id) { return new String(tokens.get(id), StandardCharsets.UTF_8); }

    public float score(int id) { return scores[id]; }

    /** Copies of every token's bytes. */
    @Override public List<byte[]> tokens() {
        List<byte[]> copy = new ArrayList<>(tokens.size());
        for (byte[] t : tokens) copy.add(t.clone());
        return Collections.unmodifiableList(copy);
    }

    /** A copy of the scores. */
    @Override public float[] scores() { return scores.clone(); }

    @Override public boolean equals(Object o) {
        if (!(o instanceof Llama2cTokenizer t) || t.maxTokenLength != maxTokenLength || !Arrays.equals(t.scores, scores)) return false;
        for (int i = 0; i < tokens.size(); i++) if (!Arrays.equals(tokens.get(i), t.tokens.get(i))) return false;
        return true;
    }

    @Override public int hashCode() {
        int h = 31 * maxTokenLength + Arrays.hashCode(scores);
        for (byte[] t : tokens) h = 31 * h + Arrays.hashCode(t);
        return h;
    }

    @Override public String toString() {
        return "Llama2cTokenizer[" + size() + " tokens, maxTokenLength=" + maxTokenLength + "]";
    }
}
