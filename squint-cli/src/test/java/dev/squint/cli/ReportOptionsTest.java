package dev.squint.cli;

import dev.squint.report.ComparisonReport;
import dev.squint.report.FormatRow;
import dev.squint.report.ReportTargets;
import dev.squint.report.Reports;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class ReportOptionsTest {
    @CommandLine.Command(name = "probe")
    static final class ProbeCommand implements Runnable {
        @CommandLine.Mixin ReportOptions reports;

        @Override public void run() {}
    }

    private static ReportOptions parse(String... args) {
        ProbeCommand cmd = new ProbeCommand();
        new CommandLine(cmd).parseArgs(args);
        return cmd.reports;
    }

    @Test
    void noOptionsMeansNoFiles() {
        assertThat(parse().targets()).isEqualTo(ReportTargets.none());
        assertThat(parse().targets().isEmpty()).isTrue();
    }

    @Test
    void eachOptionBecomesItsTarget() {
        ReportTargets t = parse("--markdown", "a.md", "--html", "out/c.html").targets();
        assertThat(t.markdown()).contains(Path.of("a.md"));
        assertThat(t.json()).isEmpty();
        assertThat(t.html()).contains(Path.of("out/c.html"));
        assertThat(parse("--json", "b.json").targets().json()).contains(Path.of("b.json"));
    }

    @Test
    void writeWritesTheFilesAndSaysWhere(@TempDir Path dir) throws Exception {
        FormatRow base = new FormatRow("FP32", "onnx", "ort", Optional.empty(), 1000, 32, 1, List.of(), 10, -1, List.of(), false);
        ComparisonReport r = new ComparisonReport("t", "m", "encoder", "cosine", "sentences/s", List.of(base), List.of(), Map.of());
        Path json = dir.resolve("r.json");
        StringWriter out = new StringWriter();
        List<Path> written = parse("--json", json.toString()).write(r, new PrintWriter(out));
        assertThat(written).containsExactly(json);
        assertThat(Files.readString(json)).isEqualTo(Reports.json(r));
        assertThat(out.toString()).isEqualTo("wrote " + json + System.lineSeparator());
    }

    @Test
    void helpListsTheThreeOptions() {
        String usage = new CommandLine(new ProbeCommand()).getUsageMessage();
        assertThat(usage).contains("--markdown=FILE").contains("--json=FILE").contains("--html=FILE");
    }
}
