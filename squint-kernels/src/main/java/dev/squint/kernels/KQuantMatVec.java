package dev.squint.kernels;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import static dev.squint.kernels.Species.F;
import static dev.squint.kernels.Species.I;
import static dev.squint.kernels.Species.LANES;
import static dev.squint.kernels.Species.S;

/**
 * Q4_K and Q6_K matrix × vector kernels against one token quantized to Q8_K ({@link MatVecKernels#loadQ8K}),
 * for token-by-token generation: one weight row per call, written for 512-bit vectors ({@link #WIDE}); other
 * widths take the earlier kernels ({@link #q4_KOne}, {@link #q6_KOne}).
 *
 * <p><b>512-bit kernels.</b> A row's 256-value block is read as 32-lane short vectors straight from the
 * mapped weights: each 16-bit lane holds two adjacent quant bytes, so its four nibbles are {@code s & 15},
 * {@code (s >>> 4) & 15}, {@code (s >>> 8) & 15} and {@code s >>> 12} — no widening. The token's int8 values
 * are stored once per token in the matching order ({@link #Q4K_ORDER}, {@link #Q6K_ORDER}), so a plain load
 * gives each nibble vector its activations. Products (level × int8) are summed in 16-bit lanes only while
 * the sums provably fit (Q4_K: ≤ 8 products of |15·128|; Q6_K: ≤ 4 of |63·128|), then neighbouring 16-bit
 * lanes are added into 32-bit lanes by shifting within the int (or long) lane — the same sub-block always
 * shares a lane group, so each 32-bit lane is multiplied by its sub-block scale. The block's integer sum is
 * exact; it becomes a float scaled by {@code d·d_a} and is added with FMA into the row's float vector
 * accumulator (one horizontal sum per row at the end). Q4_K's min term {@code dmin·d_a·Σ m_s·bsum_s}
 * (bsums of 32 values precomputed per token from ggml's, lanes 8..15 beside the mins' lanes) is a second
 * exact integer vector and a second FMA into the same accumulator. Q6_K's {@code −32}
 * offset, {@code −32·Σ sc_g·bsum_g}, is folded into the block's integer sum. Each row is computed by the
 * same code whatever range it falls in, so results do not depend on how rows are split between threads.
 *
 * <p>Why one row per call: a four-row version (each activation load serving four rows) was too large for
 * C1 — tier-3 compilation ran out of virtual registers, the method never reached C2 and ran ~100x slower.
 * The kernels are bound by vector ALU operations (about 65 per Q4_K block), not by the activation loads,
 * which hit L1.
 *
 * <p>Differences from ggml's scalar dots ({@code ggml_vec_dot_q4_K_q8_K_generic} etc., the codecs'
 * {@code dot}) are float rounding only: the same exact integer block sums, scaled and added in a different
 * order.
 */
final class KQuantMatVec {
    private KQuantMatVec() {}

    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);
    private static final ValueLayout.OfLong LE_LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(LE);
    private static final ValueLayout.OfInt LE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(LE);
    private static final VectorSpecies<Byte> BI = Species.B;

    /** Whether the four-row kernels run: they are written for 512-bit vectors (16 float lanes). */
    static final boolean WIDE = LANES == 16;

    private static final VectorSpecies<Byte> B64 = ByteVector.SPECIES_512;
    private static final VectorSpecies<Short> S32 = ShortVector.SPECIES_512;
    private static final VectorSpecies<Integer> I16 = IntVector.SPECIES_512;
    private static final VectorSpecies<Float> F16 = FloatVector.SPECIES_512;
    private static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    private static final VectorSpecies<Long> L2 = LongVector.SPECIES_128;
    private static final VectorSpecies<Long> L8 = LongVector.SPECIES_512;

    /**
     * Q4_K: position {@code 32·v + k} of a block's reordered activations holds value {@code Q4K_ORDER[32·v + k]}
     * of the block. Vector {@code v = 4h + t} pairs with load {@code h} (quant bytes {@code [64h, 64h + 64)},
     * short lane {@code k} = bytes {@code 64h + 2k} and {@code 64h + 2k + 1}) and nibble {@code t}: 0 the low
     * nibble of the even byte, 1 its high nibble, 2 the low nibble of the odd byte, 3 its high nibble.
     * Byte {@code m} of chunk {@code c = m / 32} holds value {@code 64c + m % 32} (low) and {@code 64c + 32 + m % 32} (high).
     */
    static final int[] Q4K_ORDER = new int[256];
    /**
     * Q6_K: as {@link #Q4K_ORDER} for half {@code h} (ql bytes {@code [64h, 64h + 64)}): ql byte {@code p}
     * holds, with {@code l = p % 32}, value {@code 128h + l} (low nibble) and {@code 128h + 64 + l} (high)
     * for {@code p < 32}, values {@code 128h + 32 + l} and {@code 128h + 96 + l} for {@code p ≥ 32}.
     */
    static final int[] Q6K_ORDER = new int[256];

    static {
        for (int h = 0; h < 2; h++) {
            for (int t = 0; t < 4; t++) {
                for (int k = 0; k < 32; k++) {
                    int l = 2 * (k % 16) + (t >= 2 ? 1 : 0);
                    int c = 2 * h + k / 16;
                    Q4K_ORDER[32 * (4 * h + t) + k] = 64 * c + (t % 2 == 1 ? 32 : 0) + l;
                    Q6K_ORDER[32 * (4 * h + t) + k] = 128 * h + (k >= 16 ? 32 : 0) + (t % 2 == 1 ? 64 : 0) + l;
                }
            }
        }
    }

    // Q4_K: after the two 16-bit pair additions, int lane j of a row's block vector holds (low half / high half)
    // sub-blocks {0,4 | 1,5} alternately for j < 8 and {2,6 | 3,7} for j >= 8 (see q4_KFour).
    private static final VectorShuffle<Integer> Q4K_LOW_SCALES = VectorShuffle.fromValues(I16, 0, 4, 0, 4, 0, 4, 0, 4, 2, 6, 2, 6, 2, 6, 2, 6);
    private static final VectorShuffle<Integer> Q4K_HIGH_SCALES = VectorShuffle.fromValues(I16, 1, 5, 1, 5, 1, 5, 1, 5, 3, 7, 3, 7, 3, 7, 3, 7);
    // Q6_K: int lane j of a half's pair sums belongs to 16-value group j / 4 (+ 4 for the high nibbles, + 8 for half 1)
    private static final VectorShuffle<Integer> Q6K_SCALES_0 = VectorShuffle.fromValues(I16, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3);
    private static final VectorShuffle<Integer> Q6K_SCALES_1 = VectorShuffle.fromValues(I16, 4, 4, 4, 4, 5, 5, 5, 5, 6, 6, 6, 6, 7, 7, 7, 7);
    private static final VectorShuffle<Integer> Q6K_SCALES_2 = VectorShuffle.fromValues(I16, 8, 8, 8, 8, 9, 9, 9, 9, 10, 10, 10, 10, 11, 11, 11, 11);
    private static final VectorShuffle<Integer> Q6K_SCALES_3 = VectorShuffle.fromValues(I16, 12, 12, 12, 12, 13, 13, 13, 13, 14, 14, 14, 14, 15, 15, 15, 15);
    // Q6_K high bits: the 32 qh bytes of a half in both 256-bit halves of the vector (long lanes)
    private static final VectorShuffle<Long> QH_HALF_0 = VectorShuffle.fromValues(L8, 0, 1, 2, 3, 0, 1, 2, 3);
    private static final VectorShuffle<Long> QH_HALF_1 = VectorShuffle.fromValues(L8, 4, 5, 6, 7, 4, 5, 6, 7);
    /** Lanes 16..31 serve ql bytes 32..63, whose two high bits sit two places higher in qh. */
    private static final ShortVector QH_SHIFT;

    static {
        short[] s = new short[32];
        for (int k = 16; k < 32; k++) s[k] = 2;
        QH_SHIFT = ShortVector.fromArray(S32, s, 0);
    }

    /** Fills the token's K-quant fields from its Q8_K values ({@code q}) and 16-value sums ({@code bsums}). */
    static void prepare(MatVecKernels.Q8Token a) {
        int n = a.n, nb = n / 256;
        if (a.k4.length < n) {
            a.k4 = new short[n];
            a.k6 = new short[n];
        }
        if (a.kMinSums.length < 16 * nb) {
            a.kMinSums = new int[16 * nb];
            a.kOffsets = new int[16 * nb];
        }
        int[] q = a.q;
        for (int b = 0; b < nb; b++) {
            int o = 256 * b;
            for (int i = 0; i < 256; i++) {
                a.k4[o + i] = (short) q[o + Q4K_ORDER[i]];
                a.k6[o + i] = (short) q[o + Q6K_ORDER[i]];
            }
            for (int s = 0; s < 8; s++) {
                a.kMinSums[16 * b + s] = 0;
                a.kMinSums[16 * b + 8 + s] = a.bsums[16 * b + 2 * s] + a.bsums[16 * b + 2 * s + 1];
            }
            for (int g = 0; g < 16; g++) a.kOffsets[16 * b + g] = -32 * a.bsums[16 * b + g];
        }
    }

    private static void checkRowLength(int n) {
        if (n % 256 != 0) throw new IllegalArgumentException("row length " + n + " is not a multiple of 256");
    }

    // ---------------------------------------------------------------- Q4_K

    static void q4_KRows(MemorySegment w, long wOff, long rowBytes, int from, int to, MatVecKernels.Q8Token a, float[] y, int yOff) {
        checkRowLength(a.n);
        if (WIDE) for (int j = from; j < to; j++) y[yOff + j] = q4_KRow(w, wOff + j * rowBytes, a);
        else for (int j = from; j < to; j++) y[yOff + j] = q4_KOne(w, wOff + j * rowBytes, a);
    }

    // One row per call, the whole block written out without helper calls: C2 must inline every Vector API
    // call (a helper it compiles separately leaves vectors boxed), and C1 must be able to compile the method
    // at all (a four-row version ran C1 out of virtual registers, so the method never left the interpreter-like
    // tier-2 code: 100x slower). The activations are re-read per row from L1 (8 loads per block, against ~60
    // vector operations). For load h, lane k of the short vector holds quant bytes 2k, 2k+1 of chunk pair
    // (2h, 2h+1): A = low-nibble products (sub-block 4h + 2(k/16)), B = high (sub-block 4h + 2(k/16) + 1), two
    // products per 16-bit lane. Level 1 adds 16-bit neighbours into each int lane (A's sums in the low half,
    // B's in the high half); level 2 adds neighbouring ints of load 0 and of load 1 into each long lane (load 0
    // low, load 1 high): long lane i then holds sub-blocks (0, 1, 4, 5) for i < 4 and (2, 3, 6, 7) for i >= 4,
    // each the sum of 8 products (|sum| <= 8·15·128 < 2^15).
    static float q4_KRow(MemorySegment w, long r, MatVecKernels.Q8Token a) {
        int nb = a.n / 256;
        short[] ak = a.k4;
        int[] minSums = a.kMinSums;
        float[] da = a.kScale;
        FloatVector acc = FloatVector.zero(F16);
        for (int i = 0; i < nb; i++) {
            int ao = 256 * i;
            ShortVector a0 = ShortVector.fromArray(S32, ak, ao), a1 = ShortVector.fromArray(S32, ak, ao + 32);
            ShortVector a2 = ShortVector.fromArray(S32, ak, ao + 64), a3 = ShortVector.fromArray(S32, ak, ao + 96);
            ShortVector a4 = ShortVector.fromArray(S32, ak, ao + 128), a5 = ShortVector.fromArray(S32, ak, ao + 160);
            ShortVector a6 = ShortVector.fromArray(S32, ak, ao + 192), a7 = ShortVector.fromArray(S32, ak, ao + 224);
            IntVector bs = IntVector.fromArray(I16, minSums, 16 * i);
            float dai = da[i];
            long x = r + 144L * i;
            // the 16-byte header (f16 d, f16 dmin, 12 scale bytes) in one load: one bounds check, not four
            LongVector head = ByteVector.fromMemorySegment(B16, w, x, LE).reinterpretAsLongs();
            long h0 = head.lane(0), h1 = head.lane(1);
            int u0 = (int) (h0 >>> 32), u1 = (int) h1, u2 = (int) (h1 >>> 32);
            long sc = (u0 & 0x3F3F3F3FL) | ((long) ((u2 & 0x0F0F0F0F) | ((u0 >>> 2) & 0x30303030)) << 32);
            long mn = (u1 & 0x3F3F3F3FL) | ((long) (((u2 >>> 4) & 0x0F0F0F0F) | ((u1 >>> 2) & 0x30303030)) << 32);
            // int lanes 0..7 the scales, 8..15 the mins
            IntVector scv = (IntVector) LongVector.broadcast(L2, sc).withLane(1, mn).reinterpretAsBytes().convertShape(VectorOperators.B2I, I16, 0);
            ShortVector q0 = ByteVector.fromMemorySegment(B64, w, x + 16, LE).reinterpretAsShorts();
            ShortVector q1 = ByteVector.fromMemorySegment(B64, w, x + 80, LE).reinterpretAsShorts();
            ShortVector pa0 = q0.and((short) 0xF).mul(a0).add(q0.lanewise(VectorOperators.LSHR, 8).and((short) 0xF).mul(a2));
            ShortVector pb0 = q0.lanewise(VectorOperators.LSHR, 4).and((short) 0xF).mul(a1).add(q0.lanewise(VectorOperators.LSHR, 12).mul(a3));
            ShortVector pa1 = q1.and((short) 0xF).mul(a4).add(q1.lanewise(VectorOperators.LSHR, 8).and((short) 0xF).mul(a6));
            ShortVector pb1 = q1.lanewise(VectorOperators.LSHR, 4).and((short) 0xF).mul(a5).add(q1.lanewise(VectorOperators.LSHR, 12).mul(a7));
            IntVector z0 = pa0.add(pa0.reinterpretAsInts().lanewise(VectorOperators.LSHR, 16).reinterpretAsShorts()).reinterpretAsInts()
                    .lanewise(VectorOperators.BITWISE_BLEND, pb0.add(pb0.reinterpretAsInts().lanewise(VectorOperators.LSHL, 16).reinterpretAsShorts()).reinterpretAsInts(), 0xFFFF0000);
            IntVector z1 = pa1.add(pa1.reinterpretAsInts().lanewise(VectorOperators.LSHR, 16).reinterpretAsShorts()).reinterpretAsInts()
                    .lanewise(VectorOperators.BITWISE_BLEND, pb1.add(pb1.reinterpretAsInts().lanewise(VectorOperators.LSHL, 16).reinterpretAsShorts()).reinterpretAsInts(), 0xFFFF0000);
            IntVector s = z0.reinterpretAsShorts().add(z0.reinterpretAsLongs().lanewise(VectorOperators.LSHR, 32).reinterpretAsShorts()).reinterpretAsLongs()
                    .lanewise(VectorOperators.BITWISE_BLEND, z1.reinterpretAsShorts().add(z1.reinterpretAsLongs().lanewise(VectorOperators.LSHL, 32).reinterpretAsShorts()).reinterpretAsLongs(), 0xFFFFFFFF00000000L)
                    .reinterpretAsInts();
            IntVector sum = s.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).mul(scv.rearrange(Q4K_LOW_SCALES))
                    .add(s.lanewise(VectorOperators.ASHR, 16).mul(scv.rearrange(Q4K_HIGH_SCALES)));
            acc = ((FloatVector) sum.convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(F16, Float.float16ToFloat((short) h0) * dai), acc);
            acc = ((FloatVector) scv.mul(bs).convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(F16, -Float.float16ToFloat((short) (h0 >>> 16)) * dai), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /**
     * One Q4_K row per pass, for vector widths other than 512 bits. Per 256-value block: the exact integer
     * {@code Σ_s sc_s · Σ q·a} in int lanes, scaled by {@code d·d_a} into a float vector accumulator; the min
     * terms {@code dmin·d_a·Σ_s m_s·bsum_s} summed in a float and subtracted at the end, as ggml's AVX kernel.
     */
    static float q4_KOne(MemorySegment w, long r0, MatVecKernels.Q8Token a) {
        int nb = a.n / 256;
        short[] aq = a.qs;
        int[] bsums = a.bsums;
        FloatVector acc = FloatVector.zero(F);
        float mins = 0;
        for (int i = 0; i < nb; i++) {
            long xb = r0 + 144L * i;
            int ab = 256 * i;
            IntVector sumi = IntVector.zero(I);
            int minSum = 0;
            // the 12 packed bytes → eight 6-bit scales (sc0123, sc4567) and mins (m0123, m4567), four per int
            // (get_scale_min_k4 for all sub-blocks at once, as ggml's AVX2 kernel unpacks them)
            long sLo = w.get(LE_LONG, xb + 4);
            int u0 = (int) sLo, u1 = (int) (sLo >>> 32), u2 = w.get(LE_INT, xb + 12);
            int sc0123 = u0 & 0x3F3F3F3F;
            int m0123 = u1 & 0x3F3F3F3F;
            int sc4567 = (u2 & 0x0F0F0F0F) | (((u0 >>> 6) & 0x03030303) << 4);
            int m4567 = ((u2 >>> 4) & 0x0F0F0F0F) | (((u1 >>> 6) & 0x03030303) << 4);
            int b16 = 16 * i;
            for (int c = 0; c < 4; c++) {
                int scs = c < 2 ? sc0123 : sc4567, ms = c < 2 ? m0123 : m4567, sh = 16 * (c & 1);
                int sc1 = (scs >>> sh) & 0xFF, sc2 = (scs >>> (sh + 8)) & 0xFF;
                minSum += ((ms >>> sh) & 0xFF) * (bsums[b16 + 4 * c] + bsums[b16 + 4 * c + 1])
                        + ((ms >>> (sh + 8)) & 0xFF) * (bsums[b16 + 4 * c + 2] + bsums[b16 + 4 * c + 3]);
                // nibble × int8 products and their sums over one sub-block lane stay below 2^15 (≤ 4·15·127)
                ShortVector pl = ShortVector.zero(S), ph = pl;
                for (int l = 0; l < 32; l += LANES) {
                    ShortVector z = (ShortVector) ByteVector.fromMemorySegment(BI, w, xb + 16 + 32L * c + l, LE).convertShape(VectorOperators.B2S, S, 0);
                    pl = pl.add(z.and((short) 0xF).mul(ShortVector.fromArray(S, aq, ab + 64 * c + l)));
                    ph = ph.add(z.lanewise(VectorOperators.LSHR, 4).and((short) 0xF).mul(ShortVector.fromArray(S, aq, ab + 64 * c + 32 + l)));
                }
                sumi = sumi.add(((IntVector) pl.convertShape(VectorOperators.S2I, I, 0)).mul(sc1))
                        .add(((IntVector) ph.convertShape(VectorOperators.S2I, I, 0)).mul(sc2));
            }
            float da = a.kScale[i];
            acc = ((FloatVector) sumi.convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(F, Float.float16ToFloat(w.get(LE_SHORT, xb)) * da), acc);
            mins += Float.float16ToFloat(w.get(LE_SHORT, xb + 2)) * da * minSum;
        }
        return acc.reduceLanes(VectorOperators.ADD) - mins;
    }

    // ---------------------------------------------------------------- Q6_K

    static void q6_KRows(MemorySegment w, long wOff, long rowBytes, int from, int to, MatVecKernels.Q8Token a, float[] y, int yOff) {
        checkRowLength(a.n);
        if (WIDE) for (int j = from; j < to; j++) y[yOff + j] = q6_KRow(w, wOff + j * rowBytes, a);
        else for (int j = from; j < to; j++) y[yOff + j] = q6_KOne(w, wOff + j * rowBytes, a);
    }

    // Block: ql[128] at 0, qh[64] at 128, 16 int8 scales at 192, f16 d at 208. Per half h, lane k of the ql
    // short vector holds ql bytes 64h + 2k, +1; lane k of the qh vector the qh bytes 2(k % 16), +1 of the half,
    // shifted right by 2 for k >= 16 (ql bytes 32..63 take qh bits 2-3 and 6-7). Two blends place the high
    // bits: "lo" holds both bytes' low nibbles with their two high bits (bits 0-5 and 8-13), "hi" the high
    // nibbles (its bits 14-15 are zero, so its upper level needs no mask). The 6-bit levels are unsigned
    // (0..63); P = low-nibble products, Q = high-nibble products, two per 16-bit lane, then each int lane
    // adds its two 16-bit neighbours (four products, |sum| <= 4·63·128 < 2^15).
    static float q6_KRow(MemorySegment w, long r, MatVecKernels.Q8Token a) {
        int nb = a.n / 256;
        short[] ak = a.k6;
        int[] offsets = a.kOffsets;
        float[] da = a.kScale;
        FloatVector acc = FloatVector.zero(F16);
        for (int i = 0; i < nb; i++) {
            int ao = 256 * i;
            IntVector off = IntVector.fromArray(I16, offsets, 16 * i);
            float dai = da[i];
            long x = r + 210L * i;
            IntVector sc = (IntVector) ByteVector.fromMemorySegment(B16, w, x + 192, LE).convertShape(VectorOperators.B2I, I16, 0);
            LongVector qh = ByteVector.fromMemorySegment(B64, w, x + 128, LE).reinterpretAsLongs();
            IntVector sum = sc.mul(off);
            // half 0, then half 1 (written out: constant shuffles)
            ShortVector l0 = ByteVector.fromMemorySegment(B64, w, x, LE).reinterpretAsShorts();
            ShortVector hb0 = qh.rearrange(QH_HALF_0).reinterpretAsShorts().lanewise(VectorOperators.LSHR, QH_SHIFT);
            ShortVector lo0 = l0.lanewise(VectorOperators.BITWISE_BLEND, hb0.lanewise(VectorOperators.LSHL, 4), (short) 0x3030);
            ShortVector hi0 = l0.lanewise(VectorOperators.LSHR, 4).lanewise(VectorOperators.BITWISE_BLEND, hb0, (short) 0x3030);
            ShortVector v00 = lo0.and((short) 0x3F), v20 = lo0.lanewise(VectorOperators.LSHR, 8).and((short) 0x3F);
            ShortVector v10 = hi0.and((short) 0x3F), v30 = hi0.lanewise(VectorOperators.LSHR, 8);
            int o0 = ao;
            IntVector p0 = v00.mul(ShortVector.fromArray(S32, ak, o0)).add(v20.mul(ShortVector.fromArray(S32, ak, o0 + 64))).reinterpretAsInts();
            IntVector q0 = v10.mul(ShortVector.fromArray(S32, ak, o0 + 32)).add(v30.mul(ShortVector.fromArray(S32, ak, o0 + 96))).reinterpretAsInts();
            sum = sum.add(p0.add(p0.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16).mul(sc.rearrange(Q6K_SCALES_0)))
                    .add(q0.add(q0.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16).mul(sc.rearrange(Q6K_SCALES_1)));
            ShortVector l1 = ByteVector.fromMemorySegment(B64, w, x + 64, LE).reinterpretAsShorts();
            ShortVector hb1 = qh.rearrange(QH_HALF_1).reinterpretAsShorts().lanewise(VectorOperators.LSHR, QH_SHIFT);
            ShortVector lo1 = l1.lanewise(VectorOperators.BITWISE_BLEND, hb1.lanewise(VectorOperators.LSHL, 4), (short) 0x3030);
            ShortVector hi1 = l1.lanewise(VectorOperators.LSHR, 4).lanewise(VectorOperators.BITWISE_BLEND, hb1, (short) 0x3030);
            ShortVector v01 = lo1.and((short) 0x3F), v21 = lo1.lanewise(VectorOperators.LSHR, 8).and((short) 0x3F);
            ShortVector v11 = hi1.and((short) 0x3F), v31 = hi1.lanewise(VectorOperators.LSHR, 8);
            int o1 = ao + 128;
            IntVector p1 = v01.mul(ShortVector.fromArray(S32, ak, o1)).add(v21.mul(ShortVector.fromArray(S32, ak, o1 + 64))).reinterpretAsInts();
            IntVector q1 = v11.mul(ShortVector.fromArray(S32, ak, o1 + 32)).add(v31.mul(ShortVector.fromArray(S32, ak, o1 + 96))).reinterpretAsInts();
            sum = sum.add(p1.add(p1.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16).mul(sc.rearrange(Q6K_SCALES_2)))
                    .add(q1.add(q1.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16).mul(sc.rearrange(Q6K_SCALES_3)));
            acc = ((FloatVector) sum.convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(F16, Float.float16ToFloat(w.get(LE_SHORT, x + 208)) * dai), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /**
     * One Q6_K row per pass, for vector widths other than 512 bits. The 6-bit levels are used unsigned
     * (0..63) in the integer sums; the {@code −32} offset comes back per block as {@code 32·Σ_g sc_g·bsum_g},
     * exact in integers.
     */
    static float q6_KOne(MemorySegment w, long r0, MatVecKernels.Q8Token a) {
        int nb = a.n / 256;
        short[] aq = a.qs;
        int[] bsums = a.bsums;
        FloatVector acc = FloatVector.zero(F);
        float offsets = 0;
        for (int i = 0; i < nb; i++) {
            long xb = r0 + 210L * i;
            int ab = 256 * i;
            IntVector sumi = IntVector.zero(I);
            long scA = w.get(LE_LONG, xb + 192), scB = w.get(LE_LONG, xb + 200); // the 16 int8 scales
            for (int h = 0; h < 2; h++) {
                long ql = xb + 64L * h, qh = xb + 128 + 32L * h;
                int o = ab + 128 * h;
                for (int l = 0; l < 32; l += LANES) {
                    // 6-bit level × int8 fits in 16 bits (≤ 63·127); the scale multiply is in int
                    ShortVector z0 = (ShortVector) ByteVector.fromMemorySegment(BI, w, ql + l, LE).convertShape(VectorOperators.B2S, S, 0);
                    ShortVector z1 = (ShortVector) ByteVector.fromMemorySegment(BI, w, ql + 32 + l, LE).convertShape(VectorOperators.B2S, S, 0);
                    ShortVector zh = (ShortVector) ByteVector.fromMemorySegment(BI, w, qh + l, LE).convertShape(VectorOperators.B2S, S, 0);
                    ShortVector v1 = z0.and((short) 0xF).or(zh.lanewise(VectorOperators.LSHL, 4).and((short) 0x30));
                    ShortVector v2 = z1.and((short) 0xF).or(zh.lanewise(VectorOperators.LSHL, 2).and((short) 0x30));
                    ShortVector v3 = z0.lanewise(VectorOperators.LSHR, 4).and((short) 0xF).or(zh.and((short) 0x30));
                    ShortVector v4 = z1.lanewise(VectorOperators.LSHR, 4).and((short) 0xF).or(zh.lanewise(VectorOperators.LSHR, 2).and((short) 0x30));
                    long sc = h == 0 ? scA : scB;
                    int g = l / 16;
                    sumi = sumi.add(((IntVector) v1.mul(ShortVector.fromArray(S, aq, o + l)).convertShape(VectorOperators.S2I, I, 0)).mul((int) (byte) (sc >>> (8 * g))))
                            .add(((IntVector) v2.mul(ShortVector.fromArray(S, aq, o + 32 + l)).convertShape(VectorOperators.S2I, I, 0)).mul((int) (byte) (sc >>> (8 * (g + 2)))))
                            .add(((IntVector) v3.mul(ShortVector.fromArray(S, aq, o + 64 + l)).convertShape(VectorOperators.S2I, I, 0)).mul((int) (byte) (sc >>> (8 * (g + 4)))))
                            .add(((IntVector) v4.mul(ShortVector.fromArray(S, aq, o + 96 + l)).convertShape(VectorOperators.S2I, I, 0)).mul((int) (byte) (sc >>> (8 * (g + 6)))));
                }
            }
            int offset = 0;
            for (int g = 0; g < 8; g++) {
                offset += (byte) (scA >>> (8 * g)) * bsums[16 * i + g] + (byte) (scB >>> (8 * g)) * bsums[16 * i + 8 + g];
            }
            float dd = Float.float16ToFloat(w.get(LE_SHORT, xb + 208)) * a.kScale[i];
            acc = ((FloatVector) sumi.convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(F, dd), acc);
            offsets += dd * (32 * offset);
        }
        return acc.reduceLanes(VectorOperators.ADD) - offsets;
    }
}
