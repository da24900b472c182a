package dev.squint.core.codec;

import dev.squint.core.GgmlType;

import java.lang.foreign.MemorySegment;

import static dev.squint.core.codec.GgmlBlockCodecs.LE_INT;
import static dev.squint.core.codec.GgmlBlockCodecs.checkQuantizeInput;
import static dev.squint.core.codec.GgmlBlockCodecs.checkRowLength;
import static dev.squint.core.codec.GgmlBlockCodecs.half;
import static dev.squint.core.codec.GgmlBlockCodecs.put8;
import static dev.squint.core.codec.GgmlBlockCodecs.putHalf;
import static dev.squint.core.codec.GgmlBlockCodecs.s8;
import static dev.squint.core.codec.GgmlBlockCodecs.u8;

/**
 * ggml's legacy 4- and 5-bit quants, 32 values per block. Quant j of a block is split as value j
 * (low nibble of byte j) and value j+16 (high nibble of byte j); the 5-bit types keep each value's
 * fifth bit in a 32-bit little-endian mask {@code qh} (bit j for value j).
 *
 * <pre>
 * Q4_0, 18 bytes:  [0..2) d F16 | [2..18) qs[16]             value = (q - 8) · d        q ∈ 0..15
 * Q4_1, 20 bytes:  [0..2) d F16 | [2..4) m F16 | [4..20) qs   value = q · d + m          q ∈ 0..15
 * Q5_0, 22 bytes:  [0..2) d F16 | [2..6) qh u32 | [6..22) qs  value = (q - 16) · d       q ∈ 0..31
 * Q5_1, 24 bytes:  [0..2) d F16 | [2..4) m F16 | [4..8) qh u32 | [8..24) qs
 *                                                               value = q · d + m         q ∈ 0..31
 * qs[j] = q[j] | q[j+16] &lt;&lt; 4 (low 4 bits of each q);  qh bit j = bit 4 of q[j]  (5-bit types)
 * </pre>
 *
 * Without importance these are ggml's {@code quantize_row_qX_Y_ref} (Q4_0/Q5_0: scale from the
 * signed value of largest magnitude, d = max / -8 or -16; Q4_1/Q5_1: min/max range). With importance
 * they are {@code quantize_row_qX_Y_impl}: weights {@code qw[j]·sqrt(σ² + x[j]²)} (σ² the row's mean
 * square) and a weighted scale search ({@code make_qx_quants} for the symmetric types,
 * {@code make_qkx3_quants} for the ones with a minimum).
 *
 * Dots follow {@code ggml_vec_dot_q4_0_q8_0}, {@code _q4_1_q8_1}, {@code _q5_0_q8_0}, {@code _q5_1_q8_1}.
 */
final class LegacyQuantCodecs {
    private LegacyQuantCodecs() {}

    static final BlockCodec Q4_0 = new Legacy(GgmlType.Q4_0, 4, false);
    static final BlockCodec Q4_1 = new Legacy(GgmlType.Q4_1, 4, true);
    static final BlockCodec Q5_0 = new Legacy(GgmlType.Q5_0, 5, false);
    static final BlockCodec Q5_1 = new Legacy(GgmlType.Q5_1, 5, true);

    private static final int QK = 32;

    private static final class Legacy implements BlockCodec {
        private final GgmlType type;
        private final boolean fiveBit;
        private final boolean withMin;
        /** Byte offsets inside a block. */
        private final int qhOffset;
        private final int qsOffset;

        Legacy(GgmlType type, int bits, boolean withMin) {
            this.type = type;
            this.fiveBit = bits == 5;
            this.withMin = withMin;
            int header = withMin ? 4 : 2;
            this.qhOffset = header;
            this.qsOffset = header + (fiveBit ? 4 : 0);
        }

        @Override public GgmlType type() { return type; }

        @Override public GgmlType vecDotType() { return withMin ? GgmlType.Q8_1 : GgmlType.Q8_0; }

        @Override
        public void quantizeRow(float[] src, int srcOffset, int n, MemorySegment dst, long dstOffset, float[] importance) {
            checkQuantizeInput(type, src, srcOffset, n, importance);
            int[] q = new int[QK];
            if (importance == null) {
                for (int b = 0; b < n / QK; b++) {
                    long o = dstOffset + (long) b * type.bytesPerBlock();
                    int x = srcOffset + QK * b;
                    if (withMin) quantizeRangeBlock(src, x, q, dst, o);
                    else quantizeSymmetricBlock(src, x, q, dst, o);
                    pack(q, dst, o);
                }
            } else {
                quantizeWeighted(src, srcOffset, n, importance, q, dst, dstOffset);
            }
        }

        /** quantize_row_q4_0_ref / q5_0_ref for one block: fills q and writes d. */
        private void quantizeSymmetricBlock(float[] src, int x, int[] q, MemorySegment dst, long o) {
            float amax = 0.0f;
            float max = 0.0f;
            for (int j = 0; j < QK; j++) {
                float v = src[x + j];
                if (amax < Math.abs(v)) {
                    amax = Math.abs(v);
                    max = v;
                }
            }
            float d = fiveBit ? max / -16 : max / -8;
            float id = d != 0 ? 1.0f / d : 0.0f;
            putHalf(dst, o, d);
            // (int8_t)(x·id + 8.5f): truncation toward zero; the sum is in [0.5, 16.5] (or [0.5, 32.5])
            float bias = fiveBit ? 16.5f : 8.5f;
            int top = fiveBit ? 31 : 15;
            for (int j = 0; j < QK; j++) {
                q[j] = Math.min(top, (int) (src[x + j] * id + bias));
            }
        }

        /** quantize_row_q4_1_ref / q5_1_ref for one block: fills q and writes d, m. */
        private void quantizeRangeBlock(float[] src, int x, int[] q, MemorySegment dst, long o) {
            float min = Float.MAX_VALUE;
            float max = -Float.MAX_VALUE;
            for (int j = 0; j < QK; j++) {
                float v = src[x + j];
                if (v < min) min = v;
                if (v > max) max = v;
            }
            float d = (max - min) / (fiveBit ? 31 : 15);
            float id = d != 0 ? 1.0f / d : 0.0f;
            putHalf(dst, o, d);
            putHalf(dst, o + 2, min);
            for (int j = 0; j < QK; j++) {
                int v = (int) ((src[x + j] - min) * id + 0.5f);
                // Q4_1 clamps with MIN(15, ...); Q5_1 stores (uint8_t) of the sum, which stays in 0..31
                q[j] = fiveBit ? v : Math.min(15, v);
            }
        }

        /** quantize_row_qX_Y_impl: the importance-weighted search, row by row. */
        private void quantizeWeighted(float[] src, int srcOffset, int n, float[] qw, int[] q, MemorySegment dst, long dstOffset) {
            float sumX2 = 0;
            for (int j = 0; j < n; j++) sumX2 += src[srcOffset + j] * src[srcOffset + j];
            float sigma2 = sumX2 / n;
            float[] weight = new float[QK];
            float[] xb = new float[QK];
            byte[] levels = new byte[QK];
            byte[] aux = new byte[QK];
            float[] theMin = new float[1];
            for (int b = 0; b < n / QK; b++) {
                int x = srcOffset + QK * b;
                long o = dstOffset + (long) b * type.bytesPerBlock();
                for (int j = 0; j < QK; j++) {
                    xb[j] = src[x + j];
                    weight[j] = qw[QK * b + j] * (float) Math.sqrt(sigma2 + xb[j] * xb[j]);
                }
                if (withMin) {
                    float d = GgmlQuantMath.makeQkx3Quants(QK, fiveBit ? 31 : 15, xb, 0, weight, 0, levels, 0, theMin, 0, aux, -0.9f, 0.05f, 36, false);
                    putHalf(dst, o, d);
                    putHalf(dst, o + 2, -theMin[0]);
                    for (int j = 0; j < QK; j++) q[j] = levels[j] & 0xFF;
                } else {
                    float d = GgmlQuantMath.makeQxQuants(QK, fiveBit ? 16 : 8, xb, 0, levels, 0, 1, weight, 0);
                    putHalf(dst, o, d);
                    for (int j = 0; j < QK; j++) q[j] = levels[j];
                }
                pack(q, dst, o);
            }
        }

        private void pack(int[] q, MemorySegment dst, long o) {
            int qh = 0;
            for (int j = 0; j < QK / 2; j++) {
                int q0 = q[j];
                int q1 = q[j + QK / 2];
                put8(dst, o + qsOffset + j, (q0 & 0x0F) | ((q1 & 0x0F) << 4));
                qh |= ((q0 & 0x10) >>> 4) << j;
                qh |= ((q1 & 0x10) >>> 4) << (j + QK / 2);
            }
            if (fiveBit) dst.set(LE_INT, o + qhOffset, qh);
        }

        /** The quant (0..15 or 0..31) of value j of the block at {@code o}. */
        private int quant(MemorySegment s, long o, int qh, int j) {
            int byteVal = u8(s, o + qsOffset + (j & 15));
            int low = j < 16 ? byteVal & 0x0F : byteVal >>> 4;
            return fiveBit ? low | (((qh >>> j) & 1) << 4) : low;
        }

        @Override
        public void dequantizeRow(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
            checkRowLength(type, n);
            int offsetQ = withMin ? 0 : (fiveBit ? 16 : 8);
            for (int b = 0; b < n / QK; b++) {
                long o = srcOffset + (long) b * type.bytesPerBlock();
                float d = half(src, o);
                float m = withMin ? half(src, o + 2) : 0;
                int qh = fiveBit ? src.get(LE_INT, o + qhOffset) : 0;
                int y = dstOffset + QK * b;
                for (int j = 0; j < QK; j++) {
                    int v = quant(src, o, qh, j) - offsetQ;
                    dst[y + j] = withMin ? v * d + m : v * d;
                }
            }
        }

        @Override
        public float dot(int n, MemorySegment x, long xOffset, MemorySegment y, long yOffset) {
            checkRowLength(type, n);
            int offsetQ = withMin ? 0 : (fiveBit ? 16 : 8);
            int yBytes = vecDotType().bytesPerBlock();
            int yQs = withMin ? 4 : 2;
            float sumf = 0;
            for (int b = 0; b < n / QK; b++) {
                long xo = xOffset + (long) b * type.bytesPerBlock();
                long yo = yOffset + (long) b * yBytes;
                int qh = fiveBit ? x.get(LE_INT, xo + qhOffset) : 0;
                int sumi0 = 0;
                int sumi1 = 0;
                for (int j = 0; j < QK / 2; j++) {
                    sumi0 += (quant(x, xo, qh, j) - offsetQ) * s8(y, yo + yQs + j);
                    sumi1 += (quant(x, xo, qh, j + 16) - offsetQ) * s8(y, yo + yQs + j + 16);
                }
                int sumi = sumi0 + sumi1;
                float dx = half(x, xo);
                float dy = half(y, yo);
                if (withMin) {
                    sumf += (dx * dy) * sumi + half(x, xo + 2) * half(y, yo + 2);
                } else if (fiveBit) {
                    sumf += (dx * dy) * sumi;
                } else {
                    sumf += sumi * dx * dy;
                }
            }
            return sumf;
        }
    }
}
