package dev.squint.engine.bert;

import dev.squint.engine.tokenizer.WordPieceTokenizer;
import dev.squint.kernels.EncoderKernels;
import dev.squint.kernels.GeluErf;
import dev.squint.kernels.RowParallel;

import java.util.ArrayList;
import java.util.List;

/**
 * A BERT sentence encoder: tokens → embeddings (word + position + token type, LayerNorm) →
 * post-LayerNorm blocks (bidirectional self-attention, residual, LayerNorm; GELU feed-forward,
 * residual, LayerNorm) → mean or CLS pooling → optional L2 normalisation.
 *
 * <p>Batches are packed: only positions whose attention mask is 1 are computed, and each token
 * attends to the unmasked tokens of its own sequence — the same result as adding a large negative
 * bias at masked positions (which makes their softmax weight exactly 0 in float), without
 * spending projections on padding. Position ids are the positions in the padded row.
 *
 * <p>Thread-safe for concurrent {@link #embed} calls only if the {@link RowParallel} is; the CLI
 * and tests use one encoder per thread.
 */
public final class BertEncoder implements AutoCloseable {
    private final BertWeights weights;
    private final WordPieceTokenizer tokenizer;
    private final RowParallel threads;
    private final BertConfig config;
    static final int TOKEN_CHUNK = 64;
    /** Below this many tokens, row-wise steps run on the caller's thread (see {@link #rows}). */
    static final int INLINE_TOKENS = 48;

    public BertEncoder(BertWeights weights, WordPieceTokenizer tokenizer, RowParallel threads) {
        this.weights = weights;
        this.tokenizer = tokenizer;
        this.threads = threads;
        this.config = weights.config();
        if (tokenizer.maxLength() > config.maxPositions()) {
            throw new IllegalArgumentException("tokenizer allows " + tokenizer.maxLength() + " tokens, the model has " + config.maxPositions() + " positions");
        }
        if (tokenizer.vocabSize() > config.vocab()) {
            throw new IllegalArgumentException("tokenizer has " + tokenizer.vocabSize() + " tokens, the embedding table " + config.vocab());
        }
    }

    public BertConfig config() { return config; }

    public BertWeights weights() { return weights; }

    public WordPieceTokenizer tokenizer() { return tokenizer; }

    public RowParallel threads() { return threads; }

    /** The same tokenizer and threads over other weights (e.g. a quantized copy). */
    public BertEncoder withWeights(BertWeights other) {
        return new BertEncoder(other, tokenizer, threads);
    }

    /** Sentence embeddings of {@code texts}, run as one batch. */
    public float[][] embed(List<String> texts) {
        if (texts.isEmpty()) return new float[0][];
        WordPieceTokenizer.Batch batch = tokenizer.batch(texts);
        float[] pooled = forward(batch);
        int h = config.hidden();
        float[][] out = new float[batch.size()][];
        for (int b = 0; b < out.length; b++) out[b] = java.util.Arrays.copyOfRange(pooled, b * h, (b + 1) * h);
        return out;
    }

    /** Embeddings of {@code texts} in batches of {@code batchSize}. */
    public float[][] embedAll(List<String> texts, int batchSize) {
        List<float[]> out = new ArrayList<>(texts.size());
        for (int i = 0; i < texts.size(); i += batchSize) {
            for (float[] e : embed(texts.subList(i, Math.min(texts.size(), i + batchSize)))) out.add(e);
        }
        return out.toArray(new float[0][]);
    }

    /** Pooled (and, if configured, normalised) embeddings {@code [size × hidden]} of a tokenized batch. */
    public float[] forward(WordPieceTokenizer.Batch batch) {
        int h = config.hidden();
        int sequences = batch.size();
        int[] start = new int[sequences + 1];
        for (int b = 0; b < sequences; b++) start[b + 1] = start[b] + batch.tokens(b);
        int tokens = start[sequences];
        float[] x = new float[tokens * h];
        float[] scratch = new float[h];
        int p = 0;
        for (int b = 0; b < sequences; b++) {
            for (int t = 0; t < batch.length(); t++) {
                int i = b * batch.length() + t;
                if (batch.attentionMask()[i] == 0) continue;
                int id = batch.ids()[i], type = batch.typeIds()[i];
                if (id < 0 || id >= config.vocab()) throw new IllegalArgumentException("token id " + id + " outside the vocabulary of " + config.vocab());
                if (t >= config.maxPositions()) throw new IllegalArgumentException("position " + t + " beyond the model's " + config.maxPositions());
                if (type < 0 || type >= config.typeVocab()) throw new IllegalArgumentException("token type " + type + " outside " + config.typeVocab());
                BertWeights.addRow(weights.wordEmbeddings(), id, x, p * h, scratch);
                BertWeights.addRow(weights.positionEmbeddings(), t, x, p * h, scratch);
                BertWeights.addRow(weights.tokenTypeEmbeddings(), type, x, p * h, scratch);
                p++;
            }
        }
        layerNorm(x, null, tokens, weights.embeddingNorm());
        float[] qkv = new float[tokens * 3 * h];
        float[] ctx = new float[tokens * h], proj = new float[tokens * h];
        float[] inter = new float[tokens * config.intermediate()];
        for (BertWeights.Layer layer : weights.layers()) {
            projectQkv(layer, x, tokens, qkv);
            attention(qkv, ctx, start);
            project(layer.attentionOutput(), ctx, tokens, proj);
            layerNorm(x, proj, tokens, layer.attentionNorm());
            project(layer.intermediate(), x, tokens, inter);
            int n = config.intermediate();
            rows(tokens, (from, to) -> GeluErf.apply(inter, from * n, to * n));
            project(layer.output(), inter, tokens, proj);
            layerNorm(x, proj, tokens, layer.outputNorm());
        }
        return pool(x, start);
    }

    /**
     * {@code y = d(x) + bias}. The packed float and W8A8 projections block their own GEMM for the
     * cache; {@link dev.squint.engine.ops.Linear} streams every token row once per weight row, so it
     * runs in chunks of {@link #TOKEN_CHUNK} tokens whose activations stay in the core's cache
     * (64 × 1536 floats = 384 KB at most, within L2), whatever the batch size.
     */
    private void project(Dense d, float[] x, int tokens, float[] y) {
        int in = d.in(), out = d.out();
        if (tokens <= TOKEN_CHUNK || d instanceof FloatDense || d instanceof DynamicInt8Dense) {
            d.forwardWithBias(x, tokens, y, threads);
            return;
        }
        float[] xc = new float[TOKEN_CHUNK * in], yc = new float[TOKEN_CHUNK * out];
        for (int t0 = 0; t0 < tokens; t0 += TOKEN_CHUNK) {
            int n = Math.min(TOKEN_CHUNK, tokens - t0);
            System.arraycopy(x, t0 * in, xc, 0, n * in);
            d.forwardWithBias(xc, n, yc, threads);
            System.arraycopy(yc, 0, y, t0 * out, n * out);
        }
    }

    /**
     * The query, key and value projections into {@code qkv} rows of {@code 3 · hidden} (query, key, value
     * side by side). Packed float and W8A8 weights run as one product over the three weights (one hand-off
     * to the threads; W8A8 quantizes the activations once); other types run one after the other.
     */
    private void projectQkv(BertWeights.Layer layer, float[] x, int tokens, float[] qkv) {
        Dense q = layer.query(), k = layer.key(), v = layer.value();
        int h = config.hidden();
        if (q instanceof FloatDense fq && k instanceof FloatDense fk && v instanceof FloatDense fv) {
            FloatDense.forwardAll(new FloatDense[] {fq, fk, fv}, x, tokens, qkv, threads);
        } else if (q instanceof DynamicInt8Dense dq && k instanceof DynamicInt8Dense dk && v instanceof DynamicInt8Dense dv) {
            DynamicInt8Dense.forwardAll(new DynamicInt8Dense[] {dq, dk, dv}, x, tokens, qkv, threads);
        } else {
            float[] y = new float[tokens * h];
            Dense[] ds = {q, k, v};
            for (int g = 0; g < 3; g++) {
                project(ds[g], x, tokens, y);
                for (int t = 0; t < tokens; t++) System.arraycopy(y, t * h, qkv, t * 3 * h + g * h, h);
            }
        }
    }

    /**
     * Row-wise steps (LayerNorm, GELU) on the threads, or on the caller's thread when there are too few
     * tokens to repay waking the others (a few microseconds of work at batch 1).
     */
    private void rows(int tokens, RowParallel.RowRange body) {
        if (tokens < INLINE_TOKENS) body.run(0, tokens);
        else threads.forRows(tokens, body);
    }

    /** {@code x = LayerNorm(x + residual)} per token row ({@code residual} may be null). */
    private void layerNorm(float[] x, float[] residual, int tokens, BertWeights.Norm norm) {
        int h = config.hidden();
        float eps = config.layerNormEps();
        float[] g = norm.weight(), b = norm.bias();
        rows(tokens, (from, to) -> {
            for (int t = from; t < to; t++) EncoderKernels.layerNorm(x, t * h, h, residual, t * h, g, b, eps);
        });
    }

    /** Scaled dot-product attention of each head within each sequence, from the fused projections; one work item per (sequence, head). */
    private void attention(float[] qkv, float[] ctx, int[] start) {
        int heads = config.heads(), dh = config.headDim(), h = config.hidden();
        int sequences = start.length - 1;
        int longest = 0;
        for (int s = 0; s < sequences; s++) longest = Math.max(longest, start[s + 1] - start[s]);
        int scratchSize = EncoderKernels.attentionScratch(longest, dh);
        float scale = (float) (1 / Math.sqrt(dh));
        RowParallel.RowRange body = (from, to) -> {
            float[] scratch = new float[scratchSize]; // one per range
            for (int unit = from; unit < to; unit++) {
                int s = unit / heads, col = (unit % heads) * dh;
                EncoderKernels.attendHead(qkv, 3 * h, start[s], start[s + 1] - start[s], col, h + col, 2 * h + col, dh, scale, ctx, h, col, scratch);
            }
        };
        // one short sentence's attention (12 heads × ~10 tokens: microseconds) is done before the other threads would wake
        if (start[sequences] < INLINE_TOKENS) body.run(0, sequences * heads);
        else threads.forRows(sequences * heads, body);
    }

    private float[] pool(float[] x, int[] start) {
        int h = config.hidden();
        int sequences = start.length - 1;
        float[] out = new float[sequences * h];
        for (int s = 0; s < sequences; s++) {
            int n = start[s + 1] - start[s];
            if (config.pooling() == BertConfig.Pooling.CLS) {
                System.arraycopy(x, start[s] * h, out, s * h, h);
            } else {
                for (int i = 0; i < h; i++) {
                    double sum = 0;
                    for (int t = start[s]; t < start[s + 1]; t++) sum += x[t * h + i];
                    out[s * h + i] = (float) (sum / Math.max(1, n));
                }
            }
            if (config.normalize()) normalize(out, s * h, h);
        }
        return out;
    }

    /** Scales {@code v[off .. off + n)} to unit length (left as is if it is all zeros). */
    static void normalize(float[] v, int off, int n) {
        double sq = 0;
        for (int i = 0; i < n; i++) sq += (double) v[off + i] * v[off + i];
        double norm = Math.sqrt(sq);
        if (norm == 0) return;
        for (int i = 0; i < n; i++) v[off + i] = (float) (v[off + i] / norm);
    }

    @Override
    public void close() {
        weights.close();
    }
}
