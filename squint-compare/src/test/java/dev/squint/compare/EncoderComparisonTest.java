package dev.squint.compare;

import dev.squint.convert.ConvertOptions;
import dev.squint.convert.GgufConverter;
import dev.squint.convert.OutType;
import dev.squint.report.ComparisonReport;
import dev.squint.report.FormatRow;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** all-MiniLM-L6-v2 (ONNX, FP32) compared with its langchain4j {@code -q} twin (ONNX Runtime int8) and a GGUF of itself. */
class EncoderComparisonTest {
    static final Path MODELS = Path.of(System.getProperty("squint.models", "target/models"));
    static final Path FP32 = MODELS.resolve("all-minilm-l6-v2/all-minilm-l6-v2.onnx");
    static final Path Q = MODELS.resolve("all-minilm-l6-v2-q/all-minilm-l6-v2-q.onnx");
    static final Path STS = Path.of(System.getProperty("squint.shared", "../shared"), "data/stsbenchmark/sts-test.csv");

    @TempDir Path tmp;

    /** 64 sentences of 5 to 20 words: subjects × verbs × objects, every combination different. */
    static Path sentences(Path dir) throws IOException {
        String[] subjects = {"A girl", "The old man", "Two dogs", "A group of students", "The company", "My neighbour", "A small bird", "The committee"};
        String[] verbs = {"is reading", "quickly crossed", "announced", "is playing with", "carefully examined", "was looking for"};
        String[] objects = {"a book about the history of the city.", "the busy street near the station.", "new results on Monday morning.",
                "a red ball in the garden.", "the contract before signing it.", "the keys she lost yesterday.", "the fence.",
                "the budget for next year in detail."};
        List<String> out = new ArrayList<>();
        for (int i = 0; i < 64; i++) out.add(subjects[i % 8] + " " + verbs[(i / 8) % 6] + " " + objects[(i * 5 + i / 8) % 8]);
        Path p = dir.resolve("sentences.txt");
        Files.write(p, out);
        return p;
    }

    @Test void onnxRuntimesInt8ModelKeepsMostOfTheBaseAndAGgufOfTheBaseKeepsAllOfIt() throws IOException {
        Assumptions.assumeTrue(Files.exists(FP32) && Files.exists(Q), "MiniLM is not unpacked (squint.models=" + MODELS + ")");
        Path gguf = tmp.resolve("minilm-f16.gguf");
        GgufConverter.convert(ConvertOptions.of(FP32, gguf).withOutType(OutType.parse("f16")));
        ComparisonReport r = Compare.run(CompareOptions.of(FP32, List.of(Q, gguf)).withSentences(sentences(tmp)).withThreads(2)
                .withBenchSeconds(0.2), CompareProgress.QUIET);
        for (FormatRow row : r.rows()) {
            System.out.printf(java.util.Locale.ROOT, "%-26s %-22s cos %.6f min %.6f top10 %.3f %.1f sentences/s, %.2f bpw, %d MiB peak, %s%n",
                    row.name(), row.format(), row.metric("cosine_mean").orElseThrow().value(), row.metric("cosine_min").orElseThrow().value(),
                    row.metric("retrieval_top10").orElseThrow().value(), row.throughput(), row.bitsPerWeight(), row.peakMemoryBytes() >> 20, row.runtime());
        }
        assertThat(r.kind()).isEqualTo("encoder");
        assertThat(r.throughputUnit()).isEqualTo("sentences/s");
        assertThat(r.rows()).extracting(FormatRow::name).containsExactly("all-minilm-l6-v2.onnx", "all-minilm-l6-v2-q.onnx", "minilm-f16.gguf");
        FormatRow base = r.base(), q = r.rows().get(1), f16 = r.rows().get(2);
        assertThat(base.runtime()).startsWith("ONNX Runtime");
        assertThat(q.runtime()).startsWith("ONNX Runtime");
        assertThat(f16.runtime()).startsWith("squint engine");
        // ONNX Runtime's int8 model: close to FP32 but measurably not equal (README: mean cosine 0.990 on STS sentences)
        assertThat(q.qualityKept()).isBetween(0.95, 0.999);
        assertThat(q.metric("cosine_min").orElseThrow().value()).isLessThanOrEqualTo(q.qualityKept()).isGreaterThan(0.8);
        assertThat(q.metric("retrieval_top10").orElseThrow().value()).isBetween(0.5, 1.0);
        // F16 weights in squint's engine against FP32 in ONNX Runtime: the same embeddings to about five digits
        assertThat(f16.qualityKept()).isGreaterThan(0.9999);
        assertThat(f16.metric("retrieval_top10").orElseThrow().value()).isGreaterThan(0.95);
        assertThat(base.bitsPerWeight()).isCloseTo(32, within(0.5));
        assertThat(q.bitsPerWeight()).isBetween(7.5, 9.0);
        assertThat(f16.bitsPerWeight()).isBetween(15.5, 17.0);
        assertThat(q.fileBytes()).isEqualTo(Files.size(Q));
        for (FormatRow row : r.rows()) assertThat(row.throughput()).isPositive();
        assertThat(r.environment().get("sentences")).startsWith("64 from sentences.txt");
    }

    @Test void squintsEngineRunsTheOnnxBaseWhenAskedAndOnnxRuntimeTheGraphItCannotLoad() throws IOException {
        Assumptions.assumeTrue(Files.exists(FP32) && Files.exists(Q), "MiniLM is not unpacked (squint.models=" + MODELS + ")");
        ComparisonReport r = Compare.run(CompareOptions.of(FP32, List.of(Q)).withSentences(sentences(tmp)).withLimit(32).withThreads(2)
                .withBenchSeconds(0.1).withSquintEngine(true), CompareProgress.QUIET);
        assertThat(r.base().runtime()).startsWith("squint engine");
        assertThat(r.rows().get(1).runtime()).startsWith("ONNX Runtime");
        // squint's FP32 equals ONNX Runtime's FP32 (cosine 1.00000), so -q keeps what it keeps against ONNX Runtime's base
        assertThat(r.rows().get(1).qualityKept()).isBetween(0.95, 0.999);
        assertThat(r.environment().get("sentences")).startsWith("32 from");
    }

    @Test void stsSpearmanInOnnxRuntimeMatchesSquintsPublishedFigure() {
        Assumptions.assumeTrue(Files.exists(FP32) && Files.exists(Q), "MiniLM is not unpacked (squint.models=" + MODELS + ")");
        Assumptions.assumeTrue(Files.exists(STS), "../shared STS file absent; pass -Dsquint.shared");
        ComparisonReport r = Compare.run(CompareOptions.of(FP32, List.of(Q)).withSts(STS).withLimit(100).withThreads(2).withBenchSeconds(0.2),
                CompareProgress.QUIET);
        // README: squint and ONNX Runtime both give Spearman 0.933631 on the first 100 STS-test pairs (mean pooling, unit length)
        assertThat(r.base().metric("sts_spearman").orElseThrow().value()).isCloseTo(0.933631, within(2e-4));
        assertThat(r.rows().get(1).metric("sts_spearman").orElseThrow().value()).isBetween(0.88, 0.96);
        assertThat(r.rows().get(1).metric("sts_pearson")).isPresent();
        assertThat(r.environment().get("sts")).startsWith("100 pairs");
    }
}
