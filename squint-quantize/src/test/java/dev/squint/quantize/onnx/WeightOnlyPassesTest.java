package dev.squint.quantize.onnx;

import dev.squint.core.codec.IntQuantizer;
import dev.squint.formats.onnx.OnnxModel;
import dev.squint.formats.onnx.OnnxReader;
import dev.squint.formats.onnx.proto.NodeProto;
import dev.squint.formats.onnx.proto.TensorProto;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Weight-only INT8 (DequantizeLinear → float MatMul/Gemm) and NF4 (com.microsoft MatMulBnb4) on small
 * generated graphs: ONNX Runtime's result must equal a Java reference that decodes the written weights
 * independently (dequantize, then matmul in double), and stay close to the FP32 graph.
 */
class WeightOnlyPassesTest {
    @TempDir Path tmp;

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private static final int K = 75, N = 33, K2 = 40, N2 = 7; // N·K odd; K not a multiple of any block size

    private static TensorProto init(OnnxModel m, String name) {
        return m.proto().getGraph().getInitializerList().stream().filter(t -> t.getName().equals(name)).findFirst().orElseThrow();
    }

    private static NodeProto node(OnnxModel m, String op, String output) {
        return m.proto().getGraph().getNodeList().stream().filter(n -> n.getOpType().equals(op) && n.getOutputList().contains(output))
                .findFirst().orElseThrow(() -> new AssertionError("no " + op + " producing " + output));
    }

    private static long attr(NodeProto n, String name) {
        return n.getAttributeList().stream().filter(a -> a.getName().equals(name)).findFirst().orElseThrow().getI();
    }

    private static float[] floats(OnnxModel m, TensorProto t) {
        MemorySegment s = m.bytes(t);
        float[] v = new float[(int) (s.byteSize() / 4)];
        MemorySegment.copy(s, F32, 0, v, 0, v.length);
        return v;
    }

    private static byte[] bytes(OnnxModel m, TensorProto t) {
        return m.bytes(t).toArray(ValueLayout.JAVA_BYTE);
    }

    /** y[r][c] = alpha · Σ_k x[r][k] · w[k][c] + bias[c], in double; {@code w} is [k, n] row-major. */
    private static double[] matmul(float[] x, int rows, float[] w, int k, int n, double alpha, float[] bias) {
        double[] y = new double[rows * n];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < n; c++) {
                double s = 0;
                for (int i = 0; i < k; i++) s += (double) x[r * k + i] * w[i * n + c];
                y[r * n + c] = alpha * s + (bias == null ? 0 : bias[c]);
            }
        }
        return y;
    }

    private static float[] input(Map<String, HostTensor> in, String name) {
        var b = in.get(name).data();
        float[] v = new float[b.remaining() / 4];
        for (int i = 0; i < v.length; i++) v[i] = b.getFloat(4 * i);
        return v;
    }

    private static void assertClose(float[] actual, double[] expected, double tol) {
        assertThat(actual).hasSize(expected.length);
        double worst = 0;
        for (int i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
        assertThat(worst).as("max abs difference to the Java reference").isLessThan(tol);
    }

    private static float[] transpose(float[] w, int rows, int cols) {
        float[] t = new float[w.length];
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) t[c * rows + r] = w[r * cols + c];
        return t;
    }

    @Test void int8WeightRunsInOnnxRuntimeAndEqualsDequantizeThenMatmul() {
        for (int opset : new int[] {11, 13}) {
            Path in = tmp.resolve("lin" + opset + ".onnx"), out = tmp.resolve("lin-w8-" + opset + ".onnx");
            TinyModels.write(TinyModels.linearAndGemm(3, K, N, K2, N2, true, opset), in);
            Map<String, HostTensor> x = TinyModels.linearInputs(4, K, K2);
            OnnxQuantizer.Result r = OnnxQuantizer.quantize(in, out, OnnxQuantizeOptions.of(OnnxQuantizeOptions.Mode.INT8_WEIGHT), List.of(x), 1);
            assertThat(r.verification().problems()).isEmpty();
            assertThat(r.report().entries()).filteredOn(OnnxQuantizeReport.Entry::quantized).extracting(OnnxQuantizeReport.Entry::node)
                    .containsExactly("mm", "gemm");
            if (opset == 11) assertThat(r.report().notes()).anySatisfy(n -> assertThat(n).contains("raised to 13"));
            Map<String, OrtRunner.Output> y;
            try (OrtRunner ort = new OrtRunner(out)) { y = ort.run(x); }
            try (OnnxModel m = OnnxReader.open(out)) {
                assertThat(m.proto().getGraph().getInitializerList()).extracting(TensorProto::getName).doesNotContain("w", "w2");
                NodeProto mm = node(m, "MatMul", "h");
                NodeProto dq = node(m, "DequantizeLinear", mm.getInput(1));
                assertThat(attr(dq, "axis")).isEqualTo(1);
                TensorProto q = init(m, dq.getInput(0));
                assertThat(q.getDataType()).isEqualTo(3); // int8
                byte[] codes = bytes(m, q);
                float[] scale = floats(m, init(m, dq.getInput(1)));
                assertThat(scale).hasSize(N);
                float[] w = new float[K * N];
                for (int i = 0; i < w.length; i++) w[i] = codes[i] * scale[i % N];
                assertClose(y.get("h").values(), matmul(input(x, "x"), 10, w, K, N, 1, null), 1e-4);

                NodeProto gemm = node(m, "Gemm", "g");
                NodeProto dq2 = node(m, "DequantizeLinear", gemm.getInput(1));
                assertThat(attr(dq2, "axis")).isZero(); // transB: output channels are rows
                byte[] codes2 = bytes(m, init(m, dq2.getInput(0)));
                float[] scale2 = floats(m, init(m, dq2.getInput(1)));
                float[] w2t = new float[N2 * K2];
                for (int i = 0; i < w2t.length; i++) w2t[i] = codes2[i] * scale2[i / K2];
                float[] c2 = floats(m, init(m, "c2"));
                float[] bias = new float[N2];
                for (int c = 0; c < N2; c++) bias[c] = 2 * c2[c];
                assertClose(y.get("g").values(), matmul(input(x, "x2"), 3, transpose(w2t, N2, K2), K2, N2, 0.5, bias), 1e-4);
            }
            assertThat(r.verification().worstCosine()).isGreaterThan(0.9999);
        }
    }

    @Test void int8WeightOptionsRefuseUnsignedAndReducedRange() {
        var o = OnnxQuantizeOptions.of(OnnxQuantizeOptions.Mode.INT8_WEIGHT);
        assertThat(o.perChannel()).isTrue();
        assertThatThrownBy(() -> o.withSignedWeights(false)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("symmetric int8");
        assertThatThrownBy(() -> o.withReduceRange(true)).isInstanceOf(IllegalArgumentException.class);
        var nf4 = OnnxQuantizeOptions.of(OnnxQuantizeOptions.Mode.NF4);
        assertThat(nf4.blockSize()).isEqualTo(64);
        assertThatThrownBy(() -> nf4.withSymmetric(false)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("NF4");
        assertThatThrownBy(() -> nf4.withBlockSize(48)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test void nf4CodesFollowBitsandbytesDecisionPoints() {
        float[] levels = IntQuantizer.NF4_VALUES;
        for (int i = 0; i < 15; i++) {
            float t = Nf4Pass.THRESHOLDS[i];
            // bitsandbytes compares x > threshold (as float): a value equal to it takes the lower level
            assertThat(Nf4Pass.code(t)).isEqualTo(i);
            assertThat(Nf4Pass.code(Math.nextUp(t))).isEqualTo(i + 1);
            assertThat(Nf4Pass.code(levels[i])).isEqualTo(i);
            // the constants are the midpoints of the levels (to within float rounding)
            assertThat((double) t).isCloseTo(((double) levels[i] + levels[i + 1]) / 2, org.assertj.core.data.Offset.offset(1e-7));
        }
        assertThat(Nf4Pass.code(-1f)).isZero();
        assertThat(Nf4Pass.code(1f)).isEqualTo(15);
        assertThat(Nf4Pass.code(0f)).isEqualTo(7);
        // bitsandbytes' own constants for two decision points
        assertThat(Nf4Pass.THRESHOLDS[7]).isEqualTo(0.03979014977812767f);
        assertThat(Nf4Pass.THRESHOLDS[14]).isEqualTo(0.8614784181118011f);
        // away from the decision points the nearest level is the same as squint-core's NF4 quantizer
        Random rnd = new Random(11);
        for (int i = 0; i < 10_000; i++) {
            float v = rnd.nextFloat() * 2 - 1;
            assertThat(Nf4Pass.code(v)).isEqualTo(IntQuantizer.nearestNf4(v));
        }
    }

    @Test void nf4PackingRoundTripsWithHighNibbleFirstAndShortLastBlock() {
        float[] wt = new float[2 * 35]; // 70 values, block 32: blocks of 32, 32, 6; the last row's block crosses rows
        Random rnd = new Random(5);
        for (int i = 0; i < wt.length; i++) wt[i] = (float) rnd.nextGaussian();
        wt[0] = 1e-3f;
        wt[1] = -9f; // absmax of block 0
        Nf4Pass.Packed p = Nf4Pass.quantize(wt, 32, 1f);
        assertThat(p.absmax()).hasSize(3);
        assertThat(p.codes()).hasSize(35);
        assertThat(p.absmax()[0]).isEqualTo(9f);
        int first = p.codes()[0] & 0xff;
        assertThat(first >>> 4).isEqualTo(7); // element 0 (≈ 0) in the high nibble
        assertThat(first & 15).isZero(); // element 1 = -absmax → level -1.0
        float widestGap = 0;
        for (int i = 0; i < 15; i++) widestGap = Math.max(widestGap, IntQuantizer.NF4_VALUES[i + 1] - IntQuantizer.NF4_VALUES[i]);
        float[] back = Nf4Pass.dequantize(p, wt.length, 32);
        for (int i = 0; i < wt.length; i++) {
            float absmax = p.absmax()[i / 32];
            assertThat(Math.abs(back[i] - wt[i])).isLessThanOrEqualTo(absmax * widestGap / 2 * 1.0001f);
        }
    }

    @Test void nf4RunsInOnnxRuntimeAsMatMulBnb4AndEqualsDequantizeThenMatmul() {
        for (int block : new int[] {64, 16}) {
            for (boolean transB : new boolean[] {true, false}) {
                Path in = tmp.resolve("lin.onnx"), out = tmp.resolve("lin-nf4-" + block + transB + ".onnx");
                TinyModels.write(TinyModels.linearAndGemm(6, K, N, K2, N2, transB, 13), in);
                Map<String, HostTensor> x = TinyModels.linearInputs(7, K, K2);
                OnnxQuantizer.Result r = OnnxQuantizer.quantize(in, out, OnnxQuantizeOptions.of(OnnxQuantizeOptions.Mode.NF4).withBlockSize(block),
                        List.of(x), 1);
                assertThat(r.verification().problems()).isEmpty();
                assertThat(r.report().entries()).filteredOn(OnnxQuantizeReport.Entry::quantized).extracting(OnnxQuantizeReport.Entry::node)
                        .containsExactly("mm", "gemm");
                Map<String, OrtRunner.Output> y;
                try (OrtRunner ort = new OrtRunner(out)) { y = ort.run(x); }
                try (OnnxModel m = OnnxReader.open(out)) {
                    NodeProto mm = node(m, "MatMulBnb4", "h");
                    assertThat(mm.getDomain()).isEqualTo("com.microsoft");
                    assertThat(attr(mm, "K")).isEqualTo(K);
                    assertThat(attr(mm, "N")).isEqualTo(N);
                    assertThat(attr(mm, "block_size")).isEqualTo(block);
                    assertThat(attr(mm, "quant_type")).isEqualTo(1);
                    float[] wt = decodeNf4(bytes(m, init(m, mm.getInput(1))), floats(m, init(m, mm.getInput(2))), N * K, block);
                    assertClose(y.get("h").values(), matmul(input(x, "x"), 10, transpose(wt, N, K), K, N, 1, null), 1e-4);

                    NodeProto add = node(m, "Add", "g");
                    NodeProto gemm = node(m, "MatMulBnb4", add.getInput(0));
                    float[] w2t = decodeNf4(bytes(m, init(m, gemm.getInput(1))), floats(m, init(m, gemm.getInput(2))), N2 * K2, block);
                    float[] bias = floats(m, init(m, add.getInput(1)));
                    // alpha (0.5) is folded into absmax and beta (2) into the bias
                    assertClose(y.get("g").values(), matmul(input(x, "x2"), 3, transpose(w2t, N2, K2), K2, N2, 1, bias), 1e-4);
                }
                System.out.printf("nf4 block %d transB %s: cosine to FP32 %.5f%n", block, transB, r.verification().worstCosine());
                assertThat(r.verification().worstCosine()).isGreaterThan(0.99);
            }
        }
    }

    /** MatMulBnb4's weight as the test reads the file: flat [N·K] codes, high nibble first, times the block's absmax. */
    private static float[] decodeNf4(byte[] packed, float[] absmax, int count, int block) {
        assertThat(packed).hasSize((count + 1) / 2);
        assertThat(absmax).hasSize((count + block - 1) / block);
        float[] w = new float[count];
        for (int i = 0; i < count; i++) {
            int b = packed[i / 2] & 0xff;
            w[i] = IntQuantizer.NF4_VALUES[i % 2 == 0 ? b >> 4 : b & 0xf] * absmax[i / block];
        }
        return w;
    }
}
