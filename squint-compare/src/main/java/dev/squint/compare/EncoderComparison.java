package dev.squint.compare;

import dev.squint.core.SquintException;
import dev.squint.engine.bert.EncoderEval;
import dev.squint.report.FormatRow;
import dev.squint.report.Metric;
import dev.squint.report.Metric.Direction;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Sentence encoders compared on the same sentences: the base's embeddings are computed once and kept; each
 * candidate's are compared with them ({@link EncoderEval#fidelity}: mean and minimum cosine, agreement of each
 * sentence's top-10 neighbours), and with {@code --sts} every model's STS Spearman and Pearson are measured against
 * the gold scores. Speed: sentences/s at batch 32. Quality kept is the mean cosine to the base.
 */
final class EncoderComparison {
    static final String QUALITY_HEADLINE = "mean cosine similarity of the sentence embeddings";
    static final int BATCH = 32;
    static final int RETRIEVAL_K = 10;
    /** Sentences whose token ids must match between models (the tokenizer check). */
    private static final int TOKENIZER_CHECK_SENTENCES = 32;
    /** Sentences in one timed throughput call (two batches of 32). */
    private static final int TIMED_SENTENCES = 64;

    private EncoderComparison() {}


    static ComparisonOutcome run(CompareOptions o, CompareProgress progress) {
        if (o.sentences() == null && o.sts() == null) {
            throw new SquintException("comparing sentence encoders needs --sentences FILE (one sentence a line) or --sts FILE "
                    + "(an STS-benchmark file), or both");
        }
        List<EncoderEval.StsPair> pairs = o.sts() == null ? null : limit(EncoderEval.readSts(o.sts()), o.limit());
        List<String> sentences;
        if (o.sentences() != null) {
            sentences = limit(EncoderEval.readSentences(o.sentences()), o.limit());
        } else {
            sentences = new ArrayList<>();
            pairs.forEach(p -> sentences.add(p.first()));
            pairs.forEach(p -> sentences.add(p.second()));
        }
        if (sentences.size() < 2) throw new SquintException("comparing encoders needs at least 2 sentences");
        boolean stsSeparate = pairs != null && o.sentences() != null;
        List<String> stsSentences = new ArrayList<>();
        if (stsSeparate) {
            pairs.forEach(p -> stsSentences.add(p.first()));
            pairs.forEach(p -> stsSentences.add(p.second()));
        }
        List<String> checked = sentences.subList(0, Math.min(TOKENIZER_CHECK_SENTENCES, sentences.size()));
        List<String> timed = sentences.subList(0, Math.min(TIMED_SENTENCES, sentences.size()));

        List<FormatRow> rows = new ArrayList<>();
        float[][] baseEmbeddings = null;
        List<int[]> baseIds = null;
        long baseParams = 0;
        for (Path path : o.models()) {
            boolean isBase = rows.isEmpty();
            String name = Compare.rowName(path);
            CompareFiles files = CompareFiles.of(path);
            if (isBase) baseParams = files.parameters();
            long steps = batches(sentences.size()) + (stsSeparate ? batches(stsSentences.size()) : 0) + 1;
            progress.model(name, steps);
            Compare.settle();
            boolean memory = PeakMemory.reset();
            try (EncoderRunner runner = EncoderRunner.open(path, o.threads(), o.squintEngine())) {
                List<int[]> ids = checked.stream().map(runner::tokenIds).toList();
                if (isBase) baseIds = ids;
                else sameTokenizer(o.base(), path, checked, baseIds, ids);
                float[][] e = embed(runner, sentences, progress);
                if (isBase) baseEmbeddings = e;
                else if (e[0].length != baseEmbeddings[0].length) {
                    throw new SquintException(path + " gives " + e[0].length + "-dimensional embeddings, the base " + o.base() + " "
                            + baseEmbeddings[0].length + "; compare forms of one model");
                }
                List<Metric> quality = new ArrayList<>();
                List<String> notes = new ArrayList<>();
                double meanCosine;
                if (isBase) {
                    // the base against itself: identical embeddings, by definition
                    meanCosine = 1;
                    quality.add(new Metric("cosine_mean", "cosine to base", 1, Direction.HIGHER, ""));
                    quality.add(new Metric("cosine_min", "min cosine", 1, Direction.HIGHER, ""));
                    quality.add(new Metric("retrieval_top10", "top-" + RETRIEVAL_K + " retrieval agreement", 1, Direction.HIGHER, ""));
                } else {
                    EncoderEval.Fidelity f = EncoderEval.fidelity(baseEmbeddings, e, RETRIEVAL_K);
                    meanCosine = f.meanCosine();
                    quality.add(new Metric("cosine_mean", "cosine to base", f.meanCosine(), Direction.HIGHER, ""));
                    quality.add(new Metric("cosine_min", "min cosine", f.minCosine(), Direction.HIGHER, ""));
                    quality.add(new Metric("retrieval_top10", "top-" + f.k() + " retrieval agreement", f.retrievalAgreement(),
                            Direction.HIGHER, ""));
                }
                if (pairs != null) {
                    float[][] s = stsSeparate ? embed(runner, stsSentences, progress) : e;
                    EncoderEval.StsResult r = sts(pairs, s);
                    quality.add(new Metric("sts_spearman", "STS Spearman", r.spearman(), Direction.HIGHER, ""));
                    quality.add(new Metric("sts_pearson", "STS Pearson", r.pearson(), Direction.HIGHER, ""));
                }
                ThroughputTimer.Result speed = ThroughputTimer.measure(() -> runner.embed(timed, BATCH), timed.size(), o.benchSeconds(), 1);
                progress.step();
                long peak = memory ? PeakMemory.peakBytes().orElse(-1) : -1;
                rows.add(new FormatRow(name, files.format(), runner.runtime(), Optional.of(path.toString()), files.fileBytes(),
                        files.bitsPerWeight(baseParams), meanCosine, quality, speed.itemsPerSecond(), peak, notes, false));
            } finally {
                progress.modelDone();
            }
        }
        Map<String, String> env = new LinkedHashMap<>();
        env.put("sentences", sentences.size() + (o.sentences() != null ? " from " + o.sentences().getFileName()
                : " (both sides of the STS pairs)") + "; retrieval agreement: overlap of each sentence's top-" + RETRIEVAL_K
                + " neighbours by cosine");
        if (pairs != null) env.put("sts", pairs.size() + " pairs from " + o.sts().getFileName());
        boolean ort = rows.stream().anyMatch(r -> r.runtime().startsWith("ONNX Runtime"));
        env.put("throughput", String.format(Locale.ROOT, "sentences/s at batch %d over %d sentences, repeated for at least %s s after a warm-up%s",
                BATCH, timed.size(), o.benchSeconds(), ort ? "; ONNX Runtime chooses its own thread count" : ""));
        return new ComparisonOutcome(rows, env, QUALITY_HEADLINE, "sentences/s");
    }

    private static long batches(int n) { return (n + BATCH - 1) / BATCH; }

    private static float[][] embed(EncoderRunner runner, List<String> texts, CompareProgress progress) {
        float[][] out = new float[texts.size()][];
        for (int from = 0; from < texts.size(); from += BATCH) {
            List<String> part = texts.subList(from, Math.min(texts.size(), from + BATCH));
            float[][] e = runner.embed(part, BATCH);
            System.arraycopy(e, 0, out, from, e.length);
            progress.step();
        }
        return out;
    }

    /** STS from embeddings of all first sentences followed by all second sentences. */
    private static EncoderEval.StsResult sts(List<EncoderEval.StsPair> pairs, float[][] e) {
        int n = pairs.size();
        double[] cos = new double[n], gold = new double[n];
        for (int i = 0; i < n; i++) {
            cos[i] = EncoderEval.cosine(e[i], e[n + i]);
            gold[i] = pairs.get(i).gold();
        }
        return new EncoderEval.StsResult(n, EncoderEval.spearman(cos, gold), EncoderEval.pearson(cos, gold));
    }

    private static <T> List<T> limit(List<T> all, int limit) {
        return limit > 0 && limit < all.size() ? all.subList(0, limit) : all;
    }

    static void sameTokenizer(Path base, Path candidate, List<String> sentences, List<int[]> baseIds, List<int[]> ids) {
        for (int i = 0; i < sentences.size(); i++) {
            if (!Arrays.equals(baseIds.get(i), ids.get(i))) {
                throw new SquintException(candidate + " tokenizes sentence " + (i + 1) + " differently from the base " + base
                        + "; compare models that share a tokenizer");
            }
        }
    }
}
