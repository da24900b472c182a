package dev.squint.quantize.onnx;

/**
 * Observed values of one activation tensor over the calibration data, and the range each
 * calibrator picks from them.
 *
 * <p>Pass one records min and max; for the histogram calibrators a second pass fills a
 * {@value #BINS}-bin histogram of |x| over [0, max|x|].
 */
final class ActivationRanges {
    static final int BINS = 2048;
    float min = Float.POSITIVE_INFINITY, max = Float.NEGATIVE_INFINITY;
    long[] hist;
    long count;

    void observe(float[] v) {
        for (float x : v) {
            if (x < min) min = x;
            if (x > max) max = x;
        }
        count += v.length;
    }

    float absMax() { return Math.max(Math.abs(min), Math.abs(max)); }

    void histogram(float[] v) {
        if (hist == null) hist = new long[BINS];
        float am = absMax();
        if (am == 0) { hist[0] += v.length; return; }
        float k = BINS / am;
        for (float x : v) {
            int b = (int) (Math.abs(x) * k);
            hist[Math.min(BINS - 1, b)]++;
        }
    }

    /** [lo, hi] to quantize to, always containing 0. */
    float[] range(OnnxQuantizeOptions.Calibrator c) {
        float lo = Math.min(0, min), hi = Math.max(0, max);
        if (c == OnnxQuantizeOptions.Calibrator.MIN_MAX || hist == null || absMax() == 0) return new float[] {lo, hi};
        double width = absMax() / BINS;
        int cut = switch (c) {
            case PERCENTILE -> percentileBin(0.9999);
            case ENTROPY -> entropyBin();
            case MSE -> mseBin(width);
            default -> BINS;
        };
        float t = (float) (cut * width);
        return new float[] {Math.max(lo, -t), Math.min(hi, t)};
    }

    private int percentileBin(double p) {
        long total = 0;
        for (long h : hist) total += h;
        long acc = 0;
        for (int i = 0; i < BINS; i++) {
            acc += hist[i];
            if (acc >= p * total) return i + 1;
        }
        return BINS;
    }

    /** TensorRT's entropy calibration: the cut whose 128-level quantized histogram is closest (KL) to the clipped one. */
    private int entropyBin() {
        final int levels = 128;
        int best = BINS;
        double bestKl = Double.POSITIVE_INFINITY;
        for (int i = levels; i <= BINS; i += 16) {
            double[] p = new double[i];
            for (int j = 0; j < i; j++) p[j] = hist[j];
            for (int j = i; j < BINS; j++) p[i - 1] += hist[j];
            double[] q = new double[i];
            double per = (double) i / levels;
            for (int l = 0; l < levels; l++) {
                int a = (int) Math.floor(l * per), b = (int) Math.floor((l + 1) * per);
                if (l == levels - 1) b = i;
                double sum = 0;
                int nonzero = 0;
                for (int j = a; j < b; j++) { sum += hist[j]; if (hist[j] != 0) nonzero++; }
                for (int j = a; j < b; j++) if (hist[j] != 0) q[j] = sum / nonzero;
            }
            double ps = 0, qs = 0;
            for (int j = 0; j < i; j++) { ps += p[j]; qs += q[j]; }
            if (ps == 0 || qs == 0) continue;
            double kl = 0;
            for (int j = 0; j < i; j++) {
                if (p[j] == 0) continue;
                double pj = p[j] / ps, qj = q[j] / qs;
                kl += qj == 0 ? pj * 20 : pj * Math.log(pj / qj);
            }
            if (kl < bestKl) { bestKl = kl; best = i; }
        }
        return best;
    }

    /** The cut minimising expected squared error: rounding (step²/12) inside, clipping outside, over 255 levels. */
    private int mseBin(double width) {
        int best = BINS;
        double bestErr = Double.POSITIVE_INFINITY;
        for (int i = 16; i <= BINS; i += 8) {
            double t = i * width;
            double step = 2 * t / 255;
            double err = 0;
            for (int j = 0; j < BINS; j++) {
                if (hist[j] == 0) continue;
                double c = (j + 0.5) * width;
                err += hist[j] * (c > t ? (c - t) * (c - t) : step * step / 12);
            }
            if (err < bestErr) { bestErr = err; best = i; }
        }
        return best;
    }
}
