package dev.squint.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
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
        float sum = sumLanes(acc);
        for (; i < n; i++) sum += x[off + i];
        float mean = sum / n;
        acc = FloatVector.zero(F);
        for (i = 0; i < bound; i += LANES) {
            FloatVector d = FloatVector.fromArray(F, x, off + i).sub(mean);
            acc = d.fma(d, acc);
        }
        float var = sumLanes(acc);
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
        return padded * (dh + QUERIES);
    }

    /**
     * Queries {@link #attendHead} takes at a time: their score and context sums are independent
     * fused-multiply-add chains the core overlaps (one query alone waits on each FMA's latency), each
     * chain in the same order as for a single query, so the results do not change.
     */
    static final int QUERIES = 4;

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
        int scores = dh * np; // then QUERIES rows of np scores
        for (int j = 0; j < np; j++) {
            if (j < n) {
                int ko = (first + j) * stride + kCol;
                for (int d = 0; d < dh; d++) scratch[d * np + j] = qkv[ko + d];
            } else {
                for (int d = 0; d < dh; d++) scratch[d * np + j] = 0f;
            }
        }
        float[] max = new float[QUERIES], inv = new float[QUERIES];
        for (int i0 = 0; i0 < n; i0 += QUERIES) {
            int queries = Math.min(QUERIES, n - i0);
            // a short last group repeats its first query in the unused slots; those results are not stored
            int q0 = (first + i0) * stride + qCol;
            int q1 = (first + i0 + (queries > 1 ? 1 : 0)) * stride + qCol;
            int q2 = (first + i0 + (queries > 2 ? 2 : 0)) * stride + qCol;
            int q3 = (first + i0 + (queries > 3 ? 3 : 0)) * stride + qCol;
            java.util.Arrays.fill(max, Float.NEGATIVE_INFINITY);
            for (int jc = 0; jc < np; jc += LANES) {
                FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
                for (int d = 0; d < dh; d++) {
                    FloatVector kv = FloatVector.fromArray(F, scratch, d * np + jc);
                    a0 = FloatVector.broadcast(F, qkv[q0 + d]).fma(kv, a0);
                    a1 = FloatVector.broadcast(F, qkv[q1 + d]).fma(kv, a1);
                    a2 = FloatVector.broadcast(F, qkv[q2 + d]).fma(kv, a2);
                    a3 = FloatVector.broadcast(F, qkv[q3 + d]).fma(kv, a3);
                }
                VectorMask<Float> live = F.indexInRange(jc, n);
                a0 = a0.mul(scale);
                a0.intoArray(scratch, scores + jc);
                max[0] = Math.max(max[0], a0.reduceLanes(VectorOperators.MAX, live));
                a1 = a1.mul(scale);
                a1.intoArray(scratch, scores + np + jc);
                max[1] = Math.max(max[1], a1.reduceLanes(VectorOperators.MAX, live));
                a2 = a2.mul(scale);
                a2.intoArray(scratch, scores + 2 * np + jc);
                max[2] = Math.max(max[2], a2.reduceLanes(VectorOperators.MAX, live));
                a3 = a3.mul(scale);
                a3.intoArray(scratch, scores + 3 * np + jc);
                max[3] = Math.max(max[3], a3.reduceLanes(VectorOperators.MAX, live));
            }
            for (int u = 0; u < queries; u++) {
                int row = scores + u * np;
                FloatVector total = FloatVector.zero(F);
                for (int jc = 0; jc < np; jc += LANES) {
                    VectorMask<Float> live = F.indexInRange(jc, n);
                    FloatVector e = exp(FloatVector.fromArray(F, scratch, row + jc).sub(max[u]));
                    e = FloatVector.zero(F).blend(e, live);
                    e.intoArray(scratch, row + jc);
                    total = total.add(e);
                }
                inv[u] = 1f / sumLanes(total);
            }
            for (int dc = 0; dc < dh; dc += LANES) {
                VectorMask<Float> m = F.indexInRange(dc, dh);
                FloatVector c0 = FloatVector.zero(F), c1 = c0, c2 = c0, c3 = c0;
                for (int j = 0; j < n; j++) {
                    FloatVector vv = FloatVector.fromArray(F, qkv, (first + j) * stride + vCol + dc, m);
                    c0 = FloatVector.broadcast(F, scratch[scores + j]).fma(vv, c0);
                    c1 = FloatVector.broadcast(F, scratch[scores + np + j]).fma(vv, c1);
                    c2 = FloatVector.broadcast(F, scratch[scores + 2 * np + j]).fma(vv, c2);
                    c3 = FloatVector.broadcast(F, scratch[scores + 3 * np + j]).fma(vv, c3);
                }
                int co = (first + i0) * ctxStride + ctxCol + dc;
                c0.mul(inv[0]).intoArray(ctx, co, m);
                if (queries > 1) c1.mul(inv[1]).intoArray(ctx, co + ctxStride, m);
                if (queries > 2) c2.mul(inv[2]).intoArray(ctx, co + 2 * ctxStride, m);
                if (queries > 3) c3.mul(inv[3]).intoArray(ctx, co + 3 * ctxStride, m);
            }
        }
    }

    private static final float LOG2E = 1.44269504088896341f;
    /** ln 2 split in two (Cody and Waite): {@code n · LN2_HI} is exact for the |n| ≤ 127 used here. */
    private static final float LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
    /** Adding then subtracting 1.5·2²³ rounds a float of magnitude below 2²² to an integer. */
    private static final float ROUND = 12_582_912f;

    /**
     * {@code eˣ} per lane, within about 1 ulp for {@code x ∈ [-87, 88]} (inputs outside are clamped there):
     * {@code x = n·ln2 + r}, {@code eʳ} by Cephes' degree-5 minimax polynomial for {@code expf}, then
     * {@code 2ⁿ} put in the exponent bits. Built from adds, multiplies and fused multiply-adds only, so it
     * gives the same bits interpreted, C1- or C2-compiled. The Vector API's {@code EXP} does not: compiled
     * it calls a vector math library, before that it falls back to scalar {@code Math.exp}, and the two
     * differ in the last bit, which made embeddings depend on when the JIT got to the attention kernel
     * (and so on the thread count).
     */
    static FloatVector exp(FloatVector v) {
        FloatVector x = v.max(-87f).min(88f);
        FloatVector n = x.mul(LOG2E).add(ROUND).sub(ROUND);
        FloatVector r = n.fma(FloatVector.broadcast(F, -LN2_HI), x);
        r = n.fma(FloatVector.broadcast(F, -LN2_LO), r);
        FloatVector p = r.fma(1.9875691500e-4f, 1.3981999507e-3f);
        p = p.fma(r, FloatVector.broadcast(F, 8.3334519073e-3f));
        p = p.fma(r, FloatVector.broadcast(F, 4.1665795894e-2f));
        p = p.fma(r, FloatVector.broadcast(F, 1.6666665459e-1f));
        p = p.fma(r, FloatVector.broadcast(F, 5.0000001201e-1f));
        FloatVector y = p.fma(r.mul(r), r).add(1f);
        IntVector bits = ((IntVector) n.convert(VectorOperators.F2I, 0)).add(127).lanewise(VectorOperators.LSHL, 23);
        return y.mul(bits.reinterpretAsFloats());
    }

    /**
     * The lanes' sum, added in lane order. {@code reduceLanes(ADD)} leaves the order open, and C2's tree
     * differs from the interpreter's sequential sum in the last bit, which made results depend on when a
     * method was compiled; this order is the same everywhere.
     */
    static float sumLanes(FloatVector v) {
        float[] lanes = v.toArray();
        float s = 0f;
        for (float x : lanes) s += x;
        return s;
    }
}
