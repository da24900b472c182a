package dev.squint.engine.llama;

import dev.squint.core.SquintException;
import dev.squint.engine.ops.Linear;
import dev.squint.kernels.Activations;
import dev.squint.kernels.CausalAttention;
import dev.squint.kernels.MatrixKernels;
import dev.squint.kernels.RowParallel;

/**
 * One sequence being run through a {@link LlamaModel}: the KV cache, the position reached, and every
 * scratch buffer a forward pass needs, allocated once here so the decode loop allocates nothing.
 *
 * <p>{@link #forward} takes a batch of tokens at the next positions and runs the whole batch through
 * each layer at once (matrix × matrix, causal attention inside the batch), as llama.cpp's batched
 * prompt processing does. Batches longer than {@link #maxBatch()} are split.
 *
 * <p>Numerics follow llama.cpp's CPU defaults: RMSNorm sums squares in double; K and V are stored in the
 * cache rounded to F16 (llama.cpp's default cache type), attention scores and softmax are float with a
 * double sum. Not thread-safe; close it to stop its worker threads.
 */
public final class LlamaSession implements AutoCloseable {
    private final LlamaModel model;
    private final LlamaConfig c;
    private final int ctx;
    private final int maxBatch;
    private final RowParallel threads;
    private final Rope rope;
    private final float[][] keys;
    private final float[][] values;
    private final float[] x, xb, xb2, q, k, v, attnOut, hb, hb2, att, last;
    private float[] logits;
    private float[] batchLogits;
    private boolean f16Cache = true;
    private final Linear.BatchWorkspace batchWork = new Linear.BatchWorkspace();
    /** Per layer, for one token: q, k and v in one dispatch, and gate and up with SwiGLU in another. */
    private final Linear.MatVecGroup[] qkvGroups, gateUpGroups;
    private final float[][] qkvOut, gateUpOut;
    /** SwiGLU of one token's gate and up outputs, {@code hb[i] = silu(hb[i]) · hb2[i]} over a range (the gate/up job's tail). */
    private final RowParallel.RowRange swiGlu;
    /** One token's attention over heads as a reusable range; reads {@link #attnLayer} and {@link #attnPos}. */
    private final RowParallel.RowRange attendOne;
    private int attnLayer, attnPos;
    private int pos;

    LlamaSession(LlamaModel model, int contextLength, int threadCount) {
        this.model = model;
        this.c = model.config();
        if (contextLength < 1) throw new SquintException("context length must be at least 1, got " + contextLength);
        this.ctx = contextLength;
        this.maxBatch = Math.min(ctx, 512);
        this.threads = new RowParallel(threadCount);
        this.rope = new Rope(c, model.ropeFreqs(), ctx);
        long perLayer = (long) ctx * c.kvDim();
        if (perLayer > Integer.MAX_VALUE - 8 || (long) maxBatch * Math.max(c.ffnDim(), c.qDim()) > Integer.MAX_VALUE - 8) {
            throw new SquintException("context " + ctx + " is too large for this model's KV cache; use a smaller context");
        }
        this.keys = new float[c.layers()][(int) perLayer];
        this.values = new float[c.layers()][keys[0].length];
        int b = maxBatch;
        this.x = new float[b * c.dim()];
        this.xb = new float[b * Math.max(c.dim(), c.qDim())];
        this.xb2 = new float[b * c.dim()];
        this.q = new float[b * c.qDim()];
        this.k = new float[b * c.kvDim()];
        this.v = new float[b * c.kvDim()];
        this.attnOut = new float[b * c.qDim()];
        this.hb = new float[b * c.ffnDim()];
        this.hb2 = new float[b * c.ffnDim()];
        this.att = new float[c.heads() * ctx];
        this.last = new float[c.vocab()];
        this.qkvGroups = new Linear.MatVecGroup[c.layers()];
        this.gateUpGroups = new Linear.MatVecGroup[c.layers()];
        for (int l = 0; l < c.layers(); l++) {
            LlamaModel.Layer layer = model.layers().get(l);
            qkvGroups[l] = Linear.MatVecGroup.concatenated(layer.wq(), layer.wk(), layer.wv());
            gateUpGroups[l] = Linear.MatVecGroup.paired(layer.gate(), layer.up());
        }
        this.qkvOut = new float[][] {q, k, v};
        this.gateUpOut = new float[][] {hb, hb2};
        this.swiGlu = (from, to) -> {
            for (int i = from; i < to; i++) {
                float g = hb[i];
                hb[i] = g / (1f + (float) Math.exp(-g)) * hb2[i];
            }
        };
        this.attendOne = (from, to) -> {
            for (int h = from; h < to; h++) attendHead(h, keys[attnLayer], values[attnLayer], 1, attnPos);
        };
    }

    public LlamaModel model() { return model; }

    public int contextLength() { return ctx; }

    public int maxBatch() { return maxBatch; }

    public int threads() { return threads.threads(); }

    /** Tokens in the cache so far (the position of the next token). */
    public int position() { return pos; }

    /** Forgets the sequence (the cache is overwritten from position 0 on). */
    public void reset() { pos = 0; }

    /** Keeps K and V in float instead of rounding them to F16 as llama.cpp's default cache does. */
    public void f32Cache(boolean on) { f16Cache = !on; }

    /**
     * Runs {@code tokens[off, off + n)} at the next positions.
     *
     * @param allLogits true to return logits of every token ({@code n × vocab}, row-major), false for
     *                  the last token's only ({@code vocab} values)
     * @return a buffer owned by this session, overwritten by the next call
     */
    public float[] forward(int[] tokens, int off, int n, boolean allLogits) {
        if (n < 1) throw new IllegalArgumentException("no tokens to run");
        if (pos + n > ctx) {
            throw new SquintException("the sequence needs " + (pos + n) + " positions but the context holds " + ctx
                    + "; use a shorter prompt or a larger context");
        }
        float[] out = last;
        if (allLogits) {
            if (logits == null || logits.length < (long) n * c.vocab()) {
                long need = (long) n * c.vocab();
                if (need > Integer.MAX_VALUE - 8) throw new SquintException("too many logits for one call: " + n + " × " + c.vocab());
                logits = new float[(int) need];
            }
            out = logits;
        }
        for (int done = 0; done < n; ) {
            int b = Math.min(maxBatch, n - done);
            batch(tokens, off + done, b, allLogits ? out : null, done);
            done += b;
        }
        return out;
    }

    private void batch(int[] tokens, int off, int n, float[] all, int outRow) {
        int dim = c.dim();
        for (int t = 0; t < n; t++) model.embed(tokens[off + t], x, t * dim);
        for (int l = 0; l < c.layers(); l++) {
            LlamaModel.Layer layer = model.layers().get(l);
            rmsNorm(x, xb, n, dim, layer.attnNorm());
            if (n == 1) {
                qkvGroups[l].forward(xb, qkvOut, null, threads);
            } else {
                linear(layer.wq(), xb, n, q);
                linear(layer.wk(), xb, n, k);
                linear(layer.wv(), xb, n, v);
            }
            if (layer.qNorm() != null) rmsNorm(q, q, n * c.heads(), c.headDim(), layer.qNorm());
            if (layer.kNorm() != null) rmsNorm(k, k, n * c.kvHeads(), c.headDim(), layer.kNorm());
            float[] kc = keys[l], vc = values[l];
            int kvDim = c.kvDim();
            for (int t = 0; t < n; t++) {
                rope.apply(q, t * c.qDim(), c.heads(), pos + t);
                rope.apply(k, t * kvDim, c.kvHeads(), pos + t);
                int dst = (pos + t) * kvDim;
                for (int i = 0; i < kvDim; i++) {
                    kc[dst + i] = cacheValue(k[t * kvDim + i]);
                    vc[dst + i] = cacheValue(v[t * kvDim + i]);
                }
            }
            int p0 = pos;
            if (n == 1) {
                attnLayer = l;
                attnPos = p0;
                threads.forRows(c.heads(), attendOne);
            } else if (n >= Linear.MIN_BATCH) {
                threads.forRows(c.heads(), (from, to) -> {
                    for (int h = from; h < to; h++) attendBatch(h, kc, vc, n, p0);
                });
            } else {
                threads.forRows(c.heads(), (from, to) -> {
                    for (int h = from; h < to; h++) attendHead(h, kc, vc, n, p0);
                });
            }
            linear(layer.wo(), attnOut, n, xb2);
            for (int i = 0; i < n * dim; i++) x[i] += xb2[i];
            rmsNorm(x, xb, n, dim, layer.ffnNorm());
            int ff = n * c.ffnDim();
            if (n == 1) {
                gateUpGroups[l].forward(xb, gateUpOut, swiGlu, threads);
            } else if (n >= Linear.MIN_BATCH) {
                linear(layer.gate(), xb, n, hb);
                linear(layer.up(), xb, n, hb2);
                int fd = c.ffnDim();
                threads.forRows(n, (from, to) -> Activations.siluMul(MatrixKernels.Impl.VECTOR, hb, hb2, from * fd, to * fd));
            } else {
                linear(layer.gate(), xb, n, hb);
                linear(layer.up(), xb, n, hb2);
                swiGlu.run(0, ff);
            }
            linear(layer.down(), hb, n, xb2);
            for (int i = 0; i < n * dim; i++) x[i] += xb2[i];
        }
        pos += n;
        if (all != null) {
            rmsNorm(x, xb, n, dim, model.outputNorm());
            if (outRow == 0) {
                linear(model.output(), xb, n, all);
            } else {
                // a later sub-batch: Linear writes from row 0, so run into scratch and place the rows after the earlier ones
                if (batchLogits == null) batchLogits = new float[maxBatch * c.vocab()];
                linear(model.output(), xb, n, batchLogits);
                System.arraycopy(batchLogits, 0, all, outRow * c.vocab(), n * c.vocab());
            }
        } else {
            rmsNorm(x, xb, (n - 1) * dim, 1, dim, model.outputNorm());
            model.output().forward(xb, 1, last, threads);
        }
    }

    /** A layer's product for {@code n} tokens: tiled over tokens for prompt batches ({@link Linear#forwardBatch}). */
    private void linear(Linear layer, float[] in, int n, float[] out) {
        layer.forwardBatch(in, n, out, threads, batchWork);
    }

    /**
     * Causal attention of head {@code h} for a prompt batch: {@link CausalAttention}'s vector kernel, the same
     * computation as {@link #attendHead} (ggml's flash attention) with ggml's AVX-512 summation order.
     */
    private void attendBatch(int h, float[] kc, float[] vc, int n, int p0) {
        int hd = c.headDim();
        int kvh = h / (c.heads() / c.kvHeads());
        CausalAttention.head(MatrixKernels.Impl.VECTOR, q, h * hd, c.qDim(), kc, vc, kvh * hd, c.kvDim(), hd, n, p0,
                (float) (1.0 / Math.sqrt(hd)), f16Cache, attnOut);
    }

    private float cacheValue(float f) {
        return f16Cache ? Float.float16ToFloat(Float.floatToFloat16(f)) : f;
    }

    /**
     * Causal attention of head {@code h} for the batch's {@code n} tokens starting at position {@code p0},
     * as ggml's CPU flash-attention kernel computes it (llama.cpp's default): one pass over the cached
     * positions with an online softmax; with an F16 cache the query is rounded to F16 and the weighted sum
     * of V is kept in F16, rounded after every update, then divided by the softmax sum in float.
     */
    private void attendHead(int h, float[] kc, float[] vc, int n, int p0) {
        int hd = c.headDim(), kvDim = c.kvDim(), qDim = c.qDim();
        int kvh = h / (c.heads() / c.kvHeads());
        float scale = (float) (1.0 / Math.sqrt(hd));
        boolean f16 = f16Cache;
        for (int t = 0; t < n; t++) {
            int qo = t * qDim + h * hd;
            int oo = qo;
            if (f16) for (int i = 0; i < hd; i++) q[qo + i] = half(q[qo + i]);
            for (int i = 0; i < hd; i++) attnOut[oo + i] = 0f;
            int upto = p0 + t;
            float max = Float.NEGATIVE_INFINITY, sum = 0f;
            for (int s = 0; s <= upto; s++) {
                int ko = s * kvDim + kvh * hd;
                double acc = 0; // ggml_vec_dot_f16 sums float products in double
                for (int i = 0; i < hd; i++) acc += q[qo + i] * kc[ko + i];
                float dot = (float) acc * scale;
                float ms = 1f, vs = 1f;
                if (dot > max) {
                    float old = max;
                    max = dot;
                    ms = (float) Math.exp(old - max);
                    if (ms != 1f) for (int i = 0; i < hd; i++) attnOut[oo + i] = f16 ? half(attnOut[oo + i] * ms) : attnOut[oo + i] * ms;
                } else {
                    vs = (float) Math.exp(dot - max);
                }
                int vo = s * kvDim + kvh * hd;
                for (int i = 0; i < hd; i++) {
                    float y = attnOut[oo + i] + vc[vo + i] * vs;
                    attnOut[oo + i] = f16 ? half(y) : y;
                }
                sum = sum * ms + vs;
            }
            float inv = 1f / sum;
            for (int i = 0; i < hd; i++) attnOut[oo + i] *= inv;
        }
    }

    private static float half(float f) {
        return Float.float16ToFloat(Float.floatToFloat16(f));
    }

    private void rmsNorm(float[] src, float[] dst, int rows, int n, float[] weight) {
        rmsNorm(src, dst, 0, rows, n, weight);
    }

    /** Normalises {@code rows} rows of {@code n} values from {@code src[srcOff]} into {@code dst[0..]}, times {@code weight}. */
    private void rmsNorm(float[] src, float[] dst, int srcOff, int rows, int n, float[] weight) {
        for (int r = 0; r < rows; r++) {
            int so = srcOff + r * n, d = r * n;
            double sum = 0;
            for (int i = 0; i < n; i++) sum += (double) src[so + i] * src[so + i];
            float scale = 1f / (float) Math.sqrt((float) (sum / n) + c.normEps()); // ggml: 1.0f/sqrtf(mean + eps)
            for (int i = 0; i < n; i++) dst[d + i] = src[so + i] * scale * weight[i];
        }
    }

    @Override public void close() {
        threads.close();
    }
}
