package dev.squint.core.codec;

import dev.squint.core.GgmlType;

import java.lang.foreign.MemorySegment;

import static dev.squint.core.codec.GgmlBlockCodecs.LE_FLOAT;
import static dev.squint.core.codec.GgmlBlockCodecs.checkQuantizeInput;
import static dev.squint.core.codec.GgmlBlockCodecs.checkRowLength;
import static dev.squint.core.codec.GgmlBlockCodecs.half;
import static dev.squint.core.codec.GgmlBlockCodecs.put8;
import static dev.squint.core.codec.GgmlBlockCodecs.putHalf;
import static dev.squint.core.codec.GgmlBlockCodecs.roundHalfAway;
import static dev.squint.core.codec.GgmlBlockCodecs.s8;
import static dev.squint.core.codec.GgmlBlockCodecs.u8;

/**
 * ggml's ternary quants (BitNet b1.58 / TriLM): every value is -d, 0 or +d with d = max|x| of the
 * 256-value block; trit t = lroundf(x / d) + 1 ∈ {0, 1, 2}. Both ignore an importance matrix.
 *
 * <pre>
 * TQ2_0, 66 bytes per 256 values:
 *   [0..64)  qs  two bits per trit: value 32·(4h + l) + m (h = 0,1 half, l = 0..3, m = 0..31)
 *                is bits 2l..2l+1 of qs[32h + m]
 *   [64..66) d   F16
 *
 * TQ1_0, 54 bytes per 256 values, base-3 "fixed point" bytes:
 *   [0..48)  qs  five trits per byte. Bytes 0..31 hold values 0..159: byte m packs values m, m+32,
 *                m+64, m+96, m+128 (first = most significant trit); bytes 32..47 hold values 160..239
 *                the same way with stride 16.
 *   [48..52) qh  four trits per byte: byte j packs values 240+j, 244+j, 248+j, 252+j.
 *   [52..54) d   F16
 *   A packed byte is c·256/243 rounded up, where c is the base-3 number (qh: c·3, so its first trit
 *   is also the most significant of five). Trit k (k = 0 first) decodes as
 *   ((byte · 3^k mod 256) · 3) >> 8.
 * </pre>
 *
 * Dots are {@code ggml_vec_dot_tq1_0_q8_K} and {@code ggml_vec_dot_tq2_0_q8_K}; Q8_K is
 * float d, int8 qs[256], int16 bsums[16] (292 bytes).
 */
final class TernaryCodecs {
    private TernaryCodecs() {}

    static final BlockCodec TQ1_0 = new Tq1();
    static final BlockCodec TQ2_0 = new Tq2();

    private static final int QK_K = 256;
    private static final int[] POW3 = {1, 3, 9, 27, 81, 243};
    private static final long Q8K_QS = 4;

    /** max|x| of a block and the reciprocal ggml multiplies by. */
    private static float scaleOf(float[] src, int x) {
        float amax = 0.0f;
        for (int j = 0; j < QK_K; j++) {
            float a = Math.abs(src[x + j]);
            amax = amax > a ? amax : a;
        }
        return amax;
    }

    /** Trit k of a packed base-3 byte, 0..2. */
    private static int trit(int packed, int k) {
        int q = (packed * POW3[k]) & 0xFF;
        return (q * 3) >>> 8;
    }

    private static final class Tq1 implements BlockCodec {
        @Override public GgmlType type() { return GgmlType.TQ1_0; }

        @Override public GgmlType vecDotType() { return GgmlType.Q8_K; }

        @Override
        public void quantizeRow(float[] src, int srcOffset, int n, MemorySegment dst, long dstOffset, float[] importance) {
            checkQuantizeInput(type(), src, srcOffset, n, null);
            for (int b = 0; b < n / QK_K; b++) {
                int x = srcOffset + QK_K * b;
                long o = dstOffset + 54L * b;
                float d = scaleOf(src, x);
                float id = d != 0 ? 1.0f / d : 0.0f;
                putHalf(dst, o + 52, d);
                for (int m = 0; m < 32; m++) {
                    put8(dst, o + m, packFive(src, x + m, 32, id));
                }
                for (int m = 0; m < 16; m++) {
                    put8(dst, o + 32 + m, packFive(src, x + 160 + m, 16, id));
                }
                for (int j = 0; j < 4; j++) {
                    int q = 0;
                    for (int m = 0; m < 4; m++) q = q * 3 + roundHalfAway(src[x + 240 + j + 4 * m] * id) + 1;
                    q *= 3;
                    put8(dst, o + 48 + j, (q * 256 + 242) / 243);
                }
            }
        }

        private static int packFive(float[] src, int first, int stride, float id) {
            int q = 0;
            for (int k = 0; k < 5; k++) q = q * 3 + roundHalfAway(src[first + k * stride] * id) + 1;
            return (q * 256 + 242) / 243;
        }

        @Override
        public void dequantizeRow(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
            checkRowLength(type(), n);
            for (int b = 0; b < n / QK_K; b++) {
                long o = srcOffset + 54L * b;
                float d = half(src, o + 52);
                int y = dstOffset + QK_K * b;
                for (int k = 0; k < 5; k++) {
                    for (int m = 0; m < 32; m++) dst[y++] = (float) (trit(u8(src, o + m), k) - 1) * d;
                }
                for (int k = 0; k < 5; k++) {
                    for (int m = 0; m < 16; m++) dst[y++] = (float) (trit(u8(src, o + 32 + m), k) - 1) * d;
                }
                for (int k = 0; k < 4; k++) {
                    for (int j = 0; j < 4; j++) dst[y++] = (float) (trit(u8(src, o + 48 + j), k) - 1) * d;
                }
            }
        }

        @Override
        public float dot(int n, MemorySegment x, long xOffset, MemorySegment y, long yOffset) {
            checkRowLength(type(), n);
            float sumf = 0.0f;
            for (int b = 0; b < n / QK_K; b++) {
                long xo = xOffset + 54L * b;
                long yo = yOffset + 292L * b;
                long q8 = yo + Q8K_QS;
                int sum = 0;
                for (int k = 0; k < 5; k++) {
                    for (int m = 0; m < 32; m++) sum += (trit(u8(x, xo + m), k) - 1) * s8(y, q8 + k * 32 + m);
                }
                for (int k = 0; k < 5; k++) {
                    for (int m = 0; m < 16; m++) sum += (trit(u8(x, xo + 32 + m), k) - 1) * s8(y, q8 + 160 + k * 16 + m);
                }
                for (int k = 0; k < 4; k++) {
                    for (int j = 0; j < 4; j++) sum += (trit(u8(x, xo + 48 + j), k) - 1) * s8(y, q8 + 240 + k * 4 + j);
                }
                sumf += (float) sum * (half(x, xo + 52) * y.get(LE_FLOAT, yo));
            }
            return sumf;
        }
    }

    private static final class Tq2 implements BlockCodec {
        @Override public GgmlType type() { return GgmlType.TQ2_0; }

        @Override public GgmlType vecDotType() { return GgmlType.Q8_K; }

        @Override
        public void quantizeRow(float[] src, int srcOffset, int n, MemorySegment dst, long dstOffset, float[] importance) {
            checkQuantizeInput(type(), src, srcOffset, n, null);
            for (int b = 0; b < n / QK_K; b++) {
                int x = srcOffset + QK_K * b;
                long o = dstOffset + 66L * b;
                float d = scaleOf(src, x);
                float id = d != 0 ? 1.0f / d : 0.0f;
                putHalf(dst, o + 64, d);
                for (int h = 0; h < 2; h++) {
                    for (int m = 0; m < 32; m++) {
                        int q = 0;
                        for (int l = 0; l < 4; l++) {
                            int t = roundHalfAway(src[x + 128 * h + m + 32 * l] * id) + 1;
                            q += (t & 3) << (2 * l);
                        }
                        put8(dst, o + 32 * h + m, q);
                    }
                }
            }
        }

        @Override
        public void dequantizeRow(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
            checkRowLength(type(), n);
            for (int b = 0; b < n / QK_K; b++) {
                long o = srcOffset + 66L * b;
                float d = half(src, o + 64);
                int y = dstOffset + QK_K * b;
                for (int h = 0; h < 2; h++) {
                    for (int l = 0; l < 4; l++) {
                        for (int m = 0; m < 32; m++) {
                            int q = (u8(src, o + 32 * h + m) >>> (2 * l)) & 3;
                            dst[y++] = (float) (q - 1) * d;
                        }
                    }
                }
            }
        }

        @Override
        public float dot(int n, MemorySegment x, long xOffset, MemorySegment y, long yOffset) {
            checkRowLength(type(), n);
            float sumf = 0.0f;
            for (int b = 0; b < n / QK_K; b++) {
                long xo = xOffset + 66L * b;
                long yo = yOffset + 292L * b;
                int sumi = 0;
                for (int h = 0; h < 2; h++) {
                    for (int l = 0; l < 4; l++) {
                        for (int m = 0; m < 32; m++) {
                            int q = (u8(x, xo + 32 * h + m) >>> (2 * l)) & 3;
                            sumi += s8(y, yo + Q8K_QS + 128 * h + 32 * l + m) * (q - 1);
                        }
                    }
                }
                float d = y.get(LE_FLOAT, yo) * half(x, xo + 64);
                sumf += (float) sumi * d;
            }
            return sumf;
        }
    }
}
