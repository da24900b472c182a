package dev.squint.core.codec;

import java.lang.foreign.MemorySegment;

/**
 * A minimal Q8_K (ggml's {@code quantize_row_q8_K_ref}) for this family's dot tests, kept in test
 * scope because the Q8_K codec belongs to the K-quant family. Layout per 256 values: float d
 * (little-endian), int8 qs[256], int16 bsums[16] (sums of 16 consecutive qs) — 292 bytes.
 */
final class Q8KTestQuantizer {
    private Q8KTestQuantizer() {}

    static final int BLOCK_BYTES = 292;

    static void quantize(float[] x, int n, MemorySegment y) {
        for (int b = 0; b < n / 256; b++) {
            long o = (long) b * BLOCK_BYTES;
            float max = 0;
            float amax = 0;
            for (int j = 0; j < 256; j++) {
                float ax = Math.abs(x[256 * b + j]);
                if (ax > amax) {
                    amax = ax;
                    max = x[256 * b + j];
                }
            }
            if (amax == 0) {
                y.asSlice(o, BLOCK_BYTES).fill((byte) 0);
                continue;
            }
            float iscale = -127.f / max;
            for (int j = 0; j < 256; j++) {
                int v = GgmlQuantMath.nearestInt(iscale * x[256 * b + j]);
                GgmlBlockCodecs.put8(y, o + 4 + j, Math.min(127, v));
            }
            for (int g = 0; g < 16; g++) {
                int sum = 0;
                for (int i = 0; i < 16; i++) sum += GgmlBlockCodecs.s8(y, o + 4 + 16 * g + i);
                y.set(GgmlBlockCodecs.LE_SHORT, o + 260 + 2 * g, (short) sum);
            }
            y.set(GgmlBlockCodecs.LE_FLOAT, o, 1 / iscale);
        }
    }

    static void dequantize(MemorySegment y, int n, float[] out) {
        for (int b = 0; b < n / 256; b++) {
            long o = (long) b * BLOCK_BYTES;
            float d = y.get(GgmlBlockCodecs.LE_FLOAT, o);
            for (int j = 0; j < 256; j++) out[256 * b + j] = d * GgmlBlockCodecs.s8(y, o + 4 + j);
        }
    }
}
