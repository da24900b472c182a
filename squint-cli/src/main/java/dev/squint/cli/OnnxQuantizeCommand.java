package dev.squint.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.squint.core.SquintException;
import dev.squint.formats.onnx.OnnxModel;
import dev.squint.formats.onnx.OnnxReader;
import dev.squint.quantize.onnx.CalibrationData;
import dev.squint.quantize.onnx.HostTensor;
import dev.squint.quantize.onnx.OnnxQuantizeOptions;
import dev.squint.quantize.onnx.OnnxQuantizeOptions.Calibrator;
import dev.squint.quantize.onnx.OnnxQuantizeOptions.Mode;
import dev.squint.quantize.onnx.OnnxQuantizeReport;
import dev.squint.quantize.onnx.OnnxQuantizer;
import dev.squint.quantize.onnx.OnnxVerification;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;

/**
 * {@code squint quantize model.onnx out.onnx --mode ...}: quantizes an ONNX model and checks the
 * result in ONNX Runtime. (The GGUF quantize command is written apart; the two are to be folded into
 * one verb that dispatches on the container.)
 */
@Command(name = "quantize", mixinStandardHelpOptions = true,
        description = {"Quantize an ONNX model (FP16, dynamic INT8, static INT8, INT4, INT8 or NF4 weight-only) and verify it in ONNX Runtime.",
                "",
                "After writing, both models run in ONNX Runtime on the calibration data (or seeded synthetic inputs): the output "
                        + "must load and keep its outputs' names, types and shapes; fidelity (cosine, max abs error, top-1) and "
                        + "latency are reported, and a result slower than the original or below --min-fidelity is said plainly.",
                ""},
        footer = {"", "Examples:",
                "  squint quantize all-minilm-l6-v2 minilm-int8.onnx --mode dynamic",
                "  squint quantize model.onnx model-qdq.onnx --mode static --calibration calib.npz --calibrator percentile",
                "  squint quantize all-minilm-l6-v2 minilm-static.onnx --mode static --calibration sentences.txt --tokenizer tokenizer.json",
                "  squint quantize model.onnx model-w8.onnx --mode int8-weight",
                "  squint quantize all-minilm-l6-v2 minilm-int4.onnx --mode int4 --calibration sentences.txt --gptq",
                "  squint quantize model.onnx model-nf4.onnx --mode nf4 --block-size 64",
                "Exit codes: 0 ok; 2 bad input, or the result is below --min-fidelity (the file is still written)."})
final class OnnxQuantizeCommand implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL", description = "ONNX model file or alias.") String model;
    @Parameters(index = "1", paramLabel = "OUT", description = "Output .onnx file (written atomically).") Path out;

    @Option(names = "--mode", required = true, description = "fp16, dynamic, static, int4, int8-weight or nf4.") String mode;
    @Option(names = "--calibration", paramLabel = "FILE",
            description = "Calibration/verification inputs: .npy (named after the input), .npz, .safetensors, or a text file (one sentence a line; needs --tokenizer).")
    Path calibration;
    @Option(names = "--tokenizer", paramLabel = "JSON", description = "tokenizer.json (BERT WordPiece) for text calibration; default: one beside the model.")
    Path tokenizer;
    @Option(names = "--calibration-size", paramLabel = "N", defaultValue = "64", description = "Samples used at most (default ${DEFAULT-VALUE}).")
    int calibrationSize;
    @Option(names = "--batch-size", paramLabel = "N", defaultValue = "8", description = "Samples per ONNX Runtime run (default ${DEFAULT-VALUE}).")
    int batchSize;
    @Option(names = "--calibrator", defaultValue = "minmax", description = "minmax, percentile, entropy or mse (static; default ${DEFAULT-VALUE}).")
    String calibrator;
    @Option(names = "--per-channel", negatable = true, description = "Per-channel weight scales (default: on for dynamic and static).")
    Boolean perChannel;
    @Option(names = "--qdq-fusion", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Static: let ONNX Runtime fuse QDQ into QLinear ops (faster, less exact; default on).")
    boolean qdqFusion;
    @Option(names = "--reduce-range", description = "7-bit weights, for CPUs without VNNI.") boolean reduceRange;
    @Option(names = "--smooth", paramLabel = "ALPHA",
            description = "Dynamic: SmoothQuant migration strength in [0, 1] (0 = off), channel maxima from --calibration (or seeded synthetic inputs).")
    Float smooth;
    @Option(names = "--gptq", negatable = true,
            description = "Dynamic, int8-weight, int4: round MatMul/Gemm weights with GPTQ's error compensation, from input statistics over "
                    + "--calibration (required); default: on when --calibration is given for these modes.")
    Boolean gptq;
    @Option(names = "--unsigned-weights", description = "uint8 asymmetric weights instead of int8 symmetric (dynamic).") boolean unsignedWeights;
    @Option(names = "--block-size", description = "INT4 block size: 32, 64 or 128 (default 32); NF4 absmax block: 16, 32, 64, 128 or 256 (default 64).")
    Integer blockSize;
    @Option(names = "--asymmetric", description = "INT4 blocks with zero points.") boolean asymmetric;
    @Option(names = "--exclude", split = ",", paramLabel = "NAME|OP", description = "Node names or op types to keep in float.") List<String> exclude = List.of();
    @Option(names = "--include", split = ",", paramLabel = "NAME|OP", description = "Quantize only these node names or op types.") List<String> include = List.of();
    @Option(names = "--keep-float", split = ",", paramLabel = "OP", description = "FP16: op types kept in FP32 (replaces the default block list).")
    List<String> keepFloat;
    @Option(names = "--min-fidelity", paramLabel = "COSINE", description = "Fail (exit 2) when an output's mean cosine to the original is lower.")
    Double minFidelity;
    @Option(names = "--external-data", paramLabel = "BYTES", description = "Put tensors of at least this many bytes in OUT.data.")
    Long externalData;
    @Option(names = "--timed-runs", defaultValue = "5", description = "Timed runs of each model for the latency comparison (default ${DEFAULT-VALUE}).")
    int timedRuns;
    @Option(names = "--json", description = "Print the report as JSON.") boolean json;

    @Override public Integer call() throws Exception {
        Path input = ModelAliases.resolve(model);
        OnnxQuantizeOptions o = options();
        List<Map<String, HostTensor>> batches = List.of();
        if (calibration != null) {
            if (!Files.isRegularFile(calibration)) throw new SquintException(calibration + ": no such calibration file");
            try (OnnxModel m = OnnxReader.open(input)) {
                batches = CalibrationData.load(calibration, m.graph(), tokenizerFor(input), calibrationSize, batchSize);
            }
        }
        OnnxQuantizer.Result r = OnnxQuantizer.quantize(input, out, o, batches, timedRuns);
        PrintWriter pw = spec.commandLine().getOut();
        if (json) pw.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(toJson(input, o, r)));
        else pw.print(text(input, o, r));
        pw.flush();
        double worst = r.verification().worstCosine();
        if (minFidelity != null && !(worst >= minFidelity)) {
            throw new SquintException(String.format(Locale.ROOT, "fidelity %.5f is below --min-fidelity %.5f; %s was written but does not meet it",
                    worst, minFidelity, out));
        }
        return 0;
    }

    private Path tokenizerFor(Path input) {
        if (tokenizer != null) return tokenizer;
        String stem = input.getFileName().toString().replaceFirst("\\.onnx$", "");
        for (Path p : List.of(input.resolveSibling("tokenizer.json"), input.resolveSibling(stem + "-tokenizer.json"))) {
            if (Files.isRegularFile(p)) return p;
        }
        return null;
    }

    OnnxQuantizeOptions options() {
        Mode m;
        try {
            m = Mode.valueOf(mode.toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            throw new SquintException("--mode must be fp16, dynamic, static, int4, int8-weight or nf4, not '" + mode + "'");
        }
        Calibrator c = switch (calibrator.toLowerCase(Locale.ROOT).replace("-", "").replace("_", "")) {
            case "minmax" -> Calibrator.MIN_MAX;
            case "percentile" -> Calibrator.PERCENTILE;
            case "entropy", "kl" -> Calibrator.ENTROPY;
            case "mse" -> Calibrator.MSE;
            default -> throw new SquintException("--calibrator must be minmax, percentile, entropy or mse, not '" + calibrator + "'");
        };
        if (blockSize != null) {
            boolean ok = m == Mode.NF4 ? Set.of(16, 32, 64, 128, 256).contains(blockSize) : Set.of(32, 64, 128).contains(blockSize);
            if (!ok) throw new SquintException(m == Mode.NF4 ? "--block-size for nf4 must be 16, 32, 64, 128 or 256" : "--block-size must be 32, 64 or 128");
        }
        if (m == Mode.NF4 && asymmetric) throw new SquintException("--asymmetric does not apply to nf4 (absmax-scaled, symmetric by definition)");
        if (m == Mode.INT8_WEIGHT && (unsignedWeights || reduceRange)) {
            throw new SquintException("--unsigned-weights and --reduce-range are for dynamic INT8; int8-weight stores symmetric int8");
        }
        if (calibrationSize < 1 || batchSize < 1) throw new SquintException("--calibration-size and --batch-size must be positive");
        OnnxQuantizeOptions o = OnnxQuantizeOptions.of(m).withReduceRange(reduceRange).withSignedWeights(!unsignedWeights)
                .withSymmetric(!asymmetric).withCalibrator(c)
                .withInclude(new LinkedHashSet<>(include)).withExclude(new LinkedHashSet<>(exclude)).withFuseQdq(qdqFusion);
        if (blockSize != null) o = o.withBlockSize(blockSize);
        if (smooth != null) {
            if (m != Mode.DYNAMIC) throw new SquintException("--smooth applies to --mode dynamic only");
            if (!(smooth >= 0 && smooth <= 1)) throw new SquintException("--smooth must be in [0, 1], not " + smooth);
            o = o.withSmoothing(smooth);
        }
        boolean gptqMode = m == Mode.DYNAMIC || m == Mode.INT8_WEIGHT || m == Mode.INT4;
        if (Boolean.TRUE.equals(gptq)) {
            if (!gptqMode) throw new SquintException("--gptq applies to --mode dynamic, int8-weight and int4, not " + modeName(m));
            if (calibration == null) {
                throw new SquintException("--gptq needs calibration data: add --calibration FILE (sentences with the model's tokenizer.json, "
                        + "or .npy/.npz/.safetensors tensors named after the graph inputs)");
            }
        }
        // GPTQ is the default whenever calibration data is given: on held-out sentences it was closer to FP32 than
        // round-to-nearest for all three modes (bench/onnx-quantize-minilm.md).
        o = o.withGptq(gptq != null ? gptq : gptqMode && calibration != null);
        if (perChannel != null) o = o.withPerChannel(perChannel);
        if (keepFloat != null) o = o.withFp16KeepFloat(Set.copyOf(keepFloat));
        if (externalData != null) o = o.withExternalDataThreshold(externalData);
        return o;
    }

    private String text(Path input, OnnxQuantizeOptions o, OnnxQuantizer.Result r) {
        StringBuilder sb = new StringBuilder();
        OnnxVerification v = r.verification();
        sb.append(String.format(Locale.ROOT, "%s -> %s (%s)%n", input.getFileName(), r.output(), modeName(o.mode())));
        sb.append(String.format(Locale.ROOT, "size: %,d -> %,d bytes (%.1f%%)%n", r.inputBytes(), r.outputBytes(), 100.0 * r.outputBytes() / r.inputBytes()));
        OnnxQuantizeReport rep = r.report();
        sb.append(String.format(Locale.ROOT, "quantized: %d nodes; kept in float: %d%n", rep.quantizedCount(), rep.keptFloat().size()));
        // Grouped by op type and reason (a transformer repeats the same reason dozens of times); --json lists every node.
        Map<String, List<String>> groups = new LinkedHashMap<>();
        for (OnnxQuantizeReport.Entry e : rep.keptFloat()) {
            String reason = e.detail().replaceAll("'[^']*'", "'…'");
            groups.computeIfAbsent(e.opType() + ": " + reason, k -> new java.util.ArrayList<>()).add(e.node());
        }
        groups.forEach((k, nodes) -> sb.append("  float  ").append(k).append(" — ").append(nodes.size() == 1 ? nodes.getFirst()
                : nodes.size() + " nodes, e.g. " + nodes.getFirst()).append('\n'));
        for (String n : rep.notes()) sb.append("note: ").append(n).append('\n');
        if (v.problems().isEmpty()) sb.append("ONNX Runtime: loads and runs; outputs keep their names, types and shapes\n");
        else for (String p : v.problems()) sb.append("PROBLEM: ").append(p).append('\n');
        v.fidelity().forEach((name, f) -> sb.append(String.format(Locale.ROOT, "fidelity %s: cosine %.5f (worst sample %.5f), max abs error %.4g%s%n",
                name, f.cosine(), f.minCosine(), f.maxAbsError(), Double.isNaN(f.top1()) ? "" : String.format(Locale.ROOT, ", top-1 agreement %.1f%%", 100 * f.top1()))));
        sb.append(String.format(Locale.ROOT, "latency: %.2f ms -> %.2f ms per run (%d samples); throughput %.1f -> %.1f samples/s%n",
                v.originalMs(), v.quantizedMs(), v.samplesPerRun(), v.throughputOriginal(), v.throughputQuantized()));
        if (v.slower()) sb.append(String.format(Locale.ROOT, "SLOWER: the quantized model runs %.0f%% slower than the original in ONNX Runtime on this machine%n",
                100 * (v.quantizedMs() / v.originalMs() - 1)));
        if (minFidelity != null && !(v.worstCosine() >= minFidelity)) sb.append(String.format(Locale.ROOT, "BELOW --min-fidelity %.5f%n", minFidelity));
        return sb.toString();
    }

    /** The mode as --mode spells it (int8-weight, nf4, ...). */
    static String modeName(Mode m) {
        return m.toString().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    private Map<String, Object> toJson(Path input, OnnxQuantizeOptions o, OnnxQuantizer.Result r) {
        Map<String, Object> m = new LinkedHashMap<>();
        OnnxVerification v = r.verification();
        m.put("input", input.toString());
        m.put("output", r.output().toString());
        m.put("mode", modeName(o.mode()));
        m.put("inputBytes", r.inputBytes());
        m.put("outputBytes", r.outputBytes());
        m.put("nodes", r.report().entries());
        m.put("notes", r.report().notes());
        Map<String, Object> ver = new LinkedHashMap<>();
        ver.put("problems", v.problems());
        ver.put("fidelity", v.fidelity());
        ver.put("originalMs", v.originalMs());
        ver.put("quantizedMs", v.quantizedMs());
        ver.put("samplesPerRun", v.samplesPerRun());
        ver.put("slower", v.slower());
        ver.put("belowMinFidelity", minFidelity != null && !(v.worstCosine() >= minFidelity));
        m.put("verification", ver);
        return m;
    }
}
