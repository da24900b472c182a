package dev.squint.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.squint.core.SquintException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ReportsTest {
    private static final String HOSTILE = "<script>alert('x')</script> | *bold* [link](http://evil) & \u001b[31mred";

    private static ComparisonReport demo() {
        return Verdicts.withComputedVerdicts(SyntheticReports.demoShaped(), VerdictPolicy.defaults());
    }

    private static ComparisonReport hostile() {
        FormatRow base = SyntheticReports.row("FP32", 90_000_000, 1.0, 400, -1);
        FormatRow evil = new FormatRow(HOSTILE, "fmt \"q\" <b>", "rt", Optional.of("/tmp/x<y>.onnx"), 20_000_000, 4, 0.99,
                List.of(new Metric("k", "label <i>|", 0.99, Metric.Direction.HIGHER, "")), Double.NaN, -1, List.of("note <img src=x onerror=alert(1)>"), false);
        return new ComparisonReport("title <h1>", "model & co", "encoder", "headline", "items/s", List.of(base, evil),
                List.of(new Verdict("q <x>?", "a | b", "r *c*")), Map.of("env <k>", "v & <w>"));
    }

    /** The table block of the terminal output: header, dashes and one line per row. */
    private static List<String> tableLines(String terminal) {
        List<String> lines = terminal.lines().toList();
        int dashes = 0;
        while (!lines.get(dashes).startsWith("---")) dashes++;
        List<String> out = new ArrayList<>(lines.subList(dashes - 1, dashes + 1));
        for (int i = dashes + 1; i < lines.size() && !lines.get(i).isEmpty(); i++) out.add(lines.get(i));
        return out;
    }

    @Test
    void terminalColumnsLineUpAndNumbersAreRightAligned() {
        ComparisonReport r = demo();
        List<String> table = tableLines(Reports.terminal(r));
        assertThat(table).hasSize(2 + r.rows().size());
        String dashes = table.get(1);
        // column boundaries are the two-space gaps in the dash line; every line has blanks exactly there
        List<int[]> spans = new ArrayList<>();
        var m = Pattern.compile("-+").matcher(dashes);
        while (m.find()) spans.add(new int[]{m.start(), m.end()});
        assertThat(spans).hasSize(new ReportTable(r).headers.size());
        for (String line : table) {
            int[] cps = line.codePoints().toArray();
            assertThat(cps.length).as(line).isLessThanOrEqualTo(dashes.length());
            for (int c = 1; c < spans.size(); c++) {
                int gap = spans.get(c)[0] - 1;
                if (gap < cps.length) assertThat(cps[gap]).as("gap before column " + c + " in: " + line).isEqualTo(' ');
            }
        }
        // the size column (index 3) is right-aligned: every cell ends at the column's last character
        int[] size = spans.get(3);
        for (String line : table.subList(2, table.size())) {
            int[] cps = line.codePoints().toArray();
            assertThat(cps[size[1] - 1]).as(line).isNotEqualTo(' ');
        }
        assertThat(table.get(2)).startsWith("FP32 ").contains("90.4").contains("1.00×");
    }

    @Test
    void unmeasuredFiguresShowAsADashEverywhereAndNullInJson() throws Exception {
        ComparisonReport r = demo();
        String q4 = Reports.terminal(r).lines().filter(l -> l.startsWith("GGUF Q4_K_M")).findFirst().orElseThrow();
        assertThat(q4).endsWith("—         —        —"); // throughput, × faster, peak memory
        assertThat(Reports.terminal(r)).doesNotContain("NaN").doesNotContain("-1");
        String mdRow = Reports.markdown(r).lines().filter(l -> l.startsWith("| GGUF Q4")).findFirst().orElseThrow();
        assertThat(mdRow).endsWith("| — | — | — |");
        assertThat(Reports.markdown(r)).doesNotContain("NaN");
        assertThat(Reports.html(r)).doesNotContain("NaN").contains("<td class=\"num\">—</td>");
        JsonNode q4json = new ObjectMapper().readTree(Reports.json(r)).get("rows").get(4);
        assertThat(q4json.get("name").asText()).isEqualTo("GGUF Q4_K_M");
        assertThat(q4json.get("throughput").isNull()).isTrue();
        assertThat(q4json.get("timesFaster").isNull()).isTrue();
        assertThat(q4json.get("peakMemoryBytes").isNull()).isTrue();
        JsonNode int4 = new ObjectMapper().readTree(Reports.json(r)).get("rows").get(3);
        assertThat(int4.get("quality").get(1).get("value").isNull()).isTrue();
    }

    @Test
    void terminalDropsEscapeCodesAndKeepsOneLinePerRow() {
        String t = Reports.terminal(hostile());
        assertThat(t).doesNotContain("\u001b");
        assertThat(tableLines(t)).hasSize(4);
    }

    @Test
    void markdownEscapesMarkupAndPipes() {
        String md = Reports.markdown(hostile());
        String header = md.lines().filter(l -> l.startsWith("| name")).findFirst().orElseThrow();
        String evilRow = md.lines().filter(l -> l.contains("alert")).findFirst().orElseThrow();
        assertThat(unescapedPipes(evilRow)).isEqualTo(unescapedPipes(header));
        assertThat(md).doesNotContain("<script>").doesNotContain("<img").doesNotContain("<h1>");
        assertThat(evilRow).contains("&lt;script&gt;").contains("\\*bold\\*").contains("\\[link\\]").contains("&amp;");
        assertThat(md).contains("# title &lt;h1&gt;");
    }

    private static long unescapedPipes(String line) {
        long n = 0;
        for (int i = 0; i < line.length(); i++) if (line.charAt(i) == '|' && (i == 0 || line.charAt(i - 1) != '\\')) n++;
        return n;
    }

    @Test
    void htmlEscapesEveryUserString() {
        String html = Reports.html(hostile());
        assertThat(html).doesNotContain("<script").doesNotContain("<img").doesNotContain("title <h1>")
                .doesNotContain("<i>|").doesNotContain("<b>").doesNotContain("<x>").doesNotContain("<k>").doesNotContain("\u001b");
        assertThat(html).contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;") // in the svg aria-label attribute
                .contains("&lt;script&gt;alert('x')&lt;/script&gt;")                   // in element text
                .contains("note &lt;img src=x onerror=alert(1)&gt;")
                .contains("<title>title &lt;h1&gt;</title>")
                .contains("v &amp; &lt;w&gt;");
    }

    @Test
    void htmlIsSelfContainedWithTwoLabelledCharts() {
        ComparisonReport r = demo();
        String html = Reports.html(r);
        assertThat(html).doesNotContain("<script").doesNotContain("<link").doesNotContain("src=").doesNotContain("@import")
                .doesNotContain("url(");
        // the only URL is the SVG namespace name, which browsers never fetch
        assertThat(Pattern.compile("https?://").matcher(html).results().map(x -> html.substring(x.start(), x.start() + 26)).distinct())
                .containsOnly("http://www.w3.org/2000/svg");
        for (String id : List.of(HtmlReport.QUALITY_CHART_ID, HtmlReport.SPEED_CHART_ID)) {
            var svg = Pattern.compile("<svg id=\"" + id + "\"[^>]*role=\"img\"[^>]*aria-label=\"([^\"]+)\"").matcher(html);
            assertThat(svg.find()).as(id).isTrue();
            assertThat(svg.group(1)).contains("FP32").contains("INT8 dynamic");
        }
        // the quality chart draws every row; the speed chart leaves out the row with no throughput and says so
        String quality = section(html, HtmlReport.QUALITY_CHART_ID);
        String speed = section(html, HtmlReport.SPEED_CHART_ID);
        assertThat(count(quality, "<g class=\"point ")).isEqualTo(6);
        assertThat(count(quality, "<g class=\"point base\"")).isEqualTo(1);
        assertThat(count(quality, "<g class=\"point reference\"")).isEqualTo(1);
        assertThat(quality).contains(">FP32 (base)</text>").contains(">langchain4j -q (reference)</text>").contains(">GGUF Q4_K_M</text>");
        assertThat(count(speed, "<g class=\"point ")).isEqualTo(5);
        assertThat(speed).doesNotContain(">GGUF Q4_K_M</text>");
        assertThat(html).contains("Not drawn (not measured): GGUF Q4_K_M");
        assertThat(html).contains("<h2>Verdicts</h2>").contains("Smallest file keeping").contains("<h2>Environment</h2>");
    }

    @Test
    void chartLabelsStayInsideTheChartAndDoNotOverlap() {
        ComparisonReport r = demo();
        String quality = section(Reports.html(r), HtmlReport.QUALITY_CHART_ID);
        var m = Pattern.compile("<text class=\"point-label\" x=\"([0-9.]+)\" y=\"([0-9.]+)\"[^>]*>([^<]*)</text>").matcher(quality);
        List<double[]> boxes = new ArrayList<>();
        while (m.find()) {
            double x = Double.parseDouble(m.group(1)), y = Double.parseDouble(m.group(2));
            double w = m.group(3).length() * 7.0;
            boxes.add(new double[]{x, y - 11, x + w, y + 3});
            assertThat(x).isGreaterThanOrEqualTo(0);
            assertThat(x + w).isLessThanOrEqualTo(SvgChart.WIDTH);
            assertThat(y).isBetween(0.0, (double) SvgChart.HEIGHT);
        }
        assertThat(boxes).hasSize(6);
        for (int i = 0; i < boxes.size(); i++) {
            for (int j = i + 1; j < boxes.size(); j++) {
                double[] a = boxes.get(i), b = boxes.get(j);
                boolean overlap = a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];
                assertThat(overlap).as("labels " + i + " and " + j).isFalse();
            }
        }
    }

    private static String section(String html, String id) {
        int start = html.indexOf("<svg id=\"" + id + "\"");
        return html.substring(start, html.indexOf("</svg>", start));
    }

    private static long count(String s, String what) {
        return Pattern.compile(Pattern.quote(what)).matcher(s).results().count();
    }

    @Test
    void jsonRoundTripsThroughJackson() throws Exception {
        ComparisonReport r = demo();
        String json = Reports.json(r);
        assertThat(Reports.fromJson(json)).isEqualTo(r);
        JsonNode root = new ObjectMapper().readTree(json);
        assertThat(root.fieldNames()).toIterable().containsExactly("title", "model", "kind", "qualityHeadline", "throughputUnit",
                "base", "rows", "verdicts", "environment");
        assertThat(root.get("rows").get(2).get("timesSmaller").asDouble()).isCloseTo(90.4 / 23.0, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(root.get("rows").get(5).get("reference").asBoolean()).isTrue();
        assertThat(root.get("environment").fieldNames()).toIterable().containsExactly("machine", "threads", "JVM");
        assertThat(Reports.fromJson(Reports.json(hostile()))).isEqualTo(hostile());
        assertThatThrownBy(() -> Reports.fromJson("{\"rows\": 3}")).isInstanceOf(SquintException.class).hasMessageContaining("rows");
        assertThatThrownBy(() -> Reports.fromJson("not json")).isInstanceOf(SquintException.class);
        assertThatThrownBy(() -> Reports.fromJson("{\"rows\": []}")).isInstanceOf(SquintException.class);
    }

    @Test
    void writeProducesEachRequestedFile(@TempDir Path dir) throws Exception {
        ComparisonReport r = demo();
        ReportTargets t = new ReportTargets(Optional.of(dir.resolve("r.md")), Optional.empty(), Optional.of(dir.resolve("sub/r.html")));
        List<Path> written = Reports.write(r, t);
        assertThat(written).containsExactly(dir.resolve("r.md"), dir.resolve("sub/r.html"));
        assertThat(Files.readString(dir.resolve("r.md"))).isEqualTo(Reports.markdown(r));
        assertThat(Files.readString(dir.resolve("sub/r.html"))).isEqualTo(Reports.html(r));
        assertThat(dir.resolve("r.json")).doesNotExist();
        assertThat(Reports.write(r, ReportTargets.none())).isEmpty();
    }

    @Test
    void writeRefusesToOverwriteACompareModelOrTheSameFileTwice(@TempDir Path dir) throws Exception {
        Path model = dir.resolve("model.onnx");
        Files.writeString(model, "weights");
        FormatRow base = new FormatRow("FP32", "onnx", "ort", Optional.of(model.toString()), 7, 32, 1, List.of(), 1, -1, List.of(), false);
        ComparisonReport r = SyntheticReports.report(base);
        assertThatThrownBy(() -> Reports.write(r, ReportTargets.of(null, null, model)))
                .isInstanceOf(SquintException.class).hasMessageContaining("refusing to overwrite an input");
        assertThat(Files.readString(model)).isEqualTo("weights");
        Path same = dir.resolve("out");
        assertThatThrownBy(() -> Reports.write(r, ReportTargets.of(same, same, null)))
                .isInstanceOf(SquintException.class).hasMessageContaining("two reports");
        assertThat(same).doesNotExist();
    }

    @Test
    void aFailedWriteLeavesNoPartialOrTempFile(@TempDir Path dir) throws Exception {
        ComparisonReport r = demo();
        Path html = dir.resolve("r.html");
        Files.writeString(html, "old report");
        Path jsonIsADirectory = dir.resolve("r.json");
        Files.createDirectories(jsonIsADirectory.resolve("not-empty"));
        // json cannot replace a non-empty directory: it fails after the Markdown file, before the HTML one
        assertThatThrownBy(() -> Reports.write(r, ReportTargets.of(dir.resolve("r.md"), jsonIsADirectory, html)))
                .isInstanceOf(SquintException.class).hasMessageContaining("r.json");
        assertThat(Files.readString(html)).isEqualTo("old report");
        assertThat(Files.readString(dir.resolve("r.md"))).isEqualTo(Reports.markdown(r)); // each file is whole or absent
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.contains(".tmp-"));
        }
    }

    @Test
    void metricColumnsFollowFirstAppearanceAndSayWhichWayIsBetter() {
        Metric ppl = new Metric("perplexity", "perplexity", 6.21, Metric.Direction.LOWER, "");
        Metric kl = new Metric("kl_mean", "mean KL", 0.00042, Metric.Direction.LOWER, "nats");
        FormatRow base = new FormatRow("F32", "GGUF F32", "squint engine", Optional.empty(), 1_100_000, 32, 1.0, List.of(ppl),
                900, -1, List.of(), false);
        FormatRow q4 = new FormatRow("Q4_0", "GGUF Q4_0", "squint engine", Optional.empty(), 310_000, 4.5, 0.97,
                List.of(new Metric("perplexity", "perplexity", 6.40, Metric.Direction.LOWER, ""), kl), 1500, -1, List.of(), false);
        ComparisonReport r = new ComparisonReport("stories260K", "stories260K", "decoder", "perplexity", "tokens/s",
                List.of(base, q4), List.of(), Map.of());
        String header = tableLines(Reports.terminal(r)).get(0);
        assertThat(header).contains("perplexity ↓").contains("mean KL (nats) ↓").contains("tokens/s");
        assertThat(header.indexOf("perplexity")).isLessThan(header.indexOf("mean KL"));
        String q4line = tableLines(Reports.terminal(r)).get(3);
        assertThat(q4line).contains("0.310").contains("3.55×").contains("6.400").contains("4.20e-04").contains("1.67×");
        String baseLine = tableLines(Reports.terminal(r)).get(2);
        assertThat(baseLine).contains("6.210").contains("—"); // the base has no KL to itself
    }
}
