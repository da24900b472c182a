package dev.squint.report;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A measured comparison of a base model and its other forms — what {@code squint demo} and {@code squint compare}
 * produce and every renderer (terminal, Markdown, JSON, HTML) draws from. The first row is the base.
 *
 * @param title           report title
 * @param model           the model compared ({@code "all-MiniLM-L6-v2"})
 * @param kind            {@code "encoder"}, {@code "decoder"} or {@code "onnx"}
 * @param qualityHeadline what {@link FormatRow#qualityKept()} is derived from ({@code "mean cosine similarity to FP32"})
 * @param throughputUnit  unit of {@link FormatRow#throughput()} ({@code "sentences/s"}, {@code "tokens/s"})
 * @param rows            base first, then the other forms in the order measured
 * @param verdicts        advice computed from the rows
 * @param environment     how it was measured: machine, threads, JVM, dataset, date — printed under the table
 */
public record ComparisonReport(String title, String model, String kind, String qualityHeadline, String throughputUnit,
                               List<FormatRow> rows, List<Verdict> verdicts, Map<String, String> environment) {
    public ComparisonReport {
        Objects.requireNonNull(title, "title");
        rows = List.copyOf(rows);
        if (rows.isEmpty()) throw new IllegalArgumentException("a comparison needs at least the base row");
        verdicts = List.copyOf(verdicts);
        // Kept in the producer's order (machine, threads, JVM, dataset...), which the renderers print; nulls refused as Map.copyOf would.
        var ordered = new LinkedHashMap<String, String>();
        environment.forEach((k, v) -> ordered.put(Objects.requireNonNull(k, "environment key"), Objects.requireNonNull(v, "environment value")));
        environment = Collections.unmodifiableMap(ordered);
    }

    public FormatRow base() { return rows.getFirst(); }

    /** The same report with these verdicts. */
    public ComparisonReport withVerdicts(List<Verdict> newVerdicts) {
        return new ComparisonReport(title, model, kind, qualityHeadline, throughputUnit, rows, newVerdicts, environment);
    }
}
