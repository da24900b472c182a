package dev.squint.kernels;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

class EncoderKernelsTest {

    /** Scalar twin of {@link EncoderKernels#layerNorm}, in double. */
    static void layerNormReference(double[] x, float[] g, float[] b, float eps) {
        int n = x.length;
        double mean = 0;
        for (double v : x) mean += v;
        mean /= n;
        double var = 0;
        for (double v : x) var += (v - mean) * (v - mean);
        double inv = 1 / Math.sqrt(var / n + eps);
        for (int i = 0; i < n; i++) x[i] = (x[i] - mean) * inv * g[i] + b[i];
    }

    @Test
    void layerNormWithResidualMatchesTheScalarTwinAtOddWidths() {
        SplittableRandom rnd = new SplittableRandom(21);
        for (int n : new int[] {1, 3, 15, 16, 17, 33, 384, 385}) {
            float[] x = new float[n + 7], res = new float[n + 2], g = new float[n], b = new float[n];
            for (int i = 0; i < x.length; i++) x[i] = (float) (rnd.nextGaussian() * 4 + 1);
            for (int i = 0; i < res.length; i++) res[i] = (float) rnd.nextGaussian();
            for (int i = 0; i < n; i++) { g[i] = (float) (1 + rnd.nextGaussian() * 0.1); b[i] = (float) (rnd.nextGaussian() * 0.1); }
            double[] expect = new double[n];
            for (int i = 0; i < n; i++) expect[i] = (double) x[5 + i] + res[2 + i];
            layerNormReference(expect, g, b, 1e-12f);
            float before0 = x[4], after = x[5 + n];
            EncoderKernels.layerNorm(x, 5, n, res, 2, g, b, 1e-12f);
            for (int i = 0; i < n; i++) assertThat((double) x[5 + i]).as("n=%d i=%d", n, i).isCloseTo(expect[i], offset(2e-5 * (1 + Math.abs(expect[i]))));
            assertThat(x[4]).isEqualTo(before0);
            assertThat(x[5 + n]).isEqualTo(after);
        }
    }

    /** Scalar twin of {@link EncoderKernels#attendHead}, in double. */
    static double[] attentionReference(float[] qkv, int stride, int first, int n, int qCol, int kCol, int vCol, int dh, double scale) {
        double[] out = new double[n * dh];
        for (int i = 0; i < n; i++) {
            double[] s = new double[n];
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < n; j++) {
                for (int d = 0; d < dh; d++) s[j] += (double) qkv[(first + i) * stride + qCol + d] * qkv[(first + j) * stride + kCol + d];
                s[j] *= scale;
                max = Math.max(max, s[j]);
            }
            double sum = 0;
            for (int j = 0; j < n; j++) sum += s[j] = Math.exp(s[j] - max);
            for (int j = 0; j < n; j++) for (int d = 0; d < dh; d++) out[i * dh + d] += s[j] / sum * qkv[(first + j) * stride + vCol + d];
        }
        return out;
    }

    @Test
    void attentionMatchesTheScalarTwinAtOddSequenceLengthsAndHeadWidths() {
        SplittableRandom rnd = new SplittableRandom(22);
        for (int dh : new int[] {5, 16, 32, 40}) {
            for (int n : new int[] {1, 2, 15, 16, 17, 40}) {
                // fused projections: queries, keys, values of three heads per row; the middle head, rows around
                int heads = 3, width = heads * dh, stride = 3 * width + 2, first = 2, rows = first + n + 1, col = dh;
                float[] qkv = new float[rows * stride];
                for (int i = 0; i < qkv.length; i++) qkv[i] = (float) (rnd.nextGaussian() * 2);
                int ctxStride = width + 1;
                float[] ctx = new float[rows * ctxStride];
                java.util.Arrays.fill(ctx, 7f);
                float scale = (float) (1 / Math.sqrt(dh));
                float[] scratch = new float[EncoderKernels.attentionScratch(n, dh)];
                java.util.Arrays.fill(scratch, Float.NaN); // stale scratch must not leak into the result
                EncoderKernels.attendHead(qkv, stride, first, n, col, width + col, 2 * width + col, dh, scale, ctx, ctxStride, col, scratch);
                double[] expect = attentionReference(qkv, stride, first, n, col, width + col, 2 * width + col, dh, scale);
                for (int r = 0; r < rows; r++) {
                    for (int c = 0; c < ctxStride; c++) {
                        float got = ctx[r * ctxStride + c];
                        boolean inside = r >= first && r < first + n && c >= col && c < col + dh;
                        if (inside) assertThat((double) got).as("dh=%d n=%d r=%d c=%d", dh, n, r, c).isCloseTo(expect[(r - first) * dh + c - col], offset(1e-5));
                        else assertThat(got).as("untouched r=%d c=%d", r, c).isEqualTo(7f);
                    }
                }
            }
        }
    }

    @Test
    void geluVectorBodyAndScalarTailAreBitIdentical() {
        SplittableRandom rnd = new SplittableRandom(23);
        for (int n : new int[] {1, 15, 16, 17, 100}) {
            float[] x = new float[n + 3];
            for (int i = 0; i < x.length; i++) x[i] = (float) (rnd.nextGaussian() * 3);
            x[0] = -9f;
            x[x.length - 1] = 9f;
            float[] y = x.clone();
            GeluErf.apply(y, 1, 1 + n);
            assertThat(y[0]).isEqualTo(x[0]);
            for (int i = 1; i <= n; i++) assertThat(Float.floatToRawIntBits(y[i])).as("i=%d", i).isEqualTo(Float.floatToRawIntBits(GeluErf.gelu(x[i])));
            assertThat(y[n + 1]).isEqualTo(x[n + 1]);
        }
        assertThat(GeluErf.gelu(0f)).isZero();
        assertThat(GeluErf.gelu(10f)).isEqualTo(10f);
    }

    /** The attention's exp is within 2 ulp of Math.exp over the softmax's range, and clamps outside it. */
    @Test
    void vectorExpIsWithinTwoUlpOfMathExp() {
        SplittableRandom rnd = new SplittableRandom(24);
        int lanes = Species.LANES;
        float[] x = new float[lanes], y = new float[lanes];
        for (int rep = 0; rep < 20_000; rep++) {
            for (int i = 0; i < lanes; i++) x[i] = rep == 0 ? new float[] {0f, -0f, 1f, -1f, -87f, 88f, 0.3465f, -0.3466f}[i % 8] : (float) rnd.nextDouble(-87, 88);
            EncoderKernels.exp(jdk.incubator.vector.FloatVector.fromArray(Species.F, x, 0)).intoArray(y, 0);
            for (int i = 0; i < lanes; i++) {
                float expect = (float) Math.exp(x[i]);
                assertThat(Math.abs(y[i] - expect)).as("exp(%s) = %s, Math.exp %s", x[i], y[i], expect).isLessThanOrEqualTo(2 * Math.ulp(expect));
            }
        }
        java.util.Arrays.fill(x, -1000f);
        EncoderKernels.exp(jdk.incubator.vector.FloatVector.fromArray(Species.F, x, 0)).intoArray(y, 0);
        assertThat(y[0]).isGreaterThanOrEqualTo(0f).isLessThan(1e-37f);
    }
}
