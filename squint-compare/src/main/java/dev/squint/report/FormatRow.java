package dev.squint.report;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One row of a comparison table: one form of the model (the FP32 base, an FP16 ONNX file, a Q4_K_M GGUF...),
 * every figure measured in the same run.
 *
 * @param name            short row name ({@code "INT8 dynamic"}, {@code "GGUF Q4_K_M"})
 * @param format          what the weights are stored as ({@code "ONNX int8 MatMulInteger"}, {@code "GGUF Q4_K_M"})
 * @param runtime         what ran it for the quality and speed figures ({@code "ONNX Runtime 1.23.2"}, {@code "squint engine"})
 * @param file            the file measured, as the user would find it (empty for an in-memory variant)
 * @param fileBytes       size on disk of the model file(s), external data included
 * @param bitsPerWeight   bits per weight of the quantizable weights (NaN when it does not apply)
 * @param qualityKept     the headline quality as a fraction of the base's (1.0 = no loss), NaN when unknown;
 *                        which metric it derives from is {@link ComparisonReport#qualityHeadline()}
 * @param quality         every quality figure measured for this row
 * @param throughput      items per second ({@link ComparisonReport#throughputUnit()}), NaN when not measured
 * @param peakMemoryBytes peak resident memory while this row ran (bytes), -1 when not measured
 * @param notes           caveats worth printing next to the row ("K-quant fell back to Q5_0: rows of 384")
 * @param reference       true for rows that are outside references rather than squint's output (the -q model)
 */
public record FormatRow(String name, String format, String runtime, Optional<String> file, long fileBytes,
                        double bitsPerWeight, double qualityKept, List<Metric> quality, double throughput,
                        long peakMemoryBytes, List<String> notes, boolean reference) {
    public FormatRow {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(format, "format");
        Objects.requireNonNull(runtime, "runtime");
        file = file == null ? Optional.empty() : file;
        quality = List.copyOf(quality);
        notes = List.copyOf(notes);
    }

    /** The quality figure with this key, if measured. */
    public Optional<Metric> metric(String key) {
        return quality.stream().filter(m -> m.key().equals(key) && m.measured()).findFirst();
    }
}
