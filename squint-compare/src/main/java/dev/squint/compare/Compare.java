package dev.squint.compare;

import dev.squint.core.SquintException;
import dev.squint.report.ComparisonReport;
import dev.squint.report.FormatRow;
import dev.squint.report.VerdictPolicy;
import dev.squint.report.Verdicts;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code squint compare}: a base model and its other forms measured on the same data in one run — quality against
 * the base, file size, bits per weight, throughput and peak memory per model — as a {@link ComparisonReport} whose
 * first row is the base. The kind of comparison follows the base ({@link CompareKind}); every candidate must be of
 * the same kind.
 */
public final class Compare {
    private Compare() {}

    /** Measures every model of {@code options}; verdicts under {@link VerdictPolicy#defaults()}. */
    public static ComparisonReport run(CompareOptions options, CompareProgress progress) {
        return run(options, progress, VerdictPolicy.defaults());
    }

    /** Measures every model of {@code options} and computes the verdicts under {@code policy}. */
    public static ComparisonReport run(CompareOptions options, CompareProgress progress, VerdictPolicy policy) {
        CompareKind kind = CompareKind.common(options.models(), options.inputs() != null);
        refuseOptionsOtherKindsTake(kind, options);
        ComparisonOutcome out = switch (kind) {
            case DECODER -> DecoderComparison.run(options, progress);
            case ENCODER -> EncoderComparison.run(options, progress);
            case ONNX_GRAPH -> OnnxGraphComparison.run(options, progress);
        };
        Map<String, String> env = new LinkedHashMap<>(out.environment());
        env.putAll(machine(options));
        String base = rowName(options.base());
        String title = "squint compare: " + base + " and " + options.candidates().size() + " other form"
                + (options.candidates().size() == 1 ? "" : "s");
        ComparisonReport report = new ComparisonReport(title, base, kind.reportName(), out.qualityHeadline(), out.throughputUnit(), out.rows(), List.of(), env);
        return Verdicts.withComputedVerdicts(report, policy);
    }

    /** Data options of another kind would be silently ignored: say so instead. */
    static void refuseOptionsOtherKindsTake(CompareKind kind, CompareOptions o) {
        Map<String, Boolean> given = new LinkedHashMap<>();
        given.put("--text", o.text() != null && kind != CompareKind.DECODER);
        given.put("--sts", o.sts() != null && kind != CompareKind.ENCODER);
        given.put("--sentences", o.sentences() != null && kind != CompareKind.ENCODER);
        given.put("--inputs", o.inputs() != null && kind != CompareKind.ONNX_GRAPH);
        for (var e : given.entrySet()) {
            if (e.getValue()) {
                throw new SquintException(e.getKey() + " does not apply: " + o.base() + " is " + kind.article() + " ("
                        + switch (kind) {
                            case DECODER -> "decoders take --text FILE";
                            case ENCODER -> "encoders take --sentences FILE and/or --sts FILE";
                            case ONNX_GRAPH -> "ONNX graphs take --inputs FILE";
                        } + ")");
            }
        }
    }

    /** A row's name: the file (or folder) name. */
    static String rowName(Path p) {
        Path name = p.toAbsolutePath().normalize().getFileName();
        return name == null ? p.toString() : name.toString();
    }

    /**
     * Lets the previous model's memory go before the next one is measured: a full collection, so the peak-memory
     * figure of a row starts from what is actually live.
     */
    static void settle() {
        System.gc();
    }

    /** Where and when it was measured, and how busy the machine was (timings on a loaded machine are noisy). */
    static Map<String, String> machine(CompareOptions o) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("machine", Runtime.getRuntime().availableProcessors() + " processors, " + System.getProperty("os.name") + " "
                + System.getProperty("os.arch"));
        env.put("threads", Integer.toString(o.threads()));
        env.put("jvm", "Java " + Runtime.version() + " (" + System.getProperty("java.vm.name") + ")");
        env.put("date", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
        try {
            String[] load = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            env.put("load average", String.format(Locale.ROOT, "%s %s %s (1, 5, 15 min) at the end", load[0], load[1], load[2]));
        } catch (IOException | RuntimeException e) {
            // not Linux: no load figure
        }
        if (!PeakMemory.reset()) env.put("peak memory", "not measured (no writable /proc/self/clear_refs)");
        else env.put("peak memory", "peak resident set (VmHWM) while the row's model was loaded and measured");
        return env;
    }
}
