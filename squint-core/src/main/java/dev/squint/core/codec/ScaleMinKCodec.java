package dev.squint.core.codec;

import dev.squint.core.GgmlType;

import java.lang.foreign.MemorySegment;

import static dev.squint.core.codec.GgmlQuantMath.nearestInt;

/**
 * Q4_K and Q5_K: "scale and min" K-quants. A super-block of 256 values is 8 sub-blocks of 32;
 * value = d·sc_j·q − dmin·m_j with a 4-bit (Q4_K) or 5-bit (Q5_K) unsigned level q and 6-bit
 * sub-block scale sc_j and min m_j.
 *
 * <pre>
 * Q4_K, 144 bytes                           Q5_K, 176 bytes
 *   0  fp16 d     (scale of the scales)       0  fp16 d
 *   2  fp16 dmin  (scale of the mins)         2  fp16 dmin
 *   4  u8 scales[12]  (see below)             4  u8 scales[12]
 *  16  u8 qs[128]  low nibbles               16  u8 qh[32]   fifth bits
 *                                            48  u8 qs[128]  low nibbles
 * </pre>
 *
 * scales[12] packs eight 6-bit scales sc and eight 6-bit mins m: for j &lt; 4, byte j holds sc_j in
 * bits 0-5 and byte j+4 holds m_j in bits 0-5; for j ≥ 4, byte j+4 holds sc_j's low 4 bits (bits
 * 0-3) and m_j's low 4 bits (bits 4-7), and their top 2 bits sit in bits 6-7 of byte j−4 (sc) and
 * byte j (m). The quants come in 4 chunks of 64 values: chunk c uses qs[32c..32c+32), value
 * 64c+l in the low nibble and 64c+32+l in the high nibble of qs[32c+l]. In Q5_K, the fifth bit of
 * value 64c+l is bit 2c of qh[l], of value 64c+32+l bit 2c+1 of qh[l].
 */
final class ScaleMinKCodec extends KQuantCodec {
    private final int nmax;        // 15 or 31
    private final boolean fiveBit;
    private final int bytesPerBlock;
    private final int qsOff;
    // make_qkx2_quants search parameters of quantize_row_qX_K_ref
    private final float refRmin;
    private final int refNstep;

    private ScaleMinKCodec(GgmlType type, boolean fiveBit) {
        super(type);
        this.fiveBit = fiveBit;
        this.nmax = fiveBit ? 31 : 15;
        this.bytesPerBlock = type.bytesPerBlock();
        this.qsOff = fiveBit ? 48 : 16;
        this.refRmin = fiveBit ? -0.5f : -1.f;
        this.refNstep = fiveBit ? 15 : 20;
    }

    static final ScaleMinKCodec Q4_K = new ScaleMinKCodec(GgmlType.Q4_K, false);
    static final ScaleMinKCodec Q5_K = new ScaleMinKCodec(GgmlType.Q5_K, true);

    @Override
    public void quantizeRow(float[] src, int srcOffset, int n, MemorySegment dst, long dstOffset, float[] importance) {
        int nb = checkQuantizeArgs(src, srcOffset, n, importance);
        byte[] block = new byte[bytesPerBlock];
        byte[] L = new byte[QK_K];
        byte[] Laux = new byte[32];
        byte[] Ls = new byte[8];
        byte[] Lm = new byte[8];
        float[] weights = new float[32];
        float[] sw = new float[8];
        float[] mins = new float[8];
        float[] scales = new float[8];
        for (int i = 0; i < nb; i++) {
            int xb = srcOffset + QK_K * i;
            int ls0, lm0;
            float d, dmin;
            if (importance == null) {
                // quantize_row_q4_K_ref / quantize_row_q5_K_ref
                float maxScale = 0;
                float maxMin = 0;
                for (int j = 0; j < 8; ++j) {
                    float sumX2 = 0;
                    for (int l = 0; l < 32; ++l) sumX2 += src[xb + 32 * j + l] * src[xb + 32 * j + l];
                    float avX = (float) Math.sqrt(sumX2 / 32);
                    for (int l = 0; l < 32; ++l) weights[l] = avX + Math.abs(src[xb + 32 * j + l]);
                    scales[j] = GgmlQuantMath.makeQkx2Quants(32, nmax, src, xb + 32 * j, weights, 0, L, 32 * j,
                            mins, j, Laux, refRmin, 0.1f, refNstep, false);
                    if (scales[j] > maxScale) maxScale = scales[j];
                    if (mins[j] > maxMin) maxMin = mins[j];
                }
                float invScale = maxScale > 0 ? 63.f / maxScale : 0.f;
                float invMin = maxMin > 0 ? 63.f / maxMin : 0.f;
                for (int j = 0; j < 8; ++j) {
                    int ls = nearestInt(invScale * scales[j]) & 0xFF;
                    int lm = nearestInt(invMin * mins[j]) & 0xFF;
                    packScaleMin(block, j, Math.min(63, ls), Math.min(63, lm));
                }
                d = maxScale / 63.f;
                dmin = maxMin / 63.f;
            } else {
                // quantize_row_q4_K_impl / quantize_row_q5_K_impl with quant_weights
                float sumX2 = 0;
                for (int l = 0; l < QK_K; ++l) sumX2 += src[xb + l] * src[xb + l];
                float sigma2 = 2 * sumX2 / QK_K;
                for (int j = 0; j < 8; ++j) {
                    int qw = QK_K * i + 32 * j;
                    for (int l = 0; l < 32; ++l) {
                        float x = src[xb + 32 * j + l];
                        weights[l] = importance[qw + l] * (float) Math.sqrt(sigma2 + x * x);
                    }
                    float sumw = 0;
                    for (int l = 0; l < 32; ++l) sumw += weights[l];
                    sw[j] = sumw;
                    scales[j] = GgmlQuantMath.makeQkx3Quants(32, nmax, src, xb + 32 * j, weights, 0, L, 32 * j,
                            mins, j, Laux, -0.9f, 0.05f, 36, false);
                }
                d = GgmlQuantMath.makeQpQuants(8, 63, scales, 0, Ls, 0, sw, 0);
                dmin = GgmlQuantMath.makeQpQuants(8, 63, mins, 0, Lm, 0, sw, 0);
                for (int j = 0; j < 8; ++j) {
                    int ls = Ls[j] & 0xFF;
                    int lm = Lm[j] & 0xFF;
                    if (fiveBit) { // only quantize_row_q5_K_impl clamps here; make_qp_quants already caps at 63
                        ls = Math.min(63, ls);
                        lm = Math.min(63, lm);
                    }
                    packScaleMin(block, j, ls, lm);
                }
            }
            putFp16(block, 0, d);
            putFp16(block, 2, dmin);
            float dq = fp16At(block, 0);
            float mq = fp16At(block, 2);
            for (int j = 0; j < 8; ++j) {
                float dj = dq * GgmlQuantMath.scaleK4(j, block, 4);
                if (dj == 0) continue;
                float dm = mq * GgmlQuantMath.minK4(j, block, 4);
                for (int ii = 0; ii < 32; ++ii) {
                    int l = nearestInt((src[xb + 32 * j + ii] + dm) / dj);
                    L[32 * j + ii] = (byte) Math.max(0, Math.min(nmax, l));
                }
            }
            if (fiveBit) {
                for (int k = 16; k < 48; k++) block[k] = 0;
                int m1 = 1, m2 = 2;
                for (int c = 0; c < 4; c++) {
                    for (int j = 0; j < 32; ++j) {
                        int l1 = L[64 * c + j];
                        if (l1 > 15) {
                            l1 -= 16;
                            block[16 + j] |= (byte) m1;
                        }
                        int l2 = L[64 * c + j + 32];
                        if (l2 > 15) {
                            l2 -= 16;
                            block[16 + j] |= (byte) m2;
                        }
                        block[qsOff + 32 * c + j] = (byte) (l1 | (l2 << 4));
                    }
                    m1 <<= 2;
                    m2 <<= 2;
                }
            } else {
                for (int c = 0; c < 4; c++) {
                    for (int l = 0; l < 32; ++l) {
                        block[qsOff + 32 * c + l] = (byte) (L[64 * c + l] | (L[64 * c + l + 32] << 4));
                    }
                }
            }
            store(block, dst, dstOffset + (long) i * bytesPerBlock);
        }
    }

    /** Stores sub-block j's 6-bit scale and min into the 12 packed bytes at block[4..16). */
    private static void packScaleMin(byte[] block, int j, int ls, int lm) {
        if (j < 4) {
            block[4 + j] = (byte) ls;
            block[4 + j + 4] = (byte) lm;
        } else {
            block[4 + j + 4] = (byte) ((ls & 0xF) | ((lm & 0xF) << 4));
            block[4 + j - 4] |= (byte) ((ls >> 4) << 6);
            block[4 + j] |= (byte) ((lm >> 4) << 6);
        }
    }

    @Override
    public void dequantizeRow(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
        int nb = blocks(n);
        java.util.Objects.checkFromIndexSize(dstOffset, n, dst.length);
        byte[] b = new byte[bytesPerBlock];
        int y = dstOffset;
        for (int i = 0; i < nb; i++) {
            load(src, srcOffset + (long) i * bytesPerBlock, b);
            float d = fp16At(b, 0);
            float min = fp16At(b, 2);
            int u1 = 1, u2 = 2;
            for (int c = 0; c < 4; c++) {
                float d1 = d * GgmlQuantMath.scaleK4(2 * c, b, 4);
                float m1 = min * GgmlQuantMath.minK4(2 * c, b, 4);
                float d2 = d * GgmlQuantMath.scaleK4(2 * c + 1, b, 4);
                float m2 = min * GgmlQuantMath.minK4(2 * c + 1, b, 4);
                int q = qsOff + 32 * c;
                if (fiveBit) {
                    for (int l = 0; l < 32; ++l) dst[y++] = d1 * ((b[q + l] & 0xF) + ((b[16 + l] & u1) != 0 ? 16 : 0)) - m1;
                    for (int l = 0; l < 32; ++l) dst[y++] = d2 * ((b[q + l] & 0xFF) >> 4 | ((b[16 + l] & u2) != 0 ? 16 : 0)) - m2;
                } else {
                    for (int l = 0; l < 32; ++l) dst[y++] = d1 * (b[q + l] & 0xF) - m1;
                    for (int l = 0; l < 32; ++l) dst[y++] = d2 * ((b[q + l] & 0xFF) >> 4) - m2;
                }
                u1 <<= 2;
                u2 <<= 2;
            }
        }
    }

    /** ggml_vec_dot_q4_K_q8_K_generic / ggml_vec_dot_q5_K_q8_K_generic, same accumulation order. */
    @Override
    public float dot(int n, MemorySegment x, long xOffset, MemorySegment y, long yOffset) {
        int nb = blocks(n);
        byte[] b = new byte[bytesPerBlock];
        byte[] q8 = new byte[Q8KCodec.BLOCK_BYTES];
        int[] a = new int[QK_K];
        int[] aux32 = new int[8];
        float[] sums = new float[8];
        float sumf = 0;
        for (int i = 0; i < nb; i++) {
            load(x, xOffset + (long) i * bytesPerBlock, b);
            load(y, yOffset + (long) i * Q8KCodec.BLOCK_BYTES, q8);
            int u = 1;
            for (int c = 0; c < 4; c++) {
                int q = qsOff + 32 * c;
                for (int l = 0; l < 32; ++l) {
                    int lo = b[q + l] & 0xF, hi = (b[q + l] & 0xFF) >> 4;
                    if (fiveBit) {
                        lo += (b[16 + l] & u) != 0 ? 16 : 0;
                        hi += (b[16 + l] & (u << 1)) != 0 ? 16 : 0;
                    }
                    a[64 * c + l] = lo;
                    a[64 * c + 32 + l] = hi;
                }
                u <<= 2;
            }
            int sumi = 0;
            for (int j = 0; j < 16; ++j) sumi += leShort(q8, Q8KCodec.BSUMS_OFF + 2 * j) * GgmlQuantMath.minK4(j / 2, b, 4);
            java.util.Arrays.fill(aux32, 0);
            for (int j = 0; j < 8; ++j) {
                int scale = GgmlQuantMath.scaleK4(j, b, 4);
                for (int k = 32 * j; k < 32 * j + 32; k++) {
                    aux32[k & 7] += scale * (q8[Q8KCodec.QS_OFF + k] * a[k]);
                }
            }
            float yd = leFloat(q8, 0);
            float d = fp16At(b, 0) * yd;
            for (int l = 0; l < 8; ++l) sums[l] += d * aux32[l];
            float dmin = fp16At(b, 2) * yd;
            sumf -= dmin * sumi;
        }
        for (int l = 0; l < 8; ++l) sumf += sums[l];
        return sumf;
    }
}
