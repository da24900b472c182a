package dev.squint.engine.bert;

import dev.squint.core.SquintException;

/**
 * The shape and behaviour of a BERT encoder.
 *
 * @param maxPositions  rows of the position embedding table: the longest sequence the model takes
 * @param layerNormEps  epsilon of every LayerNorm (1e-12 in BERT)
 * @param pooling       how token states become one sentence vector
 * @param normalize     true to scale sentence vectors to unit length (sentence-transformers' Normalize)
 */
public record BertConfig(int hidden, int layers, int heads, int intermediate, int vocab, int maxPositions,
                         int typeVocab, float layerNormEps, Pooling pooling, boolean normalize) {

    /** Sentence pooling; sentence-transformers' {@code pooling_mode_mean_tokens} / {@code pooling_mode_cls_token}. */
    public enum Pooling { MEAN, CLS }

    public BertConfig {
        if (hidden < 1 || layers < 1 || heads < 1 || intermediate < 1 || vocab < 1 || maxPositions < 3 || typeVocab < 1) {
            throw new SquintException("BERT config has a non-positive size: " + this);
        }
        if (hidden % heads != 0) throw new SquintException("BERT hidden size " + hidden + " is not a multiple of the head count " + heads);
        if (!(layerNormEps > 0)) throw new SquintException("BERT layer norm epsilon must be positive, got " + layerNormEps);
    }

    public int headDim() { return hidden / heads; }
}
