package dev.squint.report;

import java.util.Objects;

/**
 * One measured quality figure of one row: cosine similarity to the base, STS Spearman, perplexity, mean KL
 * divergence, top-token agreement... {@code better} says which way is an improvement, so verdicts and charts
 * need not know each metric by name.
 *
 * @param key    stable machine name used in JSON ({@code cosine_mean}, {@code sts_spearman}, {@code perplexity})
 * @param label  human column header ({@code "cosine to FP32"})
 * @param value  the measured value; {@code NaN} when not measured for this row
 * @param better {@link Direction#HIGHER} or {@link Direction#LOWER}
 * @param unit   printed after the value ({@code ""}, {@code "%"}, {@code "nats"})
 */
public record Metric(String key, String label, double value, Direction better, String unit) {
    public enum Direction { HIGHER, LOWER }

    public Metric {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(label, "label");
        Objects.requireNonNull(better, "better");
        unit = unit == null ? "" : unit;
    }

    public boolean measured() { return !Double.isNaN(value); }
}
