package dev.squint.compare;

import dev.squint.core.SquintException;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The rows {@code squint demo} can produce, in table order. Each knows its command-line name, the runtime that
 * measures it and a rough cost (seconds on two busy cores) from which the progress bar's ETA is drawn.
 */
public enum DemoRow {
    FP32("fp32", "FP32", Runtime.ONNX_RUNTIME, 4),
    FP16("fp16", "FP16", Runtime.ONNX_RUNTIME, 8),
    BF16("bf16", "BF16", Runtime.SQUINT_ENGINE, 14),
    INT8_WEIGHT("int8-weight", "INT8 weight-only", Runtime.ONNX_RUNTIME, 6),
    INT8_DYNAMIC("int8-dynamic", "INT8 dynamic", Runtime.ONNX_RUNTIME, 6),
    INT8_STATIC("int8-static", "INT8 static", Runtime.ONNX_RUNTIME, 10),
    INT4("int4", "INT4", Runtime.ONNX_RUNTIME, 6),
    NF4("nf4", "NF4", Runtime.ONNX_RUNTIME, 6),
    Q8_0("q8_0", "GGUF Q8_0", Runtime.SQUINT_ENGINE, 18),
    Q5_K_M("q5_k_m", "GGUF Q5_K_M", Runtime.SQUINT_ENGINE, 18),
    Q4_K_M("q4_k_m", "GGUF Q4_K_M", Runtime.SQUINT_ENGINE, 18),
    Q4_0("q4_0", "GGUF Q4_0", Runtime.SQUINT_ENGINE, 14),
    ORT_INT8_REFERENCE("ort-q", "ONNX Runtime int8 (-q)", Runtime.ONNX_RUNTIME, 4);

    /** What runs a row's file for its quality and speed figures. */
    public enum Runtime { ONNX_RUNTIME, SQUINT_ENGINE }

    private final String cliName;
    private final String label;
    private final Runtime runtime;
    private final int cost;

    DemoRow(String cliName, String label, Runtime runtime, int cost) {
        this.cliName = cliName;
        this.label = label;
        this.runtime = runtime;
        this.cost = cost;
    }

    public String cliName() { return cliName; }

    /** The row's name in the table. */
    public String label() { return label; }

    public Runtime runtime() { return runtime; }

    /** Rough seconds this row takes on two busy cores: weights for the progress bar's ETA, not a measurement. */
    public int cost() { return cost; }

    /**
     * Parses {@code --rows}: {@code all} or comma-separated names ({@code fp16,int8-dynamic,q8_0}). The FP32
     * base is always included, first; the order is the table's.
     */
    public static List<DemoRow> parse(String list) {
        Set<DemoRow> rows = EnumSet.of(FP32);
        if (list.strip().equalsIgnoreCase("all")) return List.of(values());
        for (String part : list.split(",")) {
            String n = part.strip().toLowerCase(Locale.ROOT);
            if (n.isEmpty()) continue;
            DemoRow row = Arrays.stream(values()).filter(r -> r.cliName.equals(n) || r.name().equalsIgnoreCase(n)).findFirst()
                    .orElseThrow(() -> new SquintException("unknown row '" + part.strip() + "' in --rows; rows are all or " + names()));
            rows.add(row);
        }
        return List.copyOf(rows);
    }

    /** Every row's command-line name, comma-separated. */
    public static String names() {
        return Arrays.stream(values()).map(DemoRow::cliName).collect(Collectors.joining(", "));
    }
}
