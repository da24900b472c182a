package dev.squint.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

import static dev.squint.kernels.Species.F;
import static dev.squint.kernels.Species.LANES;

/**
 * The transformer-encoder steps around the matrix products, vectorized: LayerNorm (with the residual
 * add folded in) and scaled dot-product attention of one head over one sequence. Their scalar twins
 * are in the tests; results agree to float rounding (the sums are reassociated across lanes).
 */
public final class EncoderKernels {
    private EncoderKernels() {}

    /**
     * {@code x[off .. off+n) = LayerNorm(x + residual)} with scale {@code g} and shift {@code b}
     * ({@code residual} may be null): mean and variance of the row, {@code (x - mean) / √(var + eps) · g + b}.
     */
    public static void layerNorm(float[] x, int off, int n, float[] residual, int rOff, float[] g, float[] b, float eps) {
        int bound = n - n % LANES;
        if (residual != null) {
            int i = 0;
            for (; i < bound; i += LANES) FloatVector.fromArray(F, x, off + i).add(FloatVector.fromArray(F, residual, rOff + i)).intoArray(x, off + i);
            for (; i < n; i++) x[off + i] += residual[rOff + i];
        }
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (; i < bound; i += LANES) acc = acc.add(FloatVector.fromArray(F, x, off + i));
        float sum = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) sum += x[off + i];
        float mean = sum / n;
        acc = FloatVector.zero(F);
        for (i = 0; i < bound; i += LANES) {
            FloatVector d = FloatVector.fromArray(F, x, off + i).sub(mean);
            acc = d.fma(d, acc);
        }
        float var = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            float d = x[off + i] - mean;
            var += d * d;
        }
        float inv = (float) (1 / Math.sqrt(var / n + (double) eps));
        for (i = 0; i < bound; i += LANES) {
            FloatVector d = FloatVector.fromArray(F, x, off + i).sub(mean).mul(inv);
            d.fma(FloatVector.fromArray(F, g, i), FloatVector.fromArray(F, b, i)).intoArray(x, off + i);
        }
        for (; i < n; i++) x[off + i] = Math.fma((x[off + i] - mean) * inv, g[i], b[i]);
    }

    /** Floats of scratch {@link #attendHead} needs for {@code tokens} tokens of head width {@code dh}. */
    public static int attentionScratch(int tokens, int dh) {
        int padded = (tokens + LANES - 1) / LANES * LANES;
        return padded * (dh + 1);
    }

    /**
     * Scaled dot-product attention of one head within one sequence of {@code n} tokens, reading the fused
     * projections: rows {@code first .. first+n} of {@code qkv} (row stride {@code stride}) hold the head's
     * query at columns {@code qCol .. qCol+dh}, key at {@code kCol ..} and value at {@code vCol ..}; the
     * result goes to the same rows of {@code ctx} (row stride {@code ctxStride}) at columns {@code ctxCol ..}.
     * Every token attends to all {@code n} tokens: {@code ctx_i = Σⱼ softmax_j(scale · q_i·k_j) · v_j}. The
     * keys are transposed into {@code scratch} ({@link #attentionScratch} floats) so scores come out a vector
     * of keys at a time.
     */
    public static void attendHead(float[] qkv, int stride, int first, int n, int qCol, int kCol, int vCol, int dh, float scale,
                                  float[] ctx, int ctxStride, int ctxCol, float[] scratch) {
        int np = (n + LANES - 1) / LANES * LANES;
        int scores = dh * np;
        for (int j = 0; j < np; j++) {
            if (j < n) {
                int ko = (first + j) * stride + kCol;
                for (int d = 0; d < dh; d++) scratch[d * np + j] = qkv[ko + d];
            } else {
                for (int d = 0; d < dh; d++) scratch[d * np + j] = 0f;
            }
        }
        for (int i = 0; i < n; i++) {
            int qo = (first + i) * stride + qCol;
            float max = Float.NEGATIVE_INFINITY;
            for (int jc = 0; jc < np; jc += LANES) {
                FloatVector acc = FloatVector.zero(F);
                for (int d = 0; d < dh; d++) acc = FloatVector.broadcast(F, qkv[qo + d]).fma(FloatVector.fromArray(F, scratch, d * np + jc), acc);
                acc = acc.mul(scale);
                acc.intoArray(scratch, scores + jc);
                max = Math.max(max, acc.reduceLanes(VectorOperators.MAX, F.indexInRange(jc, n)));
            }
            FloatVector total = FloatVector.zero(F);
            for (int jc = 0; jc < np; jc += LANES) {
                VectorMask<Float> live = F.indexInRange(jc, n);
                FloatVector e = FloatVector.fromArray(F, scratch, scores + jc).sub(max).lanewise(VectorOperators.EXP);
                e = FloatVector.zero(F).blend(e, live);
                e.intoArray(scratch, scores + jc);
                total = total.add(e);
            }
            float inv = 1f / total.reduceLanes(VectorOperators.ADD);
            int co = (first + i) * ctxStride + ctxCol;
            for (int dc = 0; dc < dh; dc += LANES) {
                VectorMask<Float> m = F.indexInRange(dc, dh);
                FloatVector acc = FloatVector.zero(F);
                for (int j = 0; j < n; j++) {
                    acc = FloatVector.broadcast(F, scratch[scores + j]).fma(FloatVector.fromArray(F, qkv, (first + j) * stride + vCol + dc, m), acc);
                }
                acc.mul(inv).intoArray(ctx, co + dc, m);
            }
        }
    }
}
