package dev.squint.quantize.onnx;

/**
 * Linear 8-bit quantization of a constant weight matrix, per tensor or per channel, as ONNX's
 * QuantizeLinear defines it: {@code q = saturate(round_half_even(w / scale) + zero_point)},
 * {@code w ≈ (q - zero_point) * scale}.
 *
 * <p>Signed weights are symmetric (zero point 0, q in [-127, 127], or [-63, 63] with reduce-range);
 * unsigned weights are asymmetric over [min(0, min), max(0, max)] (q in [0, 255], or [0, 127]).
 * A zero range gets scale 1 so that dequantization stays finite.
 */
final class WeightQuant {
    /** q holds int8 or uint8 bit patterns, row-major like the input. */
    record Result(byte[] q, float[] scales, byte[] zeroPoints, boolean signed) {}

    private WeightQuant() {}

    /**
     * @param w       row-major [rows, cols]
     * @param channelAxis 0: one scale per row, 1: one scale per column; ignored when per tensor
     */
    static Result quantize(float[] w, int rows, int cols, boolean perChannel, int channelAxis, boolean signed, boolean reduceRange) {
        int channels = perChannel ? (channelAxis == 0 ? rows : cols) : 1;
        float[] min = new float[channels];
        float[] max = new float[channels];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                int ch = !perChannel ? 0 : channelAxis == 0 ? r : c;
                float v = w[r * cols + c];
                if (v < min[ch]) min[ch] = v;
                if (v > max[ch]) max[ch] = v;
            }
        }
        float[] scales = new float[channels];
        byte[] zps = new byte[channels];
        int qmin, qmax;
        if (signed) {
            qmax = reduceRange ? 63 : 127;
            qmin = -qmax;
        } else {
            qmin = 0;
            qmax = reduceRange ? 127 : 255;
        }
        int[] zpInt = new int[channels];
        for (int ch = 0; ch < channels; ch++) {
            if (signed) {
                float absmax = Math.max(-min[ch], max[ch]);
                scales[ch] = absmax > 0 ? absmax / qmax : 1f;
                zpInt[ch] = 0;
            } else {
                float range = max[ch] - min[ch];
                scales[ch] = range > 0 ? range / (qmax - qmin) : 1f;
                zpInt[ch] = clamp((int) Math.rint(qmin - min[ch] / scales[ch]), qmin, qmax);
            }
            zps[ch] = (byte) zpInt[ch];
        }
        byte[] q = new byte[w.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                int ch = !perChannel ? 0 : channelAxis == 0 ? r : c;
                int v = (int) Math.rint(w[r * cols + c] / scales[ch]) + zpInt[ch];
                q[r * cols + c] = (byte) clamp(v, qmin, qmax);
            }
        }
        return new Result(q, scales, zps, signed);
    }

    static int clamp(int v, int lo, int hi) { return v < lo ? lo : Math.min(v, hi); }

    /** Transposes a row-major [rows, cols] matrix. */
    static float[] transpose(float[] w, int rows, int cols) {
        float[] t = new float[w.length];
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) t[c * rows + r] = w[r * cols + c];
        return t;
    }
}
