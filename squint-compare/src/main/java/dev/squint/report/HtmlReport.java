package dev.squint.report;

import java.util.ArrayList;
import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * The HTML report: one page with its CSS inline and its charts as inline SVG, so it opens from a file with no
 * network, no scripts and no fonts beyond the browser's own.
 */
final class HtmlReport {
    /** Element ids of the charts, for links and for the headless-browser check. */
    static final String QUALITY_CHART_ID = "chart-quality-vs-size";
    static final String SPEED_CHART_ID = "chart-throughput-vs-size";

    private HtmlReport() {}

    static String render(ComparisonReport r) {
        ReportTable t = new ReportTable(r);
        StringBuilder h = new StringBuilder(32 * 1024);
        h.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        h.append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        h.append("<title>").append(Html.text(r.title())).append("</title>\n");
        h.append("<style>\n").append(CSS).append("</style>\n</head>\n<body>\n");
        h.append("<h1>").append(Html.text(r.title())).append("</h1>\n");
        h.append("<p class=\"subtitle\">").append(Html.text(Reports.subtitle(r))).append("</p>\n");

        h.append("<section id=\"table\">\n<table class=\"report\">\n<thead><tr>");
        for (int c = 0; c < t.headers.size(); c++) {
            h.append("<th").append(t.numeric.get(c) ? " class=\"num\"" : "").append(" scope=\"col\">").append(Html.text(t.headers.get(c))).append("</th>");
        }
        h.append("</tr></thead>\n<tbody>\n");
        for (int i = 0; i < t.cells.size(); i++) {
            FormatRow row = t.rows.get(i);
            String cls = row == r.base() ? "base" : row.reference() ? "reference" : "";
            h.append("<tr").append(cls.isEmpty() ? "" : " class=\"" + cls + "\"").append(">");
            List<String> line = t.cells.get(i);
            for (int c = 0; c < line.size(); c++) {
                String tag = c == 0 ? "th scope=\"row\"" : "td";
                h.append('<').append(tag).append(t.numeric.get(c) ? " class=\"num\"" : "").append('>')
                        .append(Html.text(line.get(c))).append("</").append(c == 0 ? "th" : "td").append('>');
            }
            h.append("</tr>\n");
        }
        h.append("</tbody>\n</table>\n");
        if (t.anyReference || !t.notes.isEmpty()) {
            h.append("<ol class=\"notes\">\n");
            if (t.anyReference) h.append("<li class=\"legend\">").append(Html.text(ReportTable.REFERENCE_LEGEND)).append("</li>\n");
            for (int i = 0; i < t.notes.size(); i++) {
                h.append("<li>[").append(i + 1).append("] ").append(Html.text(t.notes.get(i))).append("</li>\n");
            }
            h.append("</ol>\n");
        }
        h.append("</section>\n");

        h.append("<section id=\"charts\">\n");
        String unit = r.throughputUnit() == null || r.throughputUnit().isBlank() ? "items/s" : r.throughputUnit();
        chart(h, r, QUALITY_CHART_ID, "Quality kept vs file size", "quality kept (%)", row -> Derived.qualityKept(r.base(), row) * 100,
                "quality kept " + (r.qualityHeadline() == null ? "" : "(" + r.qualityHeadline() + ")"));
        chart(h, r, SPEED_CHART_ID, "Throughput vs file size", unit, row -> Derived.hasThroughput(row) ? row.throughput() : Double.NaN,
                "throughput in " + unit);
        h.append("</section>\n");

        if (!r.verdicts().isEmpty()) {
            h.append("<section id=\"verdicts\">\n<h2>Verdicts</h2>\n<dl>\n");
            for (Verdict v : r.verdicts()) {
                h.append("<dt>").append(Html.text(v.question())).append(" <strong>").append(Html.text(v.answer())).append("</strong></dt>\n");
                if (v.reason() != null && !v.reason().isBlank()) h.append("<dd>").append(Html.text(v.reason())).append("</dd>\n");
            }
            h.append("</dl>\n</section>\n");
        }
        if (!r.environment().isEmpty()) {
            h.append("<section id=\"environment\">\n<h2>Environment</h2>\n<table class=\"env\">\n");
            r.environment().forEach((k, v) -> h.append("<tr><th scope=\"row\">").append(Html.text(k)).append("</th><td>").append(Html.text(v)).append("</td></tr>\n"));
            h.append("</table>\n</section>\n");
        }
        h.append("<footer>Every figure above was measured in the run that wrote this page; — marks a figure not measured.</footer>\n");
        h.append("</body>\n</html>\n");
        return h.toString();
    }

    private static void chart(StringBuilder h, ComparisonReport r, String id, String title, String yLabel,
                              ToDoubleFunction<FormatRow> y, String yDescription) {
        List<SvgChart.Point> points = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (FormatRow row : r.rows()) {
            double yv = y.applyAsDouble(row);
            if (!Figures.knownBytes(row.fileBytes()) || !Figures.known(yv)) {
                missing.add(row.name());
                continue;
            }
            double mb = row.fileBytes() / 1e6;
            SvgChart.Kind kind = row == r.base() ? SvgChart.Kind.BASE : row.reference() ? SvgChart.Kind.REFERENCE : SvgChart.Kind.FORM;
            String tip = row.name() + ": " + Figures.megabytes(row.fileBytes()) + " MB, " + yLabel + " " + Figures.metric(yv);
            points.add(new SvgChart.Point(row.name(), mb, yv, kind, tip));
        }
        h.append("<figure class=\"chart-figure\">\n");
        h.append(SvgChart.render(id, title, "file size (MB)", yLabel, points, true)).append('\n');
        h.append("<figcaption>").append(Html.text(title + ": each form a point; " + yDescription + " against the file size on disk."));
        h.append(" <span class=\"key\"><span class=\"swatch base\"></span>base <span class=\"swatch form\"></span>squint form");
        if (r.rows().stream().anyMatch(FormatRow::reference)) h.append(" <span class=\"swatch reference\"></span>outside reference");
        h.append("</span>");
        if (!missing.isEmpty()) h.append(" Not drawn (not measured): ").append(Html.text(String.join(", ", missing))).append('.');
        h.append("</figcaption>\n</figure>\n");
    }

    private static final String CSS = """
            body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; margin: 24px; color: #111; background: #fff; }
            h1 { font-size: 1.5em; margin-bottom: 0.2em; }
            .subtitle { color: #555; margin-top: 0; }
            table.report { border-collapse: collapse; font-size: 13px; }
            table.report th, table.report td { border-bottom: 1px solid #ddd; padding: 4px 6px; text-align: left; vertical-align: top; }
            table.report th, table.report .num { white-space: nowrap; }
            table.report thead th { background: #f3f3f3; position: sticky; top: 0; }
            table.report .num { text-align: right; font-variant-numeric: tabular-nums; }
            table.report tr.base { background: #fdecea; }
            table.report tr.reference { background: #f3ecfa; font-style: italic; }
            #table { overflow-x: auto; }
            ol.notes { list-style: none; padding-left: 0; font-size: 12px; color: #444; }
            #charts { display: flex; flex-wrap: wrap; gap: 16px; margin-top: 16px; }
            figure.chart-figure { margin: 0; max-width: 560px; }
            figure.chart-figure svg { display: block; max-width: 100%; height: auto; border: 1px solid #ddd; font-family: inherit; }
            figcaption { font-size: 12px; color: #444; margin-top: 4px; }
            .swatch { display: inline-block; width: 10px; height: 10px; border-radius: 50%; margin: 0 3px 0 8px; vertical-align: middle; }
            .swatch.base { background: #c0392b; border: 1px solid #000; }
            .swatch.form { background: #1f5fbf; }
            .swatch.reference { background: #fff; border: 2px solid #7a3db8; border-radius: 0; transform: rotate(45deg); width: 7px; height: 7px; }
            dl dt { margin-top: 8px; }
            dl dd { margin-left: 16px; color: #333; }
            table.env th { text-align: left; padding-right: 12px; font-weight: normal; color: #555; }
            footer { margin-top: 24px; font-size: 12px; color: #666; }
            """;
}
