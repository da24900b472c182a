package dev.squint.engine.bert;

import dev.squint.engine.ops.Linear;
import dev.squint.kernels.RowParallel;

/**
 * A projection {@code y[tokens × out] = x[tokens × in] · Wᵀ + b} as the encoder uses it: one of
 * {@link Linear} (weights in their stored type, float activations), {@link FloatDense} (float
 * weights packed for a blocked GEMM) or {@link DynamicInt8Dense}
 * (W8A8: int8 weights, activations quantized per token, integer dot products).
 */
public interface Dense {
    int in();

    int out();

    /** A short description of how the weight is stored, e.g. {@code F32} or {@code Q4_K}. */
    String kind();

    /** {@code y[tokens × out] = x[tokens × in] · Wᵀ}, without the bias. */
    void forward(float[] x, int tokens, float[] y, RowParallel threads);

    /** {@code y = x · Wᵀ + bias} (the bias only if there is one); kernels that can add it in place override this. */
    default void forwardWithBias(float[] x, int tokens, float[] y, RowParallel threads) {
        forward(x, tokens, y, threads);
        float[] bias = bias();
        if (bias == null) return;
        int n = out();
        for (int t = 0; t < tokens; t++) {
            for (int j = 0; j < n; j++) y[t * n + j] += bias[j];
        }
    }

    /** The weight's row {@code j} ({@code in} values) as floats: what this projection computes with. */
    void row(int j, float[] dst);

    /** The weight as {@code [out, in]} floats (dequantized): the source for re-quantizing it. */
    default float[] weights() {
        float[] w = new float[out() * in()];
        float[] row = new float[in()];
        for (int j = 0; j < out(); j++) {
            row(j, row);
            System.arraycopy(row, 0, w, j * in(), in());
        }
        return w;
    }

    /** Bytes the weight takes as stored. */
    long weightBytes();

    /** The bias ({@code out} values), or null. */
    float[] bias();

    /**
     * Scratch for {@link Linear#forwardBatch}, one per calling thread: an encoder runs its projections one
     * after the other on the caller's thread, so every projection of every model can share it.
     */
    ThreadLocal<Linear.BatchWorkspace> BATCH_WORKSPACE = ThreadLocal.withInitial(Linear.BatchWorkspace::new);

    /**
     * A projection in its stored (block-quantized) type. A batch of {@link Linear#MIN_BATCH} or more token rows
     * runs tiled over tokens ({@link Linear#forwardBatch}: each weight block decoded once per batch), fewer
     * run the per-token dots; both round the activations to the codec's activation type as ggml does.
     */
    static Dense of(Linear linear, float[] bias, long weightBytes) {
        return new Dense() {
            @Override public int in() { return linear.in(); }
            @Override public int out() { return linear.out(); }
            @Override public String kind() { return linear.type().name(); }
            @Override public void forward(float[] x, int tokens, float[] y, RowParallel threads) {
                linear.forwardBatch(x, tokens, y, threads, BATCH_WORKSPACE.get());
            }
            @Override public void row(int j, float[] dst) { linear.row(j, dst); }
            @Override public long weightBytes() { return weightBytes; }
            @Override public float[] bias() { return bias; }
        };
    }
}
