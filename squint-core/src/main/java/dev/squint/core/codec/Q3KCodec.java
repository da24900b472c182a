package dev.squint.core.codec;

import dev.squint.core.GgmlType;

import java.lang.foreign.MemorySegment;

import static dev.squint.core.codec.GgmlQuantMath.nearestInt;

/**
 * Q3_K: symmetric 3-bit K-quant. A super-block of 256 values is 16 sub-blocks of 16; value =
 * d·(sc_j − 32)·(q − 4) with a 3-bit level q (2 low bits + 1 high bit) and a 6-bit sub-block
 * scale sc_j.
 *
 * <pre>
 * Q3_K, 110 bytes
 *    0  u8 hmask[32]   high bits
 *   32  u8 qs[64]      low 2 bits
 *   96  u8 scales[12]  sixteen 6-bit scales
 *  108  fp16 d
 * </pre>
 *
 * Value v's low 2 bits are packed as in Q2_K (chunk c = v/128 uses qs[32c..32c+32); value
 * 128c+32s+l is bits 2s..2s+1 of qs[32c+l]); its high bit is bit v/32 of hmask[v%32]; a set high
 * bit means q ≥ 4. Scale sc_j: low 4 bits are the low nibble of scales[j] (j &lt; 8) or the high
 * nibble of scales[j−8] (j ≥ 8); high 2 bits are bits 2(j/4)..2(j/4)+1 of scales[8 + j%4].
 */
final class Q3KCodec extends KQuantCodec {
    static final int BLOCK_BYTES = 110;
    static final Q3KCodec INSTANCE = new Q3KCodec();

    private Q3KCodec() {
        super(GgmlType.Q3_K);
    }

    @Override
    public void quantizeRow(float[] src, int srcOffset, int n, MemorySegment dst, long dstOffset, float[] importance) {
        int nb = checkQuantizeArgs(src, srcOffset, n, importance);
        byte[] block = new byte[BLOCK_BYTES];
        byte[] L = new byte[QK_K];
        byte[] Ls = new byte[16];
        float[] scales = new float[16];
        float[] weight = new float[16];
        float[] sw = new float[16];
        for (int i = 0; i < nb; i++) {
            int xb = srcOffset + QK_K * i;
            java.util.Arrays.fill(block, (byte) 0);
            if (importance == null) {
                // quantize_row_q3_K_ref
                float maxScale = 0;
                float amax = 0;
                for (int j = 0; j < 16; ++j) {
                    scales[j] = GgmlQuantMath.makeQ3Quants(16, 4, src, xb + 16 * j, L, 16 * j, true);
                    float scale = Math.abs(scales[j]);
                    if (scale > amax) {
                        amax = scale;
                        maxScale = scales[j];
                    }
                }
                if (maxScale != 0) {
                    float iscale = -32.f / maxScale;
                    for (int j = 0; j < 16; ++j) {
                        byte l = (byte) nearestInt(iscale * scales[j]);
                        packScale(block, j, Math.max(-32, Math.min(31, l)) + 32);
                    }
                    putFp16(block, 108, 1 / iscale);
                } else {
                    putFp16(block, 108, 0.f);
                }
            } else {
                // quantize_row_q3_K_impl
                float sumx2 = 0;
                for (int j = 0; j < QK_K; ++j) sumx2 += src[xb + j] * src[xb + j];
                float sigma2 = 2 * sumx2 / QK_K;
                for (int j = 0; j < 16; ++j) {
                    int qw = QK_K * i + 16 * j;
                    for (int l = 0; l < 16; ++l) {
                        float x = src[xb + 16 * j + l];
                        weight[l] = importance[qw + l] * (float) Math.sqrt(sigma2 + x * x);
                    }
                    float sumw = 0;
                    for (int l = 0; l < 16; ++l) sumw += weight[l];
                    sw[j] = sumw;
                    scales[j] = GgmlQuantMath.makeQxQuants(16, 4, src, xb + 16 * j, L, 16 * j, 1, weight, 0);
                }
                float dBlock = GgmlQuantMath.makeQxQuants(16, 32, scales, 0, Ls, 0, 1, sw, 0);
                for (int j = 0; j < 16; ++j) packScale(block, j, Ls[j]);
                putFp16(block, 108, dBlock);
            }
            float dq = fp16At(block, 108);
            for (int j = 0; j < 16; ++j) {
                float d = dq * (scaleOf(block, 96, j) - 32);
                if (d == 0) continue;
                for (int ii = 0; ii < 16; ++ii) {
                    int l = nearestInt(src[xb + 16 * j + ii] / d);
                    L[16 * j + ii] = (byte) (Math.max(-4, Math.min(3, l)) + 4);
                }
            }
            for (int j = 0; j < QK_K; ++j) {
                if (L[j] > 3) {
                    block[j % 32] |= (byte) (1 << (j / 32));
                    L[j] -= 4;
                }
            }
            Q2KCodec.pack2Bit(L, block, 32);
            store(block, dst, dstOffset + (long) i * BLOCK_BYTES);
        }
    }

    /** Stores the 6-bit scale {@code l} (0..63) of sub-block j into the zeroed scales at block[96..108). */
    private static void packScale(byte[] block, int j, int l) {
        if (j < 8) {
            block[96 + j] = (byte) (l & 0xF);
        } else {
            block[96 + j - 8] |= (byte) ((l & 0xF) << 4);
        }
        l >>= 4;
        block[96 + 8 + j % 4] |= (byte) (l << (2 * (j / 4)));
    }

    /** The 6-bit scale of sub-block j (0..63, before subtracting 32). */
    static int scaleOf(byte[] b, int off, int j) {
        int low = j < 8 ? b[off + j] & 0xF : (b[off + j - 8] & 0xFF) >> 4;
        return low | ((((b[off + 8 + j % 4] & 0xFF) >> (2 * (j / 4))) & 3) << 4);
    }

    /** The signed 3-bit levels (q − 4) of one block, in value order. */
    static void unpackLevels(byte[] b, int[] a) {
        for (int v = 0; v < QK_K; v++) {
            int c = v >> 7, s = (v >> 5) & 3, l = v & 31;
            int low = ((b[32 + 32 * c + l] & 0xFF) >> (2 * s)) & 3;
            a[v] = low - ((b[l] & (1 << (v >> 5))) != 0 ? 0 : 4);
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
            float dAll = fp16At(b, 108);
            unpackLevels(b, a);
            int y = dstOffset + QK_K * i;
            for (int j = 0; j < 16; j++) {
                float dl = dAll * (scaleOf(b, 96, j) - 32);
                for (int l = 0; l < 16; l++) dst[y + 16 * j + l] = dl * a[16 * j + l];
            }
        }
    }

    /** ggml_vec_dot_q3_K_q8_K_generic: exact integer sums in 8 lanes, one float scale per block. */
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
            for (int j = 0; j < 16; j++) {
                int scale = scaleOf(b, 96, j) - 32;
                for (int k = 16 * j; k < 16 * j + 16; k++) aux32[k & 7] += scale * (q8[Q8KCodec.QS_OFF + k] * a[k]);
            }
            float d = fp16At(b, 108) * leFloat(q8, 0);
            for (int l = 0; l < 8; ++l) sums[l] += d * aux32[l];
        }
        float sumf = 0;
        for (int l = 0; l < 8; ++l) sumf += sums[l];
        return sumf;
    }
}
