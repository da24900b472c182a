package dev.squint.cli;

import dev.squint.compare.Compare;
import dev.squint.compare.CompareOptions;
import dev.squint.compare.CompareProgress;
import dev.squint.core.SquintException;
import dev.squint.report.ComparisonReport;
import dev.squint.report.Reports;
import dev.squint.report.VerdictPolicy;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code squint compare BASE CANDIDATE...}: the comparison table and verdicts for the user's own models. */
@Command(name = "compare", mixinStandardHelpOptions = true,
        description = {"Measure a base model and its other forms (quantized, converted) on the same data, in one run: quality "
                + "against the base, file size, bits per weight, speed and peak memory per model, and advice computed from them.",
                "",
                "The base decides the kind; every candidate must be of the same kind and share its tokenizer:",
                "  decoders (GGUF llama/mistral/qwen2/qwen3, llama2.c .bin, Hugging Face folders), --text FILE: perplexity "
                        + "(llama-perplexity's method), mean KL divergence to the base, same top token %%, generation tokens/s",
                "  sentence encoders (ONNX, GGUF bert, Hugging Face BertModel folders), --sentences FILE and/or --sts FILE: cosine "
                        + "to the base's embeddings, top-10 retrieval agreement, STS Spearman/Pearson, sentences/s at batch 32. "
                        + "ONNX files run in ONNX Runtime, the others in squint's engine",
                "  ONNX graphs (anything ONNX Runtime runs), --inputs FILE (.npy/.npz/safetensors named after the graph inputs): "
                        + "output cosine, max abs error, top-1 agreement, samples/s",
                ""},
        footer = {"", "Examples:",
                "  squint compare f32.gguf q8_0.gguf q4_k_m.gguf --text wiki.txt --ctx 256",
                "  squint compare all-minilm-l6-v2 all-minilm-l6-v2-q minilm-q8_0.gguf --sts sts-test.csv --limit 500 --html report.html",
                "  squint compare cnn.onnx cnn-int8.onnx --inputs images.npz --markdown report.md"})
final class CompareCommand implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "BASE", description = "The reference model: file, folder or alias.")
    String base;

    @Parameters(index = "1..*", arity = "1..*", paramLabel = "CANDIDATE", description = "Models to measure against BASE.")
    List<String> candidates;

    @Option(names = "--text", paramLabel = "FILE", description = "Decoders: plain text scored for perplexity and KL divergence.")
    Path text;

    @Option(names = "--sts", paramLabel = "FILE", description = "Encoders: STS-benchmark file (tab-separated, score in column 5).")
    Path sts;

    @Option(names = "--sentences", paramLabel = "FILE", description = "Encoders: one sentence a line.")
    Path sentences;

    @Option(names = "--inputs", paramLabel = "FILE", description = "ONNX graphs: .npy, .npz or safetensors tensors named after the graph inputs.")
    Path inputs;

    @Option(names = "--threads", paramLabel = "N", description = "Threads for squint's engines (default: all processors).")
    Integer threads;

    @Option(names = "--ctx", paramLabel = "N", defaultValue = "512", description = "Decoders: chunk length in tokens (default ${DEFAULT-VALUE}).")
    int ctx;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "0", description = "Use only the first N sentences, STS pairs, input samples or text chunks (default: all).")
    int limit;

    @Option(names = "--bench-seconds", paramLabel = "S", defaultValue = "2", description = "Minimum timed seconds per model for the speed figure (default ${DEFAULT-VALUE}).")
    double benchSeconds;

    @Option(names = "--memory-budget", paramLabel = "MB", description = "Also answer: which model to pick when at most this many MB "
            + "(10^6 bytes) of peak memory are available.")
    Double memoryBudget;

    @CommandLine.Mixin ReportOptions reports;

    @Option(names = "--squint-engine", description = "Encoders: run ONNX files in squint's engine instead of ONNX Runtime "
            + "(graphs it cannot load, such as int8 exports, still run in ONNX Runtime).")
    boolean squintEngine;

    @Override public Integer call() {
        CompareOptions o = new CompareOptions(ModelAliases.resolve(base), candidates.stream().map(ModelAliases::resolve).toList(),
                text, sts, sentences, inputs, threads != null ? threads : Runtime.getRuntime().availableProcessors(), ctx, limit, benchSeconds, squintEngine);
        VerdictPolicy policy = VerdictPolicy.defaults();
        if (memoryBudget != null) {
            if (!(memoryBudget > 0)) throw new SquintException("--memory-budget must be a positive number of MB, got " + memoryBudget);
            policy = policy.withMemoryBudget((long) (memoryBudget * 1e6));
        }
        ComparisonReport report;
        try (BarPerModel progress = new BarPerModel()) {
            report = Compare.run(o, progress, policy);
        }
        PrintWriter out = spec.commandLine().getOut();
        out.print(Reports.terminal(report));
        out.flush();
        List<Path> readFiles = new ArrayList<>(o.models());
        for (Path p : new Path[] {text, sts, sentences, inputs}) if (p != null) readFiles.add(p);
        reports.write(report, out, readFiles);
        return 0;
    }

    /** A progress bar per model, on a terminal only ({@link Progress}). */
    static final class BarPerModel implements CompareProgress, AutoCloseable {
        private Progress bar = Progress.quiet();

        @Override public void model(String name, long steps) {
            bar.close();
            bar = Progress.start(name, steps);
        }

        @Override public void step() { bar.step(); }

        @Override public void modelDone() {
            bar.close();
            bar = Progress.quiet();
        }

        @Override public void close() { bar.close(); }
    }
}
