package dev.squint.engine.llama;

import java.util.SplittableRandom;

/**
 * Picks the next token from logits: the argmax at temperature 0 (ties to the lowest id), otherwise a
 * draw from softmax(logits / temperature) restricted to the smallest set of most likely tokens whose
 * probabilities reach {@code topP} (nucleus sampling). Draws come from a seeded generator, so a run
 * is reproducible. Scratch arrays are allocated once per vocabulary size.
 */
public final class Sampler {
    private final float temperature;
    private final float topP;
    private final SplittableRandom random;
    private float[] probs = new float[0];
    private Integer[] order = new Integer[0];

    public Sampler(float temperature, float topP, long seed) {
        if (!(temperature >= 0)) throw new IllegalArgumentException("temperature must be >= 0, got " + temperature);
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("top-p must be in (0, 1], got " + topP);
        this.temperature = temperature;
        this.topP = topP;
        this.random = new SplittableRandom(seed);
    }

    public static Sampler greedy() { return new Sampler(0f, 1f, 0); }

    /** The next token for {@code logits[0, vocab)}. */
    public int sample(float[] logits, int vocab) {
        if (temperature == 0f) return argmax(logits, vocab);
        if (probs.length < vocab) {
            probs = new float[vocab];
            order = new Integer[vocab];
        }
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) max = Math.max(max, logits[i]);
        double sum = 0;
        for (int i = 0; i < vocab; i++) {
            probs[i] = (float) Math.exp((logits[i] - max) / temperature);
            sum += probs[i];
        }
        for (int i = 0; i < vocab; i++) probs[i] /= (float) sum;
        double r = random.nextDouble();
        if (topP >= 1f) {
            double acc = 0;
            for (int i = 0; i < vocab; i++) {
                acc += probs[i];
                if (r < acc) return i;
            }
            return argmax(probs, vocab);
        }
        for (int i = 0; i < vocab; i++) order[i] = i;
        float[] p = probs;
        java.util.Arrays.sort(order, 0, vocab, (a, b) -> p[a] != p[b] ? Float.compare(p[b], p[a]) : Integer.compare(a, b));
        double kept = 0;
        int n = 0;
        while (n < vocab && kept < topP) kept += p[order[n++]];
        double target = r * kept, acc = 0;
        for (int i = 0; i < n; i++) {
            acc += p[order[i]];
            if (target < acc) return order[i];
        }
        return order[n - 1];
    }

    static int argmax(float[] x, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) if (x[i] > x[best]) best = i;
        return best;
    }
}
