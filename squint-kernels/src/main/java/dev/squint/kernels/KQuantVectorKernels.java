package dev.squint.kernels;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Vector API kernels for the two K-quants that dominate inference, Q4_K and Q6_K: dequantize a
 * row, and dot a row with a Q8_K row. Their scalar twins are the Q4_K / Q6_K codecs in
 * {@code dev.squint.core.codec} (ggml's generic C), and the results here are <b>bit-identical</b>
 * to them, not merely close:
 *
 * <ul>
 *   <li>dequantize: every value is the same single float expression as the scalar code
 *       ({@code d1·q − m1}, {@code (d·sc)·q}), just eight or sixteen at a time;</li>
 *   <li>dot: the per-block integer sums are exact in any order, and ggml folds them into eight
 *       float accumulators by position mod 8. The int lanes here hold positions mod {@code L}
 *       (L = 8 or 16), which fold exactly into ggml's eight, so the float work per block (one
 *       scale times eight integer sums) and the final eight-way sum are ggml's own.</li>
 * </ul>
 *
 * Species are chosen once: 16 int/float lanes where the CPU has 512-bit vectors, otherwise 8.
 * Blocks are 256 values, so every loop runs a whole number of vector steps (no tails); n must be
 * a multiple of 256, as for the scalar codecs.
 */
public final class KQuantVectorKernels {
    private static final int QK_K = 256;
    private static final int Q4K_BYTES = 144;
    private static final int Q6K_BYTES = 210;
    private static final int Q8K_BYTES = 292;
    private static final int Q8K_QS = 4;
    private static final int Q8K_BSUMS = 260;

    /** Int/float lanes per step: 16 on 512-bit hardware, else 8 (both fold into ggml's 8 lanes). */
    static final VectorSpecies<Integer> INTS = IntVector.SPECIES_PREFERRED.length() >= 16 ? IntVector.SPECIES_512 : IntVector.SPECIES_256;
    static final VectorSpecies<Float> FLOATS = INTS.length() == 16 ? FloatVector.SPECIES_512 : FloatVector.SPECIES_256;
    /** Bytes loaded per step, one per int lane. */
    static final VectorSpecies<Byte> BYTES = INTS.length() == 16 ? ByteVector.SPECIES_128 : ByteVector.SPECIES_64;
    private static final int L = INTS.length();

    private static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat LE_FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private KQuantVectorKernels() {}

    /** The lane count in use (8 or 16), for reports and tests. */
    public static int lanes() {
        return L;
    }

    private static int blocks(int n) {
        if (n < 0 || n % QK_K != 0) throw new IllegalArgumentException("row length " + n + " is not a multiple of " + QK_K);
        return n / QK_K;
    }

    private static float fp16(MemorySegment s, long off) {
        return Float.float16ToFloat(s.get(LE_SHORT, off));
    }

    private static int u8(MemorySegment s, long off) {
        return s.get(ValueLayout.JAVA_BYTE, off) & 0xFF;
    }

    /** get_scale_min_k4's scale half, read from the 12 packed bytes at {@code q}. */
    private static int scaleK4(MemorySegment s, long q, int j) {
        if (j < 4) return u8(s, q + j) & 63;
        return (u8(s, q + j + 4) & 0xF) | ((u8(s, q + j - 4) >> 6) << 4);
    }

    private static int minK4(MemorySegment s, long q, int j) {
        if (j < 4) return u8(s, q + j + 4) & 63;
        return (u8(s, q + j + 4) >> 4) | ((u8(s, q + j) >> 6) << 4);
    }

    private static FloatVector toFloats(ByteVector b) {
        return (FloatVector) b.convertShape(VectorOperators.B2F, FLOATS, 0);
    }

    private static IntVector toInts(ByteVector b) {
        return (IntVector) b.convertShape(VectorOperators.B2I, INTS, 0);
    }

    // ---------------------------------------------------------------- Q4_K

    /** Dequantizes a Q4_K row of {@code n} values, bit-identical to the scalar Q4_K codec. */
    public static void dequantizeQ4K(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
        int nb = blocks(n);
        java.util.Objects.checkFromIndexSize(dstOffset, n, dst.length);
        for (int i = 0; i < nb; i++) {
            long b = srcOffset + (long) i * Q4K_BYTES;
            float d = fp16(src, b), min = fp16(src, b + 2);
            int y = dstOffset + QK_K * i;
            for (int c = 0; c < 4; c++) {
                float d1 = d * scaleK4(src, b + 4, 2 * c), m1 = min * minK4(src, b + 4, 2 * c);
                float d2 = d * scaleK4(src, b + 4, 2 * c + 1), m2 = min * minK4(src, b + 4, 2 * c + 1);
                long q = b + 16 + 32 * c;
                for (int l = 0; l < 32; l += L) {
                    ByteVector qs = ByteVector.fromMemorySegment(BYTES, src, q + l, LE);
                    ByteVector lo = qs.and((byte) 0x0F);
                    ByteVector hi = qs.lanewise(VectorOperators.LSHR, 4).and((byte) 0x0F);
                    toFloats(lo).mul(d1).sub(m1).intoArray(dst, y + 64 * c + l);
                    toFloats(hi).mul(d2).sub(m2).intoArray(dst, y + 64 * c + 32 + l);
                }
            }
        }
    }

    /** Q4_K · Q8_K over {@code n} values, bit-identical to ggml_vec_dot_q4_K_q8_K_generic. */
    public static float dotQ4K(int n, MemorySegment x, long xOffset, MemorySegment y, long yOffset) {
        int nb = blocks(n);
        int[] lanes = new int[L];
        float[] sums = new float[8];
        float sumf = 0;
        for (int i = 0; i < nb; i++) {
            long xb = xOffset + (long) i * Q4K_BYTES;
            long yb = yOffset + (long) i * Q8K_BYTES;
            // two integer accumulators: low-nibble and high-nibble sub-blocks run independently
            IntVector accLo = IntVector.zero(INTS), accHi = IntVector.zero(INTS);
            int sumi = 0;
            for (int c = 0; c < 4; c++) {
                int scLo = scaleK4(x, xb + 4, 2 * c), scHi = scaleK4(x, xb + 4, 2 * c + 1);
                sumi += (y.get(LE_SHORT, yb + Q8K_BSUMS + 8 * c) + y.get(LE_SHORT, yb + Q8K_BSUMS + 8 * c + 2)) * minK4(x, xb + 4, 2 * c)
                        + (y.get(LE_SHORT, yb + Q8K_BSUMS + 8 * c + 4) + y.get(LE_SHORT, yb + Q8K_BSUMS + 8 * c + 6)) * minK4(x, xb + 4, 2 * c + 1);
                long q = xb + 16 + 32 * c;
                long q8 = yb + Q8K_QS + 64 * c;
                for (int l = 0; l < 32; l += L) {
                    ByteVector qs = ByteVector.fromMemorySegment(BYTES, x, q + l, LE);
                    IntVector lo = toInts(qs.and((byte) 0x0F));
                    IntVector hi = toInts(qs.lanewise(VectorOperators.LSHR, 4).and((byte) 0x0F));
                    IntVector yLo = toInts(ByteVector.fromMemorySegment(BYTES, y, q8 + l, LE));
                    IntVector yHi = toInts(ByteVector.fromMemorySegment(BYTES, y, q8 + 32 + l, LE));
                    accLo = accLo.add(lo.mul(yLo).mul(scLo));
                    accHi = accHi.add(hi.mul(yHi).mul(scHi));
                }
            }
            accLo.add(accHi).intoArray(lanes, 0);
            float d = fp16(x, xb) * y.get(LE_FLOAT, yb);
            for (int l = 0; l < 8; l++) {
                int aux32 = lanes[l];
                for (int k = l + 8; k < L; k += 8) aux32 += lanes[k];
                sums[l] += d * aux32;
            }
            float dmin = fp16(x, xb + 2) * y.get(LE_FLOAT, yb);
            sumf -= dmin * sumi;
        }
        for (int l = 0; l < 8; l++) sumf += sums[l];
        return sumf;
    }

    // ---------------------------------------------------------------- Q6_K

    /** Unpacks a Q6_K block's signed levels (q − 32) into {@code a[0..256)} with byte vectors. */
    private static void unpackQ6K(MemorySegment s, long b, byte[] a) {
        for (int h = 0; h < 2; h++) {
            long ql = b + 64 * h, qh = b + 128 + 32 * h;
            int o = 128 * h;
            for (int l = 0; l < 32; l += L) {
                ByteVector ql0 = ByteVector.fromMemorySegment(BYTES, s, ql + l, LE);
                ByteVector ql1 = ByteVector.fromMemorySegment(BYTES, s, ql + 32 + l, LE);
                ByteVector hb = ByteVector.fromMemorySegment(BYTES, s, qh + l, LE);
                ql0.and((byte) 0xF).or(hb.and((byte) 3).lanewise(VectorOperators.LSHL, 4)).sub((byte) 32).intoArray(a, o + l);
                ql1.and((byte) 0xF).or(hb.lanewise(VectorOperators.LSHR, 2).and((byte) 3).lanewise(VectorOperators.LSHL, 4)).sub((byte) 32).intoArray(a, o + 32 + l);
                ql0.lanewise(VectorOperators.LSHR, 4).and((byte) 0xF).or(hb.lanewise(VectorOperators.LSHR, 4).and((byte) 3).lanewise(VectorOperators.LSHL, 4)).sub((byte) 32).intoArray(a, o + 64 + l);
                ql1.lanewise(VectorOperators.LSHR, 4).and((byte) 0xF).or(hb.lanewise(VectorOperators.LSHR, 6).and((byte) 3).lanewise(VectorOperators.LSHL, 4)).sub((byte) 32).intoArray(a, o + 96 + l);
            }
        }
    }

    /** Dequantizes a Q6_K row of {@code n} values, bit-identical to the scalar Q6_K codec. */
    public static void dequantizeQ6K(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
        int nb = blocks(n);
        java.util.Objects.checkFromIndexSize(dstOffset, n, dst.length);
        byte[] a = new byte[QK_K];
        for (int i = 0; i < nb; i++) {
            long b = srcOffset + (long) i * Q6K_BYTES;
            unpackQ6K(src, b, a);
            float d = fp16(src, b + 208);
            int y = dstOffset + QK_K * i;
            for (int k = 0; k < QK_K; k += L) {
                float ds = d * src.get(ValueLayout.JAVA_BYTE, b + 192 + k / 16); // (d·sc)·q, ggml's grouping
                toFloats(ByteVector.fromArray(BYTES, a, k)).mul(ds).intoArray(dst, y + k);
            }
        }
    }

    /** Q6_K · Q8_K over {@code n} values, bit-identical to ggml_vec_dot_q6_K_q8_K_generic. */
    public static float dotQ6K(int n, MemorySegment x, long xOffset, MemorySegment y, long yOffset) {
        int nb = blocks(n);
        byte[] a = new byte[QK_K];
        int[] lanes = new int[L];
        float[] sums = new float[8];
        for (int i = 0; i < nb; i++) {
            long xb = xOffset + (long) i * Q6K_BYTES;
            long yb = yOffset + (long) i * Q8K_BYTES;
            unpackQ6K(x, xb, a);
            // two integer accumulators over alternating halves of the block
            IntVector acc0 = IntVector.zero(INTS), acc1 = IntVector.zero(INTS);
            for (int k = 0; k < QK_K; k += 2 * L) {
                int sc0 = x.get(ValueLayout.JAVA_BYTE, xb + 192 + k / 16);
                int sc1 = x.get(ValueLayout.JAVA_BYTE, xb + 192 + (k + L) / 16);
                IntVector p0 = toInts(ByteVector.fromArray(BYTES, a, k)).mul(toInts(ByteVector.fromMemorySegment(BYTES, y, yb + Q8K_QS + k, LE)));
                IntVector p1 = toInts(ByteVector.fromArray(BYTES, a, k + L)).mul(toInts(ByteVector.fromMemorySegment(BYTES, y, yb + Q8K_QS + k + L, LE)));
                acc0 = acc0.add(p0.mul(sc0));
                acc1 = acc1.add(p1.mul(sc1));
            }
            acc0.add(acc1).intoArray(lanes, 0);
            float d = fp16(x, xb + 208) * y.get(LE_FLOAT, yb);
            for (int l = 0; l < 8; l++) {
                int aux32 = lanes[l];
                for (int k = l + 8; k < L; k += 8) aux32 += lanes[k];
                sums[l] += d * aux32;
            }
        }
        float sumf = 0;
        for (int l = 0; l < 8; l++) sumf += sums[l];
        return sumf;
    }
}
