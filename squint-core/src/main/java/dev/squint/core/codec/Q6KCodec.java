package dev.squint.core.codec;

import dev.squint.core.GgmlType;

import java.lang.foreign.MemorySegment;

import static dev.squint.core.codec.GgmlQuantMath.nearestInt;

/**
 * Q6_K: symmetric 6-bit K-quant. A super-block of 256 values is 16 sub-blocks of 16; value =
 * d·sc_j·(q − 32) with a 6-bit level q and a signed 8-bit sub-block scale sc_j.
 *
 * <pre>
 * Q6_K, 210 bytes
 *    0  u8  ql[128]     low 4 bits of q
 *  128  u8  qh[64]      high 2 bits of q
 *  192  i8  scales[16]
 *  208  fp16 d
 * </pre>
 *
 * The block is two halves of 128 values; half h uses ql[64h..64h+64) and qh[32h..32h+32). Within
 * a half, for l in 0..31: value l is ql[l] low nibble, value l+32 is ql[l+32] low nibble, value
 * l+64 is ql[l] high nibble, value l+96 is ql[l+32] high nibble; their high 2 bits are bits
 * 0-1, 2-3, 4-5, 6-7 of qh[l]. Scale j covers values 16j..16j+16.
 */
final class Q6KCodec extends KQuantCodec {
    static final int BLOCK_BYTES = 210;
    static final Q6KCodec INSTANCE = new Q6KCodec();

    private Q6KCodec() {
        super(GgmlType.Q6_K);
    }

    /** quantize_row_q6_K_ref without importance, quantize_row_q6_K_impl with it (same code, weights differ). */
    @Override
    public void quantizeRow(float[] src, int srcOffset, int n, MemorySegment dst, long dstOffset, float[] importance) {
        int nb = checkQuantizeArgs(src, srcOffset, n, importance);
        byte[] block = new byte[BLOCK_BYTES];
        byte[] L = new byte[QK_K];
        float[] scales = new float[16];
        for (int i = 0; i < nb; i++) {
            int xb = srcOffset + QK_K * i;
            float maxScale = 0;
            float maxAbsScale = 0;
            for (int ib = 0; ib < 16; ++ib) {
                float scale = GgmlQuantMath.makeQxQuants(16, 32, src, xb + 16 * ib, L, 16 * ib, 1,
                        importance, QK_K * i + 16 * ib);
                scales[ib] = scale;
                float absScale = Math.abs(scale);
                if (absScale > maxAbsScale) {
                    maxAbsScale = absScale;
                    maxScale = scale;
                }
            }
            java.util.Arrays.fill(block, (byte) 0);
            if (maxAbsScale < GgmlQuantMath.GROUP_MAX_EPS) {
                store(block, dst, dstOffset + (long) i * BLOCK_BYTES);
                continue;
            }
            float iscale = -128.f / maxScale;
            putFp16(block, 208, 1 / iscale);
            for (int ib = 0; ib < 16; ++ib) {
                block[192 + ib] = (byte) Math.min(127, nearestInt(iscale * scales[ib]));
            }
            float dq = fp16At(block, 208);
            for (int j = 0; j < 16; ++j) {
                float d = dq * block[192 + j];
                if (d == 0) continue;
                for (int ii = 0; ii < 16; ++ii) {
                    int l = nearestInt(src[xb + 16 * j + ii] / d);
                    L[16 * j + ii] = (byte) (Math.max(-32, Math.min(31, l)) + 32);
                }
            }
            for (int h = 0; h < 2; h++) {
                int j = 128 * h, ql = 64 * h, qh = 128 + 32 * h;
                for (int l = 0; l < 32; ++l) {
                    int q1 = L[j + l] & 0xF;
                    int q2 = L[j + l + 32] & 0xF;
                    int q3 = L[j + l + 64] & 0xF;
                    int q4 = L[j + l + 96] & 0xF;
                    block[ql + l] = (byte) (q1 | (q3 << 4));
                    block[ql + l + 32] = (byte) (q2 | (q4 << 4));
                    block[qh + l] = (byte) ((L[j + l] >> 4) | ((L[j + l + 32] >> 4) << 2)
                            | ((L[j + l + 64] >> 4) << 4) | ((L[j + l + 96] >> 4) << 6));
                }
            }
            store(block, dst, dstOffset + (long) i * BLOCK_BYTES);
        }
    }

    /** The signed 6-bit levels (q − 32) of one block, in value order. */
    static void unpackLevels(byte[] b, int[] a) {
        for (int h = 0; h < 2; h++) {
            int ql = 64 * h, qh = 128 + 32 * h, o = 128 * h;
            for (int l = 0; l < 32; ++l) {
                int hb = b[qh + l] & 0xFF;
                a[o + l] = ((b[ql + l] & 0xF) | ((hb & 3) << 4)) - 32;
                a[o + l + 32] = ((b[ql + l + 32] & 0xF) | (((hb >> 2) & 3) << 4)) - 32;
                a[o + l + 64] = (((b[ql + l] & 0xFF) >> 4) | (((hb >> 4) & 3) << 4)) - 32;
                a[o + l + 96] = (((b[ql + l + 32] & 0xFF) >> 4) | (((hb >> 6) & 3) << 4)) - 32;
            }
        }
    }

    @Override
    public void dequantizeRow(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
        int nb = blocks(n);
        java.util.Objects.checkFromIndexSize(dstOffset, n, dst.length);
        byte[] b = new byte[BLOCK_BYTES];
        int[] a = new int[QK_K];
        for (int i = 0; i < nb; i++) {
            load(src, srcOffset + (long) i * BLOCK_BYTES, b);
            float d = fp16At(b, 208);
            unpackLevels(b, a);
            int y = dstOffset + QK_K * i;
            for (int k = 0; k < QK_K; k++) dst[y + k] = d * b[192 + k / 16] * a[k];
        }
    }

    /** ggml_vec_dot_q6_K_q8_K_generic: exact integer sums in 8 lanes, one float scale per block. */
    @Override
    public float dot(int n, MemorySegment x, long xOffset, MemorySegment y, long yOffset) {
        int nb = blocks(n);
        byte[] b = new byte[BLOCK_BYTES];
        byte[] q8 = new byte[Q8KCodec.BLOCK_BYTES];
        int[] a = new int[QK_K];
        int[] aux32 = new int[8];
        float[] sums = new float[8];
        for (int i = 0; i < nb; i++) {
            load(x, xOffset + (long) i * BLOCK_BYTES, b);
            load(y, yOffset + (long) i * Q8KCodec.BLOCK_BYTES, q8);
            unpackLevels(b, a);
            java.util.Arrays.fill(aux32, 0);
            for (int k = 0; k < QK_K; k++) {
                aux32[k & 7] += b[192 + k / 16] * (q8[Q8KCodec.QS_OFF + k] * a[k]);
            }
            float d = fp16At(b, 208) * leFloat(q8, 0);
            for (int l = 0; l < 8; ++l) sums[l] += d * aux32[l];
        }
        float sumf = 0;
        for (int l = 0; l < 8; ++l) sumf += sums[l];
        return sumf;
    }
}
