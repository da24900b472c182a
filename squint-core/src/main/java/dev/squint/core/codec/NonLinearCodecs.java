package dev.squint.core.codec;

import dev.squint.core.GgmlType;

import java.lang.foreign.MemorySegment;

import static dev.squint.core.codec.GgmlQuantMath.GROUP_MAX_EPS;
import static dev.squint.core.codec.GgmlBlockCodecs.LE_FLOAT;
import static dev.squint.core.codec.GgmlBlockCodecs.LE_SHORT;
import static dev.squint.core.codec.GgmlBlockCodecs.checkQuantizeInput;
import static dev.squint.core.codec.GgmlBlockCodecs.checkRowLength;
import static dev.squint.core.codec.GgmlBlockCodecs.half;
import static dev.squint.core.codec.GgmlQuantMath.nearestInt;
import static dev.squint.core.codec.GgmlBlockCodecs.put8;
import static dev.squint.core.codec.GgmlBlockCodecs.putHalf;
import static dev.squint.core.codec.GgmlBlockCodecs.s8;
import static dev.squint.core.codec.GgmlBlockCodecs.u8;

/**
 * ggml's non-linear 4-bit quants: each 4-bit code indexes the 16-entry table {@link #KVALUES}
 * ({@code kvalues_iq4nl}) instead of a uniform grid.
 *
 * <pre>
 * IQ4_NL, 18 bytes per 32 values:
 *   [0..2)   d      F16
 *   [2..18)  qs[16] qs[j] = code[j] | code[j+16] &lt;&lt; 4            value j = d · KVALUES[code j]
 *
 * IQ4_XS, 136 bytes per 256 values (8 sub-blocks of 32):
 *   [0..2)   d           F16 super-block scale
 *   [2..4)   scales_h    u16 little-endian: bits 2i..2i+1 = high 2 bits of sub-block i's 6-bit scale
 *   [4..8)   scales_l[4] byte i/2: low nibble = sub-block i (even i), high nibble = sub-block i+1
 *   [8..136) qs[128]     sub-block i uses qs[16i..16i+16), packed as IQ4_NL
 *   value j of sub-block i = d · (ls_i - 32) · KVALUES[code], ls_i = 6-bit scale
 * </pre>
 *
 * Quantizing follows {@code ggml_quantize_chunk}, which for both types calls
 * {@code quantize_row_iq4_nl_impl} with 7 extra scale trials ({@code ntry = 7}) whether or not an
 * importance matrix is given: weights are {@code x²} without one, {@code qw·sqrt(σ² + x²)} with one
 * (σ² = 2·mean square of the super-block). (ggml's {@code quantize_row_iq4_nl_ref}, used only by
 * the CPU backend's {@code from_float}, skips the trials; it is not what files hold.)
 *
 * Dots: IQ4_NL·Q8_0 ({@code ggml_vec_dot_iq4_nl_q8_0}) and IQ4_XS·Q8_K ({@code ggml_vec_dot_iq4_xs_q8_K};
 * Q8_K = float d, int8 qs[256], int16 bsums[16]).
 */
final class NonLinearCodecs {
    private NonLinearCodecs() {}

    /** ggml's kvalues_iq4nl, ascending. */
    static final byte[] KVALUES = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

    static final BlockCodec IQ4_NL = new Iq4(GgmlType.IQ4_NL, GgmlType.Q8_0);
    static final BlockCodec IQ4_XS = new Iq4(GgmlType.IQ4_XS, GgmlType.Q8_K);

    private static final int NTRY = 7;

    /**
     * ggml's {@code best_index_int8} for the 16 sorted table values: the level whose midpoint with its
     * lower neighbour {@code x} reaches, compared as {@code 2x ≥ v[i-1] + v[i]} (exact on both sides).
     */
    static int bestIndex(float x) {
        float x2 = x + x;
        int idx = 0;
        for (int step = 8; step > 0; step >>= 1) {
            int j = idx + step;
            idx = x2 >= MIDPOINTS2[j] ? j : idx;
        }
        return idx;
    }

    /** {@code MIDPOINTS2[j] = KVALUES[j-1] + KVALUES[j]} as float (exact), j ≥ 1: twice the decision boundaries. */
    static final float[] MIDPOINTS2 = new float[16];
    static {
        for (int j = 1; j < 16; j++) MIDPOINTS2[j] = KVALUES[j - 1] + KVALUES[j];
    }

    private static final class Iq4 implements BlockCodec {
        private final GgmlType type;
        private final GgmlType vecDotType;
        private final boolean xs;

        Iq4(GgmlType type, GgmlType vecDotType) {
            this.type = type;
            this.vecDotType = vecDotType;
            this.xs = type == GgmlType.IQ4_XS;
        }

        @Override public GgmlType type() { return type; }

        @Override public GgmlType vecDotType() { return vecDotType; }

        @Override
        public void quantizeRow(float[] src, int srcOffset, int n, MemorySegment dst, long dstOffset, float[] importance) {
            checkQuantizeInput(type, src, srcOffset, n, importance);
            int superSize = type.blockSize();
            Scratch s = new Scratch(superSize);
            for (int b = 0; b < n / superSize; b++) {
                quantizeSuperBlock(src, srcOffset + superSize * b, importance, superSize * b, s,
                        dst, dstOffset + (long) b * type.bytesPerBlock());
            }
        }

        private static final class Scratch {
            final float[] weight = new float[32];
            final float[] scales;
            final int[] codes;

            Scratch(int superSize) {
                scales = new float[superSize / 32];
                codes = new int[superSize];
            }
        }

        /** quantize_row_iq4_nl_impl(super_block_size, 32, 16 values, ..., ntry = 7) for one super-block. */
        private void quantizeSuperBlock(float[] src, int x, float[] qw, int qwOffset, Scratch s, MemorySegment dst, long o) {
            int superSize = type.blockSize();
            int nSub = superSize / 32;
            float sigma2 = 0;
            for (int j = 0; j < superSize; j++) sigma2 += src[x + j] * src[x + j];
            sigma2 *= 2.f / superSize;

            float[] weight = s.weight;
            float[] scales = s.scales;
            int[] codes = s.codes;
            float maxScale = 0;
            float amaxScale = 0;
            for (int ib = 0; ib < nSub; ib++) {
                int xb = x + 32 * ib;
                for (int j = 0; j < 32; j++) {
                    float v = src[xb + j];
                    weight[j] = qw != null ? qw[qwOffset + 32 * ib + j] * (float) Math.sqrt(sigma2 + v * v) : v * v;
                }
                float amax = 0;
                float max = 0;
                for (int j = 0; j < 32; j++) {
                    float ax = Math.abs(src[xb + j]);
                    if (ax > amax) {
                        amax = ax;
                        max = src[xb + j];
                    }
                }
                if (amax < GROUP_MAX_EPS) {
                    scales[ib] = 0;
                    for (int j = 0; j < 32; j++) codes[32 * ib + j] = 0;
                    continue;
                }
                float d = -max / KVALUES[0];
                float id = 1 / d;
                float sumqx = 0;
                float sumq2 = 0;
                for (int j = 0; j < 32; j++) {
                    float v = src[xb + j];
                    int l = bestIndex(id * v);
                    codes[32 * ib + j] = l;
                    float q = KVALUES[l];
                    float w = weight[j];
                    sumqx += w * q * v;
                    sumq2 += w * q * q;
                }
                d = sumq2 > 0 ? sumqx / sumq2 : 0.f;
                float best = d * sumqx;
                for (int itry = -NTRY; itry <= NTRY; itry++) {
                    id = (itry + KVALUES[0]) / max;
                    sumqx = 0;
                    sumq2 = 0;
                    for (int j = 0; j < 32; j++) {
                        float v = src[xb + j];
                        float q = KVALUES[bestIndex(id * v)];
                        float w = weight[j];
                        sumqx += w * q * v;
                        sumq2 += w * q * q;
                    }
                    if (sumq2 > 0 && sumqx * sumqx > best * sumq2) {
                        d = sumqx / sumq2;
                        best = d * sumqx;
                    }
                }
                scales[ib] = d;
                float absD = Math.abs(d);
                if (absD > amaxScale) {
                    amaxScale = absD;
                    maxScale = d;
                }
            }

            if (nSub > 1) {
                float d = -maxScale / 32;
                putHalf(dst, o, d);
                float id = d != 0 ? 1 / d : 0.f;
                int scalesH = 0;
                for (int ib = 0; ib < nSub; ib++) {
                    int l = nearestInt(id * scales[ib]);
                    l = Math.max(-32, Math.min(31, l));
                    float dl = d * l;
                    float idl = dl != 0 ? 1 / dl : 0.f;
                    int xb = x + 32 * ib;
                    for (int j = 0; j < 32; j++) codes[32 * ib + j] = bestIndex(idl * src[xb + j]);
                    l += 32;
                    int lowNibble = l & 0xf;
                    long sl = o + 4 + ib / 2;
                    if (ib % 2 == 0) put8(dst, sl, lowNibble);
                    else put8(dst, sl, u8(dst, sl) | (lowNibble << 4));
                    scalesH |= (l >>> 4) << (2 * ib);
                }
                dst.set(LE_SHORT, o + 2, (short) scalesH);
            } else {
                putHalf(dst, o, scales[0]);
                float id = scales[0] != 0 ? 1 / scales[0] : 0;
                for (int j = 0; j < superSize; j++) codes[j] = bestIndex(id * src[x + j]);
            }

            long qs = o + (xs ? 8 : 2);
            for (int i = 0; i < superSize / 32; i++) {
                for (int j = 0; j < 16; j++) {
                    put8(dst, qs + 16 * i + j, codes[32 * i + j] | (codes[32 * i + 16 + j] << 4));
                }
            }
        }

        /** The 6-bit scale of sub-block {@code ib} of the IQ4_XS block at {@code o}. */
        private static int subScale(MemorySegment s, long o, int ib) {
            int scalesH = s.get(LE_SHORT, o + 2) & 0xFFFF;
            return ((u8(s, o + 4 + ib / 2) >>> (4 * (ib % 2))) & 0xf) | (((scalesH >>> (2 * ib)) & 3) << 4);
        }

        @Override
        public void dequantizeRow(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
            checkRowLength(type, n);
            int superSize = type.blockSize();
            for (int b = 0; b < n / superSize; b++) {
                long o = srcOffset + (long) b * type.bytesPerBlock();
                float d = half(src, o);
                long qs = o + (xs ? 8 : 2);
                int y = dstOffset + superSize * b;
                for (int ib = 0; ib < superSize / 32; ib++) {
                    float dl = xs ? d * (subScale(src, o, ib) - 32) : d;
                    for (int j = 0; j < 16; j++) {
                        int c = u8(src, qs + 16 * ib + j);
                        dst[y + 32 * ib + j] = dl * KVALUES[c & 0xf];
                        dst[y + 32 * ib + j + 16] = dl * KVALUES[c >>> 4];
                    }
                }
            }
        }

        @Override
        public float dot(int n, MemorySegment x, long xOffset, MemorySegment y, long yOffset) {
            checkRowLength(type, n);
            return xs ? dotXsQ8K(n, x, xOffset, y, yOffset) : dotNlQ80(n, x, xOffset, y, yOffset);
        }

        private static float dotNlQ80(int n, MemorySegment x, long xOffset, MemorySegment y, long yOffset) {
            float sumf = 0;
            for (int b = 0; b < n / 32; b++) {
                long xo = xOffset + 18L * b;
                long yo = yOffset + 34L * b;
                float d = half(y, yo) * half(x, xo);
                int sumi1 = 0;
                int sumi2 = 0;
                for (int j = 0; j < 16; j++) {
                    int c = u8(x, xo + 2 + j);
                    sumi1 += s8(y, yo + 2 + j) * KVALUES[c & 0xf];
                    sumi2 += s8(y, yo + 2 + j + 16) * KVALUES[c >>> 4];
                }
                sumf += d * (sumi1 + sumi2);
            }
            return sumf;
        }

        private static float dotXsQ8K(int n, MemorySegment x, long xOffset, MemorySegment y, long yOffset) {
            float sumf = 0;
            for (int b = 0; b < n / 256; b++) {
                long xo = xOffset + 136L * b;
                long yo = yOffset + 292L * b;
                float d4d8 = half(x, xo) * y.get(LE_FLOAT, yo);
                for (int ib = 0; ib < 8; ib++) {
                    float dl = d4d8 * (subScale(x, xo, ib) - 32);
                    long qs = xo + 8 + 16 * ib;
                    long q8 = yo + 4 + 32 * ib;
                    int sumi1 = 0;
                    int sumi2 = 0;
                    for (int j = 0; j < 16; j++) {
                        int c = u8(x, qs + j);
                        sumi1 += s8(y, q8 + j) * KVALUES[c & 0xf];
                        sumi2 += s8(y, q8 + j + 16) * KVALUES[c >>> 4];
                    }
                    sumf += dl * (sumi1 + sumi2);
                }
            }
            return sumf;
        }
    }
}
