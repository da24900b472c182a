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
        // Calibration data given: the weight MatMuls are rounded with GPTQ by default, and the report says so.
        assertThat(json.path("nodes").findValuesAsText("detail")).filteredOn(d -> d.contains("MatMulInteger")).hasSize(36)
                .allSatisfy(d -> assertThat(d).contains("GPTQ"));
        assertThat(json.path("notes").toString()).contains("GPTQ on 36 weight(s)");
    }

    @Test void belowMinFidelityIsSaidPlainlyAndExitsTwo() {
        Path out = dir.resolve("minilm-int4.onnx");
        CliRun run = CliRun.of("quantize", minilm().toString(), out.toString(), "--mode", "int4", "--timed-runs", "1", "--min-fidelity", "0.99999");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.out()).contains("BELOW --min-fidelity").contains("latency:");
        assertThat(run.errLines()).singleElement().asString().contains("below --min-fidelity");
        assertThat(out).exists();
    }

    @Test void weightOnlyInt8AndNf4ModesRunAndReportWhatTheyDid() throws Exception {
        Path w8 = dir.resolve("minilm-w8.onnx");
        CliRun run = CliRun.of("quantize", minilm().toString(), w8.toString(), "--mode", "int8-weight", "--timed-runs", "1");
        assertThat(run.err()).isEmpty();
        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).contains("(int8-weight)").contains("ONNX Runtime: loads and runs").contains("raised to 13");
        Path nf4 = dir.resolve("minilm-nf4.onnx");
        run = CliRun.of("quantize", minilm().toString(), nf4.toString(), "--mode", "nf4", "--block-size", "128", "--timed-runs", "1", "--json");
        assertThat(run.err()).isEmpty();
        assertThat(run.exitCode()).isZero();
        JsonNode json = new ObjectMapper().readTree(run.out());
        assertThat(json.path("mode").asText()).isEqualTo("nf4");
        assertThat(json.path("verification").path("problems")).isEmpty();
        assertThat(json.path("nodes").findValuesAsText("detail")).anySatisfy(d -> assertThat(d).contains("MatMulBnb4 NF4, block 128"));
        assertThat(json.path("outputBytes").asLong()).isLessThan(Files.size(w8));
    }

    @Test void optionsThatDoNotFitTheModeAreUsageErrors() {
        String m = minilm().toString(), o = dir.resolve("x.onnx").toString();
        CliRun run = CliRun.of("quantize", m, o, "--mode", "nf4", "--asymmetric");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("--asymmetric");
        run = CliRun.of("quantize", m, o, "--mode", "nf4", "--block-size", "48");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("--block-size");
        run = CliRun.of("quantize", m, o, "--mode", "int8-weight", "--unsigned-weights");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("int8-weight");
        run = CliRun.of("quantize", m, o, "--mode", "nf4", "--smooth", "0.5");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("--smooth");
        run = CliRun.of("quantize", m, o, "--mode", "dynamic", "--smooth", "2");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("--smooth");
        run = CliRun.of("quantize", m, o, "--mode", "int4", "--block-size", "256");
        assertThat(run.exitCode()).isEqualTo(2);
        run = CliRun.of("quantize", m, o, "--mode", "int4", "--gptq");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("--gptq needs calibration data").contains("--calibration FILE");
        run = CliRun.of("quantize", m, o, "--mode", "fp16", "--gptq");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("--gptq applies to");
        assertThat(dir.resolve("x.onnx")).doesNotExist();
    }

    @Test void badModeIsAUsageError() {
        CliRun run = CliRun.of("quantize", minilm().toString(), dir.resolve("x.onnx").toString(), "--mode", "int3");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("--mode");
    }
}
