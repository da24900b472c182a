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
 * Q4_K and Q5_K quantization with the Vector API, byte-identical to the scalar codecs (ggml's
 * {@code quantize_row_q4_K_ref}/{@code _impl} and the Q5_K pair).
 *
 * <p>ggml's per-sub-block search ({@code make_qkx2_quants}, or {@code make_qkx3_quants} with an
 * importance matrix) is a chain of dependent float sums that cannot be reordered without changing
 * bits. But a super-block's eight sub-blocks are searched independently, so this quantizer runs
 * the eight searches side by side, one per vector lane (sixteen lanes, two super-blocks, on
 * 512-bit hardware): each lane executes exactly the scalar operation sequence of its sub-block
 * (blocks are transposed so that element i of every sub-block is one vector), and data-dependent
 * branches become per-lane masks. The search is latency-bound (ggml's sums are sequential), so
 * more independent lanes is what makes it faster. The rest of the block (scale packing,
 * re-quantization, bit packing) is the scalar code.
 *
 * <p>Block layout and input rules: see the core Q4_K/Q5_K codec ({@code ScaleMinKCodec}).
 */
public final class ScaleMinKVectorQuantizer {
    /** 16 lanes (two super-blocks side by side) on 512-bit hardware, else 8 (one super-block). */
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED.length() >= 16 ? FloatVector.SPECIES_512 : FloatVector.SPECIES_256;
    /** Lanes: eight sub-blocks of each of {@link #G} super-blocks. */
    private static final int W = F.length();
    private static final int G = W / 8;
    private static final int QK_K = 256;

    private ScaleMinKVectorQuantizer() {}

    /** Quantizes a row to Q4_K, as {@code Codecs.of(Q4_K).quantizeRow}. */
    public static void quantizeQ4K(float[] src, int srcOffset, int n, MemorySegment dst, long dstOffset, float[] importance) {
        quantize(false, src, srcOffset, n, dst, dstOffset, importance);
    }

    /** Quantizes a row to Q5_K, as {@code Codecs.of(Q5_K).quantizeRow}. */
    public static void quantizeQ5K(float[] src, int srcOffset, int n, MemorySegment dst, long dstOffset, float[] importance) {
        quantize(true, src, srcOffset, n, dst, dstOffset, importance);
    }

    /** ggml's nearest_int on every lane (same bit trick), as exact small-integer floats after clamping. */
    private static FloatVector nearestClamped(FloatVector v, int nmax) {
        IntVector l = v.add(12582912.f).reinterpretAsInts().and(0x007fffff).sub(0x00400000).max(0).min(nmax);
        return (FloatVector) l.convert(VectorOperators.I2F, 0);
    }

    // Lane state kept in a float[] between the small methods below, so that each method stays small
    // enough for C2 to inline every Vector API call (a single big method hits its node-count cutoff
    // and falls back to boxed vectors).
    private static final int MIN = 0, MAX = W, SUMW = 2 * W, SUMX = 3 * W, SCALE = 4 * W, BEST = 5 * W, SUML = 6 * W,
            SUML2 = 7 * W, SUMXL = 8 * W, STATE = 9 * W;

    private static FloatVector get(float[] st, int field) {
        return FloatVector.fromArray(F, st, field);
    }

    /** Min, max and the weight sums over the 32 elements of each lane's sub-block. */
    private static void extremes(float[] xt, float[] wt, float[] st) {
        FloatVector x0 = FloatVector.fromArray(F, xt, 0);
        FloatVector min = x0, max = x0;
        FloatVector sumW = FloatVector.fromArray(F, wt, 0);
        FloatVector sumX = sumW.mul(x0);
        for (int i = 1; i < 32; i++) {
            FloatVector x = FloatVector.fromArray(F, xt, W * i);
            min = min.blend(x, x.lt(min));
            max = max.blend(x, x.compare(VectorOperators.GT, max));
            FloatVector w = FloatVector.fromArray(F, wt, W * i);
            sumW = sumW.add(w);
            sumX = sumX.add(w.mul(x));
        }
        min.blend(0f, min.compare(VectorOperators.GT, 0f)).intoArray(st, MIN);
        max.intoArray(st, MAX);
        sumW.intoArray(st, SUMW);
        sumX.intoArray(st, SUMX);
    }

    /** The starting levels (scale 1/iscale) and their weighted squared error. */
    private static void firstGuess(int nmax, float[] xt, float[] wt, float[] lt, float[] st) {
        FloatVector min = get(st, MIN);
        FloatVector iscale = FloatVector.broadcast(F, (float) nmax).div(get(st, MAX).sub(min));
        FloatVector scale = FloatVector.broadcast(F, 1f).div(iscale);
        FloatVector best = FloatVector.zero(F);
        for (int i = 0; i < 32; i++) {
            FloatVector x = FloatVector.fromArray(F, xt, W * i);
            FloatVector lf = nearestClamped(iscale.mul(x.sub(min)), nmax);
            lf.intoArray(lt, W * i);
            FloatVector diff = scale.mul(lf).add(min).sub(x);
            diff = diff.mul(diff);
            best = best.add(FloatVector.fromArray(F, wt, W * i).mul(diff));
        }
        scale.intoArray(st, SCALE);
        best.intoArray(st, BEST);
    }

    /** One trial scale: levels into laux, and the weighted sums Σwl, Σwl², Σwlx. */
    private static void trialSums(int nmax, float c, boolean qkx3, float[] xt, float[] wt, float[] laux, float[] st) {
        FloatVector min = get(st, MIN);
        FloatVector iscale = FloatVector.broadcast(F, c).div(get(st, MAX).sub(min));
        FloatVector nmaxV = FloatVector.broadcast(F, (float) nmax);
        FloatVector sumL = FloatVector.zero(F), sumL2 = FloatVector.zero(F), sumXL = FloatVector.zero(F);
        for (int i = 0; i < 32; i++) {
            FloatVector x = FloatVector.fromArray(F, xt, W * i);
            FloatVector v = iscale.mul(x.sub(min));
            FloatVector lf;
            if (qkx3) { // v > 0 ? nearest_int(MIN(v, nmax)) : 0
                lf = nearestClamped(nmaxV.blend(v, v.lt(nmaxV)), nmax).blend(0f, v.compare(VectorOperators.GT, 0f).not());
            } else {
                lf = nearestClamped(v, nmax);
            }
            lf.intoArray(laux, W * i);
            FloatVector wl = FloatVector.fromArray(F, wt, W * i).mul(lf);
            sumL = sumL.add(wl);
            sumL2 = sumL2.add(wl.mul(lf));
            sumXL = sumXL.add(wl.mul(x));
        }
        sumL.intoArray(st, SUML);
        sumL2.intoArray(st, SUML2);
        sumXL.intoArray(st, SUMXL);
    }

    /** Weighted squared error of levels laux with the given scale and min. */
    private static FloatVector trialError(FloatVector scale, FloatVector min, float[] xt, float[] wt, float[] laux) {
        FloatVector cur = FloatVector.zero(F);
        for (int i = 0; i < 32; i++) {
            FloatVector diff = scale.mul(FloatVector.fromArray(F, laux, W * i)).add(min).sub(FloatVector.fromArray(F, xt, W * i));
            diff = diff.mul(diff);
            cur = cur.add(FloatVector.fromArray(F, wt, W * i).mul(diff));
        }
        return cur;
    }

    private static void adopt(float[] lt, float[] laux, VectorMask<Float> better) {
        for (int i = 0; i < 32; i++) {
            FloatVector.fromArray(F, lt, W * i).blend(FloatVector.fromArray(F, laux, W * i), better).intoArray(lt, W * i);
        }
    }

    /**
     * W make_qkx2_quants (or make_qkx3_quants when {@code qkx3}) searches over 32 values each, one per
     * lane (lane 8g + j = sub-block j of super-block g). {@code xt}/{@code wt} are transposed: element
     * i of lane k at [W·i + k]. Writes levels (exact small integers) to {@code lt} (same layout), and
     * scales and mins (as ggml's {@code the_min}) per lane. {@code laux} and {@code st} are scratch.
     */
    static void searchLanes(int nmax, float[] xt, float[] wt, float[] lt, float[] laux, float[] st, float rmin, float rdelta,
                        int nstep, boolean qkx3, float[] scalesOut, float[] minsOut) {
        extremes(xt, wt, st);
        FloatVector max = get(st, MAX);
        VectorMask<Float> flat = qkx3 ? max.compare(VectorOperators.LE, get(st, MIN)) : max.compare(VectorOperators.EQ, get(st, MIN));
        firstGuess(nmax, xt, wt, lt, st);
        FloatVector sumW = get(st, SUMW), sumX = get(st, SUMX);
        for (int is = 0; is <= nstep; ++is) {
            trialSums(nmax, rmin + rdelta * is + nmax, qkx3, xt, wt, laux, st);
            FloatVector sumL = get(st, SUML), sumL2 = get(st, SUML2), sumXL = get(st, SUMXL);
            FloatVector D = sumW.mul(sumL2).sub(sumL.mul(sumL));
            VectorMask<Float> dPos = D.compare(VectorOperators.GT, 0f).andNot(flat);
            if (!dPos.anyTrue()) continue;
            FloatVector thisScale = sumW.mul(sumXL).sub(sumX.mul(sumL)).div(D);
            FloatVector thisMin = sumL2.mul(sumX).sub(sumL.mul(sumXL)).div(D);
            VectorMask<Float> minPos = thisMin.compare(VectorOperators.GT, 0f);
            thisMin = thisMin.blend(0f, minPos);
            thisScale = thisScale.blend(sumXL.div(sumL2), minPos);
            FloatVector cur = trialError(thisScale, thisMin, xt, wt, laux);
            FloatVector best = get(st, BEST);
            VectorMask<Float> better = dPos.and(cur.lt(best));
            if (!better.anyTrue()) continue;
            adopt(lt, laux, better);
            best.blend(cur, better).intoArray(st, BEST);
            get(st, SCALE).blend(thisScale, better).intoArray(st, SCALE);
            get(st, MIN).blend(thisMin, better).intoArray(st, MIN);
        }
        FloatVector scale = get(st, SCALE);
        if (flat.anyTrue()) {
            for (int i = 0; i < 32; i++) FloatVector.fromArray(F, lt, W * i).blend(0f, flat).intoArray(lt, W * i);
            scale = scale.blend(0f, flat);
        }
        scale.intoArray(scalesOut, 0);
        get(st, MIN).neg().intoArray(minsOut, 0);
    }

    private static void quantize(boolean fiveBit, float[] src, int srcOffset, int n, MemorySegment dst, long dstOffset, float[] importance) {
        String type = fiveBit ? "Q5_K" : "Q4_K";
        KQuantInputChecks.check(type, src, srcOffset, n, importance);
        int nb = n / QK_K;
        int nmax = fiveBit ? 31 : 15;
        float[] xt = new float[32 * W], wt = new float[32 * W], sig = new float[W];
        float[] lt = new float[32 * W], laux = new float[32 * W], st = new float[STATE];
        float[] scales = new float[W], mins = new float[W], sw = new float[W];
        Scratch scratch = new Scratch(fiveBit);
        for (int i0 = 0; i0 < nb; i0 += G) {
            int groups = Math.min(G, nb - i0); // a missing second super-block is searched as zeros and dropped
            for (int g = 0; g < G; g++) {
                int xb = srcOffset + QK_K * (i0 + g);
                for (int j = 0; j < 8; j++) {
                    for (int e = 0; e < 32; e++) xt[W * e + 8 * g + j] = g < groups ? src[xb + 32 * j + e] : 0f;
                }
            }
            if (importance == null) {
                // quantize_row_qX_K_ref: weights av_x + |x|, av_x = sqrt(Σx²/32) per sub-block
                FloatVector sumX2 = FloatVector.zero(F);
                for (int e = 0; e < 32; e++) {
                    FloatVector x = FloatVector.fromArray(F, xt, W * e);
                    sumX2 = sumX2.add(x.mul(x));
                }
                FloatVector avX = sumX2.div(32f).lanewise(VectorOperators.SQRT);
                for (int e = 0; e < 32; e++) {
                    avX.add(FloatVector.fromArray(F, xt, W * e).abs()).intoArray(wt, W * e);
                }
                searchLanes(nmax, xt, wt, lt, laux, st, fiveBit ? -0.5f : -1.f, 0.1f, fiveBit ? 15 : 20, false, scales, mins);
            } else {
                // quantize_row_qX_K_impl: weights qw·sqrt(σ² + x²), σ² = 2·Σx²/256 over the whole super-block
                for (int g = 0; g < G; g++) {
                    int xb = srcOffset + QK_K * (i0 + g);
                    float sigma2 = 0;
                    if (g < groups) {
                        float sumX2 = 0;
                        for (int l = 0; l < QK_K; ++l) sumX2 += src[xb + l] * src[xb + l];
                        sigma2 = 2 * sumX2 / QK_K;
                    }
                    for (int j = 0; j < 8; j++) {
                        sig[8 * g + j] = sigma2;
                        for (int e = 0; e < 32; e++) wt[W * e + 8 * g + j] = g < groups ? importance[QK_K * (i0 + g) + 32 * j + e] : 0f;
                    }
                }
                FloatVector sigma2 = FloatVector.fromArray(F, sig, 0);
                FloatVector sumw = FloatVector.zero(F);
                for (int e = 0; e < 32; e++) {
                    FloatVector x = FloatVector.fromArray(F, xt, W * e);
                    FloatVector w = FloatVector.fromArray(F, wt, W * e).mul(x.mul(x).add(sigma2).lanewise(VectorOperators.SQRT));
                    w.intoArray(wt, W * e);
                    sumw = sumw.add(w);
                }
                sumw.intoArray(sw, 0);
                searchLanes(nmax, xt, wt, lt, laux, st, -0.9f, 0.05f, 36, true, scales, mins);
            }
            for (int g = 0; g < groups; g++) {
                finishBlock(scratch, nmax, importance != null, src, srcOffset + QK_K * (i0 + g), lt, g, scales, mins, sw);
                MemorySegment.copy(scratch.block, 0, dst, ValueLayout.JAVA_BYTE,
                        dstOffset + (long) (i0 + g) * scratch.block.length, scratch.block.length);
            }
        }
    }

    /** Per-call buffers for assembling one block. */
    private static final class Scratch {
        final boolean fiveBit;
        final byte[] block;
        final byte[] L = new byte[QK_K];
        final byte[] Ls = new byte[8], Lm = new byte[8];

        Scratch(boolean fiveBit) {
            this.fiveBit = fiveBit;
            this.block = new byte[fiveBit ? 176 : 144];
        }
    }

    /**
     * The scalar tail of ggml's quantizer for super-block g of the group: scale/min quantization and
     * packing, re-quantization of every value with the stored scales, and bit packing.
     */
    private static void finishBlock(Scratch s, int nmax, boolean weighted, float[] src, int xb, float[] lt, int g,
                                    float[] scales, float[] mins, float[] sw) {
        byte[] block = s.block;
        byte[] L = s.L;
        int o = 8 * g;
        if (!weighted) {
            float maxScale = 0, maxMin = 0;
            for (int j = 0; j < 8; ++j) {
                if (scales[o + j] > maxScale) maxScale = scales[o + j];
                if (mins[o + j] > maxMin) maxMin = mins[o + j];
            }
            float invScale = maxScale > 0 ? 63.f / maxScale : 0.f;
            float invMin = maxMin > 0 ? 63.f / maxMin : 0.f;
            for (int j = 0; j < 8; ++j) {
                int ls = nearestInt(invScale * scales[o + j]) & 0xFF;
                int lm = nearestInt(invMin * mins[o + j]) & 0xFF;
                packScaleMin(block, j, Math.min(63, ls), Math.min(63, lm));
            }
            putFp16(block, 0, maxScale / 63.f);
            putFp16(block, 2, maxMin / 63.f);
        } else {
            float d = GgmlQuantMath.makeQpQuants(8, 63, scales, o, s.Ls, 0, sw, o);
            float m = GgmlQuantMath.makeQpQuants(8, 63, mins, o, s.Lm, 0, sw, o);
            for (int j = 0; j < 8; ++j) {
                int ls = s.Ls[j] & 0xFF, lm = s.Lm[j] & 0xFF;
                if (s.fiveBit) { // only quantize_row_q5_K_impl clamps here
                    ls = Math.min(63, ls);
                    lm = Math.min(63, lm);
                }
                packScaleMin(block, j, ls, lm);
            }
            putFp16(block, 0, d);
            putFp16(block, 2, m);
        }
        for (int j = 0; j < 8; j++) for (int e = 0; e < 32; e++) L[32 * j + e] = (byte) lt[W * e + o + j];
        float dq = fp16At(block, 0), mq = fp16At(block, 2);
        for (int j = 0; j < 8; ++j) {
            float dj = dq * GgmlQuantMath.scaleK4(j, block, 4);
            if (dj == 0) continue;
            float dm = mq * GgmlQuantMath.minK4(j, block, 4);
            for (int e = 0; e < 32; ++e) {
                int l = nearestInt((src[xb + 32 * j + e] + dm) / dj);
                L[32 * j + e] = (byte) Math.max(0, Math.min(nmax, l));
            }
        }
        int qsOff = s.fiveBit ? 48 : 16;
        if (s.fiveBit) {
            for (int k = 16; k < 48; k++) block[k] = 0;
            int m1 = 1, m2 = 2;
            for (int c = 0; c < 4; c++) {
                for (int j = 0; j < 32; ++j) {
                    int l1 = L[64 * c + j], l2 = L[64 * c + j + 32];
                    if (l1 > 15) {
                        l1 -= 16;
                        block[16 + j] |= (byte) m1;
                    }
                    if (l2 > 15) {
                        l2 -= 16;
                        block[16 + j] |= (byte) m2;
                    }
                    block[qsOff + 32 * c + j] = (byte) (l1 | (l2 << 4));
                }
                m1 <<= 2;
                m2 <<= 2;
            }
        } else {
            for (int c = 0; c < 4; c++) {
                for (int l = 0; l < 32; ++l) block[qsOff + 32 * c + l] = (byte) (L[64 * c + l] | (L[64 * c + l + 32] << 4));
            }
        }
    }

    private static void packScaleMin(byte[] block, int j, int ls, int lm) {
        if (j < 4) {
            block[4 + j] = (byte) ls;
            block[4 + j + 4] = (byte) lm;
        } else {
            block[4 + j + 4] = (byte) ((ls & 0xF) | ((lm & 0xF) << 4));
            block[4 + j - 4] |= (byte) ((ls >> 4) << 6);
            block[4 + j] |= (byte) ((lm >> 4) << 6);
        }
    }

    private static void putFp16(byte[] b, int off, float v) {
        short h = Float.floatToFloat16(v);
        b[off] = (byte) h;
        b[off + 1] = (byte) (h >> 8);
    }

    private static float fp16At(byte[] b, int off) {
        return Float.float16ToFloat((short) ((b[off] & 0xFF) | (b[off + 1] << 8)));
    }
}
