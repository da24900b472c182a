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
 * Vector API kernels for ggml's 32-value block types Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1 and IQ4_NL
 * (layouts: core's {@code LegacyQuantCodecs}, {@code Q8Codecs}, {@code NonLinearCodecs}). Each
 * kernel is the twin of the scalar codec ({@code Codecs.of(type)}) and gives <b>identical</b>
 * results: quantize writes the same bytes, dequantize the same floats, the dots the same float.
 * That holds because every per-element float operation is the scalar one done lane-wise, block
 * minima/maxima are order-independent (the sign of a zero extreme is taken from the first zero, as
 * ggml's sequential scan does), a block's integer dot is exact in any order, and the per-block float
 * accumulation stays sequential in block order (the integer work of consecutive blocks is
 * independent, so two blocks are in flight per iteration: body of pairs, tail of one).
 *
 * <p>Quantizing IQ4_NL (a search) and with an importance matrix stays scalar.
 *
 * <p>One float species is chosen once: 16 lanes where the hardware has 512-bit vectors, else 8;
 * byte and int species have the same lane count so lane-wise conversions stay one-to-one. A block
 * (32 values) is {@code 32 / LANES} vectors; callers pass whole blocks (checked).
 */
public final class LegacyQuantKernels {
    private LegacyQuantKernels() {}

    static final VectorSpecies<Float> FS =
            FloatVector.SPECIES_PREFERRED.length() >= 16 ? FloatVector.SPECIES_512 : FloatVector.SPECIES_256;
    static final int LANES = FS.length();
    static final VectorSpecies<Integer> IS = VectorSpecies.of(int.class, VectorShape.forBitSize(LANES * 32));
    static final VectorSpecies<Byte> BS = VectorSpecies.of(byte.class, VectorShape.forBitSize(LANES * 8));
    /** 16 byte lanes: one IQ4_NL table lookup per half block. */
    private static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    private static final int CHUNKS = 32 / LANES;
    private static final int HALF_CHUNKS = 16 / LANES;
    private static final IntVector IOTA = IntVector.zero(IS).addIndex(1);
    private static final byte[] KVALUES_IQ4NL = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};
    private static final ByteVector KVALUES = ByteVector.fromArray(B16, KVALUES_IQ4NL, 0);

    private static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt LE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    /** The kernels' vector width in float lanes (for reports). */
    public static int lanes() {
        return LANES;
    }

    /** The types with a vector dequantizer here. */
    public static boolean canDequantize(GgmlType t) {
        return switch (t) {
            case Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1, IQ4_NL -> true;
            default -> false;
        };
    }

    /** The types with a vector quantizer here (used when there is no importance matrix). */
    public static boolean canQuantize(GgmlType t) {
        return switch (t) {
            case Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1 -> true;
            default -> false;
        };
    }

    /** The types with a vector dot against their ggml activation type here. */
    public static boolean canDot(GgmlType t) {
        return switch (t) {
            case Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, IQ4_NL -> true;
            default -> false;
        };
    }

    private static void checkRow(GgmlType type, int n) {
        if (n < 0 || n % 32 != 0) {
            throw new IllegalArgumentException(type + ": row length " + n + " is not a multiple of the block size 32");
        }
    }

    private static void checkFinite(GgmlType type, float[] src, int srcOffset, int n) {
        // one vector pass: x - x is 0 for finite x and NaN for NaN/±Inf
        FloatVector acc = FloatVector.zero(FS);
        for (int i = 0; i < n; i += LANES) {
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

    private static FloatVector load(float[] src, int x, int c) {
        return FloatVector.fromArray(FS, src, x + c * LANES);
    }

    private static float blockAbsMax(float[] src, int x) {
        FloatVector m = load(src, x, 0).abs();
        for (int c = 1; c < CHUNKS; c++) m = m.max(load(src, x, c).abs());
        return m.reduceLanes(VectorOperators.MAX);
    }

    /** The first element of the block equal to {@code value} (|element| when {@code abs}), as stored. */
    private static float firstEqual(float[] src, int x, float value, boolean abs) {
        for (int c = 0; c < CHUNKS; c++) {
            FloatVector v = load(src, x, c);
            VectorMask<Float> at = (abs ? v.abs() : v).compare(VectorOperators.EQ, value);
            if (at.anyTrue()) return src[x + c * LANES + at.firstTrue()];
        }
        throw new IllegalStateException("value " + value + " not in its block");
    }

    /** C's roundf lane-wise, exactly: trunc(|v|) plus one when the (exact) fraction is ≥ 0.5, signed as v. */
    private static IntVector roundHalfAway(FloatVector v) {
        FloatVector a = v.abs();
        IntVector t = (IntVector) a.convert(VectorOperators.F2I, 0);
        FloatVector frac = a.sub((FloatVector) t.convert(VectorOperators.I2F, 0));
        t = t.add(1, frac.compare(VectorOperators.GE, 0.5f).cast(IS));
        return t.lanewise(VectorOperators.NEG, v.compare(VectorOperators.LT, 0f).cast(IS));
    }

    private static IntVector widen(MemorySegment s, long offset) {
        return (IntVector) ByteVector.fromMemorySegment(BS, s, offset, LE).convertShape(VectorOperators.B2I, IS, 0);
    }

    private static void storeBytes(IntVector v, MemorySegment dst, long offset) {
        ((ByteVector) v.convertShape(VectorOperators.I2B, BS, 0)).intoMemorySegment(dst, offset, LE);
    }

    private static float half(MemorySegment s, long offset) {
        return Float.float16ToFloat(s.get(LE_SHORT, offset));
    }

    private static void putHalf(MemorySegment s, long offset, float v) {
        s.set(LE_SHORT, offset, Float.floatToFloat16(v));
    }

    // ---------------------------------------------------------------- Q8_0, Q8_1

    /** {@code quantize_row_q8_0_ref}: {@code n} floats from {@code src[srcOffset]} to {@code n/32} blocks at {@code dstOffset}. */
    public static void quantizeQ8_0(float[] src, int srcOffset, int n, MemorySegment dst, long dstOffset) {
        quantizeQ8(GgmlType.Q8_0, src, srcOffset, n, dst, dstOffset);
    }

    /** {@code quantize_row_q8_1_ref}. */
    public static void quantizeQ8_1(float[] src, int srcOffset, int n, MemorySegment dst, long dstOffset) {
        quantizeQ8(GgmlType.Q8_1, src, srcOffset, n, dst, dstOffset);
    }

    private static void quantizeQ8(GgmlType t, float[] src, int srcOffset, int n, MemorySegment dst, long dstOffset) {
        checkRow(t, n);
        checkFinite(t, src, srcOffset, n);
        boolean withSum = t == GgmlType.Q8_1;
        int qs = withSum ? 4 : 2;
        for (int b = 0; b < n / 32; b++) {
            int x = srcOffset + 32 * b;
            long o = dstOffset + (long) t.bytesPerBlock() * b;
            float d = blockAbsMax(src, x) / 127;
            float id = d != 0 ? 1.0f / d : 0.0f;
            putHalf(dst, o, d);
            IntVector sum = IntVector.zero(IS);
            for (int c = 0; c < CHUNKS; c++) {
                IntVector q = roundHalfAway(load(src, x, c).mul(id));
                storeBytes(q, dst, o + qs + (long) c * LANES);
                sum = sum.add(q);
            }
            if (withSum) putHalf(dst, o + 2, sum.reduceLanes(VectorOperators.ADD) * d);
        }
    }

    /** {@code dequantize_row_q8_0}. */
    public static void dequantizeQ8_0(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
        dequantizeQ8(GgmlType.Q8_0, src, srcOffset, dst, dstOffset, n);
    }

    private static void dequantizeQ8(GgmlType t, MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
        checkRow(t, n);
        int qs = t == GgmlType.Q8_1 ? 4 : 2;
        for (int b = 0; b < n / 32; b++) {
            long o = srcOffset + (long) t.bytesPerBlock() * b;
            float d = half(src, o);
            int y = dstOffset + 32 * b;
            for (int c = 0; c < CHUNKS; c++) {
                ByteVector q = ByteVector.fromMemorySegment(BS, src, o + qs + (long) c * LANES, LE);
                ((FloatVector) q.convertShape(VectorOperators.B2F, FS, 0)).mul(d).intoArray(dst, y + c * LANES);
            }
        }
    }

    private static int q8q8BlockSum(MemorySegment x, long xo, MemorySegment y, long yo) {
        IntVector acc = widen(x, xo + 2).mul(widen(y, yo + 2));
        for (int c = 1; c < CHUNKS; c++) {
            acc = acc.add(widen(x, xo + 2 + (long) c * LANES).mul(widen(y, yo + 2 + (long) c * LANES)));
        }
        return acc.reduceLanes(VectorOperators.ADD);
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
            sumf += s0 * (half(x, xo) * half(y, yo));
            sumf += s1 * (half(x, xo + 34) * half(y, yo + 34));
        }
        for (; b < nb; b++) { // tail
            long xo = xOffset + 34L * b;
            long yo = yOffset + 34L * b;
            sumf += q8q8BlockSum(x, xo, y, yo) * (half(x, xo) * half(y, yo));
        }
        return sumf;
    }

    // ---------------------------------------------------------------- Q4_0, Q4_1, Q5_0, Q5_1

    /** Where a nibble type keeps its fields, and how its quants map to values. */
    private enum Nibbles {
        Q4_0(GgmlType.Q4_0, false, false),
        Q4_1(GgmlType.Q4_1, false, true),
        Q5_0(GgmlType.Q5_0, true, false),
        Q5_1(GgmlType.Q5_1, true, true);

        final GgmlType type;
        final boolean fiveBit;
        final boolean withMin;
        final int bytes;
        final int qhOffset;
        final int qsOffset;
        /** Subtracted from a quant to get the signed multiple of d (symmetric types). */
        final int zero;

        Nibbles(GgmlType type, boolean fiveBit, boolean withMin) {
            this.type = type;
            this.fiveBit = fiveBit;
            this.withMin = withMin;
            this.bytes = type.bytesPerBlock();
            this.qhOffset = withMin ? 4 : 2;
            this.qsOffset = qhOffset + (fiveBit ? 4 : 0);
            this.zero = withMin ? 0 : (fiveBit ? 16 : 8);
        }
    }

    /** {@code quantize_row_q4_0_ref} (no importance). */
    public static void quantizeQ4_0(float[] src, int srcOffset, int n, MemorySegment dst, long dstOffset) {
        quantizeNibbles(Nibbles.Q4_0, src, srcOffset, n, dst, dstOffset);
    }

    /** {@code quantize_row_q4_1_ref} (no importance). */
    public static void quantizeQ4_1(float[] src, int srcOffset, int n, MemorySegment dst, long dstOffset) {
        quantizeNibbles(Nibbles.Q4_1, src, srcOffset, n, dst, dstOffset);
    }

    /** {@code quantize_row_q5_0_ref} (no importance). */
    public static void quantizeQ5_0(float[] src, int srcOffset, int n, MemorySegment dst, long dstOffset) {
        quantizeNibbles(Nibbles.Q5_0, src, srcOffset, n, dst, dstOffset);
    }

    /** {@code quantize_row_q5_1_ref} (no importance). */
    public static void quantizeQ5_1(float[] src, int srcOffset, int n, MemorySegment dst, long dstOffset) {
        quantizeNibbles(Nibbles.Q5_1, src, srcOffset, n, dst, dstOffset);
    }

    private static void quantizeNibbles(Nibbles k, float[] src, int srcOffset, int n, MemorySegment dst, long dstOffset) {
        checkRow(k.type, n);
        checkFinite(k.type, src, srcOffset, n);
        int top = k.fiveBit ? 31 : 15;
        for (int b = 0; b < n / 32; b++) {
            int x = srcOffset + 32 * b;
            long o = dstOffset + (long) k.bytes * b;
            // scale, offset and rounding bias: value j's quant is min(top, trunc((x - offset)·id + bias))
            float id;
            float offset;
            float bias;
            if (k.withMin) {
                FloatVector lo = load(src, x, 0);
                FloatVector hi = lo;
                for (int c = 1; c < CHUNKS; c++) {
                    FloatVector v = load(src, x, c);
                    lo = lo.min(v);
                    hi = hi.max(v);
                }
                float min = lo.reduceLanes(VectorOperators.MIN);
                float max = hi.reduceLanes(VectorOperators.MAX);
                // ggml's scan keeps the first of equal values: only a zero extreme can differ (its sign)
                if (min == 0) min = firstEqual(src, x, 0f, false);
                if (max == 0) max = firstEqual(src, x, 0f, false);
                float d = (max - min) / top;
                id = d != 0 ? 1.0f / d : 0.0f;
                putHalf(dst, o, d);
                putHalf(dst, o + 2, min);
                offset = min;
                bias = 0.5f;
            } else {
                float amax = blockAbsMax(src, x);
                // ggml keeps the signed value of the first element of largest magnitude (0 if all are zero)
                float max = amax != 0 ? firstEqual(src, x, amax, true) : 0.0f;
                float d = k.fiveBit ? max / -16 : max / -8;
                id = d != 0 ? 1.0f / d : 0.0f;
                putHalf(dst, o, d);
                offset = 0;
                bias = k.fiveBit ? 16.5f : 8.5f;
            }
            long qh = 0;
            for (int c = 0; c < HALF_CHUNKS; c++) {
                IntVector qLo = nibbleQuants(k, load(src, x, c), offset, id, bias, top);
                IntVector qHi = nibbleQuants(k, load(src, x, c + HALF_CHUNKS), offset, id, bias, top);
                if (k.fiveBit) {
                    qh |= qLo.and(0x10).compare(VectorOperators.NE, 0).toLong() << (c * LANES);
                    qh |= qHi.and(0x10).compare(VectorOperators.NE, 0).toLong() << (16 + c * LANES);
                }
                storeBytes(qLo.and(0x0F).or(qHi.and(0x0F).lanewise(VectorOperators.LSHL, 4)), dst, o + k.qsOffset + (long) c * LANES);
            }
            if (k.fiveBit) dst.set(LE_INT, o + k.qhOffset, (int) qh);
        }
    }

    /**
     * Quants of one vector of a block. Symmetric types: {@code min(top, (int)(x·id + bias))}; Q4_1:
     * {@code min(15, (int)((x - min)·id + 0.5))}; Q5_1 stores the plain cast, which stays within 0..31.
     * ({@code x - 0} is exact, so the symmetric types pass offset 0.)
     */
    private static IntVector nibbleQuants(Nibbles k, FloatVector v, float offset, float id, float bias, int top) {
        FloatVector scaled = k.withMin ? v.sub(offset).mul(id) : v.mul(id);
        IntVector q = (IntVector) scaled.add(bias).convert(VectorOperators.F2I, 0);
        return k.withMin && k.fiveBit ? q : q.min(top);
    }

    /**
     * The quants of lanes {@code c·LANES ..} (low half) and {@code 16 + c·LANES ..} (high half) of the
     * block at {@code o}, as signed multiples of d ({@code quant - zero}).
     */
    private static IntVector nibbleLane(Nibbles k, MemorySegment s, long o, int qh, int c, boolean high) {
        ByteVector packed = ByteVector.fromMemorySegment(BS, s, o + k.qsOffset + (long) c * LANES, LE);
        ByteVector nib = high ? packed.lanewise(VectorOperators.LSHR, 4).and((byte) 0x0F) : packed.and((byte) 0x0F);
        IntVector v = (IntVector) nib.convertShape(VectorOperators.B2I, IS, 0);
        if (k.fiveBit) {
            int shift = (high ? 16 : 0) + c * LANES;
            v = v.or(IntVector.broadcast(IS, qh).lanewise(VectorOperators.LSHR, IOTA.add(shift)).and(1).lanewise(VectorOperators.LSHL, 4));
        }
        return k.zero == 0 ? v : v.sub(k.zero);
    }

    /** {@code dequantize_row_q4_0}. */
    public static void dequantizeQ4_0(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
        dequantizeNibbles(Nibbles.Q4_0, src, srcOffset, dst, dstOffset, n);
    }

    private static void dequantizeNibbles(Nibbles k, MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
        checkRow(k.type, n);
        for (int b = 0; b < n / 32; b++) {
            long o = srcOffset + (long) k.bytes * b;
            float d = half(src, o);
            float m = k.withMin ? half(src, o + 2) : 0;
            int qh = k.fiveBit ? src.get(LE_INT, o + k.qhOffset) : 0;
            int y = dstOffset + 32 * b;
            for (int c = 0; c < HALF_CHUNKS; c++) {
                for (int h = 0; h < 2; h++) {
                    FloatVector v = ((FloatVector) nibbleLane(k, src, o, qh, c, h == 1).convert(VectorOperators.I2F, 0)).mul(d);
                    (k.withMin ? v.add(m) : v).intoArray(dst, y + 16 * h + c * LANES);
                }
            }
        }
    }

    private static int nibbleQ8BlockSum(Nibbles k, MemorySegment x, long xo, MemorySegment y, long yo, int yQs) {
        int qh = k.fiveBit ? x.get(LE_INT, xo + k.qhOffset) : 0;
        IntVector acc = IntVector.zero(IS);
        for (int c = 0; c < HALF_CHUNKS; c++) {
            acc = acc.add(nibbleLane(k, x, xo, qh, c, false).mul(widen(y, yo + yQs + (long) c * LANES)))
                     .add(nibbleLane(k, x, xo, qh, c, true).mul(widen(y, yo + yQs + 16 + (long) c * LANES)));
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /** One block's term of the dot, in ggml's float order for the type. */
    private static float nibbleTerm(Nibbles k, int sumi, MemorySegment x, long xo, MemorySegment y, long yo) {
        float dx = half(x, xo);
        float dy = half(y, yo);
        if (k.withMin) return (dx * dy) * sumi + half(x, xo + 2) * half(y, yo + 2);
        if (k.fiveBit) return (dx * dy) * sumi;
        return sumi * dx * dy;
    }

    private static float dotNibbles(Nibbles k, int n, MemorySegment x, long xOffset, MemorySegment y, long yOffset) {
        checkRow(k.type, n);
        int yBytes = k.withMin ? 36 : 34;
        int yQs = k.withMin ? 4 : 2;
        int nb = n / 32;
        float sumf = 0;
        int b = 0;
        for (; b + 2 <= nb; b += 2) {
            long xo = xOffset + (long) k.bytes * b;
            long yo = yOffset + (long) yBytes * b;
            int s0 = nibbleQ8BlockSum(k, x, xo, y, yo, yQs);
            int s1 = nibbleQ8BlockSum(k, x, xo + k.bytes, y, yo + yBytes, yQs);
            sumf += nibbleTerm(k, s0, x, xo, y, yo);
            sumf += nibbleTerm(k, s1, x, xo + k.bytes, y, yo + yBytes);
        }
        for (; b < nb; b++) {
            long xo = xOffset + (long) k.bytes * b;
            long yo = yOffset + (long) yBytes * b;
            sumf += nibbleTerm(k, nibbleQ8BlockSum(k, x, xo, y, yo, yQs), x, xo, y, yo);
        }
        return sumf;
    }

    /** {@code ggml_vec_dot_q4_0_q8_0}: a Q4_0 row against a Q8_0 row, {@code n} values. */
    public static float dotQ4_0Q8_0(int n, MemorySegment x, long xOffset, MemorySegment y, long yOffset) {
        return dotNibbles(Nibbles.Q4_0, n, x, xOffset, y, yOffset);
    }

    // ---------------------------------------------------------------- IQ4_NL

    private static ByteVector iq4Values(MemorySegment s, long qs, boolean high) {
        ByteVector packed = ByteVector.fromMemorySegment(B16, s, qs, LE);
        ByteVector codes = high ? packed.lanewise(VectorOperators.LSHR, 4).and((byte) 0x0F) : packed.and((byte) 0x0F);
        return codes.selectFrom(KVALUES);
    }

    private static void dequantizeIq4Nl(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
        checkRow(GgmlType.IQ4_NL, n);
        for (int b = 0; b < n / 32; b++) {
            long o = srcOffset + 18L * b;
            float d = half(src, o);
            int y = dstOffset + 32 * b;
            for (int h = 0; h < 2; h++) {
                ByteVector v = iq4Values(src, o + 2, h == 1);
                for (int p = 0; p < HALF_CHUNKS; p++) {
                    ((FloatVector) v.convertShape(VectorOperators.B2F, FS, p)).mul(d).intoArray(dst, y + 16 * h + p * LANES);
                }
            }
        }
    }

    private static int iq4Q8BlockSum(MemorySegment x, long xo, MemorySegment y, long yo) {
        IntVector acc = IntVector.zero(IS);
        for (int h = 0; h < 2; h++) {
            ByteVector v = iq4Values(x, xo + 2, h == 1);
            for (int p = 0; p < HALF_CHUNKS; p++) {
                IntVector xv = (IntVector) v.convertShape(VectorOperators.B2I, IS, p);
                acc = acc.add(xv.mul(widen(y, yo + 2 + 16 * h + (long) p * LANES)));
            }
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    private static float dotIq4NlQ8_0(int n, MemorySegment x, long xOffset, MemorySegment y, long yOffset) {
        checkRow(GgmlType.IQ4_NL, n);
        int nb = n / 32;
        float sumf = 0;
        int b = 0;
        for (; b + 2 <= nb; b += 2) {
            long xo = xOffset + 18L * b;
            long yo = yOffset + 34L * b;
            int s0 = iq4Q8BlockSum(x, xo, y, yo);
            int s1 = iq4Q8BlockSum(x, xo + 18, y, yo + 34);
            sumf += (half(y, yo) * half(x, xo)) * s0;
            sumf += (half(y, yo + 34) * half(x, xo + 18)) * s1;
        }
        for (; b < nb; b++) {
            long xo = xOffset + 18L * b;
            long yo = yOffset + 34L * b;
            sumf += (half(y, yo) * half(x, xo)) * iq4Q8BlockSum(x, xo, y, yo);
        }
        return sumf;
    }

    // ---------------------------------------------------------------- dispatch by type

    /** Vector quantize of one row without importance; {@link #canQuantize} must hold. */
    public static void quantize(GgmlType t, float[] src, int srcOffset, int n, MemorySegment dst, long dstOffset) {
        switch (t) {
            case Q8_0, Q8_1 -> quantizeQ8(t, src, srcOffset, n, dst, dstOffset);
            case Q4_0 -> quantizeNibbles(Nibbles.Q4_0, src, srcOffset, n, dst, dstOffset);
            case Q4_1 -> quantizeNibbles(Nibbles.Q4_1, src, srcOffset, n, dst, dstOffset);
            case Q5_0 -> quantizeNibbles(Nibbles.Q5_0, src, srcOffset, n, dst, dstOffset);
            case Q5_1 -> quantizeNibbles(Nibbles.Q5_1, src, srcOffset, n, dst, dstOffset);
            default -> throw new IllegalArgumentException("no vector quantizer for " + t);
        }
    }

    /** Vector dequantize of one row; {@link #canDequantize} must hold. */
    public static void dequantize(GgmlType t, MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
        switch (t) {
            case Q8_0, Q8_1 -> dequantizeQ8(t, src, srcOffset, dst, dstOffset, n);
            case Q4_0 -> dequantizeNibbles(Nibbles.Q4_0, src, srcOffset, dst, dstOffset, n);
            case Q4_1 -> dequantizeNibbles(Nibbles.Q4_1, src, srcOffset, dst, dstOffset, n);
            case Q5_0 -> dequantizeNibbles(Nibbles.Q5_0, src, srcOffset, dst, dstOffset, n);
            case Q5_1 -> dequantizeNibbles(Nibbles.Q5_1, src, srcOffset, dst, dstOffset, n);
            case IQ4_NL -> dequantizeIq4Nl(src, srcOffset, dst, dstOffset, n);
            default -> throw new IllegalArgumentException("no vector dequantizer for " + t);
        }
    }

    /** Vector dot of a row of {@code t} with a row of its ggml activation type; {@link #canDot} must hold. */
    public static float dot(GgmlType t, int n, MemorySegment x, long xOffset, MemorySegment y, long yOffset) {
        return switch (t) {
            case Q8_0 -> dotQ8_0Q8_0(n, x, xOffset, y, yOffset);
            case Q4_0 -> dotNibbles(Nibbles.Q4_0, n, x, xOffset, y, yOffset);
            case Q4_1 -> dotNibbles(Nibbles.Q4_1, n, x, xOffset, y, yOffset);
            case Q5_0 -> dotNibbles(Nibbles.Q5_0, n, x, xOffset, y, yOffset);
            case Q5_1 -> dotNibbles(Nibbles.Q5_1, n, x, xOffset, y, yOffset);
            case IQ4_NL -> dotIq4NlQ8_0(n, x, xOffset, y, yOffset);
            default -> throw new IllegalArgumentException("no vector dot for " + t);
        };
    }
}
