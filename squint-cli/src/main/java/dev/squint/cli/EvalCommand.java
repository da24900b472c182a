package dev.squint.cli;

import dev.squint.core.SquintException;
import dev.squint.engine.llama.Decoder;
import dev.squint.engine.llama.LlamaSession;
import dev.squint.engine.llama.PerplexityEval;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code squint eval MODEL --perplexity FILE}: perplexity and KL divergence of a decoder, as llama-perplexity. */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = {"Measure a decoder on a text: perplexity (llama.cpp's method), and KL divergence against a base model.",
                "",
                "The text is tokenized whole with BOS, cut into chunks of --ctx tokens (each starting with BOS); the second "
                        + "half of each chunk is scored. --kl-divergence-base saves the base model's log-probabilities; "
                        + "--kl-divergence compares another model (e.g. a quantized one) with them.",
                ""},
        footer = {"", "Examples:", "  squint eval f32.gguf --perplexity wiki.txt --ctx 256",
                "  squint eval f32.gguf --perplexity wiki.txt --kl-divergence-base base.kld",
                "  squint eval q4_0.gguf --perplexity wiki.txt --kl-divergence base.kld --json"})
final class EvalCommand implements Callable<Integer> {

    /** What {@code eval} was asked to do, validated. */
    record Options(Path model, Path text, int ctx, boolean json, Path klBase, Path klCompare, int threads,
                   boolean dynamic, Path tokenizer) {
        Options {
            if (klBase != null && klCompare != null) {
                throw new SquintException("use --kl-divergence-base (save) or --kl-divergence (compare), not both");
            }
            if (ctx < 4) throw new SquintException("--ctx must be at least 4, got " + ctx);
        }
    }

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL", description = "GGUF file, Hugging Face folder or llama2.c checkpoint.")
    String model;

    @Option(names = "--perplexity", required = true, paramLabel = "FILE", description = "Text file to score.")
    Path text;

    @Option(names = "--ctx", defaultValue = "512", description = "Chunk length in tokens (default ${DEFAULT-VALUE}).")
    int ctx;

    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    @Option(names = "--kl-divergence-base", paramLabel = "OUT", description = "Save this model's log-probabilities to OUT.")
    Path klBase;

    @Option(names = "--kl-divergence", paramLabel = "BASE", description = "Compare with log-probabilities saved in BASE.")
    Path klCompare;

    @Option(names = "--threads", description = "Threads (default: available processors).")
    Integer threads;

    @Option(names = "--dynamic", description = "W8A8: re-quantize weights to Q8_0 on load and quantize activations per token.")
    boolean dynamic;

    @Option(names = "--tokenizer", description = "tokenizer.json or llama2.c tokenizer.bin (default: the model's own).")
    Path tokenizer;

    @Override public Integer call() {
        Options o = new Options(ModelAliases.resolve(model), text, ctx, json, klBase, klCompare,
                threads != null ? threads : Runtime.getRuntime().availableProcessors(), dynamic, tokenizer);
        String content;
        try {
            content = Files.readString(o.text(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new SquintException("cannot read " + o.text() + ": " + e.getMessage());
        }
        PrintWriter out = spec.commandLine().getOut();
        try (Decoder d = Decoder.open(o.model(), o.tokenizer(), o.dynamic());
             LlamaSession s = d.model().newSession(o.ctx(), o.threads())) {
            int[] tokens = d.tokenizeForEval(content);
            int chunks = PerplexityEval.chunks(tokens, o.ctx());
            try (Progress progress = o.json() ? Progress.quiet() : Progress.start("perplexity", chunks)) {
                java.util.function.IntConsumer step = i -> progress.step();
                if (o.klCompare() != null) {
                    PerplexityEval.KlResult r = PerplexityEval.compare(s, tokens, o.ctx(), d.bos(), o.klCompare(), step);
                    out.print(o.json() ? klJson(o, tokens.length, r) : klText(r));
                } else {
                    PerplexityEval.Result r = o.klBase() != null
                            ? PerplexityEval.saveBase(s, tokens, o.ctx(), d.bos(), o.klBase(), step)
                            : PerplexityEval.perplexity(s, tokens, o.ctx(), d.bos(), step);
                    out.print(o.json() ? pplJson(o, tokens.length, r) : pplText(r));
                }
            }
        }
        out.flush();
        return 0;
    }

    private static String pplText(PerplexityEval.Result r) {
        return String.format(Locale.ROOT, "chunks %d of %d tokens, %d tokens scored%nPPL = %.4f +/- %.5f%n",
                r.chunks(), r.ctx(), r.tokensScored(), r.ppl(), r.pplError());
    }

    private static String pplJson(Options o, int tokens, PerplexityEval.Result r) {
        return String.format(Locale.ROOT, "{\"model\": %s, \"text_tokens\": %d, \"ctx\": %d, \"chunks\": %d, \"tokens_scored\": %d, "
                        + "\"ppl\": %.6f, \"ppl_error\": %.6f}%n",
                quote(o.model().toString()), tokens, r.ctx(), r.chunks(), r.tokensScored(), r.ppl(), r.pplError());
    }

    private static String klText(PerplexityEval.KlResult k) {
        PerplexityEval.Result r = k.ppl();
        return String.format(Locale.ROOT, """
                chunks %d of %d tokens, %d tokens scored
                Mean PPL(Q)        : %.4f +/- %.5f
                Mean PPL(base)     : %.4f
                PPL ratio          : %.4f
                Mean KLD           : %.6f +/- %.6f
                Maximum KLD        : %.6f
                99.9%%   KLD        : %.6f
                99.0%%   KLD        : %.6f
                95.0%%   KLD        : %.6f
                90.0%%   KLD        : %.6f
                Median KLD         : %.6f
                10.0%%   KLD        : %.6f
                 5.0%%   KLD        : %.6f
                 1.0%%   KLD        : %.6f
                Minimum KLD        : %.6f
                Same top p         : %.3f +/- %.3f %%
                """, r.chunks(), r.ctx(), r.tokensScored(), r.ppl(), r.pplError(), k.basePpl(), k.pplRatio(),
                k.meanKld(), k.kldError(), k.maxKld(), k.p999(), k.p99(), k.p95(), k.p90(), k.median(), k.p10(), k.p5(),
                k.p1(), k.minKld(), k.sameTopPercent(), k.sameTopError());
    }

    private static String klJson(Options o, int tokens, PerplexityEval.KlResult k) {
        PerplexityEval.Result r = k.ppl();
        return String.format(Locale.ROOT, "{\"model\": %s, \"text_tokens\": %d, \"ctx\": %d, \"chunks\": %d, \"tokens_scored\": %d, "
                        + "\"ppl\": %.6f, \"ppl_error\": %.6f, \"base_ppl\": %.6f, \"ppl_ratio\": %.6f, \"kld_mean\": %.8f, "
                        + "\"kld_error\": %.8f, \"kld_max\": %.8f, \"kld_p99_9\": %.8f, \"kld_p99\": %.8f, \"kld_p95\": %.8f, "
                        + "\"kld_p90\": %.8f, \"kld_median\": %.8f, \"kld_p10\": %.8f, \"kld_p5\": %.8f, \"kld_p1\": %.8f, "
                        + "\"kld_min\": %.8f, \"same_top_percent\": %.4f, \"same_top_error\": %.4f}%n",
                quote(o.model().toString()), tokens, r.ctx(), r.chunks(), r.tokensScored(), r.ppl(), r.pplError(),
                k.basePpl(), k.pplRatio(), k.meanKld(), k.kldError(), k.maxKld(), k.p999(), k.p99(), k.p95(), k.p90(),
                k.median(), k.p10(), k.p5(), k.p1(), k.minKld(), k.sameTopPercent(), k.sameTopError());
    }

    static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') b.append('\\').append(c);
            else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        return b.append('"').toString();
    }
}
