package dev.squint.engine.llama;

import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * llama-bench's two tests: prompt processing ({@code pp}: {@code promptTokens} random tokens as one batch
 * from an empty cache) and text generation ({@code tg}: {@code genTokens} single-token steps from an empty
 * cache), each repeated {@code reps} times after one warm-up, as tokens/s mean ± sample sd. Also measures
 * the machine's read bandwidth and the share of it generation reached, taking every weight byte as read
 * once per generated token.
 */
public final class LlamaBench {
    private LlamaBench() {}

    public record Result(int promptTokens, int genTokens, int reps, int threads,
                         double ppMean, double ppSd, double tgMean, double tgSd,
                         long weightBytesPerToken, double bandwidthBytesPerSecond, double bandwidthFraction) {}

    public static Result run(LlamaModel model, int threads, int promptTokens, int genTokens, int reps, long seed) {
        int ctx = Math.max(promptTokens, genTokens) + 1;
        int vocab = model.config().vocab();
        SplittableRandom rnd = new SplittableRandom(seed);
        int[] prompt = new int[promptTokens];
        for (int i = 0; i < promptTokens; i++) prompt[i] = rnd.nextInt(vocab);
        double[] pp = new double[reps], tg = new double[reps];
        try (LlamaSession s = model.newSession(ctx, threads)) {
            for (int r = -1; r < reps; r++) {
                if (promptTokens > 0) {
                    s.reset();
                    long t0 = System.nanoTime();
                    s.forward(prompt, 0, promptTokens, false);
                    if (r >= 0) pp[r] = promptTokens / ((System.nanoTime() - t0) / 1e9);
                }
                if (genTokens > 0) {
                    s.reset();
                    int[] one = {prompt.length > 0 ? prompt[0] : 1};
                    long t0 = System.nanoTime();
                    for (int i = 0; i < genTokens; i++) {
                        float[] logits = s.forward(one, 0, 1, false);
                        one[0] = Sampler.argmax(logits, vocab);
                    }
                    if (r >= 0) tg[r] = genTokens / ((System.nanoTime() - t0) / 1e9);
                }
            }
        }
        double bw = readBandwidth(threads);
        long bytes = model.weightBytesPerToken();
        double tgMean = mean(tg);
        return new Result(promptTokens, genTokens, reps, threads, mean(pp), sd(pp), tgMean, sd(tg), bytes, bw,
                bw > 0 ? bytes * tgMean / bw : 0);
    }

    static double mean(double[] x) {
        double s = 0;
        for (double v : x) s += v;
        return x.length == 0 ? 0 : s / x.length;
    }

    static double sd(double[] x) {
        if (x.length < 2) return 0;
        double m = mean(x), s = 0;
        for (double v : x) s += (v - m) * (v - m);
        return Math.sqrt(s / (x.length - 1));
    }

    private static final VectorSpecies<Long> LS = LongVector.SPECIES_PREFERRED;

    /**
     * Bytes/s of a streaming read (vector loads, XOR-reduced so the JIT cannot drop them) over a 256 MiB
     * off-heap buffer — far larger than any cache — split across {@code threads} threads; best of 3 passes.
     */
    public static double readBandwidth(int threads) {
        long size = 256L << 20;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(size, 64);
            buf.fill((byte) 1);
            long warm = 0;
            for (int i = 0; i < 20_000; i++) warm ^= xorRange(buf, 0, 4096); // compile the loop with C2 before timing
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                double best = 0;
                long[] sink = new long[threads];
                for (int pass = 0; pass < 6; pass++) {
                    long t0 = System.nanoTime();
                    Future<?>[] fs = new Future<?>[threads];
                    long part = size / threads / 64 * 64;
                    MemorySegment shared = MemorySegment.ofAddress(buf.address()).reinterpret(size);
                    for (int t = 0; t < threads; t++) {
                        long from = t * part, to = t == threads - 1 ? size : from + part;
                        int idx = t;
                        fs[t] = pool.submit(() -> sink[idx] ^= xorRange(shared, from, to));
                    }
                    for (Future<?> f : fs) f.get();
                    double secs = (System.nanoTime() - t0) / 1e9;
                    if (pass > 0) best = Math.max(best, size / secs); // pass 0 warms the JIT and the pages
                }
                if ((sink[0] ^ warm) == 42) System.out.print(""); // keeps the reads observable
                return best;
            } catch (Exception e) {
                return 0;
            } finally {
                pool.shutdownNow();
            }
        }
    }

    private static long xorRange(MemorySegment m, long from, long to) {
        LongVector acc = LongVector.zero(LS);
        long step = LS.vectorByteSize();
        long end = from + (to - from) / step * step;
        for (long o = from; o < end; o += step) {
            acc = acc.lanewise(VectorOperators.XOR, LongVector.fromMemorySegment(LS, m, o, ByteOrder.LITTLE_ENDIAN));
        }
        return acc.reduceLanes(VectorOperators.XOR);
    }
}
