package dev.squint.kernels;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import static dev.squint.kernels.Species.F;
import static dev.squint.kernels.Species.I;
import static dev.squint.kernels.Species.LANES;
import static dev.squint.kernels.Species.S;

/**
 * Matrix × vector kernels for token-by-token generation: rows of F16, Q8_0 or Q4_0 weights, read
 * straight from the (mapped) weight segment, against one token's activations. Four weight rows are
 * processed per pass so every activation load serves four rows; each row keeps its own float
 * accumulator (four independent FMA chains).
 *
 * <p><b>Activations.</b> The quantized kernels take one token quantized to Q8_0 ({@link Q8Token}): its
 * int8 values as floats (the kernels widen the weights to float and multiply-add there: two vector
 * operations per 16 weights and no 16/32-bit widening steps, which on AVX-512 made the integer route
 * ~20% slower), one float scale per 32-value block, and for Q4_0 each block's {@code −8·Σa} that
 * turns unsigned nibbles into ggml's signed {@code q − 8}. {@link #quantizeQ8_0} quantizes as
 * llama.cpp's x86 build does ({@code quantize_row_q8_0} with AVX: multiplier {@code 127/amax},
 * round half to even), not as ggml's scalar reference ({@code 1/d}, round half away from zero).
 *
 * <p><b>Numerics.</b> As ggml's AVX kernels: each block's dot is exact (the products of int8 values
 * and their sums are integers below 2^24, so float FMAs from zero are exact, whatever the order), then
 * it is scaled by {@code d_w·d_a} and added into a float vector accumulator with FMA; one horizontal
 * sum per row. The block's float terms are thus added in a different order from ggml's scalar
 * reference ({@link #dotQ4_0Reference} and {@link #dotQ8_0Reference} are the scalar twins, identical
 * per block): results differ from them by float rounding only. F16 weights are widened exactly (bit
 * manipulation, then a power-of-two scale), multiplied by F16-rounded activations and summed with FMA,
 * as ggml's F16 dot does in float.
 *
 * <p>Block layouts (ggml): Q8_0 = f16 scale + 32 int8; Q4_0 = f16 scale + 16 bytes, value {@code i}
 * the low nibble of byte {@code i}, value {@code i + 16} its high nibble, minus 8.
 */
public final class MatVecKernels {
    private MatVecKernels() {}

    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);
    /** Bytes giving one int lane each. */
    private static final VectorSpecies<Byte> BI = Species.B;
    /** Bytes giving one short (F16) lane per float lane. */
    private static final VectorSpecies<Byte> BH = Species.S_BYTES;
    private static final int ROWS = 4;

    /** One token quantized to Q8_0 in the layout the kernels read. Reused across tokens (grows on demand). */
    public static final class Q8Token {
        int n;
        int[] q = new int[0];
        /** Q8_K only: the same values as shorts (the K-quant kernels multiply in 16-bit lanes). */
        short[] qs = new short[0];
        float[] d = new float[0];
        /**
         * Q8_0: the values as floats. The Q8_0/Q4_0 kernels widen the int8 (or nibble) weights to float
         * and multiply-add in float: products and block sums of such integers are below 2^24, so exact.
         */
        float[] qf = new float[0];
        /**
         * Q8_0: per block, LANES floats whose sum is {@code −8·Σ q} over the block's 32 values: lane
         * {@code l} holds {@code −8·(q_i + q_{i+16})} summed over the half-block indices {@code i ≡ l}
         * (mod LANES). It starts each Q4_0 block sum, turning unsigned nibbles into ggml's {@code q − 8}.
         */
        float[] nibbleBias = new float[0];
        /** Q8_K only: the float scale of each 256-value block, and the sums of each 16 values. */
        float[] kScale = new float[0];
        int[] bsums = new int[0];
        /** Q8_K only: the values reordered for the 512-bit Q4_K and Q6_K kernels ({@link KQuantMatVec}). */
        short[] k4 = new short[0], k6 = new short[0];
        /** Q8_K only, 16 per block: 8 zeros then the sums of each 32 values (Q4_K mins); {@code −32·bsums} (Q6_K). */
        int[] kMinSums = new int[0], kOffsets = new int[0];

        public int length() { return n; }

        void ensure(int n) {
            this.n = n;
            if (q.length < n) {
                q = new int[n];
                qs = new short[n];
                d = new float[n / 32];
                qf = new float[n];
                nibbleBias = new float[n / 32 * LANES];
            }
        }

        /** The quantized value at {@code i} (for tests). */
        public int value(int i) { return q[i]; }

        /** The float scale of block {@code b} (for tests). */
        public float scale(int b) { return d[b]; }
    }

    /** A decoded block scale in a {@link #blockScales} table. */
    private static final ValueLayout.OfFloat SCALE = ValueLayout.JAVA_FLOAT.withOrder(LE);

    private static float half(MemorySegment s, long o) {
        return Float.float16ToFloat(s.get(LE_SHORT, o));
    }

    private static void checkBlocks(int n) {
        if (n < 0 || n % 32 != 0) throw new IllegalArgumentException("row length " + n + " is not a multiple of 32");
    }

    // ---------------------------------------------------------------- activation quantization

    /**
     * Quantizes {@code x[off, off + n)} to Q8_0 as llama.cpp's x86 {@code quantize_row_q8_0} does:
     * {@code d = amax/127} stored as F16, each value {@code round_half_even(x · (127/amax))}. The kernel
     * then reads the F16-rounded {@code d}, as ggml's dot does from the block.
     */
    public static void quantizeQ8_0(float[] x, int off, int n, Q8Token out) {
        checkBlocks(n);
        out.ensure(n);
        for (int b = 0; b < n / 32; b++) {
            int xo = off + 32 * b;
            FloatVector m = FloatVector.fromArray(F, x, xo).abs();
            for (int c = 1; c < 32 / LANES; c++) m = m.max(FloatVector.fromArray(F, x, xo + c * LANES).abs());
            float amax = m.reduceLanes(VectorOperators.MAX);
            float id = amax != 0 ? 127f / amax : 0f;
            out.d[b] = Float.float16ToFloat(Float.floatToFloat16(amax / 127f));
            for (int c = 0; c < 32 / LANES; c++) {
                IntVector q = roundHalfEven(FloatVector.fromArray(F, x, xo + c * LANES).mul(id));
                q.intoArray(out.q, 32 * b + c * LANES);
                ((FloatVector) q.convert(VectorOperators.I2F, 0)).intoArray(out.qf, 32 * b + c * LANES);
            }
            FloatVector bias = FloatVector.zero(F);
            for (int c = 0; c < 32 / LANES; c++) bias = bias.add(FloatVector.fromArray(F, out.qf, 32 * b + c * LANES));
            bias.mul(-8f).intoArray(out.nibbleBias, b * LANES);
        }
    }

    /**
     * Quantizes {@code x[off, off + n)} into ggml Q8_0 blocks (or Q8_1 with {@code withSum}: the block's
     * {@code d · Σq} as F16 after the scale) at {@code dst + dOff}, with llama.cpp's x86 rounding as in
     * {@link #quantizeQ8_0(float[], int, int, Q8Token)}: what its batched matmul quantizes activations with.
     */
    public static void quantizeQ8Blocks(float[] x, int off, int n, MemorySegment dst, long dOff, boolean withSum) {
        checkBlocks(n);
        int bytes = withSum ? 36 : 34, qs = withSum ? 4 : 2;
        for (int b = 0; b < n / 32; b++) {
            int xo = off + 32 * b;
            long o = dOff + (long) bytes * b;
            FloatVector m = FloatVector.fromArray(F, x, xo).abs();
            for (int c = 1; c < 32 / LANES; c++) m = m.max(FloatVector.fromArray(F, x, xo + c * LANES).abs());
            float amax = m.reduceLanes(VectorOperators.MAX);
            float d = amax / 127f;
            float id = amax != 0 ? 127f / amax : 0f;
            dst.set(LE_SHORT, o, Float.floatToFloat16(d));
            IntVector sum = IntVector.zero(I);
            for (int c = 0; c < 32 / LANES; c++) {
                IntVector q = roundHalfEven(FloatVector.fromArray(F, x, xo + c * LANES).mul(id));
                ((ByteVector) q.convertShape(VectorOperators.I2B, BI, 0)).intoMemorySegment(dst, o + qs + (long) c * LANES, LE);
                sum = sum.add(q);
            }
            if (withSum) dst.set(LE_SHORT, o + 2, Float.floatToFloat16(d * sum.reduceLanes(VectorOperators.ADD)));
        }
    }

    /**
     * Round half to even, exactly, for |v| ≤ 127.5 (values here are scaled to at most 127 in magnitude):
     * adding and subtracting 1.5·2^23 rounds to an integer in the current (nearest-even) mode.
     */
    private static IntVector roundHalfEven(FloatVector v) {
        FloatVector r = v.add(12582912f).sub(12582912f);
        return (IntVector) r.convert(VectorOperators.F2I, 0);
    }

    /** Scalar twin of {@link #quantizeQ8_0}: the same values and scales, one element at a time. */
    public static void quantizeQ8_0Reference(float[] x, int off, int n, int[] q, float[] d) {
        checkBlocks(n);
        for (int b = 0; b < n / 32; b++) {
            float amax = 0;
            for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[off + 32 * b + j]));
            float id = amax != 0 ? 127f / amax : 0f;
            d[b] = Float.float16ToFloat(Float.floatToFloat16(amax / 127f));
            for (int j = 0; j < 32; j++) q[32 * b + j] = (int) Math.rint(x[off + 32 * b + j] * id);
        }
    }

    // ---------------------------------------------------------------- Q8_0 × Q8_0
    //
    // Each kernel method is written out without helper calls, and the four-row pass and the one-row
    // tail are separate methods: C2 stops inlining once a method's graph is large (the Vector API's
    // inlined calls count), and a helper compiled on its own first may then not be inlined at all;
    // either leaves vector objects boxed, which is ~50x slower.

    /**
     * {@code y[yOff + j] = row_j · a} for rows {@code [from, to)} of a Q8_0 matrix whose row {@code j}
     * starts at {@code w + wOff + j·rowBytes}; {@code a} holds {@code n} values. Decodes the rows' block
     * scales first; callers that multiply by the same matrix repeatedly keep {@link #blockScales} and
     * pass it to the other overload.
     */
    public static void q8_0Rows(MemorySegment w, long wOff, long rowBytes, int from, int to, Q8Token a, float[] y, int yOff) {
        checkBlocks(a.n);
        q8_0Rows(w, wOff, rowBytes, blockScales(w, wOff, rowBytes, to, a.n, 34), from, to, a, y, yOff);
    }

    /** As above with the matrix's block scales decoded by {@link #blockScales}. */
    public static void q8_0Rows(MemorySegment w, long wOff, long rowBytes, MemorySegment scales, int from, int to, Q8Token a, float[] y, int yOff) {
        checkBlocks(a.n);
        long scaleRow = 4L * (a.n / 32);
        if (scales.byteSize() < to * scaleRow) throw new IllegalArgumentException("block scales for " + scales.byteSize() / scaleRow + " rows, not " + to);
        int j = from;
        for (; j + ROWS <= to; j += ROWS) q8_0Four(w, wOff + j * rowBytes, rowBytes, scales, j * scaleRow, a, y, yOff + j);
        for (; j < to; j++) y[yOff + j] = q8_0One(w, wOff + j * rowBytes, scales, j * scaleRow, a);
    }

    /**
     * The F16 block scales of rows {@code [0, rows)} of a Q8_0 or Q4_0 matrix ({@code blockBytes} 34 or
     * 18, the scale leading each block), decoded to floats: row {@code j}'s {@code n / 32} scales from
     * byte {@code 4·j·(n/32)}, off the heap. Decoding a scale in the kernels' inner loop (scalar load,
     * F16 conversion, broadcast) cost as much as the block's weights; from this table it is one
     * broadcast load. The price is 4 bytes per block of memory and traffic (+12% for Q8_0, +22% Q4_0).
     */
    public static MemorySegment blockScales(MemorySegment w, long wOff, long rowBytes, int rows, int n, int blockBytes) {
        checkBlocks(n);
        int nb = n / 32;
        MemorySegment t = Arena.ofAuto().allocate(4L * rows * nb, 64);
        for (int j = 0; j < rows; j++) {
            for (int b = 0; b < nb; b++) t.setAtIndex(SCALE, (long) j * nb + b, half(w, wOff + j * rowBytes + (long) blockBytes * b));
        }
        return t;
    }

    // Per block and row: the int8 weights widened to float (exact) times the activations' values with
    // FMA from zero: every product and partial sum is an integer below 2^24, so the block's float sum is
    // exact, as ggml's integer one; then it is scaled by d_w·d_a into the row's accumulator. For
    // LANES = 16 the inner loop is two straight steps (C2 unrolls it away).

    private static void q8_0Four(MemorySegment w, long r0, long rowBytes, MemorySegment scales, long t0, Q8Token a, float[] y, int yo) {
        int nb = a.n / 32;
        float[] aq = a.qf;
        float[] ad = a.d;
        long r1 = r0 + rowBytes, r2 = r1 + rowBytes, r3 = r2 + rowBytes;
        long t1 = t0 + 4L * nb, t2 = t1 + 4L * nb, t3 = t2 + 4L * nb;
        FloatVector acc0 = FloatVector.zero(F), acc1 = acc0, acc2 = acc0, acc3 = acc0;
        for (int b = 0; b < nb; b++) {
            long bo = 34L * b;
            FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
            for (int c = 0; c < 32; c += LANES) {
                FloatVector av = FloatVector.fromArray(F, aq, 32 * b + c);
                long q = bo + 2 + c;
                s0 = ((FloatVector) ByteVector.fromMemorySegment(BI, w, r0 + q, LE).convertShape(VectorOperators.B2F, F, 0)).fma(av, s0);
                s1 = ((FloatVector) ByteVector.fromMemorySegment(BI, w, r1 + q, LE).convertShape(VectorOperators.B2F, F, 0)).fma(av, s1);
                s2 = ((FloatVector) ByteVector.fromMemorySegment(BI, w, r2 + q, LE).convertShape(VectorOperators.B2F, F, 0)).fma(av, s2);
                s3 = ((FloatVector) ByteVector.fromMemorySegment(BI, w, r3 + q, LE).convertShape(VectorOperators.B2F, F, 0)).fma(av, s3);
            }
            // d_w·d_a as two broadcasts multiplied lane-wise: the same float as the scalar product
            FloatVector da = FloatVector.broadcast(F, ad[b]);
            long sb = 4L * b;
            acc0 = s0.fma(FloatVector.broadcast(F, scales.get(SCALE, t0 + sb)).mul(da), acc0);
            acc1 = s1.fma(FloatVector.broadcast(F, scales.get(SCALE, t1 + sb)).mul(da), acc1);
            acc2 = s2.fma(FloatVector.broadcast(F, scales.get(SCALE, t2 + sb)).mul(da), acc2);
            acc3 = s3.fma(FloatVector.broadcast(F, scales.get(SCALE, t3 + sb)).mul(da), acc3);
        }
        y[yo] = acc0.reduceLanes(VectorOperators.ADD);
        y[yo + 1] = acc1.reduceLanes(VectorOperators.ADD);
        y[yo + 2] = acc2.reduceLanes(VectorOperators.ADD);
        y[yo + 3] = acc3.reduceLanes(VectorOperators.ADD);
    }

    private static float q8_0One(MemorySegment w, long r0, MemorySegment scales, long t0, Q8Token a) {
        int nb = a.n / 32;
        float[] aq = a.qf;
        float[] ad = a.d;
        FloatVector acc0 = FloatVector.zero(F);
        for (int b = 0; b < nb; b++) {
            long bo = 34L * b;
            FloatVector s0 = FloatVector.zero(F);
            for (int c = 0; c < 32; c += LANES) {
                s0 = ((FloatVector) ByteVector.fromMemorySegment(BI, w, r0 + bo + 2 + c, LE).convertShape(VectorOperators.B2F, F, 0))
                        .fma(FloatVector.fromArray(F, aq, 32 * b + c), s0);
            }
            acc0 = s0.fma(FloatVector.broadcast(F, scales.get(SCALE, t0 + 4L * b)).mul(ad[b]), acc0);
        }
        return acc0.reduceLanes(VectorOperators.ADD);
    }

    /** Scalar twin of one Q8_0 row's dot: ggml's reference order (per block: exact int sum, then {@code sumf += sumi·(d_w·d_a)}). */
    public static float dotQ8_0Reference(MemorySegment w, long row, int n, int[] aq, float[] ad) {
        float sumf = 0;
        for (int b = 0; b < n / 32; b++) {
            int sumi = 0;
            for (int i = 0; i < 32; i++) sumi += w.get(ValueLayout.JAVA_BYTE, row + 34L * b + 2 + i) * aq[32 * b + i];
            sumf += sumi * (half(w, row + 34L * b) * ad[b]);
        }
        return sumf;
    }

    // ---------------------------------------------------------------- Q4_0 × Q8_0
    //
    // As Q8_0, with each byte of quants giving two values: value i is its low nibble, value i + 16 its
    // high nibble, both taken from the byte widened to int (sign-extended, hence both masked). The
    // nibbles are unsigned: each block sum starts from the token's nibbleBias (−8·Σa over the block),
    // which makes it Σ (nibble − 8)·a, exact as in Q8_0.

    /** As {@link #q8_0Rows(MemorySegment, long, long, int, int, Q8Token, float[], int)} for a Q4_0 matrix. */
    public static void q4_0Rows(MemorySegment w, long wOff, long rowBytes, int from, int to, Q8Token a, float[] y, int yOff) {
        checkBlocks(a.n);
        q4_0Rows(w, wOff, rowBytes, blockScales(w, wOff, rowBytes, to, a.n, 18), from, to, a, y, yOff);
    }

    /** As above with the matrix's block scales decoded by {@link #blockScales}. */
    public static void q4_0Rows(MemorySegment w, long wOff, long rowBytes, MemorySegment scales, int from, int to, Q8Token a, float[] y, int yOff) {
        checkBlocks(a.n);
        long scaleRow = 4L * (a.n / 32);
        if (scales.byteSize() < to * scaleRow) throw new IllegalArgumentException("block scales for " + scales.byteSize() / scaleRow + " rows, not " + to);
        int j = from;
        for (; j + ROWS <= to; j += ROWS) q4_0Four(w, wOff + j * rowBytes, rowBytes, scales, j * scaleRow, a, y, yOff + j);
        for (; j < to; j++) y[yOff + j] = q4_0One(w, wOff + j * rowBytes, scales, j * scaleRow, a);
    }

    private static void q4_0Four(MemorySegment w, long r0, long rowBytes, MemorySegment scales, long t0, Q8Token a, float[] y, int yo) {
        int nb = a.n / 32;
        float[] aq = a.qf, bias = a.nibbleBias;
        float[] ad = a.d;
        long r1 = r0 + rowBytes, r2 = r1 + rowBytes, r3 = r2 + rowBytes;
        long t1 = t0 + 4L * nb, t2 = t1 + 4L * nb, t3 = t2 + 4L * nb;
        FloatVector acc0 = FloatVector.zero(F), acc1 = acc0, acc2 = acc0, acc3 = acc0;
        for (int b = 0; b < nb; b++) {
            long bo = 18L * b;
            FloatVector s0 = FloatVector.fromArray(F, bias, b * LANES), s1 = s0, s2 = s0, s3 = s0;
            for (int c = 0; c < 16; c += LANES) {
                FloatVector lo = FloatVector.fromArray(F, aq, 32 * b + c), hi = FloatVector.fromArray(F, aq, 32 * b + 16 + c);
                long q = bo + 2 + c;
                IntVector z0 = (IntVector) ByteVector.fromMemorySegment(BI, w, r0 + q, LE).convertShape(VectorOperators.B2I, I, 0);
                IntVector z1 = (IntVector) ByteVector.fromMemorySegment(BI, w, r1 + q, LE).convertShape(VectorOperators.B2I, I, 0);
                IntVector z2 = (IntVector) ByteVector.fromMemorySegment(BI, w, r2 + q, LE).convertShape(VectorOperators.B2I, I, 0);
                IntVector z3 = (IntVector) ByteVector.fromMemorySegment(BI, w, r3 + q, LE).convertShape(VectorOperators.B2I, I, 0);
                s0 = ((FloatVector) z0.lanewise(VectorOperators.LSHR, 4).and(0xF).convert(VectorOperators.I2F, 0)).fma(hi, ((FloatVector) z0.and(0xF).convert(VectorOperators.I2F, 0)).fma(lo, s0));
                s1 = ((FloatVector) z1.lanewise(VectorOperators.LSHR, 4).and(0xF).convert(VectorOperators.I2F, 0)).fma(hi, ((FloatVector) z1.and(0xF).convert(VectorOperators.I2F, 0)).fma(lo, s1));
                s2 = ((FloatVector) z2.lanewise(VectorOperators.LSHR, 4).and(0xF).convert(VectorOperators.I2F, 0)).fma(hi, ((FloatVector) z2.and(0xF).convert(VectorOperators.I2F, 0)).fma(lo, s2));
                s3 = ((FloatVector) z3.lanewise(VectorOperators.LSHR, 4).and(0xF).convert(VectorOperators.I2F, 0)).fma(hi, ((FloatVector) z3.and(0xF).convert(VectorOperators.I2F, 0)).fma(lo, s3));
            }
            // d_w·d_a as two broadcasts multiplied lane-wise: the same float as the scalar product
            FloatVector da = FloatVector.broadcast(F, ad[b]);
            long sb = 4L * b;
            acc0 = s0.fma(FloatVector.broadcast(F, scales.get(SCALE, t0 + sb)).mul(da), acc0);
            acc1 = s1.fma(FloatVector.broadcast(F, scales.get(SCALE, t1 + sb)).mul(da), acc1);
            acc2 = s2.fma(FloatVector.broadcast(F, scales.get(SCALE, t2 + sb)).mul(da), acc2);
            acc3 = s3.fma(FloatVector.broadcast(F, scales.get(SCALE, t3 + sb)).mul(da), acc3);
        }
        y[yo] = acc0.reduceLanes(VectorOperators.ADD);
        y[yo + 1] = acc1.reduceLanes(VectorOperators.ADD);
        y[yo + 2] = acc2.reduceLanes(VectorOperators.ADD);
        y[yo + 3] = acc3.reduceLanes(VectorOperators.ADD);
    }

    private static float q4_0One(MemorySegment w, long r0, MemorySegment scales, long t0, Q8Token a) {
        int nb = a.n / 32;
        float[] aq = a.qf, bias = a.nibbleBias;
        float[] ad = a.d;
        FloatVector acc0 = FloatVector.zero(F);
        for (int b = 0; b < nb; b++) {
            long bo = 18L * b;
            FloatVector s0 = FloatVector.fromArray(F, bias, b * LANES);
            for (int c = 0; c < 16; c += LANES) {
                IntVector z0 = (IntVector) ByteVector.fromMemorySegment(BI, w, r0 + bo + 2 + c, LE).convertShape(VectorOperators.B2I, I, 0);
                s0 = ((FloatVector) z0.lanewise(VectorOperators.LSHR, 4).and(0xF).convert(VectorOperators.I2F, 0))
                        .fma(FloatVector.fromArray(F, aq, 32 * b + 16 + c), ((FloatVector) z0.and(0xF).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, aq, 32 * b + c), s0));
            }
            acc0 = s0.fma(FloatVector.broadcast(F, scales.get(SCALE, t0 + 4L * b)).mul(ad[b]), acc0);
        }
        return acc0.reduceLanes(VectorOperators.ADD);
    }

    /** Scalar twin of one Q4_0 row's dot, in ggml's reference order. */
    public static float dotQ4_0Reference(MemorySegment w, long row, int n, int[] aq, float[] ad) {
        float sumf = 0;
        for (int b = 0; b < n / 32; b++) {
            int sumi = 0;
            for (int i = 0; i < 16; i++) {
                int v = w.get(ValueLayout.JAVA_BYTE, row + 18L * b + 2 + i) & 0xFF;
                sumi += ((v & 0xF) - 8) * aq[32 * b + i] + ((v >> 4) - 8) * aq[32 * b + 16 + i];
            }
            sumf += sumi * half(w, row + 18L * b) * ad[b];
        }
        return sumf;
    }

    // ---------------------------------------------------------------- Q4_K, Q6_K × Q8_K

    private static final ValueLayout.OfFloat LE_FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);

    /** Checks a Q8_K row length and sizes {@code out} for it (grown on demand, reused across tokens); returns {@code n}. */
    private static int sizeForQ8K(int n, Q8Token out) {
        if (n < 0 || n % 256 != 0) throw new IllegalArgumentException("row length " + n + " is not a multiple of 256");
        out.n = n;
        if (out.q.length < n) {
            out.q = new int[n];
            out.qs = new short[n];
        }
        if (out.kScale.length < n / 256) {
            out.kScale = new float[n / 256];
            out.bsums = new int[n / 16];
        }
        return n;
    }

    /**
     * Reads one token's Q8_K row ({@code n / 256} blocks of f32 d, 256 int8, 16 int16 sums, as the Q8_K
     * codec writes them) into the kernels' layout.
     */
    public static void loadQ8K(MemorySegment src, long off, int n, Q8Token out) {
        sizeForQ8K(n, out);
        for (int b = 0; b < n / 256; b++) {
            long o = off + 292L * b;
            out.kScale[b] = src.get(LE_FLOAT, o);
            for (int c = 0; c < 256; c += LANES) {
                ByteVector v = ByteVector.fromMemorySegment(BI, src, o + 4 + c, LE);
                ((IntVector) v.convertShape(VectorOperators.B2I, I, 0)).intoArray(out.q, 256 * b + c);
                ((ShortVector) v.convertShape(VectorOperators.B2S, S, 0)).intoArray(out.qs, 256 * b + c);
            }
            for (int g = 0; g < 16; g++) out.bsums[16 * b + g] = src.get(LE_SHORT, o + 260 + 2L * g);
        }
        KQuantMatVec.prepare(out);
    }

    /**
     * Quantizes {@code x[off, off + n)} to Q8_K straight into {@code out}: the same values, scales and sums as
     * the Q8_K codec's {@code quantize_row_q8_K_ref} followed by {@link #loadQ8K}, without the byte row
     * in between. Per 256 values: the signed value of largest magnitude (the first, on ties), {@code iscale =
     * −127/max}, levels {@code min(127, nearest_int(iscale·x))} (ggml's magic-number rounding, half to even),
     * {@code d = 1/iscale}; an all-zero block is d = 0, levels 0.
     */
    public static void quantizeQ8K(float[] x, int off, int n, Q8Token out) {
        java.util.Objects.checkFromIndexSize(off, sizeForQ8K(n, out), x.length);
        for (int b = 0; b < n / 256; b++) {
            int xo = off + 256 * b;
            FloatVector m = FloatVector.zero(F);
            for (int i = 0; i < 256; i += LANES) m = m.max(FloatVector.fromArray(F, x, xo + i).abs());
            float amax = m.reduceLanes(VectorOperators.MAX);
            if (!Float.isFinite(amax)) throw new IllegalArgumentException("cannot quantize a non-finite activation");
            if (amax == 0) {
                out.kScale[b] = 0;
                java.util.Arrays.fill(out.q, 256 * b, 256 * b + 256, 0);
                java.util.Arrays.fill(out.qs, 256 * b, 256 * b + 256, (short) 0);
                java.util.Arrays.fill(out.bsums, 16 * b, 16 * b + 16, 0);
                continue;
            }
            float max = 0;
            for (int i = 0; i < 256; i += LANES) {
                FloatVector v = FloatVector.fromArray(F, x, xo + i);
                var hit = v.abs().compare(VectorOperators.EQ, amax);
                if (hit.anyTrue()) {
                    max = v.lane(hit.firstTrue());
                    break;
                }
            }
            float iscale = -127.f / max;
            FloatVector vs = FloatVector.broadcast(F, iscale), magic = FloatVector.broadcast(F, 12582912.f);
            for (int i = 0; i < 256; i += LANES) {
                IntVector bits = (IntVector) FloatVector.fromArray(F, x, xo + i).mul(vs).add(magic).convert(VectorOperators.REINTERPRET_F2I, 0);
                IntVector lv = bits.and(0x007fffff).sub(0x00400000).min(127);
                lv.intoArray(out.q, 256 * b + i);
                ((ShortVector) lv.convertShape(VectorOperators.I2S, S, 0)).intoArray(out.qs, 256 * b + i);
            }
            for (int g = 0; g < 16; g++) {
                int sum = 0;
                for (int i = 256 * b + 16 * g; i < 256 * b + 16 * g + 16; i++) sum += out.q[i];
                out.bsums[16 * b + g] = sum;
            }
            out.kScale[b] = 1 / iscale;
        }
        KQuantMatVec.prepare(out);
    }

    /**
     * Rows {@code [from, to)} of a Q4_K matrix against a Q8_K token ({@link #loadQ8K}): {@link KQuantMatVec}
     * (exact integer sums per block, one float accumulator per row, ggml's bsums for the min terms).
     */
    public static void q4_KRows(MemorySegment w, long wOff, long rowBytes, int from, int to, Q8Token a, float[] y, int yOff) {
        KQuantMatVec.q4_KRows(w, wOff, rowBytes, from, to, a, y, yOff);
    }

    /** Rows {@code [from, to)} of a Q6_K matrix against a Q8_K token: {@link KQuantMatVec}. */
    public static void q6_KRows(MemorySegment w, long wOff, long rowBytes, int from, int to, Q8Token a, float[] y, int yOff) {
        KQuantMatVec.q6_KRows(w, wOff, rowBytes, from, to, a, y, yOff);
    }

    // ---------------------------------------------------------------- F16 × F32

    /**
     * {@code y[yOff + j] = row_j · x} for rows {@code [from, to)} of an F16 matrix ({@code n} values per
     * row, row {@code j} at {@code w + wOff + j·rowBytes}); {@code x[xOff, xOff + n)} are the activations,
     * F16-rounded as ggml's are (the caller rounds them). Weights are widened exactly, never to a subnormal float (see f16FourFinite).
     * Rows holding an infinite or NaN weight are
     * recomputed with scalar conversions, so they give what IEEE arithmetic gives.
     */
    public static void f16Rows(MemorySegment w, long wOff, long rowBytes, int n, int from, int to, float[] x, int xOff, float[] y, int yOff) {
        int j = from;
        for (; j + ROWS <= to; j += ROWS) {
            long r0 = wOff + j * rowBytes;
            if (f16Four(w, r0, rowBytes, n, x, xOff, y, yOff + j)) {
                for (int r = 0; r < ROWS; r++) y[yOff + j + r] = f16DotScalar(w, r0 + r * rowBytes, n, x, xOff);
            }
        }
        for (; j < to; j++) y[yOff + j] = f16One(w, wOff + j * rowBytes, n, x, xOff);
    }

    /**
     * As {@link #f16Rows} for a matrix known to hold no Inf or NaN ({@link #f16AllFinite}): the same
     * arithmetic without the per-vector check, which is two of the inner loop's five operations.
     */
    public static void f16RowsFinite(MemorySegment w, long wOff, long rowBytes, int n, int from, int to, float[] x, int xOff, float[] y, int yOff) {
        int j = from;
        for (; j + ROWS <= to; j += ROWS) f16FourFinite(w, wOff + j * rowBytes, rowBytes, n, x, xOff, y, yOff + j);
        for (; j < to; j++) y[yOff + j] = f16One(w, wOff + j * rowBytes, n, x, xOff);
    }

    /** True if none of the {@code count} F16 values at {@code w + off} is an Inf or NaN (exponent field all ones). */
    public static boolean f16AllFinite(MemorySegment w, long off, long count) {
        long bound = count - count % LANES;
        IntVector special = IntVector.zero(I);
        for (long i = 0; i < bound; i += LANES) {
            IntVector h = (IntVector) ByteVector.fromMemorySegment(BH, w, off + 2 * i, LE).reinterpretAsShorts().convertShape(VectorOperators.S2I, I, 0);
            special = special.max(h.and(0x7C00));
        }
        if (special.reduceLanes(VectorOperators.MAX) == 0x7C00) return false;
        for (long i = bound; i < count; i++) if ((w.get(LE_SHORT, off + 2 * i) & 0x7C00) == 0x7C00) return false;
        return true;
    }

    private static void f16FourFinite(MemorySegment w, long r0, long rowBytes, int n, float[] x, int xOff, float[] y, int yo) {
        int bound = n - n % LANES;
        long r1 = r0 + rowBytes, r2 = r1 + rowBytes, r3 = r2 + rowBytes;
        FloatVector acc0 = FloatVector.zero(F), acc1 = acc0, acc2 = acc0, acc3 = acc0;
        for (int i = 0; i < bound; i += LANES) {
            FloatVector xv = FloatVector.fromArray(F, x, xOff + i);
            long o = 2L * i;
            IntVector h0 = ((IntVector) ByteVector.fromMemorySegment(BH, w, r0 + o, LE).reinterpretAsShorts().convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 13).and(0x8FFF_FFFF);
            IntVector h1 = ((IntVector) ByteVector.fromMemorySegment(BH, w, r1 + o, LE).reinterpretAsShorts().convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 13).and(0x8FFF_FFFF);
            IntVector h2 = ((IntVector) ByteVector.fromMemorySegment(BH, w, r2 + o, LE).reinterpretAsShorts().convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 13).and(0x8FFF_FFFF);
            IntVector h3 = ((IntVector) ByteVector.fromMemorySegment(BH, w, r3 + o, LE).reinterpretAsShorts().convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 13).and(0x8FFF_FFFF);
            // Widening, exact and never subnormal: +112 on the exponent field is the value of a normal F16; an F16
            // subnormal or zero (exponent 0, the lanes below 2^-14) comes out as ±2^-15·(1 + m/1024), and
            // 2v ∓ 2^-14 (both steps exact) is its value ±m·2^-24. A subnormal float input costs the FMA a
            // microcode assist: the earlier form (the bits read as value·2^-112, activations scaled by 2^112) made
            // every F16 subnormal weight one — ~1 in 400 of a trained matrix — and ran 1.25x slower than this
            // (MatVecKernelCpuTime F16; 2.3x slower than weights without subnormals). Written out: a helper
            // method or a static vector constant here cost 5-8x.
            FloatVector v0 = h0.add(0x3800_0000).reinterpretAsFloats(), v1 = h1.add(0x3800_0000).reinterpretAsFloats();
            FloatVector v2 = h2.add(0x3800_0000).reinterpretAsFloats(), v3 = h3.add(0x3800_0000).reinterpretAsFloats();
            VectorMask<Float> m0 = v0.abs().compare(VectorOperators.LT, 0x1p-14f), m1 = v1.abs().compare(VectorOperators.LT, 0x1p-14f);
            VectorMask<Float> m2 = v2.abs().compare(VectorOperators.LT, 0x1p-14f), m3 = v3.abs().compare(VectorOperators.LT, 0x1p-14f);
            v0 = v0.blend(v0.add(v0).add(h0.and(0x8000_0000).lanewise(VectorOperators.XOR, 0xB880_0000).reinterpretAsFloats()), m0);
            v1 = v1.blend(v1.add(v1).add(h1.and(0x8000_0000).lanewise(VectorOperators.XOR, 0xB880_0000).reinterpretAsFloats()), m1);
            v2 = v2.blend(v2.add(v2).add(h2.and(0x8000_0000).lanewise(VectorOperators.XOR, 0xB880_0000).reinterpretAsFloats()), m2);
            v3 = v3.blend(v3.add(v3).add(h3.and(0x8000_0000).lanewise(VectorOperators.XOR, 0xB880_0000).reinterpretAsFloats()), m3);
            acc0 = v0.fma(xv, acc0);
            acc1 = v1.fma(xv, acc1);
            acc2 = v2.fma(xv, acc2);
            acc3 = v3.fma(xv, acc3);
        }
        float s0 = acc0.reduceLanes(VectorOperators.ADD), s1 = acc1.reduceLanes(VectorOperators.ADD);
        float s2 = acc2.reduceLanes(VectorOperators.ADD), s3 = acc3.reduceLanes(VectorOperators.ADD);
        for (int i = bound; i < n; i++) {
            float xi = x[xOff + i];
            s0 += half(w, r0 + 2L * i) * xi;
            s1 += half(w, r1 + 2L * i) * xi;
            s2 += half(w, r2 + 2L * i) * xi;
            s3 += half(w, r3 + 2L * i) * xi;
        }
        y[yo] = s0;
        y[yo + 1] = s1;
        y[yo + 2] = s2;
        y[yo + 3] = s3;
    }

    /** Four rows; true if one holds an Inf or NaN (the caller then recomputes them). */
    private static boolean f16Four(MemorySegment w, long r0, long rowBytes, int n, float[] x, int xOff, float[] y, int yo) {
        int bound = n - n % LANES;
        long r1 = r0 + rowBytes, r2 = r1 + rowBytes, r3 = r2 + rowBytes;
        FloatVector acc0 = FloatVector.zero(F), acc1 = acc0, acc2 = acc0, acc3 = acc0;
        IntVector special = IntVector.zero(I);
        for (int i = 0; i < bound; i += LANES) {
            FloatVector xv = FloatVector.fromArray(F, x, xOff + i);
            long o = 2L * i;
            // sign-extended F16 bits << 13, masked: sign | (|h| << 13), turned into the float below
            IntVector h0 = ((IntVector) ByteVector.fromMemorySegment(BH, w, r0 + o, LE).reinterpretAsShorts().convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 13).and(0x8FFF_FFFF);
            IntVector h1 = ((IntVector) ByteVector.fromMemorySegment(BH, w, r1 + o, LE).reinterpretAsShorts().convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 13).and(0x8FFF_FFFF);
            IntVector h2 = ((IntVector) ByteVector.fromMemorySegment(BH, w, r2 + o, LE).reinterpretAsShorts().convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 13).and(0x8FFF_FFFF);
            IntVector h3 = ((IntVector) ByteVector.fromMemorySegment(BH, w, r3 + o, LE).reinterpretAsShorts().convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 13).and(0x8FFF_FFFF);
            special = special.max(h0.and(EXP)).max(h1.and(EXP)).max(h2.and(EXP)).max(h3.and(EXP));
            // as f16FourFinite (special lanes come out finite and wrong; the row is then recomputed)
            FloatVector v0 = h0.add(0x3800_0000).reinterpretAsFloats();
            v0 = v0.blend(v0.add(v0).add(h0.and(0x8000_0000).lanewise(VectorOperators.XOR, 0xB880_0000).reinterpretAsFloats()), v0.abs().compare(VectorOperators.LT, 0x1p-14f));
            FloatVector v1 = h1.add(0x3800_0000).reinterpretAsFloats();
            v1 = v1.blend(v1.add(v1).add(h1.and(0x8000_0000).lanewise(VectorOperators.XOR, 0xB880_0000).reinterpretAsFloats()), v1.abs().compare(VectorOperators.LT, 0x1p-14f));
            FloatVector v2 = h2.add(0x3800_0000).reinterpretAsFloats();
            v2 = v2.blend(v2.add(v2).add(h2.and(0x8000_0000).lanewise(VectorOperators.XOR, 0xB880_0000).reinterpretAsFloats()), v2.abs().compare(VectorOperators.LT, 0x1p-14f));
            FloatVector v3 = h3.add(0x3800_0000).reinterpretAsFloats();
            v3 = v3.blend(v3.add(v3).add(h3.and(0x8000_0000).lanewise(VectorOperators.XOR, 0xB880_0000).reinterpretAsFloats()), v3.abs().compare(VectorOperators.LT, 0x1p-14f));
            acc0 = v0.fma(xv, acc0);
            acc1 = v1.fma(xv, acc1);
            acc2 = v2.fma(xv, acc2);
            acc3 = v3.fma(xv, acc3);
        }
        float s0 = acc0.reduceLanes(VectorOperators.ADD), s1 = acc1.reduceLanes(VectorOperators.ADD);
        float s2 = acc2.reduceLanes(VectorOperators.ADD), s3 = acc3.reduceLanes(VectorOperators.ADD);
        for (int i = bound; i < n; i++) {
            float xi = x[xOff + i];
            s0 += half(w, r0 + 2L * i) * xi;
            s1 += half(w, r1 + 2L * i) * xi;
            s2 += half(w, r2 + 2L * i) * xi;
            s3 += half(w, r3 + 2L * i) * xi;
        }
        y[yo] = s0;
        y[yo + 1] = s1;
        y[yo + 2] = s2;
        y[yo + 3] = s3;
        return special.reduceLanes(VectorOperators.MAX) == EXP;
    }

    private static float f16One(MemorySegment w, long r0, int n, float[] x, int xOff) {
        int bound = n - n % LANES;
        FloatVector acc0 = FloatVector.zero(F);
        IntVector special = IntVector.zero(I);
        for (int i = 0; i < bound; i += LANES) {
            IntVector h0 = ((IntVector) ByteVector.fromMemorySegment(BH, w, r0 + 2L * i, LE).reinterpretAsShorts().convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 13).and(0x8FFF_FFFF);
            special = special.max(h0.and(EXP));
            FloatVector v0 = h0.add(0x3800_0000).reinterpretAsFloats(); // as f16FourFinite
            v0 = v0.blend(v0.add(v0).add(h0.and(0x8000_0000).lanewise(VectorOperators.XOR, 0xB880_0000).reinterpretAsFloats()), v0.abs().compare(VectorOperators.LT, 0x1p-14f));
            acc0 = v0.fma(FloatVector.fromArray(F, x, xOff + i), acc0);
        }
        float s0 = acc0.reduceLanes(VectorOperators.ADD);
        for (int i = bound; i < n; i++) s0 += half(w, r0 + 2L * i) * x[xOff + i];
        return special.reduceLanes(VectorOperators.MAX) == EXP ? f16DotScalar(w, r0, n, x, xOff) : s0;
    }

    /** The F16 exponent field after the shift by 13: all ones means Inf or NaN. */
    private static final int EXP = 0x1F << 23;

    /** Scalar twin of an F16 row's dot (sequential float sum), also the path for rows with Inf/NaN weights. */
    public static float f16DotScalar(MemorySegment w, long row, int n, float[] x, int xOff) {
        float s = 0;
        for (int i = 0; i < n; i++) s += half(w, row + 2L * i) * x[xOff + i];
        return s;
    }
}
