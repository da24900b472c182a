package dev.squint.compare;

import dev.squint.core.SquintException;
import dev.squint.engine.llama.Decoder;
import dev.squint.engine.llama.LlamaSession;
import dev.squint.engine.llama.PerplexityEval;
import dev.squint.report.FormatRow;
import dev.squint.report.Metric;
import dev.squint.report.Metric.Direction;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Decoders compared as {@code llama-perplexity} compares them: every model scores the same text in the same
 * chunks ({@link PerplexityEval}); the base's log-probabilities are saved once to a temporary file (llama.cpp's
 * {@code --kl-divergence-base}) and each candidate is measured against them (mean KL divergence, its 99th
 * percentile, the share of positions with the same top token, the PPL ratio). Speed: generation tokens/s from an
 * empty cache (the headline, as {@code llama-bench}'s {@code tg}), and prompt tokens/s of the perplexity pass.
 *
 * <p>Quality kept is {@code PPL(base) / PPL}: 1.0 for no loss, below 1 as the candidate predicts the text worse.
 */
final class DecoderComparison {
    static final String QUALITY_HEADLINE = "1 / perplexity on the text (PPL(base) / PPL)";
    /** Tokens per generation run from an empty cache (llama-bench's tg default is 128). */
    static final int GENERATION_TOKENS = 128;

    private DecoderComparison() {}


    static ComparisonOutcome run(CompareOptions o, CompareProgress progress) {
        if (o.text() == null) {
            throw new SquintException("comparing decoders needs --text FILE: a plain text scored for perplexity and KL divergence "
                    + "(e.g. a few hundred KB of the kind of text the model is for)");
        }
        String content;
        try {
            content = Files.readString(o.text(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new SquintException("cannot read " + o.text() + ": " + e.getMessage());
        }
        Path tmpDir;
        try {
            tmpDir = Files.createTempDirectory("squint-compare-");
        } catch (IOException e) {
            throw new SquintException("cannot create a temporary folder for the base log-probabilities: " + e.getMessage());
        }
        Path baseLogProbs = tmpDir.resolve("base.kld");
        // Ctrl-C skips the finally below; the JVM's shutdown hook still removes these (file first, then its folder)
        tmpDir.toFile().deleteOnExit();
        baseLogProbs.toFile().deleteOnExit();
        try {
            List<FormatRow> rows = new ArrayList<>();
            Map<String, String> env = new LinkedHashMap<>();
            long baseParams = 0;
            int[] baseTokens = null;
            int baseVocab = 0;
            double basePpl = Double.NaN;
            for (Path path : o.models()) {
                boolean isBase = rows.isEmpty();
                String name = Compare.rowName(path);
                CompareFiles files = CompareFiles.of(path);
                if (isBase) baseParams = files.parameters();
                Compare.settle();
                boolean memory = PeakMemory.reset();
                try (Decoder d = Decoder.open(path, null, false); LlamaSession s = d.model().newSession(o.ctx(), o.threads())) {
                    int vocab = d.model().config().vocab();
                    int[] tokens = d.tokenizeForEval(content);
                    if (o.limit() > 0 && tokens.length > (long) o.limit() * o.ctx()) tokens = Arrays.copyOf(tokens, o.limit() * o.ctx());
                    if (isBase) {
                        baseTokens = tokens;
                        baseVocab = vocab;
                    } else {
                        sameVocabulary(o.base(), path, baseVocab, vocab, baseTokens, tokens);
                    }
                    int chunks = PerplexityEval.chunks(tokens, o.ctx());
                    progress.model(name, chunks + 1L);
                    List<Metric> quality = new ArrayList<>();
                    List<String> notes = new ArrayList<>();
                    long t0 = System.nanoTime();
                    double ppl;
                    if (isBase) {
                        PerplexityEval.Result r = PerplexityEval.saveBase(s, tokens, o.ctx(), d.bos(), baseLogProbs, i -> progress.step());
                        ppl = basePpl = r.ppl();
                        quality.add(metric("perplexity", "PPL", r.ppl(), Direction.LOWER));
                        quality.add(metric("perplexity_error", "PPL ±", r.pplError(), Direction.LOWER));
                        // a model compared with itself: zero divergence and the same top token everywhere, by definition
                        quality.add(metric("ppl_ratio", "PPL ratio", 1.0, Direction.LOWER));
                        quality.add(metric("kld_mean", "mean KLD", 0.0, Direction.LOWER));
                        quality.add(metric("kld_p99", "KLD 99 %", 0.0, Direction.LOWER));
                        quality.add(new Metric("same_top", "same top token", 100.0, Direction.HIGHER, "%"));
                        env.put("text", o.text().getFileName() + ": " + tokens.length + " tokens" + (o.limit() > 0 ? " (--limit " + o.limit() + " chunks)" : "")
                                + ", " + chunks + " chunks of " + o.ctx()
                                + ", " + r.tokensScored() + " scored (llama-perplexity's method)");
                    } else {
                        PerplexityEval.KlResult k = PerplexityEval.compare(s, tokens, o.ctx(), d.bos(), baseLogProbs, i -> progress.step());
                        ppl = k.ppl().ppl();
                        quality.add(metric("perplexity", "PPL", ppl, Direction.LOWER));
                        quality.add(metric("perplexity_error", "PPL ±", k.ppl().pplError(), Direction.LOWER));
                        quality.add(metric("ppl_ratio", "PPL ratio", k.pplRatio(), Direction.LOWER));
                        quality.add(metric("kld_mean", "mean KLD", k.meanKld(), Direction.LOWER));
                        quality.add(metric("kld_p99", "KLD 99 %", k.p99(), Direction.LOWER));
                        quality.add(new Metric("same_top", "same top token", k.sameTopPercent(), Direction.HIGHER, "%"));
                        notes.add(String.format(Locale.ROOT, "mean KLD %.6f ± %.6f, same top %.2f ± %.2f %%", k.meanKld(), k.kldError(),
                                k.sameTopPercent(), k.sameTopError()));
                    }
                    double evalSeconds = (System.nanoTime() - t0) / 1e9;
                    double promptPerSecond = (double) chunks * o.ctx() / evalSeconds;
                    int gen = Math.min(GENERATION_TOKENS, o.ctx());
                    ThroughputTimer.Result tg = ThroughputTimer.measure(() -> generate(s, gen, d.bos(), vocab), gen, o.benchSeconds(), 1);
                    progress.step();
                    notes.addFirst(String.format(Locale.ROOT, "prompt processing %.0f tokens/s (the perplexity pass, batches of %d)",
                            promptPerSecond, o.ctx()));
                    long peak = memory ? PeakMemory.peakBytes().orElse(-1) : -1;
                    rows.add(new FormatRow(name, files.format(), "squint engine, " + o.threads() + " threads", Optional.of(path.toString()),
                            files.fileBytes(), files.bitsPerWeight(baseParams), basePpl / ppl, quality, tg.itemsPerSecond(), peak,
                            notes, false));
                } finally {
                    progress.modelDone();
                }
            }
            env.put("throughput", "generation tokens/s: " + Math.min(GENERATION_TOKENS, o.ctx())
                    + " greedy single-token steps from an empty cache, repeated for at least " + o.benchSeconds() + " s after a warm-up");
            return new ComparisonOutcome(rows, env, QUALITY_HEADLINE, "tokens/s");
        } finally {
            try {
                Files.deleteIfExists(baseLogProbs);
                Files.deleteIfExists(tmpDir);
            } catch (IOException e) {
                // a leftover temp file is not worth failing a finished comparison over
            }
        }
    }

    private static Metric metric(String key, String label, double value, Direction better) {
        return new Metric(key, label, value, better, "");
    }

    /** One generation run: {@code n} single-token greedy steps from an empty cache, starting at BOS. */
    private static void generate(LlamaSession s, int n, int bos, int vocab) {
        s.reset();
        int[] one = {bos};
        for (int i = 0; i < n; i++) {
            float[] logits = s.forward(one, 0, 1, false);
            int best = 0;
            for (int v = 1; v < vocab; v++) if (logits[v] > logits[best]) best = v;
            one[0] = best;
        }
    }

    /** A KL divergence needs the same vocabulary and the same tokens; the error says where they part. */
    static void sameVocabulary(Path base, Path candidate, int baseVocab, int vocab, int[] baseTokens, int[] tokens) {
        if (baseVocab != vocab) {
            throw new SquintException(candidate + " has a vocabulary of " + vocab + " tokens, the base " + base + " " + baseVocab
                    + "; compare models that share a tokenizer");
        }
        int n = Math.min(baseTokens.length, tokens.length);
        for (int i = 0; i < n; i++) {
            if (baseTokens[i] != tokens[i]) {
                throw new SquintException(candidate + " tokenizes the text differently from the base " + base + " (first at token " + i
                        + "); compare models that share a tokenizer");
            }
        }
        if (baseTokens.length != tokens.length) {
            throw new SquintException(candidate + " tokenizes the text into " + tokens.length + " tokens, the base " + base + " into "
                    + baseTokens.length + "; compare models that share a tokenizer");
        }
    }
}
