package dev.squint.cli;

import dev.squint.report.ComparisonReport;
import dev.squint.report.ReportTargets;
import dev.squint.report.Reports;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;

/**
 * The report-file options shared by {@code squint demo} and {@code squint compare}:
 * {@code @CommandLine.Mixin ReportOptions reports;} then {@code reports.write(report, out)} after printing the table.
 */
public final class ReportOptions {
    @Option(names = "--markdown", paramLabel = "FILE", description = "Also write the report as Markdown.")
    Path markdown;

    @Option(names = "--json", paramLabel = "FILE", description = "Also write the report as JSON (unmeasured figures are null).")
    Path json;

    @Option(names = "--html", paramLabel = "FILE", description = "Also write a self-contained HTML page: table, verdicts and charts (no network needed to view it).")
    Path html;

    /** The files asked for (none when no option was given). */
    public ReportTargets targets() {
        return ReportTargets.of(markdown, json, html);
    }

    /**
     * Writes the requested files (refusing to overwrite the compared models or {@code inputs}) and prints one
     * "wrote FILE" line per file.
     */
    public List<Path> write(ComparisonReport report, PrintWriter out, Collection<Path> inputs) {
        List<Path> written = Reports.write(report, targets(), inputs);
        for (Path p : written) out.println("wrote " + p);
        out.flush();
        return written;
    }

    public List<Path> write(ComparisonReport report, PrintWriter out) {
        return write(report, out, List.of());
    }
}
