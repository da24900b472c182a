package dev.squint.engine.ops;

import dev.squint.core.GgmlType;
import dev.squint.core.SquintException;
import dev.squint.core.Tensor;
import dev.squint.core.codec.BlockCodec;
import dev.squint.core.codec.Codecs;
import dev.squint.kernels.RowParallel;

import java.lang.foreign.MemorySegment;

/**
 * A linear layer {@code y = x · Wᵀ + b} whose weight stays in its stored type (F32, F16, BF16 or
 * any ggml block type): {@code W} is {@code [out, in]}, {@code x} is {@code [tokens, in]} and
 * {@code y} is {@code [tokens, out]}, all row-major. Output rows are split across threads; each
 * output element is computed by one thread in a fixed order, so results do not depend on the
 * thread count.
 *
 * <p>This reference path dequantizes one weight row at a time into a per-thread scratch row and
 * takes float dot products with every token, so a row is decoded once per call however many
 * tokens there are (batched prompts amortise it).
 */
public final class Linear {
    private final String name;
    private final MemorySegment weight;
    private final BlockCodec codec;
    private final int in;
    private final int out;
    private final long rowBytes;
    private final float[] bias;

    private Linear(String name, MemorySegment weight, BlockCodec codec, int in, int out, float[] bias) {
        this.name = name;
        this.weight = weight;
        this.codec = codec;
        this.in = in;
        this.out = out;
        this.rowBytes = codec.rowBytes(in);
        this.bias = bias;
    }

    /**
     * @param weight a 2-D tensor {@code [out, in]}
     * @param bias   {@code out} values, or null
     */
    public static Linear of(Tensor weight, float[] bias) {
        if (weight.shape().rank() != 2) {
            throw new SquintException("tensor " + weight.name() + ": a linear weight must be 2-D, got " + weight.shape());
        }
        GgmlType type = GgmlType.of(weight.dtype()).orElseThrow(() -> new SquintException(
                "tensor " + weight.name() + ": dtype " + weight.dtype().name() + " cannot run in a linear layer"));
        BlockCodec codec = Codecs.find(type).orElseThrow(() -> new SquintException(
                "tensor " + weight.name() + ": no kernel for " + type + " yet"));
        long out = weight.shape().dim(0), in = weight.shape().dim(1);
        if (in > Integer.MAX_VALUE || out > Integer.MAX_VALUE) {
            throw new SquintException("tensor " + weight.name() + ": shape " + weight.shape() + " too large for one layer");
        }
        if (bias != null && bias.length != out) {
            throw new SquintException("tensor " + weight.name() + ": bias has " + bias.length + " values for " + out + " outputs");
        }
        return new Linear(weight.name(), weight.data(), codec, (int) in, (int) out, bias);
    }

    public String name() { return name; }

    public int in() { return in; }

    public int out() { return out; }

    public GgmlType type() { return codec.type(); }

    /** Computes {@code y[tokens × out]} from {@code x[tokens × in]}. */
    public void forward(float[] x, int tokens, float[] y, RowParallel threads) {
        if (x.length < (long) tokens * in || y.length < (long) tokens * out) {
            throw new IllegalArgumentException(name + ": buffers too small for " + tokens + " tokens");
        }
        threads.forRows(out, (from, to) -> {
            float[] row = new float[in]; // one per range, not per row: the hot loop allocates nothing
            for (int j = from; j < to; j++) {
                codec.dequantizeRow(weight, j * rowBytes, row, 0, in);
                float b = bias == null ? 0f : bias[j];
                for (int t = 0; t < tokens; t++) {
                    y[t * out + j] = dot(row, x, t * in, in) + b;
                }
            }
        });
    }

    /** Dequantizes weight row {@code j} into {@code dst}. */
    public void row(int j, float[] dst) {
        codec.dequantizeRow(weight, j * rowBytes, dst, 0, in);
    }

    private static float dot(float[] w, float[] x, int xOff, int n) {
        // four partial sums: independent chains let the JIT pipeline the adds
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int i = 0;
        for (; i + 3 < n; i += 4) {
            s0 += w[i] * x[xOff + i];
            s1 += w[i + 1] * x[xOff + i + 1];
            s2 += w[i + 2] * x[xOff + i + 2];
            s3 += w[i + 3] * x[xOff + i + 3];
        }
        for (; i < n; i++) s0 += w[i] * x[xOff + i];
        return (s0 + s1) + (s2 + s3);
    }
}
