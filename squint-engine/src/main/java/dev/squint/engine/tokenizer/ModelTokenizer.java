package dev.squint.engine.tokenizer;

/**
 * A tokenizer built on a model's {@link Vocabulary}, with llama.cpp's controls over special tokens.
 *
 * <p>{@link #encode(String)} is {@code encode(text, false, false)}: no BOS/EOS, and control tokens
 * written in the text are tokenized as plain text.
 */
public interface ModelTokenizer extends Tokenizer {

    Vocabulary vocabulary();

    /**
     * Token ids of {@code text}, as llama.cpp's {@code llama_tokenize}.
     *
     * @param addSpecial   add BOS/EOS as the vocabulary asks ({@link Vocabulary#addsBos()})
     * @param parseSpecial match CONTROL tokens (e.g. {@code <s>}, {@code <|eot_id|>}) written in the text
     */
    int[] encode(String text, boolean addSpecial, boolean parseSpecial);

    @Override default int[] encode(String text) { return encode(text, false, false); }

    /**
     * The bytes one token stands for, as llama.cpp's {@code token_to_piece} without stripping: empty for
     * CONTROL/UNKNOWN tokens unless {@code special}; one raw byte for a byte token. A piece may be part
     * of a UTF-8 character, so streaming output must collect bytes before decoding.
     */
    byte[] piece(int id, boolean special);

    @Override default int vocabSize() { return vocabulary().size(); }
}
