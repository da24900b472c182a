package dev.squint.kernels;

import dev.squint.core.GgmlType;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Vector API kernels for Q8_0 and Q4_0 (layouts: see core's {@code Q8Codecs} and
 * {@code LegacyQuantCodecs}). Each is the twin of the scalar codec ({@code Codecs.of(Q8_0/Q4_0)})
 * and gives <b>identical</b> results: quantize writes the same bytes, dequantize the same floats,
 * and the dots the same float. That holds because every per-element float operation is the scalar
 * one done lane-wise, block maxima are order-independent, a block's integer dot is exact in any
 * order, and the per-block float accumulation stays sequential in block order (the integer work
 * of consecutive blocks is independent, so two blocks are in flight per iteration).
 *
 * <p>One float species is chosen once: 16 lanes where the hardware has 512-bit vectors, else 8;
 * byte and int species have the same lane count so lane-wise conversions stay one-to-one.
 * A block (32 values) is {@code 32 / LANES} vectors; rows are whole blocks (the callers validate).
 */
public final class LegacyQuantKernels {
    private LegacyQuantKernels() {}

    static final VectorSpecies<Float> FS =
            FloatVector.SPECIES_PREFERRED.length() >= 16 ? FloatVector.SPECIES_512 : FloatVector.SPECIES_256;
    static final int LANES = FS.length();
    static final VectorSpecies<Integer> IS = VectorSpecies.of(int.class, VectorShape.forBitSize(LANES * 32));
    static final VectorSpecies<Byte> BS = VectorSpecies.of(byte.class, VectorShape.forBitSize(LANES * 8));
    private static final int CHUNKS = 32 / LANES;
    private static final int HALF_CHUNKS = 16 / LANES;

    private static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    /** The kernels' vector width in float lanes (for reports). */
    public static int lanes() {
        return LANES;
    }

    private static void checkRow(GgmlType type, int n) {
        if (n < 0 || n % 32 != 0) {
            throw new IllegalArgumentException(type + ": row length " + n + " is not a multiple of the block size 32");
        }
    }

    private static void checkFinite(GgmlType type, float[] src, int srcOffset, int n) {
        // one vector pass: x - x is 0 for finite x and NaN for NaN/±Inf
        FloatVector acc = FloatVector.zero(FS);
        int i = 0;
        for (; i + LANES <= n; i += LANES) {
            FloatVector v = FloatVector.fromArray(FS, src, srcOffset + i);
            acc = acc.add(v.sub(v));
        }
        if (Float.isNaN(acc.reduceLanes(VectorOperators.ADD))) {
            for (int j = 0; j < n; j++) {
                float v = src[srcOffset + j];
                if (!Float.isFinite(v)) {
                    throw new IllegalArgumentException(type + ": cannot quantize " + v + " at element " + j + " of the row (ggml's output would be invalid)");
                }
            }
        }
    }

    private static float blockAbsMax(float[] src, int x) {
        FloatVector m = FloatVector.fromArray(FS, src, x).abs();
        for (int c = 1; c < CHUNKS; c++) m = m.max(FloatVector.fromArray(FS, src, x + c * LANES).abs());
        return m.reduceLanes(VectorOperators.MAX);
    }

    /** C's roundf lane-wise, exactly: trunc(|v|) plus one when the (exact) fraction is ≥ 0.5, signed as v. */
    private static IntVector roundHalfAway(FloatVector v) {
        FloatVector a = v.abs();
        IntVector t = (IntVector) a.convert(VectorOperators.F2I, 0);
        FloatVector frac = a.sub((FloatVector) t.convert(VectorOperators.I2F, 0));
        t = t.add(1, frac.compare(VectorOperators.GE, 0.5f).cast(IS));
        return t.lanewise(VectorOperators.NEG, v.compare(VectorOperators.LT, 0f).cast(IS));
    }

    // ---------------------------------------------------------------- Q8_0

    /** {@code quantize_row_q8_0_ref}: {@code n} floats from {@code src[srcOffset]} to {@code n/32} blocks at {@code dstOffset}. */
    public static void quantizeQ8_0(float[] src, int srcOffset, int n, MemorySegment dst, long dstOffset) {
        checkRow(GgmlType.Q8_0, n);
        checkFinite(GgmlType.Q8_0, src, srcOffset, n);
        for (int b = 0; b < n / 32; b++) {
            int x = srcOffset + 32 * b;
            long o = dstOffset + 34L * b;
            float d = blockAbsMax(src, x) / 127;
            float id = d != 0 ? 1.0f / d : 0.0f;
            dst.set(LE_SHORT, o, Float.floatToFloat16(d));
            for (int c = 0; c < CHUNKS; c++) {
                IntVector q = roundHalfAway(FloatVector.fromArray(FS, src, x + c * LANES).mul(id));
                ((ByteVector) q.convertShape(VectorOperators.I2B, BS, 0))
                        .intoMemorySegment(dst, o + 2 + (long) c * LANES, LE);
            }
        }
    }

    /** {@code dequantize_row_q8_0}. */
    public static void dequantizeQ8_0(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
        checkRow(GgmlType.Q8_0, n);
        for (int b = 0; b < n / 32; b++) {
            long o = srcOffset + 34L * b;
            float d = Float.float16ToFloat(src.get(LE_SHORT, o));
            int y = dstOffset + 32 * b;
            for (int c = 0; c < CHUNKS; c++) {
                ByteVector q = ByteVector.fromMemorySegment(BS, src, o + 2 + (long) c * LANES, LE);
                ((FloatVector) q.convertShape(VectorOperators.B2F, FS, 0)).mul(d).intoArray(dst, y + c * LANES);
            }
        }
    }

    private static IntVector widen(MemorySegment s, long offset) {
        return (IntVector) ByteVector.fromMemorySegment(BS, s, offset, LE).convertShape(VectorOperators.B2I, IS, 0);
    }

    private static int q8q8BlockSum(MemorySegment x, long xo, MemorySegment y, long yo) {
        IntVector acc = widen(x, xo + 2).mul(widen(y, yo + 2));
        for (int c = 1; c < CHUNKS; c++) {
            acc = acc.add(widen(x, xo + 2 + (long) c * LANES).mul(widen(y, yo + 2 + (long) c * LANES)));
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    private static float scaleProduct(MemorySegment x, long xo, MemorySegment y, long yo) {
        return Float.float16ToFloat(x.get(LE_SHORT, xo)) * Float.float16ToFloat(y.get(LE_SHORT, yo));
    }

    /** {@code ggml_vec_dot_q8_0_q8_0}: a Q8_0 row against a Q8_0 row, {@code n} values. */
    public static float dotQ8_0Q8_0(int n, MemorySegment x, long xOffset, MemorySegment y, long yOffset) {
        checkRow(GgmlType.Q8_0, n);
        int nb = n / 32;
        float sumf = 0;
        int b = 0;
        for (; b + 2 <= nb; b += 2) { // body: two independent blocks in flight
            long xo = xOffset + 34L * b;
            long yo = yOffset + 34L * b;
            int s0 = q8q8BlockSum(x, xo, y, yo);
            int s1 = q8q8BlockSum(x, xo + 34, y, yo + 34);
            sumf += s0 * scaleProduct(x, xo, y, yo);
            sumf += s1 * scaleProduct(x, xo + 34, y, yo + 34);
        }
        for (; b < nb; b++) { // tail
            long xo = xOffset + 34L * b;
            long yo = yOffset + 34L * b;
            sumf += q8q8BlockSum(x, xo, y, yo) * scaleProduct(x, xo, y, yo);
        }
        return sumf;
    }

    // ---------------------------------------------------------------- Q4_0

    /** {@code quantize_row_q4_0_ref} (no importance). */
    public static void quantizeQ4_0(float[] src, int srcOffset, int n, MemorySegment dst, long dstOffset) {
        checkRow(GgmlType.Q4_0, n);
        checkFinite(GgmlType.Q4_0, src, srcOffset, n);
        IntVector[] q = new IntVector[CHUNKS];
        for (int b = 0; b < n / 32; b++) {
            int x = srcOffset + 32 * b;
            long o = dstOffset + 18L * b;
            float amax = blockAbsMax(src, x);
            // ggml keeps the signed value of the first element of largest magnitude (0 if all are zero)
            float max = 0.0f;
            if (amax != 0) {
                for (int c = 0; c < CHUNKS; c++) {
                    VectorMask<Float> at = FloatVector.fromArray(FS, src, x + c * LANES).abs().compare(VectorOperators.EQ, amax);
                    if (at.anyTrue()) {
                        max = src[x + c * LANES + at.firstTrue()];
                        break;
                    }
                }
            }
            float d = max / -8;
            float id = d != 0 ? 1.0f / d : 0.0f;
            dst.set(LE_SHORT, o, Float.floatToFloat16(d));
            for (int c = 0; c < CHUNKS; c++) {
                FloatVector v = FloatVector.fromArray(FS, src, x + c * LANES).mul(id).add(8.5f);
                q[c] = ((IntVector) v.convert(VectorOperators.F2I, 0)).min(15);
            }
            for (int c = 0; c < HALF_CHUNKS; c++) {
                IntVector packed = q[c].or(q[c + HALF_CHUNKS].lanewise(VectorOperators.LSHL, 4));
                ((ByteVector) packed.convertShape(VectorOperators.I2B, BS, 0))
                        .intoMemorySegment(dst, o + 2 + (long) c * LANES, LE);
            }
        }
    }

    /** {@code dequantize_row_q4_0}. */
    public static void dequantizeQ4_0(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
        checkRow(GgmlType.Q4_0, n);
        for (int b = 0; b < n / 32; b++) {
            long o = srcOffset + 18L * b;
            float d = Float.float16ToFloat(src.get(LE_SHORT, o));
            int y = dstOffset + 32 * b;
            for (int c = 0; c < HALF_CHUNKS; c++) {
                ByteVector packed = ByteVector.fromMemorySegment(BS, src, o + 2 + (long) c * LANES, LE);
                ByteVector lo = packed.and((byte) 0x0F).sub((byte) 8);
                ByteVector hi = packed.lanewise(VectorOperators.LSHR, 4).and((byte) 0x0F).sub((byte) 8);
                ((FloatVector) lo.convertShape(VectorOperators.B2F, FS, 0)).mul(d).intoArray(dst, y + c * LANES);
                ((FloatVector) hi.convertShape(VectorOperators.B2F, FS, 0)).mul(d).intoArray(dst, y + 16 + c * LANES);
            }
        }
    }

    private static int q4q8BlockSum(MemorySegment x, long xo, MemorySegment y, long yo) {
        IntVector acc = IntVector.zero(IS);
        for (int c = 0; c < HALF_CHUNKS; c++) {
            ByteVector packed = ByteVector.fromMemorySegment(BS, x, xo + 2 + (long) c * LANES, LE);
            IntVector lo = (IntVector) packed.and((byte) 0x0F).sub((byte) 8).convertShape(VectorOperators.B2I, IS, 0);
            IntVector hi = (IntVector) packed.lanewise(VectorOperators.LSHR, 4).and((byte) 0x0F).sub((byte) 8)
                    .convertShape(VectorOperators.B2I, IS, 0);
            acc = acc.add(lo.mul(widen(y, yo + 2 + (long) c * LANES)))
                     .add(hi.mul(widen(y, yo + 18 + (long) c * LANES)));
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /** {@code ggml_vec_dot_q4_0_q8_0}: a Q4_0 row against a Q8_0 row, {@code n} values. */
    public static float dotQ4_0Q8_0(int n, MemorySegment x, long xOffset, MemorySegment y, long yOffset) {
        checkRow(GgmlType.Q4_0, n);
        int nb = n / 32;
        float sumf = 0;
        int b = 0;
        for (; b + 2 <= nb; b += 2) {
            long xo = xOffset + 18L * b;
            long yo = yOffset + 34L * b;
            int s0 = q4q8BlockSum(x, xo, y, yo);
            int s1 = q4q8BlockSum(x, xo + 18, y, yo + 34);
            sumf += s0 * Float.float16ToFloat(x.get(LE_SHORT, xo)) * Float.float16ToFloat(y.get(LE_SHORT, yo));
            sumf += s1 * Float.float16ToFloat(x.get(LE_SHORT, xo + 18)) * Float.float16ToFloat(y.get(LE_SHORT, yo + 34));
        }
        for (; b < nb; b++) {
            long xo = xOffset + 18L * b;
            long yo = yOffset + 34L * b;
            sumf += q4q8BlockSum(x, xo, y, yo) * Float.float16ToFloat(x.get(LE_SHORT, xo)) * Float.float16ToFloat(y.get(LE_SHORT, yo));
        }
        return sumf;
    }
}
