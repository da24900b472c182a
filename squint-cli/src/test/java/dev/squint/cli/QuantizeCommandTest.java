package dev.squint.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class QuantizeCommandTest {
    @TempDir Path dir;

    static Path llamaCpp(String file) {
        Path p = Path.of(System.getProperty("squint.shared", "../shared"), "testdata", "llama.cpp", file);
        assumeTrue(Files.exists(p), file + " not found under squint.shared");
        return p;
    }

    @Test
    void quantizesStoriesToLlamaQuantizesBytes() throws IOException {
        Path out = dir.resolve("q4km.gguf");
        CliRun run = CliRun.of("quantize", "--threads", "2", llamaCpp("stories260K-f32.gguf").toString(), out.toString(), "q4_k_m");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.err()).isEmpty(); // no bar when stderr is not a terminal
        assertThat(Files.readAllBytes(out)).isEqualTo(Files.readAllBytes(llamaCpp("stories260K-Q4_K_M.gguf")));
        assertThat(run.out()).contains("blk.0.ffn_down.weight", "fallback Q4_K -> F16", "36 of 48 tensors fell back",
                "Q4_K_M: 48 tensors");
    }

    @Test
    void tensorTypeOverrideAndJsonSummary() throws IOException {
        Path out = dir.resolve("q8.gguf");
        CliRun run = CliRun.of("quantize", "--tensor-type", "ffn_down=f16", "--json",
                llamaCpp("stories260K-f32.gguf").toString(), out.toString(), "Q8_0");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(Files.readAllBytes(out)).isEqualTo(Files.readAllBytes(llamaCpp("stories260K-Q8_0-ffnF16.gguf")));
        JsonNode j = new ObjectMapper().readTree(run.out());
        assertThat(j.get("file_type").asInt()).isEqualTo(7);
        assertThat(j.get("file_bytes").asLong()).isEqualTo(Files.size(out));
        JsonNode q = j.get("tensors").get(3); // blk.0.attn_k.weight in llama.cpp's order
        assertThat(q.get("name").asText()).isEqualTo("blk.0.attn_k.weight");
        assertThat(q.get("type").asText()).isEqualTo("Q8_0");
        assertThat(q.get("snr_db").asDouble()).isGreaterThan(30);
    }

    @Test
    void dryRunWritesNothing() {
        Path out = dir.resolve("never.gguf");
        CliRun run = CliRun.of("quantize", "--dry-run", llamaCpp("stories260K-f32.gguf").toString(), out.toString(), "Q4_0");
        // Q4_0 has no fallback and ffn_down rows have 172 values: llama-quantize fails here too
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("ffn_down", "--tensor-type");
        CliRun ok = CliRun.of("quantize", "--dry-run", llamaCpp("stories260K-f32.gguf").toString(), out.toString(), "Q2_K");
        assertThat(ok.exitCode()).as(ok.err()).isZero();
        assertThat(ok.out()).contains("dry run, nothing written");
        assertThat(out).doesNotExist();
    }

    @Test
    void badTypeListsTheSupportedOnes() {
        CliRun run = CliRun.of("quantize", llamaCpp("stories260K-f32.gguf").toString(), dir.resolve("x.gguf").toString(), "Q7_K");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("unknown quantization type 'Q7_K'", "Q4_K_M", "IQ1_M");
    }

    @Test
    void outputEqualToInputIsRefused() throws IOException {
        Path in = dir.resolve("in.gguf");
        Files.copy(llamaCpp("stories260K-f32.gguf"), in);
        byte[] before = Files.readAllBytes(in);
        CliRun run = CliRun.of("quantize", in.toString(), in.toString(), "Q4_K_M");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(Files.readAllBytes(in)).isEqualTo(before);
    }

    @Test
    void helpListsTheTypes() {
        CliRun run = CliRun.of("quantize", "--help");
        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).contains("Q5_K_M", "IQ2_XXS", "TQ1_0", "--tensor-type", "--imatrix", "--dry-run", "--no-fallback");
    }
}
