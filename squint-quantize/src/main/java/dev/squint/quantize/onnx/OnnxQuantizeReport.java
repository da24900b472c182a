package dev.squint.quantize.onnx;

import java.util.ArrayList;
import java.util.List;

/**
 * What a pass did to each node it considered: quantized (and how) or left in float (and why).
 */
public final class OnnxQuantizeReport {
    /** One node's outcome. */
    public record Entry(String node, String opType, boolean quantized, String detail) {}

    private final List<Entry> entries = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();

    void quantized(String node, String opType, String how) { entries.add(new Entry(node, opType, true, how)); }

    void keptFloat(String node, String opType, String why) { entries.add(new Entry(node, opType, false, why)); }

    void note(String text) { notes.add(text); }

    public List<Entry> entries() { return List.copyOf(entries); }

    public List<String> notes() { return List.copyOf(notes); }

    public long quantizedCount() { return entries.stream().filter(Entry::quantized).count(); }

    public List<Entry> keptFloat() { return entries.stream().filter(e -> !e.quantized()).toList(); }
}
