package dev.squint.cli;

import dev.squint.report.ComparisonReport;
import dev.squint.report.FormatRow;

import java.util.Locale;

/** A plain terminal table of a comparison report. */
final class DemoTable {
    private DemoTable() {}

    static String text(ComparisonReport r) {
        StringBuilder sb = new StringBuilder();
        FormatRow base = r.base();
        sb.append(r.title()).append('\n');
        sb.append(String.format(Locale.ROOT, "%-24s %12s %7s %6s %9s %9s %7s %8s %10s %7s %9s%n", "row", "bytes", "smaller", "bpw",
                "mean cos", "min cos", "top-10", "STS", "sent/s", "faster", "peak MiB"));
        for (FormatRow row : r.rows()) {
            sb.append(String.format(Locale.ROOT, "%-24s %12d %6.2fx %6.2f %9.6f %9.6f %7.3f %8.4f %10.1f %6.2fx %9.0f%n", row.name(), row.fileBytes(),
                    (double) base.fileBytes() / row.fileBytes(), row.bitsPerWeight(), v(row, "cosine_mean"), v(row, "cosine_min"),
                    v(row, "retrieval_top10"), v(row, "sts_spearman"), row.throughput(), row.throughput() / base.throughput(),
                    row.peakMemoryBytes() / 1048576.0));
            for (String n : row.notes()) sb.append("    ").append(n).append('\n');
        }
        r.environment().forEach((k, v) -> sb.append(k).append(": ").append(v).append('\n'));
        return sb.toString();
    }

    private static double v(FormatRow row, String key) {
        return row.metric(key).map(m -> m.value()).orElse(Double.NaN);
    }
}
