package dev.squint.formats.inspect;

import dev.squint.core.MetaValue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Renders an {@link InspectReport} as aligned plain text for a terminal: a summary, the dtype
 * histogram, container facts, metadata and the tensor table. By default long metadata arrays
 * show their first {@value #ARRAY_ITEMS} items and long strings are cut; a table of more than
 * {@value #TENSOR_LIMIT} tensors shows its head and tail.
 */
public final class InspectText {
    static final int ARRAY_ITEMS = 8;
    static final int STRING_CHARS = 96;
    static final int TENSOR_LIMIT = 50;
    static final int TENSOR_HEAD = 30;
    static final int TENSOR_TAIL = 10;

    private InspectText() {}

    /**
     * @param allTensors list every tensor instead of head and tail of a long table
     * @param fullValues show metadata arrays and strings whole
     */
    public static String render(InspectReport r, boolean allTensors, boolean fullValues) {
        StringBuilder out = new StringBuilder();
        out.append(r.path().getFileName() == null ? r.path() : r.path().getFileName())
                .append(" (").append(r.container().displayName()).append(")\n");
        List<String[]> summary = new ArrayList<>();
        summary.add(new String[] {"path", r.path().toString()});
        summary.add(new String[] {"architecture", r.architecture().orElse("(not stated)")});
        String params = HumanUnits.grouped(r.parameterCount());
        if (r.parameterCount() >= 1000) params += " (" + HumanUnits.count(r.parameterCount()) + ")";
        summary.add(new String[] {"parameters", params});
        summary.add(new String[] {"file size", HumanUnits.bytes(r.fileSize()) + " (" + HumanUnits.grouped(r.fileSize()) + " bytes)"});
        summary.add(new String[] {"tensor data", HumanUnits.bytes(r.tensorBytes()) + " in " + HumanUnits.grouped(r.tensors().size()) + " tensors"});
        summary.add(new String[] {"bits per weight", String.format(Locale.ROOT, "%.2f", r.bitsPerWeight())});
        table(out, summary, new boolean[2]);

        out.append("\ndtypes\n");
        List<String[]> types = new ArrayList<>();
        types.add(new String[] {"dtype", "tensors", "parameters", "bytes", "share"});
        for (InspectReport.DTypeStats s : r.dtypes()) {
            double share = r.tensorBytes() == 0 ? 0 : 100.0 * s.bytes() / r.tensorBytes();
            types.add(new String[] {s.dtype().name(), HumanUnits.grouped(s.tensors()), HumanUnits.grouped(s.parameters()),
                    HumanUnits.bytes(s.bytes()), String.format(Locale.ROOT, "%.1f%%", share)});
        }
        table(out, types, new boolean[] {false, true, true, true, true});

        if (!r.containerFacts().isEmpty()) {
            out.append("\ncontainer\n");
            List<String[]> facts = new ArrayList<>();
            for (Map.Entry<String, String> e : r.containerFacts().entrySet()) facts.add(new String[] {e.getKey(), e.getValue()});
            table(out, facts, new boolean[2]);
        }

        out.append("\nmetadata (").append(r.metadata().size()).append(r.metadata().size() == 1 ? " key)\n" : " keys)\n");
        List<String[]> meta = new ArrayList<>();
        for (InspectReport.MetaEntry e : r.metadata()) {
            meta.add(new String[] {e.key(), kindName(e.value()), value(e.value(), fullValues)});
        }
        table(out, meta, new boolean[3]);

        out.append("\ntensors (").append(r.tensors().size()).append(")\n");
        boolean anyOffset = r.tensors().stream().anyMatch(t -> t.offset().isPresent());
        List<String[]> rows = new ArrayList<>();
        rows.add(anyOffset ? new String[] {"name", "dtype", "shape", "size", "offset"} : new String[] {"name", "dtype", "shape", "size"});
        int n = r.tensors().size();
        boolean cut = !allTensors && n > TENSOR_LIMIT;
        for (int i = 0; i < n; i++) {
            if (cut && i == TENSOR_HEAD) {
                rows.add(new String[] {"... " + (n - TENSOR_HEAD - TENSOR_TAIL) + " more (--all lists every tensor)"});
                i = n - TENSOR_TAIL;
            }
            InspectReport.TensorRow t = r.tensors().get(i);
            String[] row = {t.name(), t.dtype().name(), t.shape().toString(), HumanUnits.bytes(t.bytes()),
                    t.offset().isPresent() ? Long.toString(t.offset().getAsLong()) : "-"};
            rows.add(anyOffset ? row : Arrays.copyOf(row, 4));
        }
        table(out, rows, new boolean[] {false, false, false, true, true});
        return out.toString();
    }

    /** Short names for metadata kinds: u32, f32, str, bool, str[] ... */
    static String kindName(MetaValue v) {
        if (v instanceof MetaValue.Array a) return kindName(a.elementKind()) + "[]";
        return kindName(v.kind());
    }

    private static String kindName(MetaValue.Kind k) {
        return switch (k) {
            case UINT8 -> "u8";
            case INT8 -> "i8";
            case UINT16 -> "u16";
            case INT16 -> "i16";
            case UINT32 -> "u32";
            case INT32 -> "i32";
            case UINT64 -> "u64";
            case INT64 -> "i64";
            case FLOAT32 -> "f32";
            case FLOAT64 -> "f64";
            case BOOL -> "bool";
            case STRING -> "str";
            case ARRAY -> "array";
        };
    }

    private static String value(MetaValue v, boolean full) {
        String s = v.render(full ? Integer.MAX_VALUE : ARRAY_ITEMS);
        s = escapeControls(s);
        if (!full && s.length() > STRING_CHARS) {
            s = s.substring(0, STRING_CHARS) + "... (" + HumanUnits.grouped(s.length()) + " chars)";
        }
        return s;
    }

    /** Newlines and other control characters would break the table: show them escaped. */
    private static String escapeControls(String s) {
        StringBuilder b = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= 0x20 && c != 0x7f) {
                if (b != null) b.append(c);
                continue;
            }
            if (b == null) b = new StringBuilder(s.length() + 8).append(s, 0, i);
            switch (c) {
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> b.append(String.format(Locale.ROOT, "\\x%02x", (int) c));
            }
        }
        return b == null ? s : b.toString();
    }

    /**
     * Appends rows as columns two spaces apart, indented two spaces; {@code rightAligned[i]} aligns
     * column i to the right. A row with a single cell is a note and is not measured. The last column
     * is not padded.
     */
    private static void table(StringBuilder out, List<String[]> rows, boolean[] rightAligned) {
        int cols = 0;
        for (String[] r : rows) if (r.length > 1) cols = Math.max(cols, r.length);
        int[] width = new int[cols];
        for (String[] r : rows) {
            if (r.length == 1) continue;
            for (int c = 0; c < r.length; c++) width[c] = Math.max(width[c], r[c].length());
        }
        for (String[] r : rows) {
            StringBuilder line = new StringBuilder("  ");
            for (int c = 0; c < r.length; c++) {
                if (c > 0) line.append("  ");
                boolean last = c == r.length - 1;
                boolean right = c < rightAligned.length && rightAligned[c] && r.length > 1;
                int pad = r.length == 1 ? 0 : width[c] - r[c].length();
                if (right) line.repeat(' ', pad).append(r[c]);
                else {
                    line.append(r[c]);
                    if (!last) line.repeat(' ', pad);
                }
            }
            out.append(line.toString().stripTrailing()).append('\n');
        }
    }
}
