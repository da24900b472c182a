package dev.squint.core.codec;

import dev.squint.core.GgmlType;

import java.lang.foreign.MemorySegment;

import static dev.squint.core.codec.GgmlQuantMath.nearestInt;

/**
 * Q2_K: 2-bit K-quant with mins. A super-block of 256 values is 16 sub-blocks of 16; value =
 * d·sc_j·q − dmin·m_j with a 2-bit level q and 4-bit sub-block scale sc_j and min m_j.
 *
 * <pre>
 * Q2_K, 84 bytes
 *   0  u8 scales[16]  sub-block j: sc_j in bits 0-3, m_j in bits 4-7
 *  16  u8 qs[64]
 *  80  fp16 d     (scale of the scales)
 *  82  fp16 dmin  (scale of the mins)
 * </pre>
 *
 * The block is two chunks of 128 values; chunk c uses qs[32c..32c+32). Value 128c+32s+l
 * (s = 0..3, l = 0..31) is bits 2s..2s+1 of qs[32c+l]. Sub-block j covers values 16j..16j+16.
 */
final class Q2KCodec extends KQuantCodec {
    static final int BLOCK_BYTES = 84;
    static final Q2KCodec INSTANCE = new Q2KCodec();

    private Q2KCodec() {
        super(GgmlType.Q2_K);
    }

    @Override
    public void quantizeRow(float[] src, int srcOffset, int n, MemorySegment dst, long dstOffset, float[] importance) {
        int nb = checkQuantizeArgs(src, srcOffset, n, importance);
        byte[] block = new byte[BLOCK_BYTES];
        byte[] L = new byte[QK_K];
        byte[] Laux = new byte[16];
        byte[] Ls = new byte[16];
        byte[] Lm = new byte[16];
        float[] weights = new float[16];
        float[] sw = new float[16];
        float[] mins = new float[16];
        float[] scales = new float[16];
        for (int i = 0; i < nb; i++) {
            int xb = srcOffset + QK_K * i;
            float dq, mq;
            if (importance == null) {
                // quantize_row_q2_K_ref
                final float q4scale = 15.f;
                float maxScale = 0;
                float maxMin = 0;
                for (int j = 0; j < 16; ++j) {
                    for (int l = 0; l < 16; ++l) weights[l] = Math.abs(src[xb + 16 * j + l]);
                    scales[j] = GgmlQuantMath.makeQkx2Quants(16, 3, src, xb + 16 * j, weights, 0, L, 16 * j,
                            mins, j, Laux, -0.5f, 0.1f, 15, true);
                    if (scales[j] > maxScale) maxScale = scales[j];
                    if (mins[j] > maxMin) maxMin = mins[j];
                }
                if (maxScale > 0) {
                    float iscale = q4scale / maxScale;
                    for (int j = 0; j < 16; ++j) block[j] = (byte) nearestInt(iscale * scales[j]);
                    putFp16(block, 80, maxScale / q4scale);
                } else {
                    for (int j = 0; j < 16; ++j) block[j] = 0;
                    putFp16(block, 80, 0.f);
                }
                if (maxMin > 0) {
                    float iscale = q4scale / maxMin;
                    for (int j = 0; j < 16; ++j) block[j] |= (byte) (nearestInt(iscale * mins[j]) << 4);
                    putFp16(block, 82, maxMin / q4scale);
                } else {
                    putFp16(block, 82, 0.f);
                }
            } else {
                // quantize_row_q2_K_impl
                float sumx2 = 0;
                for (int j = 0; j < QK_K; ++j) sumx2 += src[xb + j] * src[xb + j];
                float sigma2 = sumx2 / QK_K;
                for (int j = 0; j < 16; ++j) {
                    int qw = QK_K * i + 16 * j;
                    for (int l = 0; l < 16; ++l) {
                        float x = src[xb + 16 * j + l];
                        weights[l] = importance[qw + l] * (float) Math.sqrt(sigma2 + x * x);
                    }
                    float s = 0;
                    for (int l = 0; l < 16; ++l) s += weights[l];
                    sw[j] = s;
                    scales[j] = GgmlQuantMath.makeQkx3Quants(16, 3, src, xb + 16 * j, weights, 0, L, 16 * j,
                            mins, j, Laux, -0.9f, 0.05f, 36, false);
                }
                float dm = GgmlQuantMath.makeQpQuants(16, 15, scales, 0, Ls, 0, sw, 0);
                float mm = GgmlQuantMath.makeQpQuants(16, 15, mins, 0, Lm, 0, sw, 0);
                putFp16(block, 80, dm);
                putFp16(block, 82, mm);
                for (int j = 0; j < 16; ++j) block[j] = (byte) ((Ls[j] & 0xFF) | ((Lm[j] & 0xFF) << 4));
            }
            dq = fp16At(block, 80);
            mq = fp16At(block, 82);
            for (int j = 0; j < 16; ++j) {
                float d = dq * (block[j] & 0xF);
                if (d == 0) continue;
                float dm = mq * ((block[j] & 0xFF) >> 4);
                for (int ii = 0; ii < 16; ++ii) {
                    int l = nearestInt((src[xb + 16 * j + ii] + dm) / d);
                    L[16 * j + ii] = (byte) Math.max(0, Math.min(3, l));
                }
            }
            pack2Bit(L, block, 16);
            store(block, dst, dstOffset + (long) i * BLOCK_BYTES);
        }
    }

    /** Packs 256 two-bit levels into 64 bytes at {@code out[off..]}, ggml's Q2_K/Q3_K order. */
    static void pack2Bit(byte[] L, byte[] out, int off) {
        for (int c = 0; c < 2; c++) {
            int j = 128 * c;
            for (int l = 0; l < 32; ++l) {
                out[off + 32 * c + l] = (byte) (L[j + l] | (L[j + l + 32] << 2) | (L[j + l + 64] << 4) | (L[j + l + 96] << 6));
            }
        }
    }

    @Override
    public void dequantizeRow(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
        int nb = blocks(n);
        java.util.Objects.checkFromIndexSize(dstOffset, n, dst.length);
        byte[] b = new byte[BLOCK_BYTES];
        int y = dstOffset;
        for (int i = 0; i < nb; i++) {
            load(src, srcOffset + (long) i * BLOCK_BYTES, b);
            float d = fp16At(b, 80);
            float min = fp16At(b, 82);
            int is = 0;
            for (int c = 0; c < 2; c++) {
                int q = 16 + 32 * c;
                for (int s = 0; s < 4; s++) {
                    int shift = 2 * s;
                    int sc = b[is++] & 0xFF;
                    float dl = d * (sc & 0xF), ml = min * (sc >> 4);
                    for (int l = 0; l < 16; ++l) dst[y++] = dl * (((b[q + l] & 0xFF) >> shift) & 3) - ml;
                    sc = b[is++] & 0xFF;
                    dl = d * (sc & 0xF);
                    ml = min * (sc >> 4);
                    for (int l = 16; l < 32; ++l) dst[y++] = dl * (((b[q + l] & 0xFF) >> shift) & 3) - ml;
                }
            }
        }
    }

    /** ggml_vec_dot_q2_K_q8_K_generic. */
    @Override
    public float dot(int n, MemorySegment x, long xOffset, MemorySegment y, long yOffset) {
        int nb = blocks(n);
        byte[] b = new byte[BLOCK_BYTES];
        byte[] q8 = new byte[Q8KCodec.BLOCK_BYTES];
        float sumf = 0;
        for (int i = 0; i < nb; i++) {
            load(x, xOffset + (long) i * BLOCK_BYTES, b);
            load(y, yOffset + (long) i * Q8KCodec.BLOCK_BYTES, q8);
            int summs = 0;
            for (int j = 0; j < 16; ++j) summs += leShort(q8, Q8KCodec.BSUMS_OFF + 2 * j) * ((b[j] & 0xFF) >> 4);
            float yd = leFloat(q8, 0);
            float dall = yd * fp16At(b, 80);
            float dmin = yd * fp16At(b, 82);
            int isum = 0;
            int is = 0;
            int p8 = Q8KCodec.QS_OFF;
            for (int c = 0; c < 2; c++) {
                int q2 = 16 + 32 * c;
                for (int s = 0; s < 4; s++) {
                    int shift = 2 * s;
                    int d = b[is++] & 0xF;
                    int isuml = 0;
                    for (int l = 0; l < 16; ++l) isuml += q8[p8 + l] * (((b[q2 + l] & 0xFF) >> shift) & 3);
                    isum += d * isuml;
                    d = b[is++] & 0xF;
                    isuml = 0;
                    for (int l = 16; l < 32; ++l) isuml += q8[p8 + l] * (((b[q2 + l] & 0xFF) >> shift) & 3);
                    isum += d * isuml;
                    p8 += 32;
                }
            }
            sumf += dall * isum - dmin * summs;
        }
        return sumf;
    }
}
