package dev.squint.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class InspectCommandTest {
    @TempDir Path dir;

    static Path stories() {
        Path p = Path.of(System.getProperty("squint.shared", "../shared"), "data", "stories260K.bin");
        assumeTrue(Files.exists(p), "stories260K.bin not found under squint.shared");
        return p;
    }

    @Test
    void inspectsStoriesAsText() {
        CliRun run = CliRun.of("inspect", stories().toString());
        assertThat(run.exitCode()).isZero();
        assertThat(run.err()).isEmpty();
        assertThat(run.out()).startsWith("stories260K.bin (llama2.c)\n")
                .contains("architecture     llama", "parameters       264,128 (264.1 K)", "bits per weight  32.00",
                        "llama.block_count", "blk.4.ffn_up.weight", "shared with token_embd.weight");
    }

    @Test
    void inspectsStoriesAsJson() throws IOException {
        CliRun run = CliRun.of("inspect", "--json", stories().toString());
        assertThat(run.exitCode()).isZero();
        assertThat(run.err()).isEmpty();
        JsonNode j = new ObjectMapper().readTree(run.out());
        assertThat(j.get("container").asText()).isEqualTo("llama2.c");
        assertThat(j.get("architecture").asText()).isEqualTo("llama");
        assertThat(j.get("parameter_count").asLong()).isEqualTo(264_128L);
        assertThat(j.get("file_size").asLong()).isEqualTo(1_056_540L);
        assertThat(j.get("tensor_bytes").asLong()).isEqualTo(1_056_512L);
        assertThat(j.get("tensors")).hasSize(49);
        assertThat(j.get("tensors").get(0).get("name").asText()).isEqualTo("token_embd.weight");
        assertThat(j.get("dtypes").get(0).get("dtype").asText()).isEqualTo("F32");
    }

    @Test
    void missingFileIsOneLineAndExitTwo() {
        Path missing = dir.resolve("missing.gguf");
        CliRun run = CliRun.of("inspect", missing.toString());
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.out()).isEmpty();
        assertThat(run.errLines()).hasSize(1);
        assertThat(run.errLines().getFirst()).startsWith("squint: ").contains(missing.toString());
    }

    @Test
    void truncatedCheckpointIsOneLineAndExitTwo() throws IOException {
        byte[] bytes = Files.readAllBytes(stories());
        Path cut = Files.write(dir.resolve("cut.bin"), Arrays.copyOf(bytes, 100_000));
        CliRun run = CliRun.of("inspect", cut.toString());
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.out()).isEmpty();
        assertThat(run.errLines()).hasSize(1);
        assertThat(run.errLines().getFirst()).contains(cut.toString(), "truncated").doesNotContain("Exception");
    }

    @Test
    void hostileHeaderIsOneLine() throws IOException {
        Path f = Files.write(dir.resolve("hostile.bin"), new byte[] {
                -1, -1, -1, 127, -1, -1, -1, 127, -1, -1, -1, 127, 1, 0, 0, 0, 1, 0, 0, 0, -1, -1, -1, 127, -1, -1, -1, 127});
        CliRun run = CliRun.of("inspect", "--json", f.toString());
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.errLines()).hasSize(1);
        assertThat(run.errLines().getFirst()).contains(f.toString());
    }

    @Test
    void missingArgumentIsAUsageError() {
        CliRun run = CliRun.of("inspect");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.errLines()).hasSize(1);
        assertThat(run.err()).contains("Missing required parameter", "'squint inspect --help'");
    }

    @Test
    void unknownOptionIsAUsageError() {
        CliRun run = CliRun.of("inspect", "--frobnicate", "x.bin");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("--frobnicate", "--help");
    }

    @Test
    void aliasWithoutUnpackedModelSaysWhatToDo() {
        // an alias resolved against an empty models folder: a user error, not a crash
        String saved = System.getProperty("squint.models");
        System.setProperty("squint.models", dir.toString());
        try {
            CliRun run = CliRun.of("inspect", "all-minilm-l6-v2-q");
            assertThat(run.exitCode()).isEqualTo(2);
            assertThat(run.errLines()).hasSize(1);
            assertThat(run.err()).contains("all-minilm-l6-v2-q", "does not exist");
        } finally {
            if (saved == null) System.clearProperty("squint.models");
            else System.setProperty("squint.models", saved);
        }
    }
}
