package dev.squint.cli;

import dev.squint.core.SquintException;
import dev.squint.core.Model;
import dev.squint.engine.llama.LlamaModel;
import dev.squint.formats.ModelOpener;
import dev.squint.engine.llama.LlamaBench;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code squint bench MODEL}: prompt-processing and generation speed, as llama-bench, with memory bandwidth. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Measure a decoder's speed: prompt processing (pp) and generation (tg) tokens/s, mean +/- sd over --reps,",
                "the machine's memory read bandwidth, and the share of it generation reaches (weight bytes per token x tg tokens/s).",
                ""},
        footer = {"", "Example:", "  squint bench model.gguf --threads 2 -p 128 -n 32 --reps 3"})
final class BenchCommand implements Callable<Integer> {

    /** What {@code bench} was asked to do, validated. */
    record Options(Path model, int threads, int prompt, int gen, int reps, boolean json, boolean dynamic) {
        Options {
            if (threads < 1 || prompt < 0 || gen < 0 || reps < 1 || prompt + gen == 0) {
                throw new SquintException("bench needs --threads >= 1, -p >= 0, -n >= 0 (not both 0) and --reps >= 1");
            }
        }
    }

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL", description = "GGUF file, Hugging Face folder or llama2.c checkpoint.")
    String model;

    @Option(names = "--threads", description = "Threads (default: available processors).")
    Integer threads;

    @Option(names = "-p", defaultValue = "128", description = "Prompt tokens (default ${DEFAULT-VALUE}).")
    int prompt;

    @Option(names = "-n", defaultValue = "32", description = "Generated tokens (default ${DEFAULT-VALUE}).")
    int gen;

    @Option(names = {"-r", "--reps"}, defaultValue = "3", description = "Repetitions (default ${DEFAULT-VALUE}).")
    int reps;

    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    @Option(names = "--dynamic", description = "W8A8: re-quantize weights to Q8_0 on load and quantize activations per token.")
    boolean dynamic;

    @Override public Integer call() {
        Options o = new Options(ModelAliases.resolve(model), threads != null ? threads : Runtime.getRuntime().availableProcessors(),
                prompt, gen, reps, json, dynamic);
        PrintWriter out = spec.commandLine().getOut();
        try (Model file = ModelOpener.open(o.model()); LlamaModel m = LlamaModel.load(file, o.dynamic())) { // no tokenizer needed
            LlamaBench.Result r = LlamaBench.run(m, o.threads(), o.prompt(), o.gen(), o.reps(), 1234);
            if (o.json()) {
                out.printf(Locale.ROOT, "{\"model\": %s, \"threads\": %d, \"dynamic\": %b, \"pp_tokens\": %d, \"tg_tokens\": %d, \"reps\": %d, "
                                + "\"pp_tps\": %.3f, \"pp_sd\": %.3f, \"tg_tps\": %.3f, \"tg_sd\": %.3f, \"weight_bytes_per_token\": %d, "
                                + "\"bandwidth_bytes_per_s\": %.0f, \"tg_bandwidth_fraction\": %.4f}%n",
                        EvalCommand.quote(o.model().toString()), r.threads(), o.dynamic(), r.promptTokens(), r.genTokens(), r.reps(),
                        r.ppMean(), r.ppSd(), r.tgMean(), r.tgSd(), r.weightBytesPerToken(), r.bandwidthBytesPerSecond(),
                        r.bandwidthFraction());
            } else {
                out.printf(Locale.ROOT, "threads %d%s, %d reps%n", r.threads(), o.dynamic() ? ", dynamic W8A8" : "", r.reps());
                if (r.promptTokens() > 0) out.printf(Locale.ROOT, "pp%d: %.2f +/- %.2f tokens/s%n", r.promptTokens(), r.ppMean(), r.ppSd());
                if (r.genTokens() > 0) out.printf(Locale.ROOT, "tg%d: %.2f +/- %.2f tokens/s%n", r.genTokens(), r.tgMean(), r.tgSd());
                out.printf(Locale.ROOT, "memory read bandwidth: %.2f GB/s; generation reads %.2f MB of weights per token = %.1f%% of it%n",
                        r.bandwidthBytesPerSecond() / 1e9, r.weightBytesPerToken() / 1e6, 100 * r.bandwidthFraction());
            }
        }
        out.flush();
        return 0;
    }
}
