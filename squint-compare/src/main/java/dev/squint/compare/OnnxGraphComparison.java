package dev.squint.compare;

import ai.onnxruntime.OrtEnvironment;
import dev.squint.core.SquintException;
import dev.squint.formats.onnx.OnnxGraph;
import dev.squint.formats.onnx.OnnxModel;
import dev.squint.formats.onnx.OnnxReader;
import dev.squint.quantize.onnx.CalibrationData;
import dev.squint.quantize.onnx.HostTensor;
import dev.squint.quantize.onnx.OnnxVerification;
import dev.squint.quantize.onnx.OrtRunner;
import dev.squint.report.FormatRow;
import dev.squint.report.Metric;
import dev.squint.report.Metric.Direction;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Any ONNX graphs compared in ONNX Runtime on the tensors of {@code --inputs}: each candidate is checked against the
 * base with {@link OnnxVerification} (same inputs and outputs; per float output the cosine, max abs error and, for
 * {@code [batch, classes]} outputs, top-1 agreement), and timed alone ({@link ThroughputTimer} over the first batch,
 * so its peak memory is its own). Quality kept is the mean cosine of the worst output.
 */
final class OnnxGraphComparison {
    static final String QUALITY_HEADLINE = "mean cosine similarity of the outputs (the worst output)";
    static final int DEFAULT_BATCH = 32;

    private OnnxGraphComparison() {}


    static ComparisonOutcome run(CompareOptions o, CompareProgress progress) {
        if (o.inputs() == null) {
            throw new SquintException("comparing ONNX graphs needs --inputs FILE: tensors named after the graph inputs "
                    + "(.npy for a single input, .npz or safetensors for several)");
        }
        List<Map<String, HostTensor>> batches;
        int batch;
        try (OnnxModel m = OnnxReader.open(o.base())) {
            OnnxGraph g = m.graph();
            batch = batchSize(g);
            batches = CalibrationData.load(o.inputs(), g, null, o.limit() > 0 ? o.limit() : Integer.MAX_VALUE, batch);
        }
        if (batches.isEmpty()) throw new SquintException(o.inputs() + ": no samples");
        long samples = batches.stream().mapToLong(OnnxGraphComparison::samples).sum();
        Map<String, HostTensor> first = batches.getFirst();
        String runtime = "ONNX Runtime " + OrtEnvironment.getEnvironment().getVersion();

        List<FormatRow> rows = new ArrayList<>();
        long baseParams = 0;
        for (Path path : o.models()) {
            boolean isBase = rows.isEmpty();
            String name = Compare.rowName(path);
            CompareFiles files = CompareFiles.of(path);
            if (isBase) baseParams = files.parameters();
            progress.model(name, 2);
            Compare.settle();
            boolean memory = PeakMemory.reset();
            ThroughputTimer.Result speed;
            try (OrtRunner runner = new OrtRunner(path)) {
                speed = ThroughputTimer.measure(() -> runner.run(first), samples(first), o.benchSeconds(), 3);
            }
            long peak = memory ? PeakMemory.peakBytes().orElse(-1) : -1;
            progress.step();
            List<Metric> quality = new ArrayList<>();
            List<String> notes = new ArrayList<>();
            double kept;
            if (isBase) {
                // the base against itself: identical outputs, by definition
                kept = 1;
                quality.add(new Metric("cosine_mean", "cosine to base", 1, Direction.HIGHER, ""));
                quality.add(new Metric("cosine_min", "min cosine", 1, Direction.HIGHER, ""));
                quality.add(new Metric("max_abs_error", "max abs error", 0, Direction.LOWER, ""));
                if (classifierShaped(o.base(), first)) quality.add(new Metric("top1_agreement", "top-1 agreement", 100, Direction.HIGHER, "%"));
            } else {
                OnnxVerification v = OnnxVerification.check(o.base(), path, batches, 1);
                if (!v.problems().isEmpty()) {
                    throw new SquintException(path + " does not have the base's interface: " + String.join("; ", v.problems()));
                }
                if (v.fidelity().isEmpty()) throw new SquintException(path + ": the graphs have no float outputs to compare");
                var all = v.fidelity().values();
                kept = v.worstCosine();
                quality.add(new Metric("cosine_mean", "cosine to base", kept, Direction.HIGHER, ""));
                quality.add(new Metric("cosine_min", "min cosine",
                        all.stream().mapToDouble(OnnxVerification.OutputFidelity::minCosine).min().orElse(Double.NaN), Direction.HIGHER, ""));
                quality.add(new Metric("max_abs_error", "max abs error",
                        all.stream().mapToDouble(OnnxVerification.OutputFidelity::maxAbsError).max().orElse(Double.NaN), Direction.LOWER, ""));
                all.stream().filter(f -> !Double.isNaN(f.top1())).findFirst().ifPresent(f ->
                        quality.add(new Metric("top1_agreement", "top-1 agreement", 100 * f.top1(), Direction.HIGHER, "%")));
                if (v.fidelity().size() > 1) {
                    v.fidelity().forEach((out, f) -> notes.add(String.format(Locale.ROOT, "output %s: cosine %.6f, max abs error %.4g",
                            out, f.cosine(), f.maxAbsError())));
                }
            }
            progress.step();
            progress.modelDone();
            rows.add(new FormatRow(name, files.format(), runtime, Optional.of(path.toString()), files.fileBytes(),
                    files.bitsPerWeight(baseParams), kept, quality, speed.itemsPerSecond(), peak, notes, false));
        }
        Map<String, String> env = new LinkedHashMap<>();
        env.put("inputs", o.inputs().getFileName() + ": " + samples + " samples in " + batches.size() + " batches of up to " + batch);
        env.put("throughput", "samples/s over the first batch (" + samples(first) + " samples), repeated for at least "
                + o.benchSeconds() + " s after a warm-up; ONNX Runtime chooses its own thread count");
        return new ComparisonOutcome(rows, env, QUALITY_HEADLINE, "samples/s");
    }

    /** The graph's fixed batch size if its first input declares one, else {@link #DEFAULT_BATCH}. */
    static int batchSize(OnnxGraph g) {
        Set<String> inits = new HashSet<>(g.initializerNames());
        for (OnnxGraph.ValueInfo v : g.inputs()) {
            if (inits.contains(v.name())) continue;
            if (v.type() instanceof OnnxGraph.ValueType.TensorType tt && tt.shape().isPresent() && !tt.shape().get().isEmpty()
                    && tt.shape().get().getFirst() instanceof OnnxGraph.Dim.Fixed f && f.value() > 0) {
                return (int) Math.min(f.value(), Integer.MAX_VALUE);
            }
            break;
        }
        return DEFAULT_BATCH;
    }

    private static long samples(Map<String, HostTensor> batch) {
        HostTensor t = batch.values().iterator().next();
        return t.shape().length == 0 ? 1 : Math.max(1, t.shape()[0]);
    }

    /** Whether some float output is {@code [batch, classes]}: then top-1 agreement is reported (as the verification does). */
    private static boolean classifierShaped(Path model, Map<String, HostTensor> batch) {
        try (OrtRunner r = new OrtRunner(model)) {
            return r.run(batch).values().stream().anyMatch(out -> out.shape().length == 2
                    && (out.type() == ai.onnxruntime.OnnxJavaType.FLOAT || out.type() == ai.onnxruntime.OnnxJavaType.FLOAT16
                    || out.type() == ai.onnxruntime.OnnxJavaType.DOUBLE));
        }
    }
}
