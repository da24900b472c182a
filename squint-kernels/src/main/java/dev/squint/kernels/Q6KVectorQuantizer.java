package dev.squint.kernels;

import dev.squint.core.codec.GgmlQuantMath;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static dev.squint.core.codec.GgmlQuantMath.nearestInt;

/**
 * Q6_K quantization with the Vector API, byte-identical to the scalar codec (ggml's
 * {@code quantize_row_q6_K_ref} / {@code _impl}).
 *
 * <p>ggml runs {@code make_qx_quants(16, 32, …)} on each of a super-block's sixteen sub-blocks;
 * those searches are independent, so they run side by side, one sub-block per lane (16 lanes =
 * one super-block on 512-bit hardware, 8 lanes = half of one otherwise). Every lane performs the
 * scalar operation sequence of its sub-block, branches become masks. The per-super-block tail
 * (scale quantization, re-quantization, bit packing) is the scalar code. Block layout and input
 * rules: see the core Q6_K codec.
 */
public final class Q6KVectorQuantizer {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED.length() >= 16 ? FloatVector.SPECIES_512 : FloatVector.SPECIES_256;
    private static final int W = F.length();
    private static final int QK_K = 256;
    private static final int NMAX = 32;
    private static final int BLOCK_BYTES = 210;

    private Q6KVectorQuantizer() {}

    private static FloatVector nearestClamped(FloatVector v) {
        IntVector l = v.add(12582912.f).reinterpretAsInts().and(0x007fffff).sub(0x00400000).max(-NMAX).min(NMAX - 1);
        return (FloatVector) l.convert(VectorOperators.I2F, 0);
    }

    /** Σ w·x·l and Σ w·l·l for one trial scale; levels (−32..31) into laux. Results in st[0..W), st[W..2W). */
    private static void trial(FloatVector iscale, float[] xt, float[] wt, float[] laux, float[] st) {
        FloatVector sumlx = FloatVector.zero(F), suml2 = FloatVector.zero(F);
        for (int e = 0; e < 16; e++) {
            FloatVector x = FloatVector.fromArray(F, xt, W * e);
            FloatVector l = nearestClamped(iscale.mul(x));
            l.intoArray(laux, W * e);
            FloatVector w = FloatVector.fromArray(F, wt, W * e);
            sumlx = sumlx.add(w.mul(x).mul(l));
            suml2 = suml2.add(w.mul(l).mul(l));
        }
        sumlx.intoArray(st, 0);
        suml2.intoArray(st, W);
    }

    /**
     * W make_qx_quants(16, 32, x, L, 1, qw) searches, one sub-block per lane; {@code xt}/{@code wt}
     * transposed (element e of lane k at [W·e + k]). Levels − 32 (i.e. −32..31) into {@code lt}.
     */
    static void searchLanes(float[] xt, float[] wt, float[] lt, float[] laux, float[] st, float[] scalesOut) {
        FloatVector max = FloatVector.zero(F), amax = FloatVector.zero(F);
        for (int e = 0; e < 16; e++) {
            FloatVector x = FloatVector.fromArray(F, xt, W * e);
            FloatVector ax = x.abs();
            VectorMask<Float> larger = ax.compare(VectorOperators.GT, amax);
            amax = amax.blend(ax, larger);
            max = max.blend(x, larger);
        }
        VectorMask<Float> zero = amax.lt(GgmlQuantMath.GROUP_MAX_EPS);
        FloatVector iscale = FloatVector.broadcast(F, (float) -NMAX).div(max);
        trial(iscale, xt, wt, lt, st);
        FloatVector sumlx = FloatVector.fromArray(F, st, 0), suml2 = FloatVector.fromArray(F, st, W);
        FloatVector scale = sumlx.div(suml2).blend(0f, suml2.eq(0f));
        FloatVector best = scale.mul(sumlx);
        for (int is = -9; is <= 9; ++is) {
            if (is == 0) continue;
            iscale = FloatVector.broadcast(F, -(NMAX + 0.1f * is)).div(max);
            trial(iscale, xt, wt, laux, st);
            sumlx = FloatVector.fromArray(F, st, 0);
            suml2 = FloatVector.fromArray(F, st, W);
            VectorMask<Float> better = suml2.compare(VectorOperators.GT, 0f)
                    .and(sumlx.mul(sumlx).compare(VectorOperators.GT, best.mul(suml2))).andNot(zero);
            if (!better.anyTrue()) continue;
            for (int e = 0; e < 16; e++) {
                FloatVector.fromArray(F, lt, W * e).blend(FloatVector.fromArray(F, laux, W * e), better).intoArray(lt, W * e);
            }
            FloatVector newScale = sumlx.div(suml2);
            scale = scale.blend(newScale, better);
            best = best.blend(newScale.mul(sumlx), better);
        }
        if (zero.anyTrue()) {
            // ggml returns early with L = 0 (stored level 0, i.e. −32 here) and scale 0
            for (int e = 0; e < 16; e++) FloatVector.fromArray(F, lt, W * e).blend((float) -NMAX, zero).intoArray(lt, W * e);
            scale = scale.blend(0f, zero);
        }
        scale.intoArray(scalesOut, 0);
    }

    /** Quantizes a row to Q6_K, as {@code Codecs.of(Q6_K).quantizeRow}. */
    public static void quantize(float[] src, int srcOffset, int n, MemorySegment dst, long dstOffset, float[] importance) {
        KQuantInputChecks.check("Q6_K", src, srcOffset, n, importance);
        int nb = n / QK_K;
        float[] xt = new float[16 * W], wt = new float[16 * W], lt = new float[16 * W], laux = new float[16 * W];
        float[] st = new float[2 * W], unitScales = new float[W];
        float[] scales = new float[16];
        byte[] L = new byte[QK_K];
        byte[] block = new byte[BLOCK_BYTES];
        for (int i = 0; i < nb; i++) {
            int xb = srcOffset + QK_K * i;
            for (int u = 0; u < 16; u += W) { // W sub-blocks per search
                for (int k = 0; k < W; k++) {
                    int sb = u + k;
                    for (int e = 0; e < 16; e++) {
                        float x = src[xb + 16 * sb + e];
                        xt[W * e + k] = x;
                        wt[W * e + k] = importance != null ? importance[QK_K * i + 16 * sb + e] : x * x;
                    }
                }
                searchLanes(xt, wt, lt, laux, st, unitScales);
                for (int k = 0; k < W; k++) {
                    scales[u + k] = unitScales[k];
                    for (int e = 0; e < 16; e++) L[16 * (u + k) + e] = (byte) (lt[W * e + k] + NMAX);
                }
            }
            finishBlock(src, xb, scales, L, block);
            MemorySegment.copy(block, 0, dst, ValueLayout.JAVA_BYTE, dstOffset + (long) i * BLOCK_BYTES, BLOCK_BYTES);
        }
    }

    /** The scalar tail of quantize_row_q6_K_ref/_impl for one super-block. */
    private static void finishBlock(float[] src, int xb, float[] scales, byte[] L, byte[] block) {
        float maxScale = 0, maxAbsScale = 0;
        for (int ib = 0; ib < 16; ++ib) {
            float abs = Math.abs(scales[ib]);
            if (abs > maxAbsScale) {
                maxAbsScale = abs;
                maxScale = scales[ib];
            }
        }
        java.util.Arrays.fill(block, (byte) 0);
        if (maxAbsScale < GgmlQuantMath.GROUP_MAX_EPS) return;
        float iscale = -128.f / maxScale;
        short h = Float.floatToFloat16(1 / iscale);
        block[208] = (byte) h;
        block[209] = (byte) (h >> 8);
        for (int ib = 0; ib < 16; ++ib) block[192 + ib] = (byte) Math.min(127, nearestInt(iscale * scales[ib]));
        float dq = Float.float16ToFloat(h);
        for (int j = 0; j < 16; ++j) {
            float d = dq * block[192 + j];
            if (d == 0) continue;
            for (int ii = 0; ii < 16; ++ii) {
                int l = nearestInt(src[xb + 16 * j + ii] / d);
                L[16 * j + ii] = (byte) (Math.max(-32, Math.min(31, l)) + 32);
            }
        }
        for (int half = 0; half < 2; half++) {
            int j = 128 * half, ql = 64 * half, qh = 128 + 32 * half;
            for (int l = 0; l < 32; ++l) {
                block[ql + l] = (byte) ((L[j + l] & 0xF) | ((L[j + l + 64] & 0xF) << 4));
                block[ql + l + 32] = (byte) ((L[j + l + 32] & 0xF) | ((L[j + l + 96] & 0xF) << 4));
                block[qh + l] = (byte) ((L[j + l] >> 4) | ((L[j + l + 32] >> 4) << 2) | ((L[j + l + 64] >> 4) << 4) | ((L[j + l + 96] >> 4) << 6));
            }
        }
    }
}
