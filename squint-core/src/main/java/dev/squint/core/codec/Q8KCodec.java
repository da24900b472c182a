package dev.squint.core.codec;

import dev.squint.core.GgmlType;

import java.lang.foreign.MemorySegment;

import static dev.squint.core.codec.GgmlQuantMath.nearestInt;

/**
 * Q8_K: the activation type the K-quants (and several i-quants) take their dot products against.
 * Value = d·q with one float32 scale per 256 values.
 *
 * <pre>
 * Q8_K, 292 bytes
 *    0  f32 d          (not fp16: activations keep full scale precision)
 *    4  i8  qs[256]
 *  260  i16 bsums[16]  sum of qs[16k..16k+16), so min terms need no per-value work
 * </pre>
 *
 * Quantization is {@code quantize_row_q8_K_ref}: scale −127/max of the signed value with the
 * largest magnitude, rounding by {@code nearest_int}, levels capped at 127. An all-zero block is
 * d = 0, qs = 0; ggml leaves its bsums unwritten there, this codec writes zeros. Q8_K ignores
 * importance weights. ggml defines no Q8_K·Q8_K dot product; {@link #dot} here is squint's own
 * (per block the exact integer sum times d_x·d_y, accumulated in float in block order) so the
 * codec is complete, and it is not a llama.cpp reference.
 */
final class Q8KCodec extends KQuantCodec {
    static final int BLOCK_BYTES = 292;
    static final int QS_OFF = 4;
    static final int BSUMS_OFF = 260;

    static final Q8KCodec INSTANCE = new Q8KCodec();

    private Q8KCodec() {
        super(GgmlType.Q8_K);
    }

    @Override
    public void quantizeRow(float[] src, int srcOffset, int n, MemorySegment dst, long dstOffset, float[] importance) {
        int nb = checkQuantizeArgs(src, srcOffset, n, null);
        byte[] block = new byte[BLOCK_BYTES];
        for (int i = 0; i < nb; i++) {
            quantizeBlock(src, srcOffset + QK_K * i, block);
            store(block, dst, dstOffset + (long) i * BLOCK_BYTES);
        }
    }

    /** quantize_row_q8_K_ref for one block of 256 values into {@code block} (292 bytes). */
    static void quantizeBlock(float[] x, int xb, byte[] block) {
        float max = 0;
        float amax = 0;
        for (int j = 0; j < QK_K; ++j) {
            float ax = Math.abs(x[xb + j]);
            if (ax > amax) {
                amax = ax;
                max = x[xb + j];
            }
        }
        java.util.Arrays.fill(block, (byte) 0);
        if (amax == 0) return;
        float iscale = -127.f / max;
        for (int j = 0; j < QK_K; ++j) {
            int v = nearestInt(iscale * x[xb + j]);
            block[QS_OFF + j] = (byte) Math.min(127, v);
        }
        for (int j = 0; j < 16; ++j) {
            int sum = 0;
            for (int ii = 0; ii < 16; ++ii) sum += block[QS_OFF + 16 * j + ii];
            block[BSUMS_OFF + 2 * j] = (byte) sum;
            block[BSUMS_OFF + 2 * j + 1] = (byte) (sum >> 8);
        }
        int d = Float.floatToRawIntBits(1 / iscale);
        block[0] = (byte) d;
        block[1] = (byte) (d >> 8);
        block[2] = (byte) (d >> 16);
        block[3] = (byte) (d >> 24);
    }

    @Override
    public void dequantizeRow(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
        int nb = blocks(n);
        java.util.Objects.checkFromIndexSize(dstOffset, n, dst.length);
        byte[] b = new byte[BLOCK_BYTES];
        for (int i = 0; i < nb; i++) {
            load(src, srcOffset + (long) i * BLOCK_BYTES, b);
            float d = leFloat(b, 0);
            for (int j = 0; j < QK_K; ++j) dst[dstOffset + QK_K * i + j] = d * b[QS_OFF + j];
        }
    }

    @Override
    public float dot(int n, MemorySegment x, long xOffset, MemorySegment y, long yOffset) {
        int nb = blocks(n);
        byte[] bx = new byte[BLOCK_BYTES];
        byte[] by = new byte[BLOCK_BYTES];
        float sumf = 0;
        for (int i = 0; i < nb; i++) {
            load(x, xOffset + (long) i * BLOCK_BYTES, bx);
            load(y, yOffset + (long) i * BLOCK_BYTES, by);
            int sumi = 0;
            for (int j = 0; j < QK_K; ++j) sumi += bx[QS_OFF + j] * by[QS_OFF + j];
            sumf += sumi * (leFloat(bx, 0) * leFloat(by, 0));
        }
        return sumf;
    }
}
