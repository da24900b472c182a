package dev.squint.kernels;

import dev.squint.kernels.MatrixKernels.Impl;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

class PanelGemmTest {

    /** A weight matrix held as floats, decoded by copying (the kernel does not care where panels come from). */
    record Matrix(float[] w, int in) implements PanelGemm.RowDecoder {
        @Override public void decode(int row, int k0, int n, float[] dst, int dstOffset) {
            System.arraycopy(w, row * in + k0, dst, dstOffset, n);
        }
    }

    static float[] gaussian(SplittableRandom rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) rnd.nextGaussian();
        return a;
    }

    static float[] transpose(float[] x, int tokens, int in) {
        int tp = PanelGemm.paddedTokens(tokens);
        float[] xT = new float[in * tp];
        for (int t = 0; t < tokens; t++) for (int k = 0; k < in; k++) xT[k * tp + t] = x[t * in + k];
        return xT;
    }

    static float[] run(Impl impl, Matrix m, int out, float[] xT, int tokens, float[] bias, int... splits) {
        float[] y = new float[tokens * out + 3];
        PanelGemm.Scratch s = new PanelGemm.Scratch();
        int from = 0;
        for (int to : splits) {
            PanelGemm.rows(impl, m, m.in(), xT, tokens, y, out, bias, from, to, s);
            from = to;
        }
        PanelGemm.rows(impl, m, m.in(), xT, tokens, y, out, bias, from, out, s);
        return y;
    }

    @Test
    void vectorTilesEqualTheScalarTwinBitForBitAtOddSizes() {
        SplittableRandom rnd = new SplittableRandom(7);
        // rows not a multiple of 6 or 24, tokens not a multiple of the 4-vector tile, k across several 256-wide slices
        int[][] shapes = {{1, 1, 1}, {7, 3, 5}, {25, 17, 31}, {50, 64, 256}, {31, 70, 300}, {49, 131, 600}, {6, 16, 513}};
        for (int[] sh : shapes) {
            int out = sh[0], tokens = sh[1], in = sh[2];
            Matrix m = new Matrix(gaussian(rnd, out * in), in);
            float[] x = gaussian(rnd, tokens * in);
            float[] bias = rnd.nextBoolean() ? gaussian(rnd, out) : null;
            float[] xT = transpose(x, tokens, in);
            float[] scalar = run(Impl.SCALAR, m, out, xT, tokens, bias);
            float[] vector = run(Impl.VECTOR, m, out, xT, tokens, bias);
            for (int i = 0; i < scalar.length; i++) {
                assertThat(Float.floatToRawIntBits(vector[i])).as("shape %dx%dx%d at %d", out, tokens, in, i)
                        .isEqualTo(Float.floatToRawIntBits(scalar[i]));
            }
            // and the value is the product: against a double-precision sum
            for (int t = 0; t < tokens; t++) {
                for (int j = 0; j < out; j++) {
                    double ref = bias == null ? 0 : bias[j];
                    double mag = 0;
                    for (int k = 0; k < in; k++) {
                        ref += (double) m.w()[j * in + k] * x[t * in + k];
                        mag += Math.abs((double) m.w()[j * in + k] * x[t * in + k]);
                    }
                    assertThat((double) vector[t * out + j]).isCloseTo(ref, org.assertj.core.data.Offset.offset(1e-6 * in * (mag / in + 1)));
                }
            }
            assertThat(vector[tokens * out]).as("nothing written past the outputs").isZero();
        }
    }

    @Test
    void resultsDoNotDependOnHowRowsAreSplit() {
        SplittableRandom rnd = new SplittableRandom(11);
        int out = 61, tokens = 77, in = 520;
        Matrix m = new Matrix(gaussian(rnd, out * in), in);
        float[] xT = transpose(gaussian(rnd, tokens * in), tokens, in);
        float[] whole = run(Impl.VECTOR, m, out, xT, tokens, null);
        float[] split = run(Impl.VECTOR, m, out, xT, tokens, null, 5, 13, 40);
        assertThat(split).isEqualTo(whole);
    }

    @Test
    void paddingIsAWholeNumberOfVectors() {
        int l = Species.LANES;
        assertThat(PanelGemm.paddedTokens(1)).isEqualTo(l);
        assertThat(PanelGemm.paddedTokens(l)).isEqualTo(l);
        assertThat(PanelGemm.paddedTokens(l + 1)).isEqualTo(2 * l);
    }
}
