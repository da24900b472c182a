package dev.squint.quantize.onnx;

import com.google.protobuf.ByteString;
import dev.squint.formats.onnx.OnnxReader;
import dev.squint.formats.onnx.proto.GraphProto;
import dev.squint.formats.onnx.proto.NodeProto;
import dev.squint.formats.onnx.proto.TensorProto;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** SmoothQuant for dynamic INT8 on a graph whose activations have outlier channels. */
class DynamicSmoothingTest {
    @TempDir Path tmp;

    private static final int K = 64, N = 48;

    /** x [N, 64] → Mul(x, gain) with two channels ×40 → MatMul(w1) → h; x → MatMul(w2) → g (x read directly: no producer to fold into). */
    private static void write(Path out) {
        Random rnd = new Random(3);
        ByteBuffer gain = ByteBuffer.allocate(4 * K).order(ByteOrder.LITTLE_ENDIAN);
        for (int j = 0; j < K; j++) gain.putFloat(j == 5 || j == 40 ? 40f : 1f);
        TensorProto gainT = TensorProto.newBuilder().setName("gain").setDataType(1).addDims(K).setRawData(ByteString.copyFrom(gain.array())).build();
        GraphProto g = GraphProto.newBuilder().setName("outliers")
                .addInput(TinyModels.value("x", 1, "B", K))
                .addOutput(TinyModels.value("h", 1, "B", N)).addOutput(TinyModels.value("g", 1, "B", N))
                .addInitializer(gainT)
                .addInitializer(TinyModels.floats("w1", rnd, 0.1f, K, N)).addInitializer(TinyModels.floats("w2", rnd, 0.1f, K, N))
                .addNode(TinyModels.node("Mul", "scale", List.of("x", "gain"), List.of("xs")))
                .addNode(TinyModels.node("MatMul", "mm1", List.of("xs", "w1"), List.of("h")))
                .addNode(TinyModels.node("Mul", "outlier_input", List.of("x", "gain"), List.of("xo")))
                .addNode(TinyModels.node("Relu", "relu", List.of("xo"), List.of("xr")))
                .addNode(TinyModels.node("MatMul", "mm2", List.of("xr", "w2"), List.of("g")))
                .build();
        TinyModels.write(TinyModels.model(g, 13), out);
    }

    private static List<Map<String, HostTensor>> batches(long seed, int count) {
        Random rnd = new Random(seed);
        List<Map<String, HostTensor>> out = new ArrayList<>();
        for (int b = 0; b < count; b++) {
            float[] v = new float[16 * K];
            for (int i = 0; i < v.length; i++) v[i] = (float) rnd.nextGaussian();
            out.add(Map.of("x", HostTensor.ofFloats("x", new long[] {16, K}, v)));
        }
        return out;
    }

    @Test void smoothingFoldsIntoAConstantMulOrInsertsOneAndImprovesOutlierActivations() {
        Path in = tmp.resolve("outliers.onnx");
        write(in);
        var data = batches(9, 2);
        var plain = OnnxQuantizer.quantize(in, tmp.resolve("plain.onnx"), OnnxQuantizeOptions.of(OnnxQuantizeOptions.Mode.DYNAMIC), data, 1);
        var smooth = OnnxQuantizer.quantize(in, tmp.resolve("smooth.onnx"), OnnxQuantizeOptions.of(OnnxQuantizeOptions.Mode.DYNAMIC).withSmoothing(0.5f), data, 1);
        assertThat(smooth.verification().problems()).isEmpty();
        assertThat(smooth.report().notes()).anySatisfy(n -> assertThat(n).contains("SmoothQuant").contains("1 folded").contains("1 with an inserted Mul"));
        assertThat(smooth.report().entries()).filteredOn(OnnxQuantizeReport.Entry::quantized).allSatisfy(e -> assertThat(e.detail()).contains("smoothed"));
        try (var m = OnnxReader.open(tmp.resolve("smooth.onnx"))) {
            List<NodeProto> nodes = m.proto().getGraph().getNodeList();
            // mm1's input comes from the original Mul "scale", whose constant was replaced by gain / s
            NodeProto scale = nodes.stream().filter(n -> n.getName().equals("scale")).findFirst().orElseThrow();
            assertThat(scale.getInput(1)).isNotEqualTo("gain").contains("smoothed");
            // mm2 reads Relu's output, which is not a constant Mul: a Mul by 1/s is inserted before its DynamicQuantizeLinear
            assertThat(nodes).filteredOn(n -> n.getOpType().equals("Mul") && n.getInputList().contains("xr")).hasSize(1);
        }
        for (String out : List.of("h", "g")) {
            double p = plain.verification().fidelity().get(out).cosine(), s = smooth.verification().fidelity().get(out).cosine();
            System.out.printf("output %s: cosine to FP32 %.6f plain, %.6f smoothed%n", out, p, s);
            assertThat(1 - s).as(out + ": smoothing must cut the error of outlier-dominated activations").isLessThan((1 - p) / 2);
        }
    }

    @Test void gptqRoundsSmoothedWeightsForTheSmoothedInputs() {
        Path in = tmp.resolve("outliers.onnx");
        write(in);
        var data = batches(9, 4);
        var smooth = OnnxQuantizer.quantize(in, tmp.resolve("smooth.onnx"), OnnxQuantizeOptions.of(OnnxQuantizeOptions.Mode.DYNAMIC).withSmoothing(0.5f), data, 1);
        var both = OnnxQuantizer.quantize(in, tmp.resolve("both.onnx"),
                OnnxQuantizeOptions.of(OnnxQuantizeOptions.Mode.DYNAMIC).withSmoothing(0.5f).withGptq(true), data, 1);
        assertThat(both.verification().problems()).isEmpty();
        assertThat(both.report().entries()).filteredOn(OnnxQuantizeReport.Entry::quantized)
                .allSatisfy(e -> assertThat(e.detail()).contains("smoothed").contains("GPTQ"));
        for (String out : List.of("h", "g")) {
            double s = smooth.verification().fidelity().get(out).cosine(), b = both.verification().fidelity().get(out).cosine();
            System.out.printf("output %s: cosine to FP32 %.6f smoothed, %.6f smoothed + GPTQ%n", out, s, b);
            // The two compose: GPTQ's Hessian is the smoothed input's (H[i,j] / (s_i·s_j)), and it still cuts the error
            assertThat(1 - b).as(out).isLessThan(1 - s);
        }
    }

    @Test void smoothingIsValidated() {
        assertThatThrownBy(() -> OnnxQuantizeOptions.of(OnnxQuantizeOptions.Mode.DYNAMIC).withSmoothing(1.5f)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> OnnxQuantizeOptions.of(OnnxQuantizeOptions.Mode.DYNAMIC).withSmoothing(Float.NaN)).isInstanceOf(IllegalArgumentException.class);
    }
}
