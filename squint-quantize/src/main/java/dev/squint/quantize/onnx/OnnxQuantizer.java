package dev.squint.quantize.onnx;

import dev.squint.core.SquintException;
import dev.squint.formats.onnx.OnnxGraph;
import dev.squint.formats.onnx.OnnxModel;
import dev.squint.formats.onnx.OnnxReader;
import dev.squint.formats.onnx.OnnxWriter;
import dev.squint.formats.onnx.proto.ModelProto;
import dev.squint.formats.onnx.proto.TensorProto;
import dev.squint.formats.onnx.proto.ValueInfoProto;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Quantizes an ONNX model (FP16, dynamic INT8, static INT8 with calibration, INT4, INT8 and NF4 weight-only),
 * writes it atomically, and checks the result in ONNX Runtime against the original.
 *
 * <p>Entry point: {@link #quantize(Path, Path, OnnxQuantizeOptions, List, int)}.
 */
public final class OnnxQuantizer {
    private OnnxQuantizer() {}

    /** What was written, what each node became, and how the result compares to the original. */
    public record Result(Path output, long inputBytes, long outputBytes, OnnxQuantizeReport report, OnnxVerification verification) {}

    /**
     * @param calibration batches of named input tensors (static INT8 needs them; every mode uses them, or
     *                    seeded synthetic inputs when empty, for the verification)
     * @param timedRuns   timed runs of each model for the latency comparison (0: one)
     * @throws SquintException malformed input model, calibration data that does not fit the graph, a result
     *                         ONNX Runtime cannot load
     */
    public static Result quantize(Path input, Path output, OnnxQuantizeOptions options, List<Map<String, HostTensor>> calibration,
                                  int timedRuns) {
        List<Map<String, HostTensor>> batches;
        OnnxQuantizeReport report = new OnnxQuantizeReport();
        OnnxWriter.Result written;
        long inputBytes;
        try (OnnxModel model = OnnxReader.open(input)) {
            long opset = defaultOpset(model.proto());
            if (opset > 0 && opset < 11) {
                throw new SquintException(input + ": opset " + opset + " is older than 11, the oldest squint quantizes; "
                        + "upgrade the model's opset first");
            }
            if (options.gptq() && calibration.isEmpty()) {
                throw new SquintException("GPTQ rounding (--gptq) needs calibration data: give --calibration FILE (sentences with the model's "
                        + "tokenizer.json, or .npy/.npz/.safetensors tensors named after the graph inputs)");
            }
            batches = calibration.isEmpty() ? List.of(synthetic(model.graph())) : calibration;
            for (Map<String, HostTensor> b : batches) CalibrationData.check(model.graph(), b);
            try (OnnxGraphEditor g = new OnnxGraphEditor(model)) {
                switch (options.mode()) {
                    case DYNAMIC -> DynamicInt8Pass.run(g, options, batches, report);
                    case INT4 -> Int4Pass.run(g, options, calibration, report);
                    case FP16 -> Fp16Pass.run(g, options, report);
                    case INT8_WEIGHT -> WeightOnlyInt8Pass.run(g, options, calibration, report);
                    case NF4 -> Nf4Pass.run(g, options, report);
                    case STATIC -> {
                        if (calibration.isEmpty()) throw new SquintException("static INT8 needs calibration data (--calibration)");
                        StaticInt8Pass.run(g, options, calibration, report);
                    }
                }
                ModelProto proto = g.build();
                OnnxWriter.Options wo = options.externalDataThreshold() == Long.MAX_VALUE
                        ? OnnxWriter.Options.inline() : OnnxWriter.Options.external(options.externalDataThreshold());
                written = OnnxWriter.write(proto, g.tensorData(), output, wo, model.files());
            }
            inputBytes = model.fileSize();
        }
        // The source mapping and the new tensors are released before ONNX Runtime loads both models: for a
        // model of several GB that is the difference between holding it two and three times in memory.
        OnnxVerification v;
        try {
            v = OnnxVerification.check(input, output, batches, Math.max(1, timedRuns));
        } catch (SquintException e) {
            throw new SquintException(e.getMessage() + " (the quantized model was written to " + output + "; it is not usable)", e);
        }
        long outBytes = written.modelBytes() + written.externalBytes();
        return new Result(output, inputBytes, outBytes, report, v);
    }

    static long defaultOpset(ModelProto p) {
        for (var o : p.getOpsetImportList()) if (o.getDomain().isEmpty() || o.getDomain().equals("ai.onnx")) return o.getVersion();
        return 0;
    }

    /**
     * Seeded inputs shaped from the graph's declared inputs, for verification when the user gives none:
     * symbolic dimensions are 2 (first axis) or 16; integer inputs named like a mask are ones, like a
     * type id zeros, others ids in [0, 1000); floats standard normal.
     */
    static Map<String, HostTensor> synthetic(OnnxGraph graph) {
        Random rnd = new Random(42);
        Map<String, HostTensor> m = new java.util.LinkedHashMap<>();
        java.util.Set<String> inits = new java.util.HashSet<>(graph.initializerNames());
        for (OnnxGraph.ValueInfo in : graph.inputs()) {
            if (inits.contains(in.name())) continue;
            if (!(in.type() instanceof OnnxGraph.ValueType.TensorType tt)) throw new SquintException("input '" + in.name() + "' is not a tensor");
            List<OnnxGraph.Dim> dims = tt.shape().orElse(List.of());
            long[] shape = new long[dims.size()];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = dims.get(i) instanceof OnnxGraph.Dim.Fixed f ? f.value() : i == 0 ? 2 : 16;
            }
            int n = 1;
            for (long d : shape) n *= (int) d;
            String lower = in.name().toLowerCase(java.util.Locale.ROOT);
            switch (tt.elemType()) {
                case 7 -> {
                    long[] v = new long[n];
                    for (int i = 0; i < n; i++) v[i] = lower.contains("mask") ? 1 : lower.contains("type") ? 0 : rnd.nextInt(1000);
                    m.put(in.name(), HostTensor.ofLongs(in.name(), shape, v));
                }
                case 1 -> {
                    float[] v = new float[n];
                    for (int i = 0; i < n; i++) v[i] = (float) rnd.nextGaussian();
                    m.put(in.name(), HostTensor.ofFloats(in.name(), shape, v));
                }
                default -> throw new SquintException("input '" + in.name() + "' has element type " + tt.elemType()
                        + "; give verification data with --calibration");
            }
        }
        return m;
    }



}
