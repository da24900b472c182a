package dev.squint.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class OnnxQuantizeCommandTest {
    @TempDir Path dir;

    static Path minilm() {
        Path p = Path.of(System.getProperty("squint.models", "target/models"), "all-minilm-l6-v2", "all-minilm-l6-v2.onnx");
        assumeTrue(Files.exists(p), "all-MiniLM-L6-v2 is not unpacked");
        return p;
    }

    @Test void dynamicWithTextCalibrationAsJson() throws Exception {
        Path text = dir.resolve("sentences.txt");
        Files.writeString(text, "A man is playing a guitar.\nThe weather is nice today.\nQuantized models are small.\n");
        Path out = dir.resolve("minilm-int8.onnx");
        CliRun run = CliRun.of("quantize", minilm().toString(), out.toString(), "--mode", "dynamic", "--calibration", text.toString(),
                "--timed-runs", "1", "--json");
        assertThat(run.err()).isEmpty();
        assertThat(run.exitCode()).isZero();
        JsonNode json = new ObjectMapper().readTree(run.out());
        assertThat(json.path("mode").asText()).isEqualTo("dynamic");
        assertThat(json.path("outputBytes").asLong()).isLessThan(json.path("inputBytes").asLong() / 3);
        assertThat(json.path("verification").path("problems")).isEmpty();
        assertThat(json.path("verification").path("fidelity").path("last_hidden_state").path("cosine").asDouble()).isGreaterThan(0.95);
        assertThat(Files.size(out)).isEqualTo(json.path("outputBytes").asLong());
    }

    @Test void belowMinFidelityIsSaidPlainlyAndExitsTwo() {
        Path out = dir.resolve("minilm-int4.onnx");
        CliRun run = CliRun.of("quantize", minilm().toString(), out.toString(), "--mode", "int4", "--timed-runs", "1", "--min-fidelity", "0.99999");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.out()).contains("BELOW --min-fidelity").contains("latency:");
        assertThat(run.errLines()).singleElement().asString().contains("below --min-fidelity");
        assertThat(out).exists();
    }

    @Test void badModeIsAUsageError() {
        CliRun run = CliRun.of("quantize", minilm().toString(), dir.resolve("x.onnx").toString(), "--mode", "int3");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("--mode");
    }
}
