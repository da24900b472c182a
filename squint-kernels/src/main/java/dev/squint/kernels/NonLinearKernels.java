package dev.squint.kernels;

import dev.squint.core.GgmlType;
import dev.squint.core.codec.GgmlQuantMath;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Vector API kernels for IQ4_NL and IQ4_XS (layouts: core's {@code NonLinearCodecs}): IQ4_XS's
 * dequantizer and IQ4_XS·Q8_K dot (identical results to the scalar codec: table lookups and integer
 * sums per 32-value sub-block, floats in ggml's order), and the quantizer of both types, the twin of
 * ggml's {@code quantize_row_iq4_nl_impl} search with 7 extra trials, with or without importance.
 * Output bytes are identical to the scalar codec's: the per-element work of every trial (table
 * search, weights, products) runs lane-wise with the scalar's operations, and the two weighted
 * sums each trial compares are still added one element at a time in element order.
 *
 * <p>A block is two vectors of 16 floats, so this needs 16 float lanes (512-bit vectors);
 * {@link #AVAILABLE} is false elsewhere and callers use the scalar codec.
 */
public final class NonLinearKernels {
    private NonLinearKernels() {}

    /** True where the hardware has 16 float lanes. */
    public static final boolean AVAILABLE = FloatVector.SPECIES_PREFERRED.length() >= 16;

    private static final VectorSpecies<Float> FS = FloatVector.SPECIES_512;
    private static final VectorSpecies<Integer> IS = IntVector.SPECIES_512;
    private static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    private static final byte[] KVALUES = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};
    /** MID2[j] = KVALUES[j-1] + KVALUES[j] (twice the decision boundary), STEP[j] = KVALUES[j] - KVALUES[j-1]; j ≥ 1. */
    private static final float[] MID2 = new float[16];
    private static final float[] STEP = new float[16];
    static {
        for (int j = 1; j < 16; j++) {
            MID2[j] = KVALUES[j - 1] + KVALUES[j];
            STEP[j] = KVALUES[j] - KVALUES[j - 1];
        }
    }
    private static final int NTRY = 7;
    private static final float GROUP_MAX_EPS = 1e-15f;
    private static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /**
     * ggml's {@code best_index_int8} over the table, lane-wise. The thresholds {@code 2x ≥ v[j-1] + v[j]}
     * increase with j, so ggml's binary search lands on the number of thresholds x reaches; counting
     * them takes 15 compares and no table permutes.
     */
    private static IntVector bestIndex(FloatVector x) {
        FloatVector x2 = x.add(x);
        IntVector idx = IntVector.zero(IS);
        for (int j = 1; j < 16; j++) idx = idx.add(1, x2.compare(VectorOperators.GE, MID2[j]).cast(IS));
        return idx;
    }

    /** Scratch for one row's quantization (one per call, so calls on different threads share nothing). */
    private static final class Scratch {
        final float[] qx = new float[32];
        final float[] q2 = new float[32];
        final float[] scales = new float[8];
        final int[] codes = new int[256];
    }

    /**
     * Quantizes one row of {@code type} (IQ4_NL or IQ4_XS) exactly as the scalar codec does.
     * Requires {@link #AVAILABLE}.
     */
    public static void quantize(GgmlType type, float[] src, int srcOffset, int n, MemorySegment dst, long dstOffset, float[] importance) {
        if (type != GgmlType.IQ4_NL && type != GgmlType.IQ4_XS) throw new IllegalArgumentException("not an IQ4 type: " + type);
        if (!AVAILABLE) throw new IllegalStateException("the IQ4 vector quantizer needs 16 float lanes");
        int superSize = type.blockSize();
        if (n < 0 || n % superSize != 0) {
            throw new IllegalArgumentException(type + ": row length " + n + " is not a multiple of the block size " + superSize);
        }
        for (int i = 0; i < n; i++) {
            float v = src[srcOffset + i];
            if (!Float.isFinite(v)) {
                throw new IllegalArgumentException(type + ": cannot quantize " + v + " at element " + i + " of the row (ggml's output would be invalid)");
            }
        }
        if (importance != null) {
            if (importance.length < n) {
                throw new IllegalArgumentException(type + ": importance has " + importance.length + " weights, the row has " + n + " values");
            }
            for (int i = 0; i < n; i++) {
                if (!Float.isFinite(importance[i])) throw new IllegalArgumentException(type + ": importance weight " + i + " is " + importance[i]);
            }
        }
        Scratch s = new Scratch();
        boolean xs = type == GgmlType.IQ4_XS;
        for (int b = 0; b < n / superSize; b++) {
            superBlock(xs, src, srcOffset + superSize * b, importance, superSize * b, s, dst, dstOffset + (long) b * type.bytesPerBlock());
        }
    }

    private static void superBlock(boolean xs, float[] src, int x, float[] qw, int qwOffset, Scratch s, MemorySegment dst, long o) {
        int superSize = xs ? 256 : 32;
        int nSub = superSize / 32;
        float sigma2 = 0;
        for (int j = 0; j < superSize; j++) sigma2 += src[x + j] * src[x + j];
        sigma2 *= 2.f / superSize;

        float maxScale = 0;
        float amaxScale = 0;
        for (int ib = 0; ib < nSub; ib++) {
            int xb = x + 32 * ib;
            FloatVector x0 = FloatVector.fromArray(FS, src, xb);
            FloatVector x1 = FloatVector.fromArray(FS, src, xb + 16);
            FloatVector w0;
            FloatVector w1;
            if (qw != null) {
                w0 = FloatVector.fromArray(FS, qw, qwOffset + 32 * ib).mul(x0.mul(x0).add(sigma2).sqrt());
                w1 = FloatVector.fromArray(FS, qw, qwOffset + 32 * ib + 16).mul(x1.mul(x1).add(sigma2).sqrt());
            } else {
                w0 = x0.mul(x0);
                w1 = x1.mul(x1);
            }
            float amax = x0.abs().max(x1.abs()).reduceLanes(VectorOperators.MAX);
            if (amax < GROUP_MAX_EPS) {
                s.scales[ib] = 0;
                continue;
            }
            // ggml keeps the first element of largest magnitude
            VectorMask<Float> at0 = x0.abs().compare(VectorOperators.EQ, amax);
            float max = at0.anyTrue() ? src[xb + at0.firstTrue()]
                                      : src[xb + 16 + x1.abs().compare(VectorOperators.EQ, amax).firstTrue()];
            // trial -NTRY-1 is ggml's first pass (scale from the largest value), then the 2·NTRY+1 others
            float dFirst = -max / KVALUES[0];
            float d = 0;
            float best = 0;
            for (int itry = -NTRY - 1; itry <= NTRY; itry++) {
                boolean first = itry < -NTRY;
                float id = first ? 1 / dFirst : (itry + KVALUES[0]) / max;
                FloatVector a0 = x0.mul(id);
                FloatVector a1 = x1.mul(id);
                // (ggml also records this first pass's codes, but always recomputes them below)
                // KVALUES[bestIndex(a)] as float, by the same threshold count (partial sums are small integers,
                // exact); written out here so no vector crosses a call (a call that is not inlined boxes it)
                FloatVector h0 = a0.add(a0);
                FloatVector h1 = a1.add(a1);
                FloatVector q0 = FloatVector.broadcast(FS, KVALUES[0]);
                FloatVector q1 = q0;
                for (int j = 1; j < 16; j++) {
                    q0 = q0.add(STEP[j], h0.compare(VectorOperators.GE, MID2[j]));
                    q1 = q1.add(STEP[j], h1.compare(VectorOperators.GE, MID2[j]));
                }
                FloatVector wq0 = w0.mul(q0);
                FloatVector wq1 = w1.mul(q1);
                wq0.mul(x0).intoArray(s.qx, 0);
                wq1.mul(x1).intoArray(s.qx, 16);
                wq0.mul(q0).intoArray(s.q2, 0);
                wq1.mul(q1).intoArray(s.q2, 16);
                // ggml adds element by element: keep that order (two independent chains)
                float sumqx = 0;
                float sumq2 = 0;
                for (int j = 0; j < 32; j++) {
                    sumqx += s.qx[j];
                    sumq2 += s.q2[j];
                }
                if (first) {
                    d = sumq2 > 0 ? sumqx / sumq2 : 0.f;
                    best = d * sumqx;
                } else if (sumq2 > 0 && sumqx * sumqx > best * sumq2) {
                    d = sumqx / sumq2;
                    best = d * sumqx;
                }
            }
            s.scales[ib] = d;
            float absD = Math.abs(d);
            if (absD > amaxScale) {
                amaxScale = absD;
                maxScale = d;
            }
        }

        if (nSub > 1) {
            float d = -maxScale / 32;
            dst.set(LE_SHORT, o, Float.floatToFloat16(d));
            float id = d != 0 ? 1 / d : 0.f;
            int scalesH = 0;
            for (int ib = 0; ib < nSub; ib++) {
                int l = GgmlQuantMath.nearestInt(id * s.scales[ib]);
                l = Math.max(-32, Math.min(31, l));
                float dl = d * l;
                float idl = dl != 0 ? 1 / dl : 0.f;
                int xb = x + 32 * ib;
                bestIndex(FloatVector.fromArray(FS, src, xb).mul(idl)).intoArray(s.codes, 32 * ib);
                bestIndex(FloatVector.fromArray(FS, src, xb + 16).mul(idl)).intoArray(s.codes, 32 * ib + 16);
                l += 32;
                long sl = o + 4 + ib / 2;
                int lowNibble = l & 0xf;
                if (ib % 2 == 0) dst.set(ValueLayout.JAVA_BYTE, sl, (byte) lowNibble);
                else dst.set(ValueLayout.JAVA_BYTE, sl, (byte) ((dst.get(ValueLayout.JAVA_BYTE, sl) & 0xFF) | (lowNibble << 4)));
                scalesH |= (l >>> 4) << (2 * ib);
            }
            dst.set(LE_SHORT, o + 2, (short) scalesH);
        } else {
            dst.set(LE_SHORT, o, Float.floatToFloat16(s.scales[0]));
            float id = s.scales[0] != 0 ? 1 / s.scales[0] : 0;
            bestIndex(FloatVector.fromArray(FS, src, x).mul(id)).intoArray(s.codes, 0);
            bestIndex(FloatVector.fromArray(FS, src, x + 16).mul(id)).intoArray(s.codes, 16);
        }

        long qs = o + (xs ? 8 : 2);
        for (int ib = 0; ib < nSub; ib++) {
            IntVector packed = IntVector.fromArray(IS, s.codes, 32 * ib)
                    .or(IntVector.fromArray(IS, s.codes, 32 * ib + 16).lanewise(VectorOperators.LSHL, 4));
            ((ByteVector) packed.convertShape(VectorOperators.I2B, B16, 0)).intoMemorySegment(dst, qs + 16L * ib, ByteOrder.LITTLE_ENDIAN);
        }
    }


    // ---------------------------------------------------------------- IQ4_XS dequantize and dot

    private static final ByteVector TABLE_BYTES = ByteVector.fromArray(B16, KVALUES, 0);
    private static final ValueLayout.OfFloat LE_FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** The 6-bit scale of sub-block {@code ib} of the IQ4_XS block at {@code o}. */
    private static int subScale(MemorySegment s, long o, int ib) {
        int scalesH = s.get(LE_SHORT, o + 2) & 0xFFFF;
        int scalesL = s.get(ValueLayout.JAVA_BYTE, o + 4 + ib / 2) & 0xFF;
        return ((scalesL >>> (4 * (ib % 2))) & 0xf) | (((scalesH >>> (2 * ib)) & 3) << 4);
    }

    /** Table values of the 16 low (or high) nibbles at {@code qs}. */
    private static ByteVector tableValues(MemorySegment s, long qs, boolean high) {
        ByteVector packed = ByteVector.fromMemorySegment(B16, s, qs, ByteOrder.LITTLE_ENDIAN);
        ByteVector codes = high ? packed.lanewise(VectorOperators.LSHR, 4).and((byte) 0x0F) : packed.and((byte) 0x0F);
        return codes.selectFrom(TABLE_BYTES);
    }

    /** {@code dequantize_row_iq4_xs}, identical floats to the scalar codec. Requires {@link #AVAILABLE}. */
    public static void dequantizeIq4Xs(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
        if (n < 0 || n % 256 != 0) throw new IllegalArgumentException("IQ4_XS: row length " + n + " is not a multiple of the block size 256");
        for (int b = 0; b < n / 256; b++) {
            long o = srcOffset + 136L * b;
            float d = Float.float16ToFloat(src.get(LE_SHORT, o));
            for (int ib = 0; ib < 8; ib++) {
                float dl = d * (subScale(src, o, ib) - 32);
                int y = dstOffset + 256 * b + 32 * ib;
                long qs = o + 8 + 16L * ib;
                ((FloatVector) tableValues(src, qs, false).convertShape(VectorOperators.B2F, FS, 0)).mul(dl).intoArray(dst, y);
                ((FloatVector) tableValues(src, qs, true).convertShape(VectorOperators.B2F, FS, 0)).mul(dl).intoArray(dst, y + 16);
            }
        }
    }

    /** {@code ggml_vec_dot_iq4_xs_q8_K}: same float as the scalar codec. Requires {@link #AVAILABLE}. */
    public static float dotIq4XsQ8K(int n, MemorySegment x, long xOffset, MemorySegment y, long yOffset) {
        if (n < 0 || n % 256 != 0) throw new IllegalArgumentException("IQ4_XS: row length " + n + " is not a multiple of the block size 256");
        float sumf = 0;
        for (int b = 0; b < n / 256; b++) {
            long xo = xOffset + 136L * b;
            long yo = yOffset + 292L * b;
            float d4d8 = Float.float16ToFloat(x.get(LE_SHORT, xo)) * y.get(LE_FLOAT, yo);
            for (int ib = 0; ib < 8; ib++) {
                long qs = xo + 8 + 16L * ib;
                long q8 = yo + 4 + 32L * ib;
                IntVector lo = (IntVector) tableValues(x, qs, false).convertShape(VectorOperators.B2I, IS, 0);
                IntVector hi = (IntVector) tableValues(x, qs, true).convertShape(VectorOperators.B2I, IS, 0);
                IntVector ylo = (IntVector) ByteVector.fromMemorySegment(B16, y, q8, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2I, IS, 0);
                IntVector yhi = (IntVector) ByteVector.fromMemorySegment(B16, y, q8 + 16, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2I, IS, 0);
                int sumi = lo.mul(ylo).add(hi.mul(yhi)).reduceLanes(VectorOperators.ADD);
                float dl = d4d8 * (subScale(x, xo, ib) - 32);
                sumf += dl * sumi;
            }
        }
        return sumf;
    }
}
