package dev.squint.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Made-up reports for renderer and verdict tests: figures chosen so each verdict has one right answer. */
final class SyntheticReports {
    private SyntheticReports() {}

    static Metric cosine(double v) { return new Metric("cosine_mean", "cosine to FP32", v, Metric.Direction.HIGHER, ""); }

    static Metric sts(double v) { return new Metric("sts_spearman", "STS Spearman", v, Metric.Direction.HIGHER, ""); }

    static FormatRow row(String name, long bytes, double kept, double throughput, long peak) {
        return new FormatRow(name, name + " weights", "squint engine", Optional.empty(), bytes, Double.NaN, kept,
                List.of(cosine(kept)), throughput, peak, List.of(), false);
    }

    static FormatRow reference(String name, long bytes, double kept, double throughput) {
        return new FormatRow(name, "ONNX int8", "ONNX Runtime 1.23.2", Optional.empty(), bytes, 8, kept,
                List.of(cosine(kept)), throughput, -1, List.of(), true);
    }

    static ComparisonReport report(FormatRow... rows) {
        return new ComparisonReport("test", "m", "encoder", "mean cosine similarity to FP32", "sentences/s",
                List.of(rows), List.of(), Map.of());
    }

    /** A demo-shaped table of all-MiniLM-L6-v2 forms (made-up but plausible figures), with a note and a reference. */
    static ComparisonReport demoShaped() {
        List<FormatRow> rows = new ArrayList<>();
        rows.add(new FormatRow("FP32", "ONNX float32", "ONNX Runtime 1.23.2", Optional.of("model.onnx"), 90_400_000, 32, 1.0,
                List.of(cosine(1.0), sts(0.8203)), 410, 310_000_000, List.of(), false));
        rows.add(new FormatRow("FP16", "ONNX float16", "ONNX Runtime 1.23.2", Optional.of("model-fp16.onnx"), 45_300_000, 16, 0.99998,
                List.of(cosine(0.99998), sts(0.8202)), 260, 250_000_000, List.of(), false));
        rows.add(new FormatRow("INT8 dynamic", "ONNX int8 MatMulInteger", "ONNX Runtime 1.23.2", Optional.of("model-int8.onnx"), 23_000_000, 8, 0.9962,
                List.of(cosine(0.9962), sts(0.8180)), 690, 180_000_000, List.of(), false));
        rows.add(new FormatRow("INT4 weight-only", "ONNX MatMulNBits", "ONNX Runtime 1.23.2", Optional.of("model-int4.onnx"), 16_500_000, 4.5, 0.9611,
                List.of(cosine(0.9611), sts(Double.NaN)), 300, 170_000_000, List.of("embeddings kept in FP32"), false));
        rows.add(new FormatRow("GGUF Q4_K_M", "GGUF Q4_K_M", "squint engine", Optional.of("model-q4_k_m.gguf"), 18_200_000, 4.9, 0.9901,
                List.of(cosine(0.9901), sts(0.8150)), Double.NaN, -1, List.of("K-quant fell back to Q5_0: rows of 384"), false));
        rows.add(new FormatRow("langchain4j -q", "ONNX int8 (ORT quantizer)", "ONNX Runtime 1.23.2", Optional.empty(), 23_100_000, 8, 0.9940,
                List.of(cosine(0.9940), sts(0.8170)), 700, 185_000_000, List.of(), true));
        Map<String, String> env = new LinkedHashMap<>();
        env.put("machine", "2 cores, AVX-512");
        env.put("threads", "2");
        env.put("JVM", "Temurin 25");
        return new ComparisonReport("all-MiniLM-L6-v2: formats compared", "all-MiniLM-L6-v2", "encoder",
                "mean cosine similarity to FP32", "sentences/s", rows, List.of(), env);
    }
}
