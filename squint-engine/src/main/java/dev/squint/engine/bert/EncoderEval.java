package dev.squint.engine.bert;

import dev.squint.core.SquintException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.function.Function;

/**
 * Quality measures of sentence embeddings: STS-benchmark correlation with human scores, and the
 * fidelity of one model's embeddings to another's (a quantized model to its base).
 */
public final class EncoderEval {
    private EncoderEval() {}

    /** One STS pair with its gold similarity (0–5). */
    public record StsPair(String first, String second, double gold) {}

    /** Spearman and Pearson correlation of cosine similarity with the gold scores. */
    public record StsResult(int pairs, double spearman, double pearson) {}

    /**
     * Fidelity of {@code other} to {@code base} on the same sentences.
     *
     * @param retrievalAgreement mean over sentences of |top-k neighbours in base ∩ top-k in other| / k,
     *                           neighbours by cosine among the other sentences (self excluded)
     */
    public record Fidelity(int sentences, double meanCosine, double minCosine, int k, double retrievalAgreement) {}

    /**
     * Reads an STS-benchmark file: tab-separated genre, file, year, id, score, sentence 1, sentence 2
     * (extra trailing fields, as some lines of the official files carry, are ignored). Lines with
     * fewer fields or a score that is not a number are faults naming the line.
     */
    public static List<StsPair> readSts(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new SquintException("cannot read STS file " + file + ": " + e.getMessage());
        }
        List<StsPair> out = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isBlank()) continue;
            String[] f = line.split("\t", -1);
            if (f.length < 7) throw new SquintException(file + " line " + (i + 1) + ": expected 7 tab-separated fields, found " + f.length);
            double gold;
            try {
                gold = Double.parseDouble(f[4].trim());
            } catch (NumberFormatException e) {
                throw new SquintException(file + " line " + (i + 1) + ": score '" + f[4] + "' is not a number");
            }
            out.add(new StsPair(f[5], f[6], gold));
        }
        if (out.isEmpty()) throw new SquintException(file + ": no STS pairs");
        return out;
    }

    /** Reads one sentence per non-blank line. */
    public static List<String> readSentences(Path file) {
        try {
            List<String> out = Files.readAllLines(file, StandardCharsets.UTF_8).stream().filter(s -> !s.isBlank()).toList();
            if (out.isEmpty()) throw new SquintException(file + ": no sentences");
            return out;
        } catch (IOException e) {
            throw new SquintException("cannot read " + file + ": " + e.getMessage());
        }
    }

    /** Embeds both sides of every pair with {@code embed} (called on lists of sentences) and correlates. */
    public static StsResult sts(List<StsPair> pairs, Function<List<String>, float[][]> embed) {
        float[][] a = embed.apply(pairs.stream().map(StsPair::first).toList());
        float[][] b = embed.apply(pairs.stream().map(StsPair::second).toList());
        double[] cos = new double[pairs.size()], gold = new double[pairs.size()];
        for (int i = 0; i < cos.length; i++) {
            cos[i] = cosine(a[i], b[i]);
            gold[i] = pairs.get(i).gold();
        }
        return new StsResult(pairs.size(), spearman(cos, gold), pearson(cos, gold));
    }

    public static Fidelity fidelity(float[][] base, float[][] other, int k) {
        if (base.length != other.length) throw new IllegalArgumentException(base.length + " base embeddings, " + other.length + " others");
        int n = base.length;
        double sum = 0, min = Double.POSITIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            double c = cosine(base[i], other[i]);
            sum += c;
            min = Math.min(min, c);
        }
        int kk = Math.min(k, n - 1);
        double agreement = 0;
        if (kk > 0) {
            for (int i = 0; i < n; i++) {
                var x = new LinkedHashSet<>(topK(base, i, kk));
                int overlap = 0;
                for (int j : topK(other, i, kk)) if (x.contains(j)) overlap++;
                agreement += (double) overlap / kk;
            }
            agreement /= n;
        } else {
            agreement = 1;
        }
        return new Fidelity(n, n == 0 ? 0 : sum / n, n == 0 ? 0 : min, kk, agreement);
    }

    /** The {@code k} sentences most cosine-similar to sentence {@code i} (itself excluded), ties to the lower index. */
    static List<Integer> topK(float[][] e, int i, int k) {
        Integer[] idx = new Integer[e.length];
        double[] sim = new double[e.length];
        for (int j = 0; j < e.length; j++) {
            idx[j] = j;
            sim[j] = j == i ? Double.NEGATIVE_INFINITY : cosine(e[i], e[j]);
        }
        Arrays.sort(idx, Comparator.<Integer>comparingDouble(j -> -sim[j]).thenComparingInt(j -> j));
        return Arrays.asList(idx).subList(0, k);
    }

    public static double cosine(float[] a, float[] b) {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        return na == 0 || nb == 0 ? 0 : dot / Math.sqrt(na * nb);
    }

    public static double pearson(double[] x, double[] y) {
        int n = x.length;
        double mx = 0, my = 0;
        for (int i = 0; i < n; i++) {
            mx += x[i];
            my += y[i];
        }
        mx /= n;
        my /= n;
        double sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < n; i++) {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
            syy += (y[i] - my) * (y[i] - my);
        }
        return sxx == 0 || syy == 0 ? 0 : sxy / Math.sqrt(sxx * syy);
    }

    /** Spearman's rank correlation: Pearson of the ranks, tied values sharing their mean rank. */
    public static double spearman(double[] x, double[] y) {
        return pearson(ranks(x), ranks(y));
    }

    static double[] ranks(double[] v) {
        Integer[] idx = new Integer[v.length];
        for (int i = 0; i < v.length; i++) idx[i] = i;
        Arrays.sort(idx, Comparator.comparingDouble(i -> v[i]));
        double[] r = new double[v.length];
        for (int i = 0; i < v.length; ) {
            int j = i;
            while (j + 1 < v.length && v[idx[j + 1]] == v[idx[i]]) j++;
            double mean = (i + j) / 2.0 + 1;
            for (int t = i; t <= j; t++) r[idx[t]] = mean;
            i = j + 1;
        }
        return r;
    }

    /** One row of the format table: STS quality of a format and its fidelity to FP32 on the same sentences. */
    public record FormatRow(WeightFormat format, String storedAs, long projectionBytes, StsResult sts,
                            double meanCosineToFp32, double minCosineToFp32) {}

    /**
     * Converts {@code base}'s projections to each format in memory and measures it on {@code pairs}:
     * Spearman/Pearson against the gold scores, and cosine of every sentence embedding to FP32's.
     */
    public static List<FormatRow> formatTable(BertEncoder base, List<StsPair> pairs, List<WeightFormat> formats, int batch,
                                              java.util.function.Consumer<FormatRow> progress) {
        List<String> sentences = new ArrayList<>();
        for (StsPair p : pairs) sentences.add(p.first());
        for (StsPair p : pairs) sentences.add(p.second());
        float[][] reference = base.embedAll(sentences, batch);
        List<FormatRow> rows = new ArrayList<>();
        for (WeightFormat f : formats) {
            BertWeights w = f.apply(base.weights());
            try {
                BertEncoder enc = base.withWeights(w);
                float[][] e = f == WeightFormat.FP32 ? reference : enc.embedAll(sentences, batch);
                double[] cos = new double[pairs.size()], gold = new double[pairs.size()];
                for (int i = 0; i < pairs.size(); i++) {
                    cos[i] = cosine(e[i], e[i + pairs.size()]);
                    gold[i] = pairs.get(i).gold();
                }
                Fidelity fid = fidelity(reference, e, 0);
                java.util.Set<String> kinds = new java.util.TreeSet<>();
                for (BertWeights.Layer l : w.layers()) for (Dense d : l.projections()) kinds.add(d.kind());
                FormatRow row = new FormatRow(f, String.join("+", kinds), w.projectionBytes(),
                        new StsResult(pairs.size(), spearman(cos, gold), pearson(cos, gold)), fid.meanCosine(), fid.minCosine());
                rows.add(row);
                if (progress != null) progress.accept(row);
            } finally {
                if (f != WeightFormat.FP32) w.close();
            }
        }
        return rows;
    }
}
