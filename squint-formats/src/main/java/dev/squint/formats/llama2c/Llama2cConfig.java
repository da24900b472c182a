package dev.squint.formats.llama2c;

/**
 * The hyperparameters in a legacy llama2.c checkpoint header, already validated by the reader.
 *
 * @param dim              model width (embedding length)
 * @param hiddenDim        feed-forward width
 * @param layers           transformer blocks
 * @param heads            query heads
 * @param kvHeads          key/value heads (grouped-query attention when fewer than {@code heads})
 * @param vocabSize        vocabulary size (the absolute value of the header field)
 * @param seqLen           context length the RoPE tables were computed for
 * @param sharedClassifier true when the output classifier is the token embedding table (header
 *                         vocab_size positive); false when a separate {@code wcls} follows the weights
 */
public record Llama2cConfig(int dim, int hiddenDim, int layers, int heads, int kvHeads, int vocabSize, int seqLen,
                            boolean sharedClassifier) {

    /** Width of one attention head. */
    public int headSize() { return dim / heads; }

    /** Width of the key and value projections. */
    public int kvDim() { return dim / heads * kvHeads; }
}
