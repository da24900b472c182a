package dev.squint.engine.tokenizer;

/**
 * Text to token ids and back. Implementations are immutable and thread-safe.
 */
public interface Tokenizer {

    /** Token ids of {@code text}, without special tokens the model adds around a sequence. */
    int[] encode(String text);

    /** Text of {@code ids}; special tokens are dropped. */
    String decode(int[] ids);

    int vocabSize();
}
