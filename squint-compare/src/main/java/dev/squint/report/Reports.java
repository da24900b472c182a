package dev.squint.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.squint.core.AtomicOutput;
import dev.squint.core.SquintException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Renders a {@link ComparisonReport}: the terminal table, Markdown, JSON and a self-contained HTML page, and writes
 * the files a command was asked for. Every renderer draws the same figures ({@code Figures}); unmeasured ones show
 * as "—" (null in JSON). Strings from the rows (names, notes, environment) are escaped for each output.
 */
public final class Reports {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private Reports() {}

    // ---------------------------------------------------------------- terminal

    /** The aligned text table with verdicts, notes and environment under it. */
    public static String terminal(ComparisonReport r) {
        ReportTable t = new ReportTable(r);
        StringBuilder sb = new StringBuilder();
        sb.append(plain(r.title())).append('\n');
        String sub = subtitle(r);
        if (!sub.isEmpty()) sb.append(plain(sub)).append('\n');
        sb.append('\n');
        int cols = t.headers.size();
        int[] width = new int[cols];
        for (int c = 0; c < cols; c++) {
            width[c] = displayWidth(plain(t.headers.get(c)));
            for (List<String> line : t.cells) width[c] = Math.max(width[c], displayWidth(plain(line.get(c))));
        }
        appendAligned(sb, t.headers, t, width);
        for (int c = 0; c < cols; c++) {
            if (c > 0) sb.append("  ");
            sb.append("-".repeat(width[c]));
        }
        sb.append('\n');
        for (List<String> line : t.cells) appendAligned(sb, line, t, width);
        if (t.anyReference || !t.notes.isEmpty()) sb.append('\n');
        if (t.anyReference) sb.append(ReportTable.REFERENCE_LEGEND).append('\n');
        for (int i = 0; i < t.notes.size(); i++) sb.append('[').append(i + 1).append("] ").append(plain(t.notes.get(i))).append('\n');
        if (!r.verdicts().isEmpty()) {
            sb.append("\nVerdicts\n");
            for (Verdict v : r.verdicts()) {
                sb.append("  ").append(plain(v.question())).append("  ").append(plain(v.answer())).append('\n');
                if (v.reason() != null && !v.reason().isBlank()) sb.append("      ").append(plain(v.reason())).append('\n');
            }
        }
        if (!r.environment().isEmpty()) {
            sb.append("\nEnvironment\n");
            r.environment().forEach((k, v) -> sb.append("  ").append(plain(k)).append(": ").append(plain(v)).append('\n'));
        }
        return sb.toString();
    }

    private static void appendAligned(StringBuilder sb, List<String> line, ReportTable t, int[] width) {
        StringBuilder row = new StringBuilder();
        for (int c = 0; c < line.size(); c++) {
            String cell = plain(line.get(c));
            String pad = " ".repeat(width[c] - displayWidth(cell));
            if (c > 0) row.append("  ");
            if (t.numeric.get(c)) row.append(pad).append(cell);
            else row.append(cell).append(pad);
        }
        sb.append(row.toString().stripTrailing()).append('\n');
    }

    static int displayWidth(String s) {
        return s.codePointCount(0, s.length());
    }

    /** One line of terminal-safe text: line breaks become spaces, other control characters (escape codes) go. */
    static String plain(String s) {
        if (s == null) return "";
        StringBuilder out = new StringBuilder(s.length());
        s.codePoints().forEach(cp -> {
            if (cp == '\n' || cp == '\r' || cp == '\t') out.append(' ');
            else if (!Character.isISOControl(cp)) out.appendCodePoint(cp);
        });
        return out.toString();
    }

    static String subtitle(ComparisonReport r) {
        List<String> parts = new ArrayList<>();
        if (r.model() != null && !r.model().isBlank()) parts.add(r.model() + (r.kind() == null || r.kind().isBlank() ? "" : " (" + r.kind() + ")"));
        parts.add("base: " + r.base().name());
        if (r.qualityHeadline() != null && !r.qualityHeadline().isBlank()) parts.add("quality kept = " + r.qualityHeadline() + " relative to the base");
        return String.join(" · ", parts);
    }

    // ---------------------------------------------------------------- Markdown

    /** A GitHub-flavoured Markdown document: heading, table, notes, verdicts, environment. */
    public static String markdown(ComparisonReport r) {
        ReportTable t = new ReportTable(r);
        StringBuilder sb = new StringBuilder();
        sb.append("# ").append(md(r.title())).append("\n\n");
        sb.append(md(subtitle(r))).append("\n\n");
        sb.append('|');
        for (String h : t.headers) sb.append(' ').append(md(h)).append(" |");
        sb.append("\n|");
        for (boolean num : t.numeric) sb.append(num ? " ---: |" : " --- |");
        sb.append('\n');
        for (List<String> line : t.cells) {
            sb.append('|');
            for (String cell : line) sb.append(' ').append(md(cell)).append(" |");
            sb.append('\n');
        }
        if (t.anyReference || !t.notes.isEmpty()) sb.append('\n');
        if (t.anyReference) sb.append(md(ReportTable.REFERENCE_LEGEND)).append("\n\n");
        for (int i = 0; i < t.notes.size(); i++) sb.append(md("[" + (i + 1) + "] " + t.notes.get(i))).append("  \n");
        if (!r.verdicts().isEmpty()) {
            sb.append("\n## Verdicts\n\n");
            for (Verdict v : r.verdicts()) {
                sb.append("- **").append(md(v.question())).append("** ").append(md(v.answer()));
                if (v.reason() != null && !v.reason().isBlank()) sb.append(" — ").append(md(v.reason()));
                sb.append('\n');
            }
        }
        if (!r.environment().isEmpty()) {
            sb.append("\n## Environment\n\n");
            r.environment().forEach((k, v) -> sb.append("- ").append(md(k)).append(": ").append(md(v)).append('\n'));
        }
        return sb.toString();
    }

    /** Text that Markdown shows literally: inline markup, HTML and table pipes escaped, one line. */
    static String md(String s) {
        String one = plain(s);
        StringBuilder out = new StringBuilder(one.length() + 8);
        for (int i = 0; i < one.length(); i++) {
            char c = one.charAt(i);
            switch (c) {
                case '\\', '`', '*', '_', '[', ']', '|', '#', '~', '!' -> out.append('\\').append(c);
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '&' -> out.append("&amp;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }

    // ---------------------------------------------------------------- JSON

    /** The report as JSON with stable keys (in the order below); unmeasured numbers are null. Read back by {@link #fromJson}. */
    public static String json(ComparisonReport r) {
        ObjectNode root = JSON.createObjectNode();
        root.put("title", r.title());
        root.put("model", r.model());
        root.put("kind", r.kind());
        root.put("qualityHeadline", r.qualityHeadline());
        root.put("throughputUnit", r.throughputUnit());
        root.put("base", r.base().name());
        FormatRow base = r.base();
        ArrayNode rows = root.putArray("rows");
        for (FormatRow row : r.rows()) {
            ObjectNode o = rows.addObject();
            o.put("name", row.name());
            o.put("format", row.format());
            o.put("runtime", row.runtime());
            if (row.file().isPresent()) o.put("file", row.file().get()); else o.putNull("file");
            putBytes(o, "fileBytes", row.fileBytes());
            putNumber(o, "timesSmaller", row == base && Figures.knownBytes(row.fileBytes()) ? 1.0 : Derived.timesSmaller(base, row));
            putNumber(o, "bitsPerWeight", row.bitsPerWeight());
            putNumber(o, "qualityKept", row.qualityKept());
            ArrayNode q = o.putArray("quality");
            for (Metric m : row.quality()) {
                ObjectNode mo = q.addObject();
                mo.put("key", m.key());
                mo.put("label", m.label());
                putNumber(mo, "value", m.value());
                mo.put("better", m.better().name().toLowerCase(java.util.Locale.ROOT));
                mo.put("unit", m.unit());
            }
            putNumber(o, "throughput", row.throughput());
            putNumber(o, "timesFaster", Derived.timesFaster(base, row));
            putBytes(o, "peakMemoryBytes", row.peakMemoryBytes());
            ArrayNode notes = o.putArray("notes");
            row.notes().forEach(notes::add);
            o.put("reference", row.reference());
        }
        ArrayNode verdicts = root.putArray("verdicts");
        for (Verdict v : r.verdicts()) {
            ObjectNode o = verdicts.addObject();
            o.put("question", v.question());
            o.put("answer", v.answer());
            o.put("reason", v.reason());
        }
        ObjectNode env = root.putObject("environment");
        r.environment().forEach(env::put);
        try {
            return JSON.writeValueAsString(root) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a tree of plain values always serializes", e);
        }
    }

    private static void putNumber(ObjectNode o, String key, double v) {
        if (Figures.known(v)) o.put(key, v); else o.putNull(key);
    }

    private static void putBytes(ObjectNode o, String key, long v) {
        if (v >= 0) o.put(key, v); else o.putNull(key);
    }

    /**
     * A report read back from {@link #json}'s output (derived figures such as {@code timesSmaller} are recomputed,
     * not read).
     *
     * @throws SquintException when the text is not such a report
     */
    public static ComparisonReport fromJson(String text) {
        try {
            JsonNode root = JSON.readTree(text);
            if (root == null || !root.isObject() || !root.path("rows").isArray()) throw new SquintException("not a squint comparison report: no \"rows\" array");
            List<FormatRow> rows = new ArrayList<>();
            for (JsonNode o : root.get("rows")) {
                List<Metric> quality = new ArrayList<>();
                for (JsonNode m : o.path("quality")) {
                    quality.add(new Metric(required(m, "key"), required(m, "label"), number(m.get("value")),
                            "lower".equals(m.path("better").asText()) ? Metric.Direction.LOWER : Metric.Direction.HIGHER,
                            m.path("unit").asText("")));
                }
                List<String> notes = new ArrayList<>();
                o.path("notes").forEach(n -> notes.add(n.asText()));
                JsonNode file = o.get("file");
                rows.add(new FormatRow(required(o, "name"), o.path("format").asText(""), o.path("runtime").asText(""),
                        file == null || file.isNull() ? Optional.empty() : Optional.of(file.asText()),
                        bytes(o.get("fileBytes")), number(o.get("bitsPerWeight")), number(o.get("qualityKept")), quality,
                        number(o.get("throughput")), bytes(o.get("peakMemoryBytes")), notes, o.path("reference").asBoolean(false)));
            }
            List<Verdict> verdicts = new ArrayList<>();
            for (JsonNode v : root.path("verdicts")) verdicts.add(new Verdict(v.path("question").asText(""), v.path("answer").asText(""), v.path("reason").asText("")));
            Map<String, String> env = new LinkedHashMap<>();
            root.path("environment").properties().forEach(e -> env.put(e.getKey(), e.getValue().asText()));
            return new ComparisonReport(root.path("title").asText(""), text(root, "model"), text(root, "kind"), text(root, "qualityHeadline"),
                    text(root, "throughputUnit"), rows, verdicts, env);
        } catch (JsonProcessingException e) {
            throw new SquintException("not a squint comparison report: " + e.getOriginalMessage());
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new SquintException("not a squint comparison report: " + e.getMessage());
        }
    }

    private static String required(JsonNode o, String key) {
        JsonNode n = o.get(key);
        if (n == null || n.isNull()) throw new SquintException("not a squint comparison report: a row or metric has no \"" + key + "\"");
        return n.asText();
    }

    private static String text(JsonNode o, String key) {
        JsonNode n = o.get(key);
        return n == null || n.isNull() ? null : n.asText();
    }

    private static double number(JsonNode n) { return n == null || n.isNull() ? Double.NaN : n.asDouble(); }

    private static long bytes(JsonNode n) { return n == null || n.isNull() ? -1 : n.asLong(); }

    // ---------------------------------------------------------------- HTML

    /** One self-contained HTML page (no network): table, charts (inline SVG), verdicts, environment. */
    public static String html(ComparisonReport r) {
        return HtmlReport.render(r);
    }

    // ---------------------------------------------------------------- files

    /** Writes each requested file; see {@link #write(ComparisonReport, ReportTargets, java.util.Collection)}. */
    public static List<Path> write(ComparisonReport r, ReportTargets targets) {
        return write(r, targets, List.of());
    }

    /**
     * Renders every requested report first (so a rendering fault writes nothing), then writes each file whole or not
     * at all through {@link AtomicOutput}. Refuses targets that are the same file as each other, as one of the
     * compared model files (the rows' {@link FormatRow#file()}), or as one of {@code inputs}.
     *
     * @return the files written, in the order markdown, json, html
     */
    public static List<Path> write(ComparisonReport r, ReportTargets targets, java.util.Collection<Path> inputs) {
        Map<Path, String> pending = new LinkedHashMap<>();
        Set<Path> seen = new HashSet<>();
        List<Path> protectedPaths = new ArrayList<>(inputs);
        for (FormatRow row : r.rows()) row.file().ifPresent(f -> protectedPaths.add(Path.of(f)));
        record Job(Optional<Path> target, String what) {}
        for (Job job : List.of(new Job(targets.markdown(), "markdown"), new Job(targets.json(), "json"), new Job(targets.html(), "html"))) {
            if (job.target().isEmpty()) continue;
            Path p = job.target().get();
            if (!seen.add(p.toAbsolutePath().normalize())) throw new SquintException(p + ": given for two reports; choose one file per report");
            AtomicOutput.refuseOverwritingInput(p, protectedPaths);
            String body = switch (job.what()) {
                case "markdown" -> markdown(r);
                case "json" -> json(r);
                default -> html(r);
            };
            pending.put(p, body);
        }
        List<Path> written = new ArrayList<>();
        for (Map.Entry<Path, String> e : pending.entrySet()) {
            try (AtomicOutput out = AtomicOutput.create(e.getKey(), protectedPaths)) {
                out.stream().write(e.getValue().getBytes(StandardCharsets.UTF_8));
                out.commit();
            } catch (IOException ex) {
                throw new SquintException(e.getKey() + ": cannot write the report: " + ex.getMessage(), ex);
            }
            written.add(e.getKey());
        }
        return written;
    }
}
