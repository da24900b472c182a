package dev.squint.quantize.onnx;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * squint's ONNX passes on all-MiniLM-L6-v2 against the FP32 model and against ONNX Runtime's own
 * quantize_dynamic output (the langchain4j -q model).
 */
class MiniLmHeadToHeadTest {
    @TempDir Path tmp;

    private static final Map<String, HostTensor> SENTENCES = MiniLm.batch(MiniLm.SENTENCES);

    private OnnxQuantizer.Result run(OnnxQuantizeOptions options, List<Map<String, HostTensor>> calibration, String name) {
        Path out = tmp.resolve(name);
        OnnxQuantizer.Result r = OnnxQuantizer.quantize(MiniLm.fp32(), out, options, calibration, 1);
        assertThat(r.verification().problems()).isEmpty();
        return r;
    }

    @Test void dynamicInt8IsNoLargerAndNoWorseThanOnnxRuntimes() throws Exception {
        OnnxQuantizer.Result r = run(OnnxQuantizeOptions.of(OnnxQuantizeOptions.Mode.DYNAMIC), List.of(SENTENCES), "dyn.onnx");
        float[][] ref = MiniLm.embed(MiniLm.fp32(), SENTENCES);
        double ours = MiniLm.meanCosine(ref, MiniLm.embed(r.output(), SENTENCES));
        double ort = MiniLm.meanCosine(ref, MiniLm.embed(MiniLm.ortInt8(), SENTENCES));
        long ourSize = Files.size(r.output()), ortSize = Files.size(MiniLm.ortInt8());
        System.out.printf("dynamic int8: squint %d bytes cos %.5f | onnxruntime -q %d bytes cos %.5f%n", ourSize, ours, ortSize, ort);
        assertThat(ourSize).isLessThanOrEqualTo(ortSize);
        assertThat(ours).isGreaterThanOrEqualTo(ort);
        assertThat(r.report().quantizedCount()).isGreaterThanOrEqualTo(36);
    }

    @Test void int4LoadsAndRuns() {
        OnnxQuantizer.Result r = run(OnnxQuantizeOptions.of(OnnxQuantizeOptions.Mode.INT4), List.of(SENTENCES), "int4.onnx");
        double cos = MiniLm.meanCosine(MiniLm.embed(MiniLm.fp32(), SENTENCES), MiniLm.embed(r.output(), SENTENCES));
        System.out.printf("int4: %d bytes cos %.5f%n", r.outputBytes(), cos);
        assertThat(cos).isGreaterThan(0.9);
        assertThat(r.outputBytes()).isLessThan(r.inputBytes() / 2);
    }

    @Test void int8WeightOnlyStaysCloseToFp32AtAQuarterOfTheSize() throws Exception {
        OnnxQuantizer.Result r = run(OnnxQuantizeOptions.of(OnnxQuantizeOptions.Mode.INT8_WEIGHT), List.of(SENTENCES), "w8.onnx");
        double cos = MiniLm.meanCosine(MiniLm.embed(MiniLm.fp32(), SENTENCES), MiniLm.embed(r.output(), SENTENCES));
        System.out.printf("int8 weight-only: %d bytes cos %.6f, %.1f ms vs FP32 %.1f ms%n", r.outputBytes(), cos, r.verification().quantizedMs(),
                r.verification().originalMs());
        assertThat(cos).isGreaterThan(0.999);
        assertThat(r.outputBytes()).isLessThan(r.inputBytes() * 3 / 10);
        assertThat(r.report().quantizedCount()).isGreaterThanOrEqualTo(36);
        assertThat(r.report().notes()).anySatisfy(n -> assertThat(n).contains("raised to 13"));
    }

    @Test void nf4RunsAsMatMulBnb4AndStaysClose() throws Exception {
        OnnxQuantizer.Result r = run(OnnxQuantizeOptions.of(OnnxQuantizeOptions.Mode.NF4), List.of(SENTENCES), "nf4.onnx");
        double cos = MiniLm.meanCosine(MiniLm.embed(MiniLm.fp32(), SENTENCES), MiniLm.embed(r.output(), SENTENCES));
        System.out.printf("nf4 block 64: %d bytes cos %.5f, %.1f ms vs FP32 %.1f ms%n", r.outputBytes(), cos, r.verification().quantizedMs(),
                r.verification().originalMs());
        assertThat(cos).isGreaterThan(0.95);
        assertThat(r.outputBytes()).isLessThan(r.inputBytes() / 4);
        assertThat(r.report().entries()).filteredOn(e -> e.opType().equals("MatMul") && e.quantized()).hasSizeGreaterThanOrEqualTo(36)
                .allSatisfy(e -> assertThat(e.detail()).contains("MatMulBnb4"));
    }

    @Test void fp16LoadsAndRunsWithFloat32Interface() {
        OnnxQuantizer.Result r = run(OnnxQuantizeOptions.of(OnnxQuantizeOptions.Mode.FP16), List.of(SENTENCES), "fp16.onnx");
        double cos = MiniLm.meanCosine(MiniLm.embed(MiniLm.fp32(), SENTENCES), MiniLm.embed(r.output(), SENTENCES));
        System.out.printf("fp16: %d bytes cos %.6f%n", r.outputBytes(), cos);
        assertThat(cos).isGreaterThan(0.999);
        assertThat(r.outputBytes()).isLessThan(r.inputBytes() * 6 / 10);
    }

    @Test void staticInt8LoadsAndRunsWithReportedFidelity() {
        for (var c : OnnxQuantizeOptions.Calibrator.values()) {
            OnnxQuantizer.Result r = run(OnnxQuantizeOptions.of(OnnxQuantizeOptions.Mode.STATIC).withPerChannel(false).withFuseQdq(false).withCalibrator(c),
                    MiniLm.calibration(4), "static-" + c + ".onnx");
            double cos = MiniLm.meanCosine(MiniLm.embed(MiniLm.fp32(), SENTENCES), MiniLm.embed(r.output(), SENTENCES));
            System.out.printf("static %s: %d bytes cos %.5f, %d nodes quantized, %d kept float%n", c, r.outputBytes(), cos,
                    r.report().quantizedCount(), r.report().keptFloat().size());
            assertThat(cos).isGreaterThan(c == OnnxQuantizeOptions.Calibrator.ENTROPY ? 0.9 : 0.95);
            assertThat(r.report().keptFloat()).anySatisfy(e -> assertThat(e.detail()).contains("--include"));
            assertThat(r.report().quantizedCount()).isGreaterThanOrEqualTo(36);
        }
    }

    @Test void staticPerChannelRaisesTheOpsetTo13AndRuns() {
        OnnxQuantizer.Result r = run(OnnxQuantizeOptions.of(OnnxQuantizeOptions.Mode.STATIC).withPerChannel(true).withFuseQdq(false), MiniLm.calibration(4), "static-pc.onnx");
        double cos = MiniLm.meanCosine(MiniLm.embed(MiniLm.fp32(), SENTENCES), MiniLm.embed(r.output(), SENTENCES));
        System.out.printf("static per-channel: %d bytes cos %.5f notes %s%n", r.outputBytes(), cos, r.report().notes());
        assertThat(r.report().notes()).anySatisfy(n -> assertThat(n).contains("raised to 13"));
        assertThat(r.report().entries()).filteredOn(OnnxQuantizeReport.Entry::quantized).anySatisfy(e -> assertThat(e.detail()).contains("per channel"));
        assertThat(cos).isGreaterThan(0.98);
    }

    @Test void staticFusedRunsAsQLinearMatMulWithReportedFidelity() throws Exception {
        OnnxQuantizer.Result r = run(OnnxQuantizeOptions.of(OnnxQuantizeOptions.Mode.STATIC), MiniLm.calibration(4), "static-fused.onnx");
        double cos = MiniLm.meanCosine(MiniLm.embed(MiniLm.fp32(), SENTENCES), MiniLm.embed(r.output(), SENTENCES));
        System.out.printf("static fused: %d bytes cos %.5f, %.1f ms vs FP32 %.1f ms%n", r.outputBytes(), cos, r.verification().quantizedMs(),
                r.verification().originalMs());
        assertThat(cos).isGreaterThan(0.9);
        try (var m = dev.squint.formats.onnx.OnnxReader.open(r.output())) {
            // every quantized MatMul's output feeds only its QuantizeLinear, the condition for ORT's QLinearMatMul fusion
            var nodes = m.proto().getGraph().getNodeList();
            for (var n : nodes) {
                if (!n.getOpType().equals("MatMul")) continue;
                var readers = nodes.stream().filter(x -> x.getInputList().contains(n.getOutput(0))).map(x -> x.getOpType()).toList();
                assertThat(readers).containsExactly("QuantizeLinear");
            }
        }
    }
}
