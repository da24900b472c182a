package dev.squint.compare;

import dev.squint.core.SquintException;
import dev.squint.report.ComparisonReport;
import dev.squint.report.FormatRow;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * {@code squint compare} on llama.cpp's own stories260K GGUFs against the figures llama-perplexity printed for them
 * ({@code ../shared/testdata/llama.cpp/README.md}: context 256, the whole TinyStories-valid text).
 */
class DecoderComparisonTest {
    static final Path SHARED = Path.of(System.getProperty("squint.shared", "../shared"));
    static final Path DIR = SHARED.resolve("testdata/llama.cpp");
    static final Path TEXT = SHARED.resolve("data/TinyStories-valid.txt");
    static final Path F32 = DIR.resolve("stories260K-f32.gguf");

    static ComparisonReport report;

    @BeforeAll
    static void compareTheLlamaCppFiles() {
        Assumptions.assumeTrue(Files.exists(F32) && Files.exists(TEXT), "../shared (llama.cpp's stories260K GGUFs and text) is absent; "
                + "pass -Dsquint.shared=/path/to/shared");
        List<Path> candidates = List.of(DIR.resolve("stories260K-Q8_0-ffnF16.gguf"), DIR.resolve("stories260K-Q4_0-ffnF16.gguf"),
                DIR.resolve("stories260K-Q4_K_M.gguf"));
        List<String> seen = new ArrayList<>();
        report = Compare.run(CompareOptions.of(F32, candidates).withText(TEXT).withCtx(256).withThreads(2).withBenchSeconds(0.2),
                new CompareProgress() {
                    @Override public void model(String name, long steps) { seen.add(name + ":" + steps); }

                    @Override public void step() {}
                });
        for (FormatRow r : report.rows()) {
            System.out.printf(java.util.Locale.ROOT, "%-30s PPL %.4f KLD %.6f same top %.2f %% kept %.4f %.0f tokens/s peak %d MiB bpw %.2f%n",
                    r.name(), metric(r, "perplexity"), metric(r, "kld_mean"), metric(r, "same_top"), r.qualityKept(), r.throughput(),
                    r.peakMemoryBytes() >> 20, r.bitsPerWeight());
        }
        assertThat(seen).containsExactly("stories260K-f32.gguf:61", "stories260K-Q8_0-ffnF16.gguf:61", "stories260K-Q4_0-ffnF16.gguf:61",
                "stories260K-Q4_K_M.gguf:61");
    }

    private static double metric(FormatRow row, String key) {
        return row.metric(key).orElseThrow().value();
    }

    @Test void baseRowComesFirstAndCandidatesFollowInOrder() {
        assertThat(report.kind()).isEqualTo("decoder");
        assertThat(report.throughputUnit()).isEqualTo("tokens/s");
        assertThat(report.rows()).extracting(FormatRow::name).containsExactly("stories260K-f32.gguf", "stories260K-Q8_0-ffnF16.gguf",
                "stories260K-Q4_0-ffnF16.gguf", "stories260K-Q4_K_M.gguf");
        FormatRow base = report.base();
        assertThat(base.qualityKept()).isEqualTo(1.0);
        assertThat(metric(base, "kld_mean")).isZero();
        assertThat(base.format()).isEqualTo("GGUF F32");
        assertThat(report.rows().get(2).format()).startsWith("GGUF Q4_0");
        assertThat(report.environment()).containsKeys("text", "threads", "machine", "date");
    }

    @Test void perplexityMatchesLlamaCppWithinHalfAPercent() {
        double[] llamaCpp = {6.2132, 6.2168, 6.8727, 6.3148};
        for (int i = 0; i < 4; i++) {
            FormatRow row = report.rows().get(i);
            assertThat(metric(row, "perplexity")).as(row.name()).isCloseTo(llamaCpp[i], within(0.005 * llamaCpp[i]));
            assertThat(metric(row, "perplexity_error")).as(row.name()).isBetween(0.15, 0.18);
        }
    }

    @Test void klDivergenceAndSameTopTokenMatchLlamaCpp() {
        // llama.cpp: mean KLD 0.000958 / 0.1147 / 0.0276, same top 98.24 / 81.64 / 91.10 %
        double[] kld = {0.000958, 0.1147, 0.0276};
        double[] sameTop = {98.24, 81.64, 91.10};
        for (int i = 0; i < 3; i++) {
            FormatRow row = report.rows().get(i + 1);
            // within 5 % (plus a little for Q8_0's tiny figure) and 1 point: squint's quantized logits are not
            // ggml's bit for bit, and llama.cpp stores the base log-probabilities in 16 bits
            assertThat(metric(row, "kld_mean")).as(row.name()).isCloseTo(kld[i], within(0.05 * kld[i] + 0.0001));
            assertThat(metric(row, "same_top")).as(row.name()).isCloseTo(sameTop[i], within(1.0));
            assertThat(metric(row, "kld_p99")).as(row.name()).isGreaterThan(metric(row, "kld_mean"));
            assertThat(metric(row, "ppl_ratio")).as(row.name()).isCloseTo(metric(row, "perplexity") / metric(report.base(), "perplexity"), within(1e-3));
        }
        // Q4_0 is the worst of the three on every measure
        FormatRow q4 = report.rows().get(2);
        assertThat(q4.qualityKept()).isLessThan(report.rows().get(1).qualityKept()).isLessThan(report.rows().get(3).qualityKept());
    }

    @Test void qualityKeptIsThePerplexityRatioAndSizesComeFromTheFiles() throws IOException {
        for (FormatRow row : report.rows()) {
            assertThat(row.qualityKept()).isCloseTo(metric(report.base(), "perplexity") / metric(row, "perplexity"), within(1e-9));
            assertThat(row.fileBytes()).isEqualTo(Files.size(Path.of(row.file().orElseThrow())));
            assertThat(row.throughput()).isPositive();
            assertThat(row.runtime()).startsWith("squint engine");
        }
        assertThat(report.base().bitsPerWeight()).isCloseTo(32.0, within(0.01));
        assertThat(report.rows().get(2).bitsPerWeight()).isBetween(6.0, 9.0); // Q4_0 with F16 ffn_down and F32 norms
        assertThat(report.rows().get(1).bitsPerWeight()).isGreaterThan(report.rows().get(2).bitsPerWeight());
    }

    @Test void missingTextIsAOneLineError() {
        assertThatThrownBy(() -> Compare.run(CompareOptions.of(F32, List.of(DIR.resolve("stories260K-Q4_0-ffnF16.gguf"))), CompareProgress.QUIET))
                .isInstanceOf(SquintException.class).hasMessageContaining("--text FILE").hasMessageNotContaining("\n");
    }

    @Test void aModelOfAnotherKindIsRefusedNamingBoth(@TempDir Path tmp) throws IOException {
        Path notAModel = tmp.resolve("notes.bin");
        Files.writeString(notAModel, "hello");
        assertThatThrownBy(() -> Compare.run(CompareOptions.of(F32, List.of(notAModel)).withText(TEXT), CompareProgress.QUIET))
                .isInstanceOf(SquintException.class).hasMessageContaining("notes.bin").hasMessageContaining("squint compare evaluates");
    }
}
