package dev.squint.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The comparison table as plain strings — headers, cells, which columns are numbers, footnotes — built once so the
 * terminal, Markdown and HTML renderers show the same figures. Each quality metric measured in any row gets its own
 * column (in order of first appearance), with an arrow saying which way is better.
 */
final class ReportTable {
    /** Marks a row that is an outside reference; explained under the table. */
    static final String REFERENCE_MARK = "†";
    static final String REFERENCE_LEGEND = REFERENCE_MARK + " outside reference: compared, never recommended as squint output";

    final List<String> headers = new ArrayList<>();
    final List<Boolean> numeric = new ArrayList<>();
    final List<List<String>> cells = new ArrayList<>();
    /** Row names as printed (with reference mark and note numbers), parallel to {@link #cells}. */
    final List<FormatRow> rows;
    /** Footnotes, numbered from 1 in the order their rows appear. */
    final List<String> notes = new ArrayList<>();
    final boolean anyReference;

    ReportTable(ComparisonReport report) {
        this.rows = report.rows();
        FormatRow base = report.base();
        Map<String, Metric> metricColumns = new LinkedHashMap<>();
        for (FormatRow r : rows) for (Metric m : r.quality()) metricColumns.putIfAbsent(m.key(), m);
        String unit = report.throughputUnit() == null || report.throughputUnit().isBlank() ? "items/s" : report.throughputUnit();

        column("name", false);
        column("format", false);
        column("runtime", false);
        column("size MB", true);
        column("× smaller", true);
        column("bits/weight", true);
        column("quality kept %", true);
        for (Metric m : metricColumns.values()) {
            column(m.label() + (m.unit().isEmpty() ? "" : " (" + m.unit() + ")") + (m.better() == Metric.Direction.HIGHER ? " ↑" : " ↓"), true);
        }
        column(unit, true);
        column("× faster", true);
        column("peak MB", true);

        boolean refSeen = false;
        for (FormatRow r : rows) {
            StringBuilder name = new StringBuilder(r.name());
            if (r.reference()) { name.append(' ').append(REFERENCE_MARK); refSeen = true; }
            for (String n : r.notes()) {
                notes.add(n);
                name.append(" [").append(notes.size()).append(']');
            }
            List<String> line = new ArrayList<>();
            line.add(name.toString());
            line.add(r.format());
            line.add(r.runtime());
            line.add(Figures.megabytes(r.fileBytes()));
            line.add(r == base ? (Figures.knownBytes(r.fileBytes()) ? "1.00×" : Figures.NOT_MEASURED) : Figures.ratio(Derived.timesSmaller(base, r)));
            line.add(Figures.bits(r.bitsPerWeight()));
            line.add(Figures.percentNumber(Derived.qualityKept(base, r)));
            for (String key : metricColumns.keySet()) {
                line.add(r.quality().stream().filter(m -> m.key().equals(key)).findFirst()
                        .map(m -> Figures.metric(m.value())).orElse(Figures.NOT_MEASURED));
            }
            line.add(Derived.hasThroughput(r) ? Figures.throughput(r.throughput()) : Figures.NOT_MEASURED);
            line.add(Figures.ratio(Derived.timesFaster(base, r)));
            line.add(Figures.megabytes(r.peakMemoryBytes()));
            cells.add(line);
        }
        this.anyReference = refSeen;
    }

    private void column(String header, boolean isNumber) {
        headers.add(header);
        numeric.add(isNumber);
    }
}
