package dev.squint.engine.llama;

import dev.squint.core.AtomicOutput;
import dev.squint.core.SquintException;

import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.BufferedInputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * Perplexity and KL divergence as llama.cpp's {@code llama-perplexity} computes them.
 *
 * <p><b>Method.</b> The whole text is tokenized once with BOS in front. It is cut into
 * {@code tokens / ctx} chunks of {@code ctx} tokens (the remainder is dropped); each chunk's first token
 * is replaced by BOS and the chunk runs as one causal batch. Only the second half is scored: the logits
 * at positions {@code ctx/2 .. ctx-2} predict the tokens after them ({@code ctx/2 - 1} per chunk). With
 * {@code nll} the mean negative log-likelihood, {@code PPL = exp(nll)} and its error is
 * {@code PPL · sqrt((mean(nll²) - nll²) / (count - 1))}, llama.cpp's formula.
 *
 * <p><b>KL divergence.</b> {@link #saveBase} writes the base model's log-probabilities of every scored
 * position to a file (format below); {@link #compare} reruns the same chunks on another model and reports
 * the mean KL divergence {@code Σ p_base · (log p_base − log p)} with its percentiles, the PPL ratio and the
 * share of positions where both models rank the same token first.
 *
 * <p><b>Base file format</b> (little-endian): the 8 ASCII bytes {@code SQKLDv01}; int32 vocab, int32 ctx,
 * int32 chunks, int32 token count; the text's tokens (int32 × count, so a comparison can prove it saw the
 * same text); then, per scored position in chunk order, {@code vocab} float32 log-probabilities.
 */
public final class PerplexityEval {
    private static final byte[] MAGIC = "SQKLDv01".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private PerplexityEval() {}

    /** Perplexity over {@code chunks} chunks; {@code tokensScored} = chunks × (ctx/2 − 1). */
    public record Result(int chunks, int ctx, long tokensScored, double ppl, double pplError, double meanNll) {}

    /** KL divergence of a model against saved base log-probabilities, as llama.cpp reports it. */
    public record KlResult(Result ppl, double basePpl, double pplRatio, double meanKld, double kldError,
                           double maxKld, double p999, double p99, double p95, double p90, double median,
                           double p10, double p5, double p1, double minKld, double sameTopPercent,
                           double sameTopError) {}

    /** Listens to progress: called with the number of chunks done. */
    public static final IntConsumer QUIET = i -> {};

    /** Chunks of {@code tokens} a run of context {@code ctx} evaluates. */
    public static int chunks(int[] tokens, int ctx) {
        if (ctx < 4) throw new SquintException("--ctx must be at least 4, got " + ctx);
        int n = tokens.length / ctx;
        if (n < 1) {
            throw new SquintException("the text has " + tokens.length + " tokens, fewer than one context of " + ctx
                    + "; use a longer text or a smaller --ctx");
        }
        return n;
    }

    /** Perplexity of {@code session}'s model on {@code tokens} (BOS-prefixed text), llama.cpp's way. */
    public static Result perplexity(LlamaSession session, int[] tokens, int ctx, int bos, IntConsumer progress) {
        return run(session, tokens, ctx, bos, progress, null, null);
    }

    /** Runs perplexity and writes the base log-probabilities for a later {@link #compare}. */
    public static Result saveBase(LlamaSession session, int[] tokens, int ctx, int bos, Path out, IntConsumer progress) {
        int vocab = session.model().config().vocab();
        int chunks = chunks(tokens, ctx);
        try (AtomicOutput o = AtomicOutput.create(out, List.of(session.model().sourcePath()))) {
            DataOutputStream d = new DataOutputStream(new BufferedOutputStream(o.stream(), 1 << 16));
            d.write(MAGIC);
            ByteBuffer head = ByteBuffer.allocate(16 + 4 * tokens.length).order(ByteOrder.LITTLE_ENDIAN);
            head.putInt(vocab).putInt(ctx).putInt(chunks).putInt(tokens.length);
            for (int t : tokens) head.putInt(t);
            d.write(head.array());
            ByteBuffer row = ByteBuffer.allocate(4 * vocab).order(ByteOrder.LITTLE_ENDIAN);
            Result r = run(session, tokens, ctx, bos, progress, (lp) -> {
                row.clear();
                for (float f : lp) row.putFloat(f);
                try {
                    d.write(row.array());
                } catch (IOException e) {
                    throw new SquintException("cannot write " + out + ": " + e.getMessage());
                }
            }, null);
            d.flush();
            o.commit();
            return r;
        } catch (IOException e) {
            throw new SquintException("cannot write " + out + ": " + e.getMessage());
        }
    }

    /** Compares {@code session}'s model with the base log-probabilities in {@code base}. */
    public static KlResult compare(LlamaSession session, int[] tokens, int ctx, int bos, Path base, IntConsumer progress) {
        int vocab = session.model().config().vocab();
        int chunks = chunks(tokens, ctx);
        try (InputStream in = new BufferedInputStream(Files.newInputStream(base), 1 << 16)) {
            DataInputStream d = new DataInputStream(in);
            byte[] magic = new byte[MAGIC.length];
            d.readFully(magic);
            if (!Arrays.equals(magic, MAGIC)) throw new SquintException(base + ": not a squint KL-divergence base file (bad magic)");
            ByteBuffer h = ByteBuffer.wrap(d.readNBytes(16)).order(ByteOrder.LITTLE_ENDIAN);
            int bVocab = h.getInt(), bCtx = h.getInt(), bChunks = h.getInt(), bCount = h.getInt();
            if (bVocab != vocab || bCtx != ctx || bChunks != chunks || bCount != tokens.length) {
                throw new SquintException(base + ": made with vocab " + bVocab + ", ctx " + bCtx + ", " + bChunks + " chunks, "
                        + bCount + " tokens; this run has vocab " + vocab + ", ctx " + ctx + ", " + chunks + " chunks, "
                        + tokens.length + " tokens (use the same text, --ctx and vocabulary)");
            }
            ByteBuffer tb = ByteBuffer.wrap(d.readNBytes(4 * bCount)).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < bCount; i++) {
                if (tb.getInt() != tokens[i]) throw new SquintException(base + ": its text tokenizes differently at token " + i + "; use the same text");
            }
            int per = ctx / 2 - 1;
            double[] klds = new double[chunks * per];
            double[] sums = new double[6]; // base nll, base nll², kld², same-top count, ln ratio sum, ln ratio²
            int[] idx = {0};
            float[] baseRow = new float[vocab];
            byte[] raw = new byte[4 * vocab];
            Result r = run(session, tokens, ctx, bos, progress, null, (lp, target) -> {
                try {
                    d.readFully(raw);
                } catch (IOException e) {
                    throw new SquintException(base + ": truncated (" + e.getMessage() + ")");
                }
                ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
                int baseTop = 0, top = 0;
                double kld = 0;
                for (int v = 0; v < vocab; v++) {
                    baseRow[v] = b.getFloat();
                    if (baseRow[v] > baseRow[baseTop]) baseTop = v;
                    if (lp[v] > lp[top]) top = v;
                    double p = Math.exp(baseRow[v]);
                    kld += p * (baseRow[v] - lp[v]);
                }
                double baseNll = -baseRow[target];
                sums[0] += baseNll;
                sums[1] += baseNll * baseNll;
                sums[2] += kld * kld;
                if (baseTop == top) sums[3]++;
                double lnRatio = -lp[target] - baseNll;
                sums[4] += lnRatio;
                sums[5] += lnRatio * lnRatio;
                klds[idx[0]++] = kld;
            });
            int n = idx[0];
            double meanKld = 0;
            for (int i = 0; i < n; i++) meanKld += klds[i];
            meanKld /= n;
            double kldErr = Math.sqrt(Math.max(0, sums[2] / n - meanKld * meanKld) / (n - 1));
            double basePpl = Math.exp(sums[0] / n);
            double meanLnRatio = sums[4] / n;
            double[] sorted = Arrays.copyOf(klds, n);
            Arrays.sort(sorted);
            double same = sums[3] / n;
            double sameErr = Math.sqrt(same * (1 - same) / (n - 1));
            return new KlResult(r, basePpl, Math.exp(meanLnRatio), meanKld, kldErr, sorted[n - 1],
                    percentile(sorted, 0.999), percentile(sorted, 0.99), percentile(sorted, 0.95), percentile(sorted, 0.90),
                    percentile(sorted, 0.5), percentile(sorted, 0.10), percentile(sorted, 0.05), percentile(sorted, 0.01),
                    sorted[0], 100 * same, 100 * sameErr);
        } catch (IOException e) {
            throw new SquintException("cannot read " + base + ": " + e.getMessage());
        }
    }

    /** llama.cpp's percentile: linear interpolation between the two nearest sorted values. */
    static double percentile(double[] sorted, double fraction) {
        if (fraction <= 0) return sorted[0];
        if (fraction >= 1) return sorted[sorted.length - 1];
        double p = fraction * (sorted.length - 1);
        int ip = (int) p;
        p -= ip;
        return (1 - p) * sorted[ip] + p * sorted[Math.min(ip + 1, sorted.length - 1)];
    }

    private interface RowSink { void accept(float[] logProbs); }

    private interface ScoredSink { void accept(float[] logProbs, int target); }

    private static Result run(LlamaSession session, int[] tokens, int ctx, int bos, IntConsumer progress,
                              RowSink save, ScoredSink compare) {
        int chunks = chunks(tokens, ctx);
        if (ctx > session.contextLength()) {
            throw new SquintException("--ctx " + ctx + " is larger than the session's context " + session.contextLength());
        }
        int vocab = session.model().config().vocab();
        int first = ctx / 2;
        int[] batch = new int[ctx];
        float[] logProbs = new float[vocab];
        double nll = 0, nll2 = 0;
        long count = 0;
        for (int c = 0; c < chunks; c++) {
            System.arraycopy(tokens, c * ctx, batch, 0, ctx);
            batch[0] = bos;
            session.reset();
            float[] logits = session.forward(batch, 0, ctx, true);
            for (int j = first; j < ctx - 1; j++) {
                int target = tokens[c * ctx + j + 1];
                logSoftmax(logits, j * vocab, vocab, logProbs);
                double v = -logProbs[target];
                nll += v;
                nll2 += v * v;
                count++;
                if (save != null) save.accept(logProbs);
                if (compare != null) compare.accept(logProbs, target);
            }
            progress.accept(c + 1);
        }
        double mean = nll / count;
        double mean2 = nll2 / count - mean * mean;
        double ppl = Math.exp(mean);
        double err = mean2 > 0 ? Math.sqrt(mean2 / (count - 1)) * ppl : 0;
        return new Result(chunks, ctx, count, ppl, err, mean);
    }

    /** Log-softmax of one row, with the max subtracted and the exponentials summed in double (as llama.cpp). */
    static void logSoftmax(float[] logits, int off, int n, float[] out) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, logits[off + i]);
        double sum = 0;
        for (int i = 0; i < n; i++) sum += Math.exp(logits[off + i] - max);
        float logSum = (float) Math.log(sum);
        for (int i = 0; i < n; i++) out[i] = logits[off + i] - max - logSum;
    }
}
