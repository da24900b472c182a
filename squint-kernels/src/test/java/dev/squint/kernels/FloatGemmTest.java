package dev.squint.kernels;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

class FloatGemmTest {
    /** Sizes that are not multiples of the vector length, the panel width or the row tile, and some that are. */
    static final int[][] SHAPES = {
            {1, 1, 1}, {3, 5, 7}, {4, 16, 16}, {5, 17, 33}, {7, 31, 65}, {9, 33, 129}, {13, 47, 383},
            {64, 32, 384}, {65, 100, 17}, {130, 70, 1537}, {4, 2100, 3},
    };

    /** The scalar twin: one fused multiply-add chain per output in index order, then the bias. */
    static float[] reference(float[] a, int m, float[] w, int n, int k, float[] bias) {
        float[] c = new float[m * n];
        for (int r = 0; r < m; r++) {
            for (int j = 0; j < n; j++) {
                float acc = 0f;
                for (int i = 0; i < k; i++) acc = Math.fma(a[r * k + i], w[j * k + i], acc);
                c[r * n + j] = bias == null ? acc : acc + bias[j];
            }
        }
        return c;
    }

    static float[] gaussian(SplittableRandom rnd, int size) {
        float[] v = new float[size];
        for (int i = 0; i < size; i++) v[i] = (float) rnd.nextGaussian();
        return v;
    }

    @Test
    void floatProductIsBitIdenticalToTheScalarTwinAtOddSizesAndAnyThreadCount() {
        SplittableRandom rnd = new SplittableRandom(5);
        try (RowParallel one = new RowParallel(1); RowParallel three = new RowParallel(3)) {
            for (int[] s : SHAPES) {
                int m = s[0], n = s[1], k = s[2];
                float[] a = gaussian(rnd, m * k), w = gaussian(rnd, n * k), bias = gaussian(rnd, n);
                FloatGemm.Packed p = FloatGemm.pack(w, 0, n, k);
                for (float[] b : new float[][] {null, bias}) {
                    float[] expect = reference(a, m, w, n, k, b);
                    float[] c1 = new float[m * n], c3 = new float[m * n + 5];
                    FloatGemm.multiply(a, m, p, b, c1, one);
                    FloatGemm.multiply(a, m, p, b, c3, three);
                    for (int i = 0; i < m * n; i++) {
                        assertThat(c1[i]).as("m=%d n=%d k=%d i=%d", m, n, k, i).isEqualTo(expect[i]);
                        assertThat(c3[i]).isEqualTo(expect[i]);
                    }
                    for (int i = m * n; i < c3.length; i++) assertThat(c3[i]).as("written past the output").isZero();
                }
            }
        }
    }

    @Test
    void packedWeightReadsBackRowByRow() {
        SplittableRandom rnd = new SplittableRandom(6);
        int n = 37, k = 11;
        float[] w = gaussian(rnd, n * k + 3);
        FloatGemm.Packed p = FloatGemm.pack(w, 3, n, k);
        float[] row = new float[k];
        for (int j = 0; j < n; j++) {
            p.row(j, row);
            for (int i = 0; i < k; i++) {
                assertThat(row[i]).isEqualTo(w[3 + j * k + i]);
                assertThat(p.get(j, i)).isEqualTo(w[3 + j * k + i]);
            }
        }
    }

    /** Exact int32 dot products, including rows longer than one exact float chunk with every product at 127². */
    @Test
    void int8ProductIsTheExactIntegerSumScaledAtOddSizes() {
        SplittableRandom rnd = new SplittableRandom(8);
        try (RowParallel two = new RowParallel(2)) {
            for (int[] s : new int[][] {{1, 1, 1}, {3, 5, 7}, {5, 17, 33}, {9, 33, 385}, {6, 35, 1025}, {7, 19, 2500}, {67, 40, 100}, {130, 33, 1100}}) {
                int m = s[0], n = s[1], k = s[2];
                for (boolean extreme : new boolean[] {false, true}) {
                    byte[] qa = new byte[m * k], qw = new byte[n * k];
                    for (int i = 0; i < qa.length; i++) qa[i] = (byte) (extreme ? 127 : rnd.nextInt(-127, 128));
                    for (int i = 0; i < qw.length; i++) qw[i] = (byte) (extreme ? 127 : rnd.nextInt(-127, 128));
                    if (extreme) for (int j = 0; j < n; j += 2) for (int i = 0; i < k; i++) qw[j * k + i] = -127;
                    float[] a = new float[m * k], w = new float[n * k];
                    for (int i = 0; i < a.length; i++) a[i] = qa[i];
                    for (int i = 0; i < w.length; i++) w[i] = qw[i];
                    float[] sa = new float[m], sw = new float[n];
                    for (int r = 0; r < m; r++) sa[r] = (float) (0.001 + rnd.nextDouble());
                    for (int j = 0; j < n; j++) sw[j] = (float) (0.001 + rnd.nextDouble());
                    float[] y = new float[m * n];
                    int[] sums = new int[m * n];
                    FloatGemm.Packed p = FloatGemm.pack(w, 0, n, k);
                    FloatGemm.multiplyInt8(a, sa, m, p, sw, null, y, two);
                    FloatGemm.int8Sums(a, m, p, sums, two);
                    // the byte-code kernel (rows padded to its six-row tile) gives the same bits
                    FloatGemm.PackedInt8 pb = FloatGemm.packInt8(qw, 0, n, k);
                    float[] yb = new float[m * n];
                    int[] sumsB = new int[m * n];
                    FloatGemm.multiplyInt8(a, sa, m, pb, sw, null, yb, two);
                    FloatGemm.int8Sums(a, m, pb, sumsB, two);
                    assertThat(sumsB).isEqualTo(sums);
                    assertThat(yb).isEqualTo(y);
                    for (int r = 0; r < m; r++) {
                        for (int j = 0; j < n; j++) {
                            int sum = 0;
                            for (int i = 0; i < k; i++) sum += qa[r * k + i] * qw[j * k + i];
                            assertThat(sums[r * n + j]).as("m=%d n=%d k=%d r=%d j=%d", m, n, k, r, j).isEqualTo(sum);
                            assertThat(y[r * n + j]).as("m=%d n=%d k=%d r=%d j=%d", m, n, k, r, j).isEqualTo(sum * sw[j] * sa[r]);
                        }
                    }
                }
            }
        }
    }

    /** Several weights in one pass land in their own columns, bit-identical to one product per weight, float and W8A8 alike. */
    @Test
    void groupedProductsEqualOneProductPerWeight() {
        SplittableRandom rnd = new SplittableRandom(9);
        int[] ns = {37, 64, 5};
        int total = 37 + 64 + 5;
        try (RowParallel two = new RowParallel(2)) {
            for (int[] mk : new int[][] {{1, 7}, {11, 33}, {70, 1100}}) {
                int m = mk[0], k = mk[1];
                float[] a = gaussian(rnd, m * k), qa = new float[m * k], sa = new float[m];
                for (int i = 0; i < qa.length; i++) qa[i] = rnd.nextInt(-127, 128);
                for (int r = 0; r < m; r++) sa[r] = (float) (0.001 + rnd.nextDouble());
                FloatGemm.Packed[] ps = new FloatGemm.Packed[3], qs = new FloatGemm.Packed[3];
                FloatGemm.PackedInt8[] bs = new FloatGemm.PackedInt8[3];
                float[][] biases = new float[3][], scales = new float[3][];
                for (int g = 0; g < 3; g++) {
                    ps[g] = FloatGemm.pack(gaussian(rnd, ns[g] * k), 0, ns[g], k);
                    byte[] codes = new byte[ns[g] * k];
                    float[] asFloats = new float[codes.length];
                    for (int i = 0; i < codes.length; i++) asFloats[i] = codes[i] = (byte) rnd.nextInt(-127, 128);
                    qs[g] = FloatGemm.pack(asFloats, 0, ns[g], k);
                    bs[g] = FloatGemm.packInt8(codes, 0, ns[g], k);
                    biases[g] = g == 1 ? null : gaussian(rnd, ns[g]);
                    scales[g] = new float[ns[g]];
                    for (int j = 0; j < ns[g]; j++) scales[g][j] = (float) (0.001 + rnd.nextDouble());
                }
                float[] c = new float[m * total], yq = new float[m * total], yb = new float[m * total];
                FloatGemm.multiply(a, m, ps, biases, c, two);
                FloatGemm.multiplyInt8(qa, sa, m, qs, scales, biases, yq, two);
                FloatGemm.multiplyInt8(qa, sa, m, bs, scales, biases, yb, two);
                assertThat(yb).isEqualTo(yq);
                for (int g = 0, col = 0; g < 3; col += ns[g], g++) {
                    float[] one = new float[m * ns[g]], oneQ = new float[m * ns[g]];
                    FloatGemm.multiply(a, m, ps[g], biases[g], one, two);
                    FloatGemm.multiplyInt8(qa, sa, m, qs[g], scales[g], biases[g], oneQ, two);
                    for (int r = 0; r < m; r++) {
                        for (int j = 0; j < ns[g]; j++) {
                            assertThat(c[r * total + col + j]).as("m=%d k=%d g=%d r=%d j=%d", m, k, g, r, j).isEqualTo(one[r * ns[g] + j]);
                            assertThat(yq[r * total + col + j]).isEqualTo(oneQ[r * ns[g] + j]);
                        }
                    }
                }
            }
        }
    }
}
