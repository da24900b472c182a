package dev.squint.quantize;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.squint.core.codec.ErrorStats;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * What a quantization did: per tensor the type chosen (and the fallback, if any) with its error
 * against the source (RMSE, SNR; computed by dequantizing the bytes written), totals and time.
 *
 * @param fileType     the mix, written to {@code general.file_type}
 * @param sourceBytes  tensor data bytes of the input
 * @param outputBytes  tensor data bytes of the output
 * @param fileBytes    size of the output file (0 for a dry run)
 * @param weights      number of tensor elements
 * @param needImportance tensors whose type needs an importance matrix that was not given (only a dry run gets this far)
 */
public record QuantizeReport(Path input, Path output, QuantType fileType, boolean dryRun, List<TensorResult> tensors,
                             long sourceBytes, long outputBytes, long fileBytes, long weights, double seconds, int threads,
                             List<String> needImportance) {
    public QuantizeReport {
        tensors = List.copyOf(tensors);
        needImportance = List.copyOf(needImportance);
    }


    /** One tensor: its plan and, unless copied or a dry run, its error against the source. */
    public record TensorResult(TensorPlan plan, ErrorStats error) {}

    public long fallbacks() { return tensors.stream().filter(t -> t.plan().fallback() != null).count(); }

    public double sourceBitsPerWeight() { return weights == 0 ? 0 : sourceBytes * 8.0 / weights; }

    public double bitsPerWeight() { return weights == 0 ? 0 : outputBytes * 8.0 / weights; }

    public String toText() {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "%-36s %-16s %-7s %-7s %10s %10s %9s  %s%n", "tensor", "shape", "from", "to", "MiB", "RMSE", "SNR dB", "note"));
        for (TensorResult t : tensors) {
            TensorPlan p = t.plan();
            String note = p.fallback() != null ? "fallback " + p.fallback() : p.reason();
            b.append(String.format(Locale.ROOT, "%-36s %-16s %-7s %-7s %10.3f %10s %9s  %s%n", p.name(), shape(p.ne()),
                    p.sourceType(), p.targetType(), p.targetBytes() / 1048576.0,
                    t.error() == null ? "-" : String.format(Locale.ROOT, "%.3g", t.error().rmse()),
                    t.error() == null ? "-" : String.format(Locale.ROOT, "%.2f", t.error().snrDb()), note));
        }
        b.append(String.format(Locale.ROOT, "%s: %d tensors, %d weights%n", fileType, tensors.size(), weights));
        b.append(String.format(Locale.ROOT, "size: %.2f MiB (%.2f bpw) -> %.2f MiB (%.2f bpw)%s%n", sourceBytes / 1048576.0,
                sourceBitsPerWeight(), outputBytes / 1048576.0, bitsPerWeight(), dryRun ? " [dry run, nothing written]" : ""));
        if (!needImportance.isEmpty()) {
            b.append(String.format(Locale.ROOT, "note: %d tensor(s) will need an importance matrix (--imatrix FILE), e.g. %s%n",
                    needImportance.size(), needImportance.getFirst()));
        }
        if (fallbacks() > 0) b.append(String.format(Locale.ROOT, "%d of %d tensors fell back to another type (see 'note')%n", fallbacks(), tensors.size()));
        if (!dryRun) b.append(String.format(Locale.ROOT, "wrote %s (%d bytes) in %.2f s, %d thread(s), %.1f M weights/s%n", output, fileBytes,
                seconds, threads, seconds > 0 ? weights / seconds / 1e6 : 0));
        return b.toString();
    }

    public String toJson() {
        ObjectMapper m = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = m.createObjectNode();
        root.put("input", input.toString());
        root.put("output", output == null ? null : output.toString());
        root.put("type", fileType.name());
        root.put("file_type", fileType.ftypeId());
        root.put("dry_run", dryRun);
        root.put("weights", weights);
        root.put("source_bytes", sourceBytes);
        root.put("output_bytes", outputBytes);
        root.put("file_bytes", fileBytes);
        root.put("source_bpw", sourceBitsPerWeight());
        root.put("bpw", bitsPerWeight());
        root.put("seconds", seconds);
        root.put("threads", threads);
        root.put("fallbacks", fallbacks());
        ArrayNode need = root.putArray("need_imatrix");
        needImportance.forEach(need::add);
        ArrayNode arr = root.putArray("tensors");
        for (TensorResult t : tensors) {
            TensorPlan p = t.plan();
            ObjectNode o = arr.addObject();
            o.put("name", p.name());
            ArrayNode ne = o.putArray("ne");
            for (long d : p.ne()) ne.add(d);
            o.put("source_type", p.sourceType().name());
            o.put("type", p.targetType().name());
            o.put("reason", p.reason());
            if (p.fallback() != null) o.put("fallback", p.fallback());
            o.put("source_bytes", p.sourceBytes());
            o.put("bytes", p.targetBytes());
            if (t.error() != null) {
                o.put("rmse", t.error().rmse());
                putFinite(o, "snr_db", t.error().snrDb());
                o.put("max_abs_error", t.error().maxAbsError());
            }
        }
        try {
            return m.writeValueAsString(root);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void putFinite(ObjectNode o, String key, double v) {
        if (Double.isFinite(v)) o.put(key, v);
        else o.put(key, Double.isNaN(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity");
    }

    private static String shape(long[] ne) {
        StringBuilder s = new StringBuilder("[");
        for (int i = 0; i < ne.length; i++) s.append(i == 0 ? "" : ",").append(ne[i]);
        return s.append(']').toString();
    }
}
