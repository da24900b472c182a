package dev.squint.compare;

import dev.squint.core.SquintException;
import dev.squint.report.ComparisonReport;
import dev.squint.report.FormatRow;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link Demo} on all-MiniLM-L6-v2 (unpacked by Maven into {@code squint.models}) with a subset of rows and of the
 * built-in sentences, so it stays fast: every figure is measured, so the assertions are about real files and sane
 * relations between rows, not exact numbers.
 */
class DemoTest {
    private static Path model, reference;
    private static Path sentences;
    private static Demo.Result result;
    @TempDir static Path dir;

    @BeforeAll
    static void runDemoOnce() throws Exception {
        Path models = Path.of(System.getProperty("squint.models", "target/models"));
        model = models.resolve("all-minilm-l6-v2/all-minilm-l6-v2.onnx");
        reference = models.resolve("all-minilm-l6-v2-q/all-minilm-l6-v2-q.onnx");
        assumeTrue(Files.isRegularFile(model) && Files.isRegularFile(reference), "all-MiniLM-L6-v2 not unpacked (run through Maven)");
        // Three topics of the built-in corpus (36 sentences): enough for top-10 neighbours to mean something.
        sentences = dir.resolve("sentences.txt");
        Files.write(sentences, DemoCorpus.resource(DemoCorpus.SENTENCES).subList(0, 36));
        DemoOptions o = DemoOptions.of(model, Optional.of(reference), dir.resolve("out")).withThreads(2).withSentences(sentences)
                .withSpeedSeconds(0.2)
                .withRows(DemoRow.parse("fp16,int8-dynamic,q8_0,ort-q"));
        List<String> steps = new ArrayList<>();
        result = Demo.run(o, new DemoListener() {
            @Override public void step(DemoRow row, String what) { steps.add(row + ": " + what); }
        });
        assertThat(steps).anyMatch(s -> s.startsWith("FP16: writing"));
    }

    private static Map<String, FormatRow> rows() {
        return result.report().rows().stream().collect(Collectors.toMap(FormatRow::name, Function.identity()));
    }

    private static double metric(FormatRow r, String key) {
        return r.metric(key).orElseThrow(() -> new AssertionError(r.name() + " has no " + key)).value();
    }

    @Test
    void everyRowIsARealFileWithItsMeasuredSize() throws Exception {
        assertThat(result.complete()).as("failures %s", result.failures()).isTrue();
        ComparisonReport r = result.report();
        assertThat(r.rows()).extracting(FormatRow::name)
                .containsExactly("FP32", "FP16", "INT8 dynamic", "GGUF Q8_0", "ONNX Runtime int8 (-q)");
        for (FormatRow row : r.rows()) {
            Path f = Path.of(row.file().orElseThrow());
            assertThat(f).isRegularFile();
            assertThat(row.fileBytes()).as(row.name()).isEqualTo(Files.size(f));
            assertThat(row.throughput()).as(row.name()).isPositive();
        }
        Map<String, FormatRow> m = rows();
        // squint's outputs are in the output folder; the base and the outside reference are where they were.
        for (String name : List.of("FP16", "INT8 dynamic", "GGUF Q8_0")) {
            assertThat(Path.of(m.get(name).file().orElseThrow()).getParent()).isEqualTo(dir.resolve("out"));
        }
        assertThat(m.get("FP32").file()).contains(model.toString());
        assertThat(m.get("ONNX Runtime int8 (-q)").reference()).isTrue();
        assertThat(m.get("FP16").reference()).isFalse();
        // No intermediate file is left behind.
        try (var files = Files.list(dir.resolve("out"))) {
            assertThat(files.map(p -> p.getFileName().toString()).toList())
                    .containsExactlyInAnyOrder("all-minilm-l6-v2-fp16.onnx", "all-minilm-l6-v2-int8-dynamic.onnx", "all-minilm-l6-v2-Q8_0.gguf");
        }
    }

    @Test
    void sizesAndBitsPerWeightFollowTheFormats() {
        Map<String, FormatRow> m = rows();
        FormatRow fp32 = m.get("FP32"), fp16 = m.get("FP16"), int8 = m.get("INT8 dynamic"), q8 = m.get("GGUF Q8_0");
        assertThat(fp32.bitsPerWeight()).isBetween(32.0, 32.5); // overhead (biases, norms, graph) is counted in
        assertThat(fp16.bitsPerWeight()).isBetween(16.0, 16.5);
        assertThat(int8.bitsPerWeight()).isBetween(8.0, 8.6);
        assertThat(q8.bitsPerWeight()).isBetween(8.5, 9.2); // Q8_0: 34 bytes per 32 weights
        assertThat(int8.fileBytes()).isLessThan(fp16.fileBytes() / 19 * 10);
        assertThat(q8.fileBytes()).isLessThan(fp16.fileBytes());
        for (FormatRow row : List.of(fp32, fp16, int8, q8)) {
            assertThat(row.bitsPerWeight() / fp32.bitsPerWeight()).isCloseTo((double) row.fileBytes() / fp32.fileBytes(), within(1e-9));
        }
    }

    @Test
    void qualityFallsWithPrecisionAndTheBaseIsExact() {
        Map<String, FormatRow> m = rows();
        FormatRow fp32 = m.get("FP32");
        assertThat(metric(fp32, "cosine_mean")).isCloseTo(1.0, within(1e-9));
        assertThat(metric(fp32, "retrieval_top10")).isEqualTo(1.0);
        assertThat(metric(m.get("FP16"), "cosine_mean")).isGreaterThan(0.999);
        assertThat(metric(m.get("FP16"), "cosine_min")).isGreaterThan(0.999);
        assertThat(metric(m.get("GGUF Q8_0"), "cosine_mean")).isGreaterThan(0.995); // the engine's FP32 equals ORT's; Q8_0 is close
        double int8 = metric(m.get("INT8 dynamic"), "cosine_mean");
        assertThat(int8).isBetween(0.95, metric(m.get("FP16"), "cosine_mean"));
        assertThat(metric(m.get("ONNX Runtime int8 (-q)"), "cosine_mean")).isBetween(0.95, 0.9999);
        for (FormatRow row : result.report().rows()) {
            assertThat(row.qualityKept()).isEqualTo(metric(row, "cosine_mean"));
            assertThat(metric(row, "cosine_min")).isLessThanOrEqualTo(metric(row, "cosine_mean") + 1e-12);
            assertThat(metric(row, "retrieval_top10")).isBetween(0.5, 1.0);
        }
    }

    @Test
    void peakMemoryAndEnvironmentAreReported() {
        assumeTrue(PeakMemory.reset(), "clear_refs not writable here");
        for (FormatRow row : result.report().rows()) assertThat(row.peakMemoryBytes()).as(row.name()).isGreaterThan(50L << 20);
        assertThat(result.report().environment()).containsKeys("threads", "speed", "peak memory", "bits per weight", "load average", "demo time");
        assertThat(result.report().environment().get("threads")).startsWith("2 ");
    }

    @Test
    void aRowThatFailsIsReportedAndTheOthersStillRun(@TempDir Path tmp) throws Exception {
        assumeTrue(model != null && Files.isRegularFile(model), "all-MiniLM-L6-v2 not unpacked");
        Path broken = tmp.resolve("broken-q.onnx");
        Files.write(broken, new byte[]{8, 7, 0x12, 3, 'a', 'b'}); // a few protobuf bytes that are no model
        DemoOptions o = DemoOptions.of(model, Optional.of(broken), tmp.resolve("out")).withThreads(1).withSentences(sentences)
                .withSpeedSeconds(0.05).withRows(DemoRow.parse("ort-q"));
        Path sts = Path.of(System.getProperty("squint.shared", "../../shared"), "data/stsbenchmark/sts-test.csv");
        boolean withSts = Files.isRegularFile(sts);
        if (withSts) o = o.withSts(sts, 60);
        Demo.Result r = Demo.run(o, DemoListener.NONE);
        assertThat(r.complete()).isFalse();
        assertThat(r.failures()).containsOnlyKeys(DemoRow.ORT_INT8_REFERENCE);
        assertThat(r.failures().get(DemoRow.ORT_INT8_REFERENCE)).contains("broken-q.onnx").doesNotContain("\n");
        FormatRow failed = r.report().rows().get(1);
        assertThat(failed.notes()).singleElement().asString().startsWith(Demo.FAILED);
        assertThat(failed.throughput()).isNaN();
        assertThat(r.report().base().throughput()).isPositive();
        if (withSts) {
            // FP32 on the first 60 STS-test pairs: a real correlation, and the failed row has none.
            assertThat(r.report().base().metric("sts_spearman").orElseThrow().value()).isBetween(0.7, 1.0);
            assertThat(failed.metric("sts_spearman")).isEmpty();
        }
    }

    @Test
    void rowsParseWithTheBaseFirst() {
        assertThat(DemoRow.parse("q4_0, fp16")).containsExactly(DemoRow.FP32, DemoRow.FP16, DemoRow.Q4_0);
        assertThat(DemoRow.parse("all")).hasSize(DemoRow.values().length);
        assertThatThrownBy(() -> DemoRow.parse("fp16,int3")).isInstanceOf(SquintException.class).hasMessageContaining("'int3'")
                .hasMessageContaining("q4_k_m");
        assertThatThrownBy(() -> DemoOptions.of(Path.of("no/such.onnx"), Optional.empty(), Path.of("x")))
                .isInstanceOf(SquintException.class).hasMessageContaining("no such model");
    }
}
