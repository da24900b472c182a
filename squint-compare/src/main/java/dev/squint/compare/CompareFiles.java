package dev.squint.compare;

import dev.squint.core.Model;
import dev.squint.core.Tensor;
import dev.squint.formats.ModelOpener;

import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * What a report row says about a model's files, read from the container's tensor table without running it.
 *
 * @param fileBytes   bytes of every file of the model (shards and external data included)
 * @param tensorBytes bytes of all tensor data
 * @param parameters  elements of all tensors
 * @param format      container and the dtypes of its matrices by share of bytes ({@code "GGUF Q4_0 + F16"})
 */
record CompareFiles(long fileBytes, long tensorBytes, long parameters, String format) {

    static CompareFiles of(Path path) {
        try (Model m = ModelOpener.open(path)) {
            return of(m);
        }
    }

    static CompareFiles of(Model m) {
        Map<String, Long> bytesByType = new LinkedHashMap<>();
        for (Tensor t : m.tensors()) {
            if (t.shape().rank() < 2) continue; // norms and biases: every format keeps them wide
            bytesByType.merge(t.dtype().name(), t.byteSize(), Long::sum);
        }
        long matrixBytes = bytesByType.values().stream().mapToLong(Long::longValue).sum();
        List<String> types = bytesByType.entrySet().stream()
                .filter(e -> e.getValue() * 50 >= matrixBytes) // types under 2 % of the bytes do not name the format
                .sorted(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder()))
                .map(Map.Entry::getKey).toList();
        String format = m.container().displayName() + (types.isEmpty() ? "" : " " + types.stream().collect(Collectors.joining(" + ")));
        return new CompareFiles(m.fileSize(), m.tensorBytes(), m.parameterCount(), format);
    }

    /**
     * Bits per weight against the base's parameter count: tensor bytes × 8 / weights of the original model. The same
     * as the file's own figure for GGUF types (they keep every element); for ONNX quantization, whose scales and zero
     * points are extra tensors, it counts those as overhead rather than as weights.
     */
    double bitsPerWeight(long baseParameters) {
        return baseParameters > 0 ? 8.0 * tensorBytes / baseParameters : Double.NaN;
    }
}
