package dev.squint.cli;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** run, eval, bench and imatrix on llama.cpp's stories260K GGUF (skipped without the shared data). */
class DecoderCommandsTest {
    static final Path SHARED = Path.of(System.getProperty("squint.shared", "../shared"));
    static final Path F32 = SHARED.resolve("testdata/llama.cpp/stories260K-f32.gguf");
    static final Path TEXT = SHARED.resolve("data/TinyStories-valid.txt");

    @BeforeAll
    static void needsData() {
        Assumptions.assumeTrue(Files.exists(F32) && Files.exists(TEXT), "shared llama.cpp data absent");
    }

    @Test
    void runIsGreedyByDefaultAndReproducesLlamaCpp() {
        CliRun r = CliRun.of("run", F32.toString(), "-p", "Once upon a time", "-n", "64", "--threads", "2");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).startsWith("Once upon a time, there was a little girl named Lily. She loved to play outside in the park.")
                .contains("Lily's mom said");
        assertThat(r.err()).contains("generated: 64 tokens");
    }

    @Test
    void seededSamplingIsReproducible() {
        CliRun a = CliRun.of("run", F32.toString(), "-p", "Once", "-n", "20", "--temp", "0.9", "--seed", "5", "--threads", "1");
        CliRun b = CliRun.of("run", F32.toString(), "-p", "Once", "-n", "20", "--temp", "0.9", "--seed", "5", "--threads", "2");
        assertThat(a.exitCode()).isZero();
        assertThat(a.out()).isEqualTo(b.out());
    }

    @Test
    void aPromptLongerThanTheContextIsAClearError() {
        CliRun r = CliRun.of("run", F32.toString(), "-p", "Once upon a time there was a dog and a cat and a bird", "-n", "4", "--ctx", "8");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("exceed the context of 8");
    }

    @Test
    void evalPerplexityMatchesLlamaCppAsJson(@TempDir Path tmp) throws IOException {
        Path text = tmp.resolve("t.txt");
        Files.writeString(text, Files.readString(TEXT).substring(0, 12_000));
        CliRun r = CliRun.of("eval", F32.toString(), "--perplexity", text.toString(), "--ctx", "128", "--json", "--threads", "2");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("\"ctx\": 128").contains("\"ppl\": ").contains("\"tokens_scored\": ");
        Path base = tmp.resolve("base.kld");
        CliRun save = CliRun.of("eval", F32.toString(), "--perplexity", text.toString(), "--ctx", "128", "--kl-divergence-base", base.toString());
        assertThat(save.exitCode()).as(save.err()).isZero();
        assertThat(base).exists();
        CliRun cmp = CliRun.of("eval", SHARED.resolve("testdata/llama.cpp/stories260K-Q4_0-ffnF16.gguf").toString(),
                "--perplexity", text.toString(), "--ctx", "128", "--kl-divergence", base.toString());
        assertThat(cmp.exitCode()).as(cmp.err()).isZero();
        assertThat(cmp.out()).contains("Mean KLD").contains("99.9%").contains("Median KLD").contains("Same top p");
        CliRun wrongCtx = CliRun.of("eval", F32.toString(), "--perplexity", text.toString(), "--ctx", "64", "--kl-divergence", base.toString());
        assertThat(wrongCtx.exitCode()).isEqualTo(2);
        assertThat(wrongCtx.err()).contains("ctx 128");
    }

    @Test
    void benchReportsSpeedAndBandwidth() {
        CliRun r = CliRun.of("bench", F32.toString(), "-p", "16", "-n", "4", "--reps", "2", "--threads", "2", "--json");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("\"pp_tps\"").contains("\"tg_tps\"").contains("\"bandwidth_bytes_per_s\"")
                .contains("\"weight_bytes_per_token\"");
    }

    @Test
    void imatrixWritesAFileThatIsNotAModel(@TempDir Path tmp) throws IOException {
        Path text = tmp.resolve("t.txt");
        Files.writeString(text, Files.readString(TEXT).substring(0, 4000));
        Path out = tmp.resolve("imatrix.gguf");
        CliRun r = CliRun.of("imatrix", F32.toString(), "--text", text.toString(), "-o", out.toString(), "--ctx", "64", "--threads", "1");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(out).exists();
        CliRun bad = CliRun.of("run", out.toString(), "-p", "x");
        assertThat(bad.exitCode()).isEqualTo(2);
        assertThat(bad.err()).contains("is not supported").contains("llama").contains("qwen3");
    }
}
