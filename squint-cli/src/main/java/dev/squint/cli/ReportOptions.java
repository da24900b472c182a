package dev.squint.cli;

import dev.squint.core.SquintException;
import dev.squint.report.ComparisonReport;
import dev.squint.report.ReportTargets;
import dev.squint.report.Reports;
import dev.squint.report.VerdictPolicy;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;

/**
 * The report options shared by {@code squint demo} and {@code squint compare}: where to write the report files and
 * the thresholds of the verdicts. {@code @CommandLine.Mixin ReportOptions reports;}, then
 * {@code Verdicts.withComputedVerdicts(report, reports.policy())}, print {@code Reports.terminal(...)}, and
 * {@code reports.write(report, out)}.
 */
public final class ReportOptions {
    @Option(names = "--markdown", paramLabel = "FILE", description = "Also write the report as Markdown.")
    Path markdown;

    @Option(names = "--json", paramLabel = "FILE", description = "Also write the report as JSON (unmeasured figures are null).")
    Path json;

    @Option(names = "--html", paramLabel = "FILE", description = "Also write a self-contained HTML page: table, verdicts and charts (no network needed to view it).")
    Path html;

    @Option(names = "--keep-quality", paramLabel = "PERCENT",
            description = "Verdicts: a form keeps quality when it keeps at least this much of the base's headline metric (default: 99).")
    Double keepQualityPercent;

    @Option(names = "--memory-budget", paramLabel = "MB",
            description = "Verdicts: also name the best form whose peak memory fits in this many megabytes (10^6 bytes).")
    Double memoryBudgetMb;

    /** The verdict thresholds: the defaults ({@link VerdictPolicy#defaults()}) adjusted by the options given. */
    public VerdictPolicy policy() {
        VerdictPolicy p = VerdictPolicy.defaults();
        if (keepQualityPercent != null) {
            double keep = keepQualityPercent / 100;
            if (!(keep > 0 && keep <= 1)) throw new SquintException("--keep-quality must be a percentage in (0, 100]: " + keepQualityPercent);
            // the "not worth it" floor stays 2 points under the keep threshold, as in the defaults (99 / 97)
            double floor = Math.max(keep - 0.02, keep / 2);
            p = new VerdictPolicy(keep, floor, p.minSizeGainIfSlower(), p.speedTolerance(), p.memoryBudgetBytes());
        }
        if (memoryBudgetMb != null) {
            if (!(memoryBudgetMb > 0) || memoryBudgetMb.isInfinite()) throw new SquintException("--memory-budget must be a positive number of megabytes: " + memoryBudgetMb);
            p = p.withMemoryBudget(Math.round(memoryBudgetMb * 1e6));
        }
        return p;
    }

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
