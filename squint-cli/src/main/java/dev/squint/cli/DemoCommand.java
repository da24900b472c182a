package dev.squint.cli;

import dev.squint.compare.Demo;
import dev.squint.compare.DemoListener;
import dev.squint.compare.DemoOptions;
import dev.squint.compare.DemoRow;
import dev.squint.core.SquintException;
import dev.squint.report.FormatRow;
import dev.squint.report.Reports;
import dev.squint.report.VerdictPolicy;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

/** {@code squint demo}: all-MiniLM-L6-v2 in every format squint writes, each written, run and measured in one go. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"The main job: take all-MiniLM-L6-v2 (from Maven Central) and write it in every format squint can — "
                + "FP16, BF16, INT8 weight-only, INT8 dynamic, INT8 static, INT4, NF4 (ONNX) and GGUF Q8_0, Q5_K_M, Q4_K_M, Q4_0 — "
                + "then run each file in the runtime that would deploy it (ONNX Runtime for ONNX, squint's engine for GGUF) "
                + "beside the FP32 original and ONNX Runtime's own int8 model (-q), and measure on the same sentences: "
                + "size on disk, bits per weight, fidelity to FP32 (cosine of embeddings, top-10 retrieval agreement), "
                + "STS Spearman (with --sts), sentences/s at batch 32 and peak memory. Prints the table and advice computed from it.",
                "",
                "A row that fails is shown with its reason and the others still run.",
                ""},
        footer = {"", "Examples:", "  squint demo", "  squint demo --out /tmp/minilm --threads 2 --markdown demo.md --html demo.html",
                "  squint demo --rows fp16,int8-dynamic,q4_k_m --sts sts-test.csv",
                "Exit codes: 0 every row measured; 3 some rows failed (each is in the table with its reason); 2 bad input."})
final class DemoCommand implements Callable<Integer> {
    /** Exit code when the demo ran but some rows could not be measured. */
    static final int EXIT_ROWS_FAILED = 3;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "squint-demo", description = "Folder for the files written (default ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--threads", description = "Threads for ONNX Runtime and squint's engine alike (default: all processors).")
    Integer threads;

    @Option(names = "--sts", paramLabel = "FILE", description = "STS-benchmark file (tab-separated: genre, file, year, id, score, sentence 1, sentence 2) for Spearman correlation.")
    Path sts;

    @Option(names = "--sts-pairs", paramLabel = "N", defaultValue = "" + DemoOptions.DEFAULT_STS_PAIRS,
            description = "With --sts: use the first N pairs, 0 for all (default ${DEFAULT-VALUE}; squint's engine runs ~30-60 sentences/s).")
    int stsPairs;

    @Option(names = "--sentences", paramLabel = "FILE", description = "One sentence a line to measure on (default: 240 built-in sentences in 20 topics).")
    Path sentences;

    @Option(names = "--rows", paramLabel = "LIST", defaultValue = "all", description = "all, or some of: ${COMPLETION-CANDIDATES}. FP32 always runs (default ${DEFAULT-VALUE}).",
            completionCandidates = RowNames.class)
    String rows;

    @Option(names = "--seconds", paramLabel = "S", defaultValue = "" + DemoOptions.DEFAULT_SPEED_SECONDS,
            description = "Least seconds each row's speed is timed over (default ${DEFAULT-VALUE}).")
    double seconds;

    @Option(names = "--memory-budget", paramLabel = "MB", description = "Also answer: which row to pick when at most this many MB (10^6 bytes) of peak memory are available.")
    Double memoryBudget;

    @CommandLine.Mixin ReportOptions reports;

    @Option(names = "--model", paramLabel = "MODEL", defaultValue = "all-minilm-l6-v2", hidden = true,
            description = "FP32 BERT ONNX export to start from (tokenizer.json beside it).")
    String model;

    @Override public Integer call() {
        Path base = ModelAliases.resolve(model);
        Optional<Path> reference = model.equals("all-minilm-l6-v2") ? referenceModel() : Optional.empty();
        VerdictPolicy policy = VerdictPolicy.defaults();
        if (memoryBudget != null) {
            if (!(memoryBudget > 0)) throw new SquintException("--memory-budget must be a positive number of MB, got " + memoryBudget);
            policy = policy.withMemoryBudget((long) (memoryBudget * 1e6));
        }
        DemoOptions o = new DemoOptions(base, reference, out, threads == null ? Runtime.getRuntime().availableProcessors() : threads,
                Optional.ofNullable(sts), stsPairs, Optional.ofNullable(sentences), DemoRow.parse(rows), seconds, policy);
        Demo.Result r;
        try (ProgressListener listener = new ProgressListener()) {
            r = Demo.run(o, listener);
        }
        PrintWriter pw = spec.commandLine().getOut();
        pw.print(Reports.terminal(r.report()));
        pw.flush();
        reports.write(r.report(), pw, List.of(base));
        PrintWriter err = spec.commandLine().getErr();
        r.failures().forEach((row, why) -> err.println("squint demo: " + row.label() + " failed: " + why));
        err.flush();
        return r.complete() ? 0 : EXIT_ROWS_FAILED;
    }

    private static Optional<Path> referenceModel() {
        try {
            Path q = ModelAliases.resolve("all-minilm-l6-v2-q");
            return Files.isRegularFile(q) ? Optional.of(q) : Optional.empty();
        } catch (RuntimeException e) {
            return Optional.empty(); // the -q row then fails with its reason
        }
    }

    /** Row names for --help. */
    static final class RowNames implements Iterable<String> {
        @Override public java.util.Iterator<String> iterator() {
            return java.util.Arrays.stream(DemoRow.values()).map(DemoRow::cliName).iterator();
        }
    }

    /** A progress bar over the rows' estimated costs, with the current row and step as its message (quiet in pipes and CI). */
    private static final class ProgressListener implements DemoListener, AutoCloseable {
        private Progress progress = Progress.quiet();

        @Override public void planned(List<DemoRow> rows) {
            progress = Progress.start("squint demo", rows.stream().mapToInt(DemoRow::cost).sum());
        }

        @Override public void step(DemoRow row, String what) {
            progress.message(row.label() + ": " + what);
        }

        @Override public void finished(DemoRow row, FormatRow result, String failure) {
            progress.stepBy(row.cost());
        }

        @Override public void close() { progress.close(); }
    }
}
