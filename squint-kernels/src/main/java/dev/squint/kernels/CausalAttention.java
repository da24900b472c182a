package dev.squint.kernels;

import dev.squint.kernels.MatrixKernels.Impl;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Causal attention of one head over a batch of queries, as ggml's CPU flash-attention kernel computes it
 * on an AVX-512 machine (llama.cpp's default path): for each query, one pass over the cached positions
 * {@code 0 .. p0 + t} with an online softmax.
 *
 * <p>Per position: the score is ggml's {@code vec_dot_f16}: 64-value steps into four 16-lane float
 * accumulators (FMA), folded {@code (a0 + a2) + (a1 + a3)}, then the 16 lanes summed as
 * {@code _mm512_reduce_add_ps} does (halves, quarters, pairs), the leftover {@code hd mod 64} products
 * added one by one in double; times {@code scale}. With an F16 cache the query is rounded to F16 first and
 * the running {@code Σ softmax · V} is kept in F16, rounded after every update (SIMD part: one FMA then
 * rounding; leftovers: multiply, add, round), as ggml's {@code vec_mad_f16}/{@code vec_scale_f16}; finally
 * divided by the softmax sum in float. The scalar twin runs the same operations in the same order, so
 * both give identical bits.
 */
public final class CausalAttention {
    private CausalAttention() {}

    private static final VectorSpecies<Float> F16L = FloatVector.SPECIES_512;
    private static final int STEP = 64, LANES = 16;
    /** The 16-lane species is native only on AVX-512 machines; elsewhere the scalar twin is faster. */
    private static final boolean VECTOR_OK = Species.LANES == LANES;
    private static final VectorShuffle<Float> HALF = shuffle(8), QUARTER = shuffle(4), PAIR = shuffle(2), ONE = shuffle(1);

    private static VectorShuffle<Float> shuffle(int d) {
        return VectorShuffle.fromOp(F16L, i -> (i + d) % LANES);
    }

    /**
     * Attention of one head for queries {@code t = 0 .. n-1} at positions {@code p0 + t}.
     *
     * @param q       queries, {@code q[qOff + t * qStride + i]}; rounded to F16 in place when {@code f16}
     * @param keys    cached keys, {@code keys[kvOff + s * kvStride + i]} for positions {@code s}
     * @param values  cached values, same layout
     * @param out     result, {@code out[qOff + t * qStride + i]} (the queries' layout)
     */
    public static void head(Impl impl, float[] q, int qOff, int qStride, float[] keys, float[] values, int kvOff,
                            int kvStride, int hd, int n, int p0, float scale, boolean f16, float[] out) {
        boolean vector = impl == Impl.VECTOR && VECTOR_OK;
        float[] lanes = vector ? null : new float[4 * LANES];
        for (int t = 0; t < n; t++) {
            int qo = qOff + t * qStride;
            if (f16) for (int i = 0; i < hd; i++) q[qo + i] = half(q[qo + i]);
            for (int i = 0; i < hd; i++) out[qo + i] = 0f;
            float max = Float.NEGATIVE_INFINITY, sum = 0f;
            for (int s = 0, upto = p0 + t; s <= upto; s++) {
                int ko = kvOff + s * kvStride;
                float dot = (vector ? dotVector(q, qo, keys, ko, hd) : dotScalar(q, qo, keys, ko, hd, lanes)) * scale;
                float ms = 1f, vs = 1f;
                if (dot > max) {
                    float old = max;
                    max = dot;
                    ms = (float) Math.exp(old - max);
                    if (ms != 1f) {
                        if (vector) scaleVector(out, qo, hd, ms, f16);
                        else for (int i = 0; i < hd; i++) out[qo + i] = f16 ? half(out[qo + i] * ms) : out[qo + i] * ms;
                    }
                } else {
                    vs = (float) Math.exp(dot - max);
                }
                if (vector) madVector(out, qo, values, ko, hd, vs, f16);
                else madScalar(out, qo, values, ko, hd, vs, f16);
                sum = sum * ms + vs;
            }
            float inv = 1f / sum;
            for (int i = 0; i < hd; i++) out[qo + i] *= inv;
        }
    }

    /** A float rounded to the nearest F16 value (ties to even), as a float. */
    public static float half(float f) {
        return Float.float16ToFloat(Float.floatToFloat16(f));
    }

    private static float dotScalar(float[] q, int qo, float[] k, int ko, int hd, float[] acc) {
        int np = hd & ~(STEP - 1);
        float sumf = 0f;
        if (np > 0) {
            java.util.Arrays.fill(acc, 0f);
            for (int i = 0; i < np; i += STEP) {
                for (int j = 0; j < 4; j++) {
                    for (int l = 0; l < LANES; l++) {
                        int e = i + j * LANES + l;
                        acc[j * LANES + l] = Math.fma(q[qo + e], k[ko + e], acc[j * LANES + l]);
                    }
                }
            }
            for (int l = 0; l < LANES; l++) {
                acc[l] = acc[l] + acc[2 * LANES + l];
                acc[LANES + l] = acc[LANES + l] + acc[3 * LANES + l];
                acc[l] = acc[l] + acc[LANES + l];
            }
            for (int d = 8; d >= 1; d >>= 1) for (int l = 0; l < d; l++) acc[l] = acc[l] + acc[l + d];
            sumf = acc[0];
        }
        double s = sumf;
        for (int i = np; i < hd; i++) s += q[qo + i] * k[ko + i];
        return (float) s;
    }

    private static float dotVector(float[] q, int qo, float[] k, int ko, int hd) {
        int np = hd & ~(STEP - 1);
        float sumf = 0f;
        if (np > 0) {
            FloatVector a0 = FloatVector.zero(F16L), a1 = a0, a2 = a0, a3 = a0;
            for (int i = 0; i < np; i += STEP) {
                a0 = FloatVector.fromArray(F16L, q, qo + i).fma(FloatVector.fromArray(F16L, k, ko + i), a0);
                a1 = FloatVector.fromArray(F16L, q, qo + i + 16).fma(FloatVector.fromArray(F16L, k, ko + i + 16), a1);
                a2 = FloatVector.fromArray(F16L, q, qo + i + 32).fma(FloatVector.fromArray(F16L, k, ko + i + 32), a2);
                a3 = FloatVector.fromArray(F16L, q, qo + i + 48).fma(FloatVector.fromArray(F16L, k, ko + i + 48), a3);
            }
            FloatVector v = a0.add(a2).add(a1.add(a3));
            v = v.add(v.rearrange(HALF));
            v = v.add(v.rearrange(QUARTER));
            v = v.add(v.rearrange(PAIR));
            v = v.add(v.rearrange(ONE));
            sumf = v.lane(0);
        }
        double s = sumf;
        for (int i = np; i < hd; i++) s += q[qo + i] * k[ko + i];
        return (float) s;
    }

    private static void madScalar(float[] y, int yo, float[] v, int vo, int hd, float vs, boolean f16) {
        int np = hd & ~(STEP - 1);
        for (int i = 0; i < np; i++) {
            float r = Math.fma(v[vo + i], vs, y[yo + i]);
            y[yo + i] = f16 ? half(r) : r;
        }
        for (int i = np; i < hd; i++) {
            float r = y[yo + i] + v[vo + i] * vs;
            y[yo + i] = f16 ? half(r) : r;
        }
    }

    private static void madVector(float[] y, int yo, float[] v, int vo, int hd, float vs, boolean f16) {
        int np = hd & ~(STEP - 1);
        FloatVector s = FloatVector.broadcast(F16L, vs);
        for (int i = 0; i < np; i += LANES) {
            FloatVector r = FloatVector.fromArray(F16L, v, vo + i).fma(s, FloatVector.fromArray(F16L, y, yo + i));
            (f16 ? roundHalf(r) : r).intoArray(y, yo + i);
        }
        for (int i = np; i < hd; i++) {
            float r = y[yo + i] + v[vo + i] * vs;
            y[yo + i] = f16 ? half(r) : r;
        }
    }

    private static void scaleVector(float[] y, int yo, int hd, float ms, boolean f16) {
        int i = 0;
        for (; i <= hd - LANES; i += LANES) {
            FloatVector r = FloatVector.fromArray(F16L, y, yo + i).mul(ms);
            (f16 ? roundHalf(r) : r).intoArray(y, yo + i);
        }
        for (; i < hd; i++) y[yo + i] = f16 ? half(y[yo + i] * ms) : y[yo + i] * ms;
    }

    /**
     * Each lane rounded to the nearest F16 value (ties to even) and back, on the float bits: normal F16 range
     * rounds the mantissa at bit 13; below 2^-14 the F16 step is 2^-24, the float step of 0.5, so adding
     * and subtracting 0.5 rounds; from 65520 up the result is infinite. NaN lanes stay NaN.
     */
    static FloatVector roundHalf(FloatVector x) {
        IntVector bits = x.reinterpretAsInts();
        IntVector sign = bits.and(0x8000_0000);
        IntVector a = bits.and(0x7FFF_FFFF);
        IntVector normal = a.add(0xFFF).add(a.lanewise(VectorOperators.LSHR, 13).and(1)).and(~0x1FFF);
        FloatVector absF = a.reinterpretAsFloats();
        IntVector small = absF.add(0.5f).sub(0.5f).reinterpretAsInts();
        VectorMask<Integer> isSmall = a.compare(VectorOperators.LT, 0x3880_0000);
        IntVector r = normal.blend(small, isSmall);
        r = r.blend(0x7F80_0000, a.compare(VectorOperators.GE, 0x477F_F000));
        r = r.blend(a, a.compare(VectorOperators.GT, 0x7F80_0000));
        return r.or(sign).reinterpretAsFloats();
    }
}
