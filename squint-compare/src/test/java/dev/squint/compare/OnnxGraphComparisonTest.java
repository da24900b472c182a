package dev.squint.compare;

import dev.squint.core.SquintException;
import dev.squint.quantize.onnx.HostTensor;
import dev.squint.quantize.onnx.OnnxQuantizeOptions;
import dev.squint.quantize.onnx.OnnxQuantizer;
import dev.squint.report.ComparisonReport;
import dev.squint.report.FormatRow;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A generated CNN compared with its FP16, dynamic-INT8 and static-INT8 forms in ONNX Runtime. */
class OnnxGraphComparisonTest {
    @TempDir Path tmp;

    @Test void quantizedFormsOfACnnAreMeasuredAgainstItsOutputs() throws IOException {
        Path base = tmp.resolve("cnn.onnx");
        TinyCnn.write(base, 11);
        HostTensor calibration = TinyCnn.images(1, 16);
        Path fp16 = tmp.resolve("cnn-fp16.onnx"), int8 = tmp.resolve("cnn-int8.onnx"), qdq = tmp.resolve("cnn-qdq.onnx");
        OnnxQuantizer.quantize(base, fp16, OnnxQuantizeOptions.of(OnnxQuantizeOptions.Mode.FP16), TinyCnn.batches(calibration), 1);
        OnnxQuantizer.quantize(base, int8, OnnxQuantizeOptions.of(OnnxQuantizeOptions.Mode.DYNAMIC), TinyCnn.batches(calibration), 1);
        OnnxQuantizer.quantize(base, qdq, OnnxQuantizeOptions.of(OnnxQuantizeOptions.Mode.STATIC), TinyCnn.batches(calibration), 1);
        Path inputs = TinyCnn.npy(tmp.resolve("x.npy"), TinyCnn.images(2, 40));

        ComparisonReport r = Compare.run(CompareOptions.of(base, List.of(fp16, int8, qdq)).withInputs(inputs).withBenchSeconds(0.1),
                CompareProgress.QUIET);
        for (FormatRow row : r.rows()) {
            System.out.printf(java.util.Locale.ROOT, "%-16s %-18s cos %.6f max abs %.5f top1 %.1f %% %.0f samples/s %.2f bpw%n", row.name(),
                    row.format(), row.qualityKept(), row.metric("max_abs_error").orElseThrow().value(),
                    row.metric("top1_agreement").orElseThrow().value(), row.throughput(), row.bitsPerWeight());
        }
        assertThat(r.kind()).isEqualTo("onnx");
        assertThat(r.throughputUnit()).isEqualTo("samples/s");
        assertThat(r.rows()).extracting(FormatRow::name).containsExactly("cnn.onnx", "cnn-fp16.onnx", "cnn-int8.onnx", "cnn-qdq.onnx");
        FormatRow half = r.rows().get(1), dyn = r.rows().get(2), stat = r.rows().get(3);
        assertThat(half.qualityKept()).isGreaterThan(0.9999);
        assertThat(half.metric("max_abs_error").orElseThrow().value()).isPositive().isLessThan(0.05);
        for (FormatRow q : List.of(dyn, stat)) {
            assertThat(q.qualityKept()).as(q.name()).isBetween(0.95, 0.99999);
            assertThat(q.metric("cosine_min").orElseThrow().value()).as(q.name()).isLessThanOrEqualTo(q.qualityKept());
            assertThat(q.metric("top1_agreement").orElseThrow().value()).as(q.name()).isBetween(70.0, 100.0);
            assertThat(q.bitsPerWeight()).as(q.name()).isLessThan(half.bitsPerWeight());
        }
        assertThat(r.base().bitsPerWeight()).isBetween(31.0, 33.0);
        assertThat(half.bitsPerWeight()).isBetween(15.0, 17.5);
        for (FormatRow row : r.rows()) assertThat(row.throughput()).as(row.name()).isPositive();
        // 40 samples split into batches of 32 (the graph's batch dimension is symbolic)
        assertThat(r.environment().get("inputs")).isEqualTo("x.npy: 40 samples in 2 batches of up to 32");
    }

    @Test void inputsThatDoNotFitTheGraphAreRefusedNamingTheInput() throws IOException {
        Path base = tmp.resolve("cnn.onnx");
        TinyCnn.write(base, 12);
        Path other = tmp.resolve("cnn2.onnx");
        TinyCnn.write(other, 13);
        Path wrong = TinyCnn.npy(tmp.resolve("x.npy"), HostTensor.ofFloats("x", new long[] {2, 3, 4, 4}, new float[2 * 3 * 4 * 4]));
        assertThatThrownBy(() -> Compare.run(CompareOptions.of(base, List.of(other)).withInputs(wrong), CompareProgress.QUIET))
                .isInstanceOf(SquintException.class).hasMessageContaining("'x'").hasMessageContaining("[N, 3, 8, 8]");
        assertThatThrownBy(() -> Compare.run(CompareOptions.of(base, List.of(other)), CompareProgress.QUIET))
                .isInstanceOf(SquintException.class).hasMessageContaining("--inputs FILE");
        assertThat(Files.exists(base)).isTrue();
    }
}
