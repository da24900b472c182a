package dev.squint.quantize.onnx;

import dev.squint.core.SquintException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * GPTQ rounding ({@link Gptq}, {@link Hessians}) on seeded random layers with correlated inputs, and end to
 * end through {@link OnnxQuantizer} with ONNX Runtime.
 */
class GptqTest {
    @TempDir Path tmp;

    /** Inputs [rows, k] with correlated channels: x = z·M, z standard normal, M a fixed random mixing with a strong diagonal. */
    private static float[] correlated(Random rnd, double[] mix, int rows, int k) {
        float[] x = new float[rows * k];
        double[] z = new double[k];
        for (int r = 0; r < rows; r++) {
            for (int i = 0; i < k; i++) z[i] = rnd.nextGaussian();
            for (int j = 0; j < k; j++) {
                double s = 0;
                for (int i = 0; i < k; i++) s += z[i] * mix[i * k + j];
                x[r * k + j] = (float) s;
            }
        }
        return x;
    }

    private static double[] mixing(Random rnd, int k) {
        double[] m = new double[k * k];
        for (int i = 0; i < k; i++) for (int j = 0; j < k; j++) m[i * k + j] = (i == j ? 1 : 0) + 0.35 * rnd.nextGaussian();
        return m;
    }

    private static float[] weights(Random rnd, int k, int n) {
        float[] w = new float[k * n];
        for (int i = 0; i < w.length; i++) w[i] = (float) (rnd.nextGaussian() * 0.1);
        return w;
    }

    private static double[] hessian(float[] x, int k) {
        double[] h = new double[k * k];
        Hessians.accumulate(h, x, k, null);
        for (int i = 0; i < k; i++) for (int j = i; j < k; j++) h[i * k + j] *= 2;
        return h;
    }

    /** ‖X·W − X·Ŵ‖² summed over the rows of x. */
    private static double outputError(float[] x, int rows, int k, int n, float[] w, double[] wq) {
        double e = 0;
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < n; c++) {
                double d = 0;
                for (int i = 0; i < k; i++) d += x[r * k + i] * (w[i * n + c] - wq[i * n + c]);
                e += d * d;
            }
        }
        return e;
    }

    private static double[] dequantInt8(byte[] codes, WeightQuant.Result q, int k, int n) {
        double[] v = new double[k * n];
        for (int r = 0; r < k; r++) {
            for (int c = 0; c < n; c++) {
                int ch = q.scales().length == 1 ? 0 : c;
                int zp = q.signed() ? q.zeroPoints()[ch] : q.zeroPoints()[ch] & 0xff;
                int code = q.signed() ? codes[r * n + c] : codes[r * n + c] & 0xff;
                v[r * n + c] = (double) (code - zp) * q.scales()[ch];
            }
        }
        return v;
    }

    private static double[] dequantInt4(Int4Pass.Int4Grid g) {
        double[] v = new double[g.k * g.n];
        for (int r = 0; r < g.k; r++) {
            for (int c = 0; c < g.n; c++) {
                int at = c * g.blocks + r / g.block;
                v[r * g.n + c] = (double) (g.codes[r * g.n + c] - g.zeroPoints[at]) * g.scales[at];
            }
        }
        return v;
    }

    @Test void inverseFactorIsTheUpperCholeskyFactorOfTheDampedInverse() {
        int k = 150;
        Random rnd = new Random(1);
        float[] x = correlated(rnd, mixing(rnd, k), 400, k);
        double[] h = hessian(x, k);
        double[] u = Gptq.inverseFactor(h.clone(), k);
        double mean = 0;
        for (int i = 0; i < k; i++) mean += h[i * k + i];
        double damp = Gptq.DAMP * mean / k;
        for (int i = 0; i < k; i++) for (int j = 0; j < i; j++) assertThat(u[i * k + j]).isZero();
        // (H + λI)·UᵀU = I
        double worst = 0;
        for (int i = 0; i < k; i++) {
            for (int j = 0; j < k; j++) {
                double s = 0;
                for (int m = 0; m < k; m++) {
                    double hm = (i <= m ? h[i * k + m] : h[m * k + i]) + (i == m ? damp : 0);
                    double inv = 0; // (UᵀU)[m, j]
                    for (int l = 0; l <= Math.min(m, j); l++) inv += u[l * k + m] * u[l * k + j];
                    s += hm * inv;
                }
                worst = Math.max(worst, Math.abs(s - (i == j ? 1 : 0)));
            }
        }
        assertThat(worst).isLessThan(1e-9);
    }

    @Test void accumulateSumsOuterProductsOfUnmaskedRows() {
        int k = 37, rows = 70;
        Random rnd = new Random(2);
        float[] x = new float[rows * k];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        long[] mask = new long[rows];
        for (int r = 0; r < rows; r++) mask[r] = r % 3 == 0 ? 0 : 1;
        double[] h = new double[k * k];
        long counted = Hessians.accumulate(h, x, k, mask);
        assertThat(counted).isEqualTo(rows - (rows + 2) / 3);
        for (int i = 0; i < k; i++) {
            for (int j = i; j < k; j++) {
                double s = 0;
                for (int r = 0; r < rows; r++) if (mask[r] != 0) s += (double) x[r * k + i] * x[r * k + j];
                assertThat(h[i * k + j]).isCloseTo(s, org.assertj.core.data.Offset.offset(1e-9 * (1 + Math.abs(s))));
            }
        }
    }

    @Test void gptqCutsTheOutputErrorOnHeldOutInputsForInt8AndInt4() {
        int k = 192, n = 72;
        Random rnd = new Random(3);
        double[] mix = mixing(rnd, k);
        float[] calib = correlated(rnd, mix, 1024, k), held = correlated(rnd, mix, 256, k);
        float[] w = weights(rnd, k, n);
        double[] u = Gptq.inverseFactor(hessian(calib, k), k);

        WeightQuant.Result rtn = WeightQuant.quantize(w, k, n, true, 1, true, false);
        Gptq.Int8Grid grid8 = new Gptq.Int8Grid(rtn, k, n, false);
        Gptq.round(w, k, n, u, grid8, 2);
        double e8rtn = outputError(held, 256, k, n, w, dequantInt8(rtn.q(), rtn, k, n));
        double e8gptq = outputError(held, 256, k, n, w, dequantInt8(grid8.codes(), rtn, k, n));

        Int4Pass.Int4Grid rtn4 = new Int4Pass.Int4Grid(k, n, 32, true), gptq4 = new Int4Pass.Int4Grid(k, n, 32, true);
        Gptq.roundToNearest(w, k, n, rtn4);
        Gptq.round(w, k, n, u, gptq4, 2);
        double e4rtn = outputError(held, 256, k, n, w, dequantInt4(rtn4));
        double e4gptq = outputError(held, 256, k, n, w, dequantInt4(gptq4));
        System.out.printf("held-out ‖XW − XŴ‖²: int8 RTN %.4g, GPTQ %.4g; int4 RTN %.4g, GPTQ %.4g%n", e8rtn, e8gptq, e4rtn, e4gptq);
        assertThat(e8gptq).isLessThan(0.7 * e8rtn);
        assertThat(e4gptq).isLessThan(0.7 * e4rtn);
    }

    @Test void withADiagonalHessianGptqEqualsRoundToNearestExactly() {
        int k = 300, n = 70; // crosses lazy-batch boundaries (128) and has a short last INT4 block
        Random rnd = new Random(4);
        float[] w = weights(rnd, k, n);
        double[] h = new double[k * k];
        for (int i = 0; i < k; i++) h[i * k + i] = 0.5 + rnd.nextDouble(); // uncorrelated inputs of different energies
        double[] u = Gptq.inverseFactor(h, k);
        for (boolean signed : new boolean[] {true, false}) {
            for (boolean perChannel : new boolean[] {true, false}) {
                WeightQuant.Result rtn = WeightQuant.quantize(w, k, n, perChannel, 1, signed, false);
                Gptq.Int8Grid grid = new Gptq.Int8Grid(rtn, k, n, false);
                Gptq.round(w, k, n, u, grid, 3);
                assertThat(grid.codes()).as("signed %s, per channel %s", signed, perChannel).isEqualTo(rtn.q());
            }
        }
        for (boolean symmetric : new boolean[] {true, false}) {
            Int4Pass.Int4Grid rtn = new Int4Pass.Int4Grid(k, n, 64, symmetric), gptq = new Int4Pass.Int4Grid(k, n, 64, symmetric);
            Gptq.roundToNearest(w, k, n, rtn);
            Gptq.round(w, k, n, u, gptq, 1);
            assertThat(gptq.codes).isEqualTo(rtn.codes);
            assertThat(gptq.scales).isEqualTo(rtn.scales);
            assertThat(gptq.zeroPoints).isEqualTo(rtn.zeroPoints);
        }
    }

    @Test void deterministicAcrossRunsAndThreadCountsAndCodesStayInRange() {
        int k = 160, n = 200;
        Random rnd = new Random(5);
        double[] mix = mixing(rnd, k);
        float[] w = weights(rnd, k, n);
        double[] u = Gptq.inverseFactor(hessian(correlated(rnd, mix, 300, k), k), k);
        byte[] first = null;
        for (int threads : new int[] {1, 4, 1, 3}) {
            WeightQuant.Result q = WeightQuant.quantize(w, k, n, true, 1, true, true);
            Gptq.Int8Grid grid = new Gptq.Int8Grid(q, k, n, true);
            Gptq.round(w, k, n, u, grid, threads);
            for (byte b : grid.codes()) assertThat((int) b).isBetween(-63, 63); // reduce-range
            if (first == null) first = grid.codes();
            else assertThat(grid.codes()).isEqualTo(first);
        }
        byte[] first4 = null;
        for (int threads : new int[] {1, 5}) {
            Int4Pass.Int4Grid grid = new Int4Pass.Int4Grid(k, n, 32, false);
            Gptq.round(w, k, n, u, grid, threads);
            for (byte b : grid.codes) assertThat((int) b).isBetween(0, 15);
            if (first4 == null) first4 = grid.codes;
            else assertThat(grid.codes).isEqualTo(first4);
        }
    }

    // ---- end to end ----

    private static List<Map<String, HostTensor>> linearBatches(long seed, int count, int k, int k2) {
        Random rnd = new Random(seed);
        Random fixed = new Random(99); // the same channel mixing for every call
        double[] mix = mixing(fixed, k), mix2 = mixing(fixed, k2);
        List<Map<String, HostTensor>> out = new ArrayList<>();
        for (int b = 0; b < count; b++) {
            out.add(Map.of("x", HostTensor.ofFloats("x", new long[] {2, 40, k}, correlated(rnd, mix, 80, k)),
                    "x2", HostTensor.ofFloats("x2", new long[] {60, k2}, correlated(rnd, mix2, 60, k2))));
        }
        return out;
    }

    private static double error(OrtRunner reference, OrtRunner candidate, List<Map<String, HostTensor>> inputs, String output) {
        double e = 0;
        for (Map<String, HostTensor> in : inputs) {
            float[] a = reference.run(in).get(output).values(), b = candidate.run(in).get(output).values();
            for (int i = 0; i < a.length; i++) e += (double) (a[i] - b[i]) * (a[i] - b[i]);
        }
        return e;
    }

    @Test void quantizeWithGptqWritesModelsThatRunInOnnxRuntimeAndAreCloserOnHeldOutInputs() {
        int k = 96, n = 40, k2 = 72, n2 = 24;
        Path in = tmp.resolve("linear.onnx");
        TinyModels.write(TinyModels.linearAndGemm(6, k, n, k2, n2, true, 13), in);
        List<Map<String, HostTensor>> calib = linearBatches(7, 4, k, k2), held = linearBatches(8, 2, k, k2);
        for (OnnxQuantizeOptions.Mode mode : List.of(OnnxQuantizeOptions.Mode.DYNAMIC, OnnxQuantizeOptions.Mode.INT8_WEIGHT, OnnxQuantizeOptions.Mode.INT4)) {
            OnnxQuantizeOptions o = OnnxQuantizeOptions.of(mode);
            Path rtnOut = tmp.resolve(mode + "-rtn.onnx"), gptqOut = tmp.resolve(mode + "-gptq.onnx");
            OnnxQuantizer.quantize(in, rtnOut, o, calib, 1);
            OnnxQuantizer.Result r = OnnxQuantizer.quantize(in, gptqOut, o.withGptq(true), calib, 1);
            assertThat(r.verification().problems()).as(mode.toString()).isEmpty();
            var mm = r.report().entries().stream().filter(e -> e.node().equals("mm")).findFirst().orElseThrow();
            assertThat(mm.quantized()).isTrue();
            assertThat(mm.detail()).contains("GPTQ");
            int expected = mode == OnnxQuantizeOptions.Mode.INT4 ? 1 : 2; // INT4 covers MatMul only; the Gemm stays float
            assertThat(r.report().notes()).anySatisfy(s -> assertThat(s).startsWith("GPTQ on " + expected + " weight(s)").contains("calibration tokens"));
            try (OrtRunner fp32 = new OrtRunner(in); OrtRunner rtn = new OrtRunner(rtnOut); OrtRunner gptq = new OrtRunner(gptqOut)) {
                for (String out : expected == 2 ? List.of("h", "g") : List.of("h")) {
                    double eRtn = error(fp32, rtn, held, out), eGptq = error(fp32, gptq, held, out);
                    System.out.printf("%s output %s: held-out squared error RTN %.4g, GPTQ %.4g%n", mode, out, eRtn, eGptq);
                    assertThat(eGptq).as(mode + " " + out).isLessThan(eRtn);
                }
            }
        }
    }

    @Test void hessiansCollectedInSeveralPassesGiveTheSameModel() throws Exception {
        Path in = tmp.resolve("linear.onnx");
        TinyModels.write(TinyModels.linearAndGemm(6, 64, 20, 48, 12, false, 13), in);
        List<Map<String, HostTensor>> calib = linearBatches(7, 2, 64, 48);
        OnnxQuantizeOptions o = OnnxQuantizeOptions.of(OnnxQuantizeOptions.Mode.DYNAMIC).withGptq(true);
        OnnxQuantizer.Result one = OnnxQuantizer.quantize(in, tmp.resolve("one.onnx"), o, calib, 1);
        OnnxQuantizer.Result two;
        System.setProperty(Hessians.BUDGET_PROPERTY, "0"); // every activation in a group of its own
        try {
            two = OnnxQuantizer.quantize(in, tmp.resolve("two.onnx"), o, calib, 1);
        } finally {
            System.clearProperty(Hessians.BUDGET_PROPERTY);
        }
        assertThat(one.report().notes()).anySatisfy(s -> assertThat(s).contains("1 pass(es)"));
        assertThat(two.report().notes()).anySatisfy(s -> assertThat(s).contains("2 pass(es)"));
        assertThat(java.nio.file.Files.readAllBytes(tmp.resolve("two.onnx"))).isEqualTo(java.nio.file.Files.readAllBytes(tmp.resolve("one.onnx")));
    }

    @Test void gptqWithoutCalibrationIsRefusedNamingWhatIsMissing() {
        Path in = tmp.resolve("linear.onnx");
        TinyModels.write(TinyModels.linearAndGemm(6, 32, 8, 16, 4, false, 13), in);
        assertThatThrownBy(() -> OnnxQuantizer.quantize(in, tmp.resolve("o.onnx"), OnnxQuantizeOptions.of(OnnxQuantizeOptions.Mode.INT4).withGptq(true), List.of(), 1))
                .isInstanceOf(SquintException.class).hasMessageContaining("--calibration");
        assertThat(tmp.resolve("o.onnx")).doesNotExist();
        assertThatThrownBy(() -> OnnxQuantizeOptions.of(OnnxQuantizeOptions.Mode.FP16).withGptq(true)).isInstanceOf(IllegalArgumentException.class);
    }
}
