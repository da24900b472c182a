package dev.squint.engine.bert;

import dev.squint.kernels.FloatGemm;
import dev.squint.kernels.RowParallel;

/**
 * A projection with float weights packed once at load for {@link FloatGemm} (panels the kernel streams;
 * the bias is added in the kernel). F16 and BF16 weights are widened to F32 here: the products are
 * then F32 × F32 — closer to the source model than F16 arithmetic, twice the memory of the stored
 * weight, and a register-tiled GEMM instead of per-row dots. The packed copy lives on the heap (the
 * model file stays mapped for the embedding tables).
 */
public final class FloatDense implements Dense {
    private final FloatGemm.Packed weight;
    private final float[] bias;
    private final String kind;
    private final long weightBytes;

    private FloatDense(FloatGemm.Packed weight, float[] bias, String kind, long weightBytes) {
        if (bias != null && bias.length != weight.n()) throw new IllegalArgumentException("bias has " + bias.length + " values for " + weight.n() + " outputs");
        this.weight = weight;
        this.bias = bias;
        this.kind = kind;
        this.weightBytes = weightBytes;
    }

    /** Packs a row-major {@code [out × in]} weight. */
    public static FloatDense of(float[] w, int out, int in, float[] bias, String kind, long weightBytes) {
        return new FloatDense(FloatGemm.pack(w, 0, out, in), bias, kind, weightBytes);
    }

    /** Packs {@code source}'s weight as it computes with it (dequantized/widened), keeping its bias, kind and size. */
    public static FloatDense of(Dense source) {
        return of(source.weights(), source.out(), source.in(), source.bias(), source.kind(), source.weightBytes());
    }

    @Override public int in() { return weight.k(); }

    @Override public int out() { return weight.n(); }

    @Override public String kind() { return kind; }

    @Override public float[] bias() { return bias; }

    @Override public long weightBytes() { return weightBytes; }

    @Override public void row(int j, float[] dst) { weight.row(j, dst); }

    @Override
    public void forward(float[] x, int tokens, float[] y, RowParallel threads) {
        FloatGemm.multiply(x, tokens, weight, null, y, threads);
    }

    @Override
    public void forwardWithBias(float[] x, int tokens, float[] y, RowParallel threads) {
        FloatGemm.multiply(x, tokens, weight, bias, y, threads);
    }

    /**
     * {@code y[t, Σ_{h<g} out_h + j] = (x · W_gᵀ + b_g)[t, j]}: several projections of the same input in one
     * pass over the threads, each output element exactly as {@link #forwardWithBias} computes it.
     */
    static void forwardAll(FloatDense[] ds, float[] x, int tokens, float[] y, RowParallel threads) {
        FloatGemm.Packed[] ws = new FloatGemm.Packed[ds.length];
        float[][] biases = new float[ds.length][];
        for (int g = 0; g < ds.length; g++) {
            ws[g] = ds[g].weight;
            biases[g] = ds[g].bias;
        }
        FloatGemm.multiply(x, tokens, ws, biases, y, threads);
    }
}
