package dev.squint.core.codec;

/**
 * Scalar reference for INT8 per-row symmetric quantization (the Vector API twin in squint-kernels
 * must match it exactly):
 * <pre>
 *   scale = absmax(row) / 127, computed in double and rounded <em>up</em> to float32
 *   q[i]  = rint(clamp(x[i] * (1/scale), -127, 127))      (0 for an all-zero row; ties to even)
 *   x'[i] = q[i] * scale
 * </pre>
 * The code range is the restricted {@code [-127, 127]} so that zero maps to 0 and the range is
 * symmetric; rounding the scale up means {@code absmax / scale <= 127}, so no value is clipped and
 * the error is at most half a step. It is {@link IntQuantizer}'s 8-bit symmetric per-channel
 * min-max scheme with F32 scales, with codes kept signed instead of offset by 128.
 */
public final class Int8Rows {
    private Int8Rows() {}

    public static final int QMAX = 127;

    /** The row scale for a row whose largest magnitude is {@code absmax}. */
    public static float scaleFor(float absmax) {
        return IntQuantizer.ScaleType.F32.roundUp((double) absmax / QMAX);
    }

    /** The multiplier that maps values to codes: {@code 1/scale}, or 0 for a zero scale. */
    public static float inverse(float scale) {
        return scale == 0f ? 0f : 1f / scale;
    }

    /** Quantizes {@code n} floats to signed codes; returns the row scale. */
    public static float quantizeRow(float[] src, int srcOffset, int n, byte[] dst, int dstOffset) {
        float absmax = 0f;
        for (int i = 0; i < n; i++) absmax = Math.max(absmax, Math.abs(src[srcOffset + i]));
        float scale = scaleFor(absmax);
        float inv = inverse(scale);
        for (int i = 0; i < n; i++) {
            float y = Math.min(QMAX, Math.max(-QMAX, src[srcOffset + i] * inv));
            dst[dstOffset + i] = (byte) (int) Math.rint(y);
        }
        return scale;
    }

    /** Dequantizes {@code n} signed codes with one scale. */
    public static void dequantizeRow(byte[] src, int srcOffset, int n, float scale, float[] dst, int dstOffset) {
        for (int i = 0; i < n; i++) dst[dstOffset + i] = src[srcOffset + i] * scale;
    }
}
