package dev.squint.kernels;

import dev.squint.kernels.MatrixKernels.Impl;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class CausalAttentionTest {

    record Case(float[] q, float[] k, float[] v, int heads, int hd, int n, int p0) {}

    static Case randomCase(SplittableRandom rnd, int hd, int n, int p0, boolean f16) {
        int qStride = 3 * hd, kvStride = 2 * hd; // a few heads side by side, as in the session's buffers
        float[] q = new float[n * qStride], k = new float[(p0 + n) * kvStride], v = new float[k.length];
        for (int i = 0; i < q.length; i++) q[i] = (float) rnd.nextGaussian();
        for (int i = 0; i < k.length; i++) {
            k[i] = (float) rnd.nextGaussian();
            v[i] = (float) rnd.nextGaussian();
            if (f16) {
                k[i] = CausalAttention.half(k[i]);
                v[i] = CausalAttention.half(v[i]);
            }
        }
        return new Case(q, k, v, 3, hd, n, p0);
    }

    static float[] run(Impl impl, Case c, int head, int kvHead, boolean f16) {
        float[] q = c.q().clone(), out = new float[q.length];
        CausalAttention.head(impl, q, head * c.hd(), 3 * c.hd(), c.k(), c.v(), kvHead * c.hd(), 2 * c.hd(), c.hd(), c.n(), c.p0(),
                (float) (1 / Math.sqrt(c.hd())), f16, out);
        return out;
    }

    @Test
    void vectorKernelEqualsTheScalarTwinBitForBit() {
        SplittableRandom rnd = new SplittableRandom(3);
        // head sizes below, at and above ggml's 64-value step, with leftovers; batches from one token on, after a cached prefix
        for (int hd : new int[] {8, 48, 64, 72, 128, 136}) {
            for (int[] np : new int[][] {{1, 0}, {5, 0}, {17, 3}, {33, 40}}) {
                for (boolean f16 : new boolean[] {true, false}) {
                    Case c = randomCase(rnd, hd, np[0], np[1], f16);
                    float[] a = run(Impl.SCALAR, c, 2, 1, f16), b = run(Impl.VECTOR, c, 2, 1, f16);
                    for (int i = 0; i < a.length; i++) {
                        assertThat(Float.floatToRawIntBits(b[i])).as("hd %d n %d p0 %d f16 %b at %d", hd, np[0], np[1], f16, i)
                                .isEqualTo(Float.floatToRawIntBits(a[i]));
                    }
                }
            }
        }
    }

    @Test
    void resultIsTheCausalSoftmaxWeightedSumOfValues() {
        SplittableRandom rnd = new SplittableRandom(5);
        int hd = 72, n = 9, p0 = 4;
        Case c = randomCase(rnd, hd, n, p0, false);
        float[] got = run(Impl.VECTOR, c, 1, 0, false);
        for (int t = 0; t < n; t++) {
            int qo = hd + t * 3 * hd;
            double[] w = new double[p0 + t + 1];
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int s = 0; s < w.length; s++) {
                double d = 0;
                for (int i = 0; i < hd; i++) d += (double) c.q()[qo + i] * c.k()[s * 2 * hd + i];
                w[s] = d / Math.sqrt(hd);
                max = Math.max(max, w[s]);
            }
            for (int s = 0; s < w.length; s++) sum += w[s] = Math.exp(w[s] - max);
            for (int i = 0; i < hd; i++) {
                double ref = 0;
                for (int s = 0; s < w.length; s++) ref += w[s] / sum * c.v()[s * 2 * hd + i];
                assertThat((double) got[qo + i]).isCloseTo(ref, within(1e-5));
            }
        }
        // the other heads' slots are untouched
        assertThat(got[0]).isZero();
        assertThat(got[2 * hd]).isZero();
    }

    @Test
    void roundingToHalfMatchesTheJdkConversion() {
        SplittableRandom rnd = new SplittableRandom(9);
        float[] x = new float[4096];
        for (int i = 0; i < x.length; i++) x[i] = (float) (rnd.nextGaussian() * Math.scalb(1.0, rnd.nextInt(-30, 20)));
        x[0] = 65519f; x[1] = 65520f; x[2] = -65520f; x[3] = Float.POSITIVE_INFINITY; x[4] = 0x1p-25f; x[5] = 0x1.8p-24f; x[6] = -0f;
        x[7] = 0x1.ffep-15f; x[8] = 1.00048828125f; // a tie at the 10-bit mantissa: to even
        int l = 16; // the kernel rounds 16-lane vectors
        for (int i = 0; i + l <= x.length; i += l) {
            float[] r = new float[l];
            CausalAttention.roundHalf(jdk.incubator.vector.FloatVector.fromArray(jdk.incubator.vector.FloatVector.SPECIES_512, x, i)).intoArray(r, 0);
            for (int j = 0; j < l; j++) {
                assertThat(Float.floatToRawIntBits(r[j])).as("%s", x[i + j]).isEqualTo(Float.floatToRawIntBits(CausalAttention.half(x[i + j])));
            }
        }
    }
}
