package dev.squint.core.codec;

import dev.squint.core.GgmlType;

import java.lang.foreign.MemorySegment;

import static dev.squint.core.codec.GgmlBlockCodecs.checkQuantizeInput;
import static dev.squint.core.codec.GgmlBlockCodecs.checkRowLength;
import static dev.squint.core.codec.GgmlBlockCodecs.half;
import static dev.squint.core.codec.GgmlBlockCodecs.put8;
import static dev.squint.core.codec.GgmlBlockCodecs.putHalf;
import static dev.squint.core.codec.GgmlBlockCodecs.roundHalfAway;
import static dev.squint.core.codec.GgmlBlockCodecs.s8;

/**
 * The 8-bit symmetric quants Q8_0 and Q8_1: the activation types ggml pairs with the legacy quants.
 * Both ignore an importance matrix (ggml's {@code quantize_q8_0} does too; Q8_1 has no weighted path).
 *
 * <pre>
 * Q8_0, 34 bytes per 32 values:
 *   [0..2)   d     F16 scale = max|x| / 127
 *   [2..34)  qs[j] int8, value j = qs[j] · d           (qs[j] = roundf(x[j] / d), halves away from 0)
 *
 * Q8_1, 36 bytes per 32 values:
 *   [0..2)   d     F16 scale, as Q8_0
 *   [2..4)   s     F16 of d · Σ qs[j]  (lets Q4_1/Q5_1 dots add their minimum in one multiply)
 *   [4..36)  qs[j] int8, as Q8_0
 * </pre>
 *
 * Dots: Q8_0·Q8_0 is ggml's {@code ggml_vec_dot_q8_0_q8_0}. ggml has no Q8_1·Q8_1 dot (Q8_1 is only
 * ever the right-hand side); Q8_1's {@link BlockCodec#dot} here is the same integer dot with the same
 * float order as Q8_0's, so that the type still satisfies the triplet.
 */
final class Q8Codecs {
    private Q8Codecs() {}

    static final BlockCodec Q8_0 = new Q8(GgmlType.Q8_0, false);
    static final BlockCodec Q8_1 = new Q8(GgmlType.Q8_1, true);

    private static final class Q8 implements BlockCodec {
        private final GgmlType type;
        private final boolean withSum;
        private final int qsOffset;

        Q8(GgmlType type, boolean withSum) {
            this.type = type;
            this.withSum = withSum;
            this.qsOffset = withSum ? 4 : 2;
        }

        @Override public GgmlType type() { return type; }

        @Override public GgmlType vecDotType() { return type; }

        @Override
        public void quantizeRow(float[] src, int srcOffset, int n, MemorySegment dst, long dstOffset, float[] importance) {
            checkQuantizeInput(type, src, srcOffset, n, null);
            int bpb = type.bytesPerBlock();
            for (int b = 0; b < n / 32; b++) {
                int x = srcOffset + 32 * b;
                long o = dstOffset + (long) b * bpb;
                float amax = 0.0f;
                for (int j = 0; j < 32; j++) {
                    float a = Math.abs(src[x + j]);
                    amax = amax > a ? amax : a;
                }
                float d = amax / 127;
                float id = d != 0 ? 1.0f / d : 0.0f;
                putHalf(dst, o, d);
                int sum = 0;
                for (int j = 0; j < 32; j++) {
                    int q = roundHalfAway(src[x + j] * id);
                    put8(dst, o + qsOffset + j, q);
                    sum += q;
                }
                if (withSum) putHalf(dst, o + 2, sum * d);
            }
        }

        @Override
        public void dequantizeRow(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
            checkRowLength(type, n);
            int bpb = type.bytesPerBlock();
            for (int b = 0; b < n / 32; b++) {
                long o = srcOffset + (long) b * bpb;
                float d = half(src, o);
                int y = dstOffset + 32 * b;
                for (int j = 0; j < 32; j++) dst[y + j] = s8(src, o + qsOffset + j) * d;
            }
        }

        @Override
        public float dot(int n, MemorySegment x, long xOffset, MemorySegment y, long yOffset) {
            checkRowLength(type, n);
            int bpb = type.bytesPerBlock();
            float sumf = 0;
            for (int b = 0; b < n / 32; b++) {
                long xo = xOffset + (long) b * bpb;
                long yo = yOffset + (long) b * bpb;
                int sumi = 0;
                for (int j = 0; j < 32; j++) sumi += s8(x, xo + qsOffset + j) * s8(y, yo + qsOffset + j);
                sumf += sumi * (half(x, xo) * half(y, yo));
            }
            return sumf;
        }
    }
}
