package dev.squint.quantize.onnx;

import dev.squint.core.ModelFormatException;
import dev.squint.core.SquintException;
import dev.squint.formats.onnx.OnnxReader;
import dev.squint.formats.onnx.OnnxWriter;
import dev.squint.formats.onnx.proto.NodeProto;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class OnnxQuantizerTest {
    @TempDir Path tmp;

    private static List<String> ops(Path model) {
        try (var m = OnnxReader.open(model)) {
            return m.proto().getGraph().getNodeList().stream().map(NodeProto::getOpType).toList();
        }
    }

    @Test void cnnStaticInt8RunsInOnnxRuntimeWithoutConvInteger() {
        Path in = tmp.resolve("cnn.onnx");
        TinyModels.write(TinyModels.cnn(7), in);
        for (boolean perChannel : new boolean[] {false, true}) {
            Path out = tmp.resolve("cnn-int8-" + perChannel + ".onnx");
            OnnxQuantizer.Result r = OnnxQuantizer.quantize(in, out, OnnxQuantizeOptions.of(OnnxQuantizeOptions.Mode.STATIC).withPerChannel(perChannel),
                    TinyModels.images(1, 4, 8), 3);
            List<String> ops = ops(out);
            assertThat(ops).doesNotContain("ConvInteger", "Conv_int8").contains("QuantizeLinear", "DequantizeLinear", "Conv", "Gemm");
            assertThat(r.verification().problems()).isEmpty();
            var fid = r.verification().fidelity().get("logits");
            System.out.printf("cnn static perChannel=%s: cos %.5f maxAbs %.4f top1 %.3f, %.3f ms vs %.3f ms%n", perChannel, fid.cosine(),
                    fid.maxAbsError(), fid.top1(), r.verification().quantizedMs(), r.verification().originalMs());
            assertThat(fid.cosine()).isGreaterThan(0.99);
            assertThat(fid.top1()).isGreaterThanOrEqualTo(0.75);
            assertThat(r.report().entries()).filteredOn(OnnxQuantizeReport.Entry::quantized).extracting(OnnxQuantizeReport.Entry::node)
                    .contains("conv1", "conv2", "fc", "relu1");
            // the inputs written by calibration must not have moved the original
            assertThat(Files.exists(in)).isTrue();
        }
    }

    @Test void cnnDynamicGemmAndFp16AndUnsignedReduceRange() {
        Path in = tmp.resolve("cnn.onnx");
        TinyModels.write(TinyModels.cnn(8), in);
        var images = TinyModels.images(2, 1, 4);
        OnnxQuantizer.Result dyn = OnnxQuantizer.quantize(in, tmp.resolve("d.onnx"),
                OnnxQuantizeOptions.of(OnnxQuantizeOptions.Mode.DYNAMIC).withSignedWeights(false).withReduceRange(true).withPerChannel(false), images, 1);
        assertThat(ops(tmp.resolve("d.onnx"))).contains("MatMulInteger", "DynamicQuantizeLinear");
        assertThat(dyn.report().keptFloat()).extracting(OnnxQuantizeReport.Entry::node).doesNotContain("fc");
        assertThat(dyn.verification().fidelity().get("logits").cosine()).isGreaterThan(0.99);
        OnnxQuantizer.Result half = OnnxQuantizer.quantize(in, tmp.resolve("h.onnx"), OnnxQuantizeOptions.of(OnnxQuantizeOptions.Mode.FP16), images, 1);
        assertThat(half.verification().problems()).isEmpty();
        assertThat(half.verification().fidelity().get("logits").cosine()).isGreaterThan(0.9999);
    }

    @Test void unquantizableNodesStayFloatAndAreListedWithTheReason() {
        Path in = tmp.resolve("mlp.onnx");
        TinyModels.write(TinyModels.mlpWithComputedWeight(3, 256), in);
        for (var mode : List.of(OnnxQuantizeOptions.Mode.DYNAMIC, OnnxQuantizeOptions.Mode.INT4)) {
            OnnxQuantizer.Result r = OnnxQuantizer.quantize(in, tmp.resolve(mode + ".onnx"), OnnxQuantizeOptions.of(mode), List.of(), 1);
            assertThat(r.report().keptFloat()).singleElement().satisfies(e -> {
                assertThat(e.node()).isEqualTo("computed");
                assertThat(e.detail()).contains("not a constant initializer");
            });
            assertThat(r.report().entries()).filteredOn(OnnxQuantizeReport.Entry::quantized).extracting(OnnxQuantizeReport.Entry::node).containsExactly("dense");
            assertThat(r.verification().problems()).isEmpty();
            assertThat(r.verification().worstCosine()).isGreaterThan(0.98);
        }
    }

    @Test void excludeByNameAndIncludeByOpType() {
        Path in = tmp.resolve("cnn.onnx");
        TinyModels.write(TinyModels.cnn(9), in);
        OnnxQuantizer.Result r = OnnxQuantizer.quantize(in, tmp.resolve("s.onnx"),
                OnnxQuantizeOptions.of(OnnxQuantizeOptions.Mode.STATIC).withExclude(Set.of("conv2")), TinyModels.images(1, 2, 4), 1);
        assertThat(r.report().keptFloat()).anySatisfy(e -> {
            assertThat(e.node()).isEqualTo("conv2");
            assertThat(e.detail()).contains("--exclude");
        });
        OnnxQuantizer.Result only = OnnxQuantizer.quantize(in, tmp.resolve("s2.onnx"),
                OnnxQuantizeOptions.of(OnnxQuantizeOptions.Mode.STATIC).withInclude(Set.of("Gemm")), TinyModels.images(1, 2, 4), 1);
        assertThat(only.report().entries()).filteredOn(OnnxQuantizeReport.Entry::quantized).extracting(OnnxQuantizeReport.Entry::node).containsExactly("fc");
    }

    @Test void malformedProtobufIsAClearError() throws Exception {
        Path bad = tmp.resolve("bad.onnx");
        Files.write(bad, new byte[] {0x08, 0x07, 0x3a, (byte) 0xff, (byte) 0xff, 0x01, 0x12});
        assertThatThrownBy(() -> OnnxQuantizer.quantize(bad, tmp.resolve("o.onnx"), OnnxQuantizeOptions.of(OnnxQuantizeOptions.Mode.DYNAMIC), List.of(), 1))
                .isInstanceOf(ModelFormatException.class).hasMessageContaining("bad.onnx").hasMessageNotContaining("\n");
        assertThat(tmp.resolve("o.onnx")).doesNotExist();
    }

    @Test void calibrationThatDoesNotFitTheGraphNamesTheInputAndExpectedShape() {
        Path in = tmp.resolve("cnn.onnx");
        TinyModels.write(TinyModels.cnn(1), in);
        var wrongShape = List.of(Map.of("x", HostTensor.ofFloats("x", new long[] {2, 3, 8, 8}, new float[2 * 3 * 8 * 8])));
        assertThatThrownBy(() -> OnnxQuantizer.quantize(in, tmp.resolve("o.onnx"), OnnxQuantizeOptions.of(OnnxQuantizeOptions.Mode.STATIC), wrongShape, 1))
                .isInstanceOf(SquintException.class).hasMessageContaining("'x'").hasMessageContaining("[N, 3, 16, 16]");
        var wrongName = List.of(Map.of("image", HostTensor.ofFloats("image", new long[] {1, 3, 16, 16}, new float[3 * 16 * 16])));
        assertThatThrownBy(() -> OnnxQuantizer.quantize(in, tmp.resolve("o.onnx"), OnnxQuantizeOptions.of(OnnxQuantizeOptions.Mode.STATIC), wrongName, 1))
                .isInstanceOf(SquintException.class).hasMessageContaining("'x'");
        var wrongType = List.of(Map.of("x", HostTensor.ofLongs("x", new long[] {1, 3, 16, 16}, new long[3 * 16 * 16])));
        assertThatThrownBy(() -> OnnxQuantizer.quantize(in, tmp.resolve("o.onnx"), OnnxQuantizeOptions.of(OnnxQuantizeOptions.Mode.STATIC), wrongType, 1))
                .isInstanceOf(SquintException.class).hasMessageContaining("'x'").hasMessageContaining("I64");
        assertThat(tmp.resolve("o.onnx")).doesNotExist();
    }

    @Test void staticWithoutCalibrationIsAnError() {
        Path in = tmp.resolve("cnn.onnx");
        TinyModels.write(TinyModels.cnn(1), in);
        assertThatThrownBy(() -> OnnxQuantizer.quantize(in, tmp.resolve("o.onnx"), OnnxQuantizeOptions.of(OnnxQuantizeOptions.Mode.STATIC), List.of(), 1))
                .isInstanceOf(SquintException.class).hasMessageContaining("calibration");
    }

    /**
     * External data in and out. A real model over 2 GiB is too heavy for the shared test machine; this
     * model keeps its weights in an external data file and the result is written with external data
     * too, which is the path a model over 2 GiB takes (the writer moves tensors out when the inline
     * total would pass 2 GiB).
     */
    @Test void externalDataModelQuantizesToExternalDataAndRuns() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("ext"));
        Path in = dir.resolve("mlp.onnx");
        OnnxWriter.write(TinyModels.mlpWithComputedWeight(5, 4096), t -> null, in, OnnxWriter.Options.external(1024), List.of());
        assertThat(dir.resolve("mlp.onnx.data")).exists();
        Path out = dir.resolve("mlp-int8.onnx");
        OnnxQuantizer.Result r = OnnxQuantizer.quantize(in, out, OnnxQuantizeOptions.of(OnnxQuantizeOptions.Mode.DYNAMIC).withExternalDataThreshold(1024),
                List.of(), 1);
        assertThat(dir.resolve("mlp-int8.onnx.data")).exists();
        assertThat(Files.size(dir.resolve("mlp-int8.onnx.data"))).isGreaterThan(64L * 4096);
        assertThat(r.verification().problems()).isEmpty();
        assertThat(r.verification().worstCosine()).isGreaterThan(0.98);
    }

    @Test void npyAndNpzCalibrationFilesAreRead() throws Exception {
        Path in = tmp.resolve("cnn.onnx");
        TinyModels.write(TinyModels.cnn(2), in);
        float[] v = new float[4 * 3 * 16 * 16];
        Random rnd = new Random(4);
        for (int i = 0; i < v.length; i++) v[i] = (float) rnd.nextGaussian();
        byte[] npy = NpyBytes.floats(new long[] {4, 3, 16, 16}, v);
        Path file = tmp.resolve("x.npy");
        Files.write(file, npy);
        try (var m = OnnxReader.open(in)) {
            var batches = CalibrationData.load(file, m.graph(), null, 3, 2);
            assertThat(batches).hasSize(2);
            assertThat(batches.get(0).get("x").shape()).containsExactly(2, 3, 16, 16);
            assertThat(batches.get(1).get("x").shape()).containsExactly(1, 3, 16, 16);
            assertThat(batches.get(0).get("x").data().getFloat(4)).isEqualTo(v[1]);
            Path npz = tmp.resolve("c.npz");
            NpyBytes.npz(npz, Map.of("x", npy));
            assertThat(CalibrationData.load(npz, m.graph(), null, 100, 4)).hasSize(1);
            Files.write(file, java.util.Arrays.copyOf(npy, npy.length - 3));
            assertThatThrownBy(() -> CalibrationData.load(file, m.graph(), null, 3, 2)).isInstanceOf(ModelFormatException.class)
                    .hasMessageContaining("needs");
        }
    }
}
