package dev.squint.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** {@code squint demo} through the CLI: options, the table and report files, exit codes. Row production is DemoTest's. */
class DemoCommandTest {
    @TempDir Path dir;

    @BeforeAll
    static void needsModel() {
        Path onnx = Path.of(System.getProperty("squint.models", "target/models"), "all-minilm-l6-v2", "all-minilm-l6-v2.onnx");
        assumeTrue(Files.exists(onnx), "all-MiniLM-L6-v2 not unpacked at " + onnx);
    }

    @Test
    void smallRunPrintsTheTableVerdictsAndWritesReports() throws Exception {
        Path sentences = dir.resolve("s.txt");
        Files.write(sentences, List.of("A man plays the guitar.", "A woman is slicing onions.", "The cat sleeps on the sofa.",
                "Stocks fell sharply on Monday.", "The striker scored twice.", "Rain is expected tomorrow."));
        Path json = dir.resolve("demo.json"), md = dir.resolve("demo.md");
        CliRun run = CliRun.of("demo", "--out", dir.resolve("out").toString(), "--threads", "1", "--rows", "int8-dynamic",
                "--sentences", sentences.toString(), "--seconds", "0.05", "--json", json.toString(), "--markdown", md.toString());
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("FP32", "INT8 dynamic", "Verdicts", "Environment", "wrote " + json);
        assertThat(dir.resolve("out/all-minilm-l6-v2-int8-dynamic.onnx")).isRegularFile();
        JsonNode report = new ObjectMapper().readTree(Files.readString(json));
        assertThat(report.toString()).contains("INT8 dynamic").contains("sentences/s");
        assertThat(Files.readString(md)).contains("| FP32");
    }

    @Test
    void badOptionsAreOneLineWithExitTwo() {
        CliRun rows = CliRun.of("demo", "--rows", "fp16,int3", "--out", dir.toString());
        assertThat(rows.exitCode()).isEqualTo(2);
        assertThat(rows.errLines()).hasSize(1);
        assertThat(rows.err()).contains("'int3'").contains("q4_k_m");
        CliRun threads = CliRun.of("demo", "--threads", "0", "--out", dir.toString());
        assertThat(threads.exitCode()).isEqualTo(2);
        assertThat(threads.err()).contains("--threads");
        CliRun budget = CliRun.of("demo", "--memory-budget", "-5", "--out", dir.toString());
        assertThat(budget.exitCode()).isEqualTo(2);
        assertThat(budget.err()).contains("--memory-budget");
    }

    @Test
    void helpListsTheRowsAndExitCodes() {
        CliRun help = CliRun.of("demo", "--help");
        assertThat(help.exitCode()).isZero();
        assertThat(help.out()).contains("--rows", "int8-weight", "nf4", "q4_k_m", "ort-q", "--markdown", "--html", "Exit codes");
    }
}
