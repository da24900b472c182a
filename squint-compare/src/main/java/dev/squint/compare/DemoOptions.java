package dev.squint.compare;

import dev.squint.core.SquintException;
import dev.squint.report.VerdictPolicy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What {@code squint demo} runs, validated.
 *
 * @param model        the FP32 ONNX export to start from (all-MiniLM-L6-v2 from Maven Central), with its
 *                     tokenizer.json (or {@code <name>-tokenizer.json}) beside it
 * @param reference    an outside int8 ONNX of the same model to measure alongside (the langchain4j {@code -q}
 *                     model, ONNX Runtime's own quantize_dynamic output); required only for that row
 * @param out          folder the rows' files are written to (created if missing)
 * @param threads      threads for ONNX Runtime (intra-op) and squint's engine alike
 * @param sts          an STS-benchmark file for Spearman correlation, if given
 * @param stsPairs     use only the first N pairs of the STS file (0: all)
 * @param sentences    one sentence a line to measure fidelity and speed on; empty: the built-in corpus
 * @param rows         rows to produce, FP32 (the base) first
 * @param speedSeconds least wall-clock seconds each row's speed is timed over
 * @param policy       the thresholds the verdicts under the table are computed with
 */
public record DemoOptions(Path model, Optional<Path> reference, Path out, int threads, Optional<Path> sts, int stsPairs,
                          Optional<Path> sentences, List<DemoRow> rows, double speedSeconds, VerdictPolicy policy) {
    public static final int DEFAULT_STS_PAIRS = 200;
    public static final double DEFAULT_SPEED_SECONDS = 2.0;

    public DemoOptions {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(out, "out");
        reference = reference == null ? Optional.empty() : reference;
        sts = sts == null ? Optional.empty() : sts;
        sentences = sentences == null ? Optional.empty() : sentences;
        if (!Files.isRegularFile(model)) throw new SquintException(model + ": no such model file");
        if (Files.exists(out) && !Files.isDirectory(out)) throw new SquintException(out + ": is a file; --out takes a folder");
        if (threads < 1) throw new SquintException("--threads must be at least 1, got " + threads);
        if (stsPairs < 0) throw new SquintException("--sts-pairs must be 0 (all) or more, got " + stsPairs);
        sts.ifPresent(f -> {
            if (!Files.isRegularFile(f)) throw new SquintException(f + ": no such STS file");
        });
        sentences.ifPresent(f -> {
            if (!Files.isRegularFile(f)) throw new SquintException(f + ": no such sentences file");
        });
        if (!(speedSeconds > 0) || speedSeconds > 600) throw new SquintException("--seconds must be in (0, 600], got " + speedSeconds);
        Objects.requireNonNull(policy, "policy");
        rows = List.copyOf(rows);
        if (rows.isEmpty() || rows.getFirst() != DemoRow.FP32) throw new IllegalArgumentException("the FP32 base must be the first row: " + rows);
    }

    /** Every row, the built-in sentences, all processors, no STS. */
    public static DemoOptions of(Path model, Optional<Path> reference, Path out) {
        return new DemoOptions(model, reference, out, Runtime.getRuntime().availableProcessors(), Optional.empty(), DEFAULT_STS_PAIRS,
                Optional.empty(), List.of(DemoRow.values()), DEFAULT_SPEED_SECONDS, VerdictPolicy.defaults());
    }

    public DemoOptions withRows(List<DemoRow> r) {
        return new DemoOptions(model, reference, out, threads, sts, stsPairs, sentences, r, speedSeconds, policy);
    }

    public DemoOptions withThreads(int n) {
        return new DemoOptions(model, reference, out, n, sts, stsPairs, sentences, rows, speedSeconds, policy);
    }

    public DemoOptions withSts(Path file, int pairs) {
        return new DemoOptions(model, reference, out, threads, Optional.of(file), pairs, sentences, rows, speedSeconds, policy);
    }

    public DemoOptions withSentences(Path file) {
        return new DemoOptions(model, reference, out, threads, sts, stsPairs, Optional.of(file), rows, speedSeconds, policy);
    }

    public DemoOptions withPolicy(VerdictPolicy p) {
        return new DemoOptions(model, reference, out, threads, sts, stsPairs, sentences, rows, speedSeconds, p);
    }

    public DemoOptions withSpeedSeconds(double s) {
        return new DemoOptions(model, reference, out, threads, sts, stsPairs, sentences, rows, s, policy);
    }
}
