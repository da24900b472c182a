package dev.squint.compare;

import dev.squint.core.SquintException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * What {@code squint compare} was asked to do, validated: a base model, the candidates measured against it, and
 * the data each kind of model is measured on.
 *
 * @param base         the reference model (first row of the report)
 * @param candidates   the other forms, in the order given (at least one)
 * @param text         decoders: a plain text scored for perplexity and KL divergence
 * @param sts          encoders: an STS-benchmark file (tab-separated; Spearman/Pearson with the gold scores)
 * @param sentences    encoders: one sentence a line, for cosine and retrieval agreement with the base
 * @param inputs       ONNX graphs: tensors named after the graph inputs (.npy, .npz, safetensors)
 * @param threads      threads for squint's engines (ONNX Runtime picks its own)
 * @param ctx          decoders: chunk length in tokens (llama-perplexity's {@code -c})
 * @param limit        use at most this many sentences, STS pairs, input samples or (decoders) chunks; 0 = all
 * @param benchSeconds minimum timed seconds per model for the throughput figure
 * @param squintEngine encoders: run ONNX files in squint's engine rather than ONNX Runtime where it can load them
 */
public record CompareOptions(Path base, List<Path> candidates, Path text, Path sts, Path sentences, Path inputs,
                             int threads, int ctx, int limit, double benchSeconds, boolean squintEngine) {
    public CompareOptions {
        if (base == null) throw new SquintException("give the BASE model and at least one CANDIDATE");
        candidates = candidates == null ? List.of() : List.copyOf(candidates);
        if (candidates.isEmpty()) throw new SquintException("give at least one CANDIDATE to compare with " + base);
        if (candidates.contains(base)) throw new SquintException(base + " is both the base and a candidate");
        if (threads < 1) throw new SquintException("--threads must be at least 1, got " + threads);
        if (ctx < 4) throw new SquintException("--ctx must be at least 4, got " + ctx);
        if (limit < 0) throw new SquintException("--limit must not be negative, got " + limit);
        if (limit == 1) throw new SquintException("--limit must be at least 2 (or 0 for all)");
        if (!(benchSeconds > 0) || benchSeconds > 3600) throw new SquintException("--bench-seconds must be in (0, 3600], got " + benchSeconds);
        mustExist("--text", text);
        mustExist("--sts", sts);
        mustExist("--sentences", sentences);
        mustExist("--inputs", inputs);
    }

    private static void mustExist(String option, Path p) {
        if (p != null && !Files.isRegularFile(p)) throw new SquintException(option + " " + p + ": no such file");
    }

    /** Defaults for everything but the models and the data: all processors, context 512, no limit, 2 s timing. */
    public static CompareOptions of(Path base, List<Path> candidates) {
        return new CompareOptions(base, candidates, null, null, null, null, Runtime.getRuntime().availableProcessors(), 512, 0, 2.0, false);
    }

    public CompareOptions withText(Path file) {
        return new CompareOptions(base, candidates, file, sts, sentences, inputs, threads, ctx, limit, benchSeconds, squintEngine);
    }

    public CompareOptions withSts(Path file) {
        return new CompareOptions(base, candidates, text, file, sentences, inputs, threads, ctx, limit, benchSeconds, squintEngine);
    }

    public CompareOptions withSentences(Path file) {
        return new CompareOptions(base, candidates, text, sts, file, inputs, threads, ctx, limit, benchSeconds, squintEngine);
    }

    public CompareOptions withInputs(Path file) {
        return new CompareOptions(base, candidates, text, sts, sentences, file, threads, ctx, limit, benchSeconds, squintEngine);
    }

    public CompareOptions withThreads(int n) {
        return new CompareOptions(base, candidates, text, sts, sentences, inputs, n, ctx, limit, benchSeconds, squintEngine);
    }

    public CompareOptions withCtx(int n) {
        return new CompareOptions(base, candidates, text, sts, sentences, inputs, threads, n, limit, benchSeconds, squintEngine);
    }

    public CompareOptions withLimit(int n) {
        return new CompareOptions(base, candidates, text, sts, sentences, inputs, threads, ctx, n, benchSeconds, squintEngine);
    }

    public CompareOptions withBenchSeconds(double s) {
        return new CompareOptions(base, candidates, text, sts, sentences, inputs, threads, ctx, limit, s, squintEngine);
    }

    public CompareOptions withSquintEngine(boolean on) {
        return new CompareOptions(base, candidates, text, sts, sentences, inputs, threads, ctx, limit, benchSeconds, on);
    }

    /** Every model, base first. */
    public List<Path> models() {
        return java.util.stream.Stream.concat(java.util.stream.Stream.of(base), candidates.stream()).toList();
    }
}
