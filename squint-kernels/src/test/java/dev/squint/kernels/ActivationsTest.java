package dev.squint.kernels;

import dev.squint.kernels.MatrixKernels.Impl;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

class ActivationsTest {
    @Test
    void vectorSiluMulAgreesWithTheScalarTwinToRoundingAndLeavesTheRestAlone() {
        SplittableRandom rnd = new SplittableRandom(1);
        int n = 203;
        float[] g = new float[n], u = new float[n];
        for (int i = 0; i < n; i++) {
            g[i] = (float) (rnd.nextGaussian() * 6);
            u[i] = (float) rnd.nextGaussian();
        }
        g[10] = -100f; // e^100 overflows float: silu is -0
        float[] a = g.clone(), b = g.clone();
        Activations.siluMul(Impl.SCALAR, a, u, 3, n - 2);
        Activations.siluMul(Impl.VECTOR, b, u, 3, n - 2);
        for (int i = 0; i < n; i++) {
            if (i < 3 || i >= n - 2) {
                assertThat(b[i]).isEqualTo(g[i]);
                continue;
            }
            double ref = g[i] / (1 + Math.exp(-g[i])) * u[i];
            assertThat((double) a[i]).isCloseTo(ref, org.assertj.core.data.Offset.offset(1e-6 * Math.abs(ref) + 1e-30));
            assertThat((double) b[i]).isCloseTo(ref, org.assertj.core.data.Offset.offset(1e-6 * Math.abs(ref) + 1e-30));
        }
    }
}
