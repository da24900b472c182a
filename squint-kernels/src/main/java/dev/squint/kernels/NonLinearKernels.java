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
 * Vector API quantizer for IQ4_NL and IQ4_XS (layouts: core's {@code NonLinearCodecs}), the twin of
 * ggml's {@code quantize_row_iq4_nl_impl} search with 7 extra trials, with or without importance.
 * Output bytes are identical to the scalar codec's: the per-element work of every trial (table
 * search, weights, products) runs lane-wise with the scalar's operations, and the two weighted
 * sums each trial compares are still added one element at a time in element order.
 *
 * <p>The table search looks the 16 table entries up with one in-register permute, so it needs
 * 16 float lanes (512-bit vectors); {@link #AVAILABLE} is false elsewhere and callers use the scalar codec.
 */
public final class NonLinearKernels {
    private NonLinearKernels() {}

    /** True where the hardware has 16 float lanes. */
    public static final boolean AVAILABLE = FloatVector.SPECIES_PREFERRED.length() >= 16;

    private static final VectorSpecies<Float> FS = FloatVector.SPECIES_512;
    private static final VectorSpecies<Integer> IS = IntVector.SPECIES_512;
    private static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    private static final byte[] KVALUES = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};
    private static final FloatVector TABLE;
    private static final FloatVector MIDPOINTS2; // lane j ≥ 1: KVALUES[j-1] + KVALUES[j]
    static {
        float[] t = new float[16];
        float[] m = new float[16];
        for (int j = 0; j < 16; j++) {
            t[j] = KVALUES[j];
            if (j > 0) m[j] = KVALUES[j - 1] + KVALUES[j];
        }
        TABLE = FloatVector.fromArray(FS, t, 0);
        MIDPOINTS2 = FloatVector.fromArray(FS, m, 0);
    }
    private static final int NTRY = 7;
    private static final float GROUP_MAX_EPS = 1e-15f;
    private static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** ggml's branch-free {@code best_index_int8} over the table, lane-wise. */
    private static IntVector bestIndex(FloatVector x) {
        FloatVector x2 = x.add(x);
        IntVector idx = IntVector.zero(IS);
        for (int step = 8; step > 0; step >>= 1) {
            IntVector j = idx.add(step);
            FloatVector threshold = MIDPOINTS2.rearrange(j.toShuffle().cast(FS));
            idx = idx.blend(j, x2.compare(VectorOperators.GE, threshold).cast(IS));
        }
        return idx;
    }

    private static FloatVector values(IntVector idx) {
        return TABLE.rearrange(idx.toShuffle().cast(FS));
    }

    /** Per-thread scratch for one row. */
    private static final class Scratch {
        final float[] qx = new float[32];
        final float[] q2 = new float[32];
        final float[] scales = new float[8];
        final IntVector[] codes = new IntVector[16];
        float sumqx;
        float sumq2;
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
        IntVector zero = IntVector.zero(IS);
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
                s.codes[2 * ib] = zero;
                s.codes[2 * ib + 1] = zero;
                continue;
            }
            // ggml keeps the first element of largest magnitude
            VectorMask<Float> at0 = x0.abs().compare(VectorOperators.EQ, amax);
            float max = at0.anyTrue() ? src[xb + at0.firstTrue()]
                                      : src[xb + 16 + x1.abs().compare(VectorOperators.EQ, amax).firstTrue()];
            float d = -max / KVALUES[0];
            float id = 1 / d;
            IntVector l0 = bestIndex(x0.mul(id));
            IntVector l1 = bestIndex(x1.mul(id));
            s.codes[2 * ib] = l0;
            s.codes[2 * ib + 1] = l1;
            trialSums(x0, x1, w0, w1, l0, l1, s);
            float sumqx = s.sumqx;
            float sumq2 = s.sumq2;
            d = sumq2 > 0 ? sumqx / sumq2 : 0.f;
            float best = d * sumqx;
            for (int itry = -NTRY; itry <= NTRY; itry++) {
                id = (itry + KVALUES[0]) / max;
                trialSums(x0, x1, w0, w1, bestIndex(x0.mul(id)), bestIndex(x1.mul(id)), s);
                sumqx = s.sumqx;
                sumq2 = s.sumq2;
                if (sumq2 > 0 && sumqx * sumqx > best * sumq2) {
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
                s.codes[2 * ib] = bestIndex(FloatVector.fromArray(FS, src, xb).mul(idl));
                s.codes[2 * ib + 1] = bestIndex(FloatVector.fromArray(FS, src, xb + 16).mul(idl));
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
            s.codes[0] = bestIndex(FloatVector.fromArray(FS, src, x).mul(id));
            s.codes[1] = bestIndex(FloatVector.fromArray(FS, src, x + 16).mul(id));
        }

        long qs = o + (xs ? 8 : 2);
        for (int ib = 0; ib < nSub; ib++) {
            IntVector packed = s.codes[2 * ib].or(s.codes[2 * ib + 1].lanewise(VectorOperators.LSHL, 4));
            ((ByteVector) packed.convertShape(VectorOperators.I2B, B16, 0)).intoMemorySegment(dst, qs + 16L * ib, ByteOrder.LITTLE_ENDIAN);
        }
    }

    /** Σ w·q·x and Σ w·q·q of one trial, each added in element order as ggml does. */
    private static void trialSums(FloatVector x0, FloatVector x1, FloatVector w0, FloatVector w1,
                                     IntVector l0, IntVector l1, Scratch s) {
        FloatVector q0 = values(l0);
        FloatVector q1 = values(l1);
        FloatVector wq0 = w0.mul(q0);
        FloatVector wq1 = w1.mul(q1);
        wq0.mul(x0).intoArray(s.qx, 0);
        wq1.mul(x1).intoArray(s.qx, 16);
        wq0.mul(q0).intoArray(s.q2, 0);
        wq1.mul(q1).intoArray(s.q2, 16);
        float sumqx = 0;
        float sumq2 = 0;
        for (int j = 0; j < 32; j++) {
            sumqx += s.qx[j];
            sumq2 += s.q2[j];
        }
        s.sumqx = sumqx;
        s.sumq2 = sumq2;
    }
}
