package dev.squint.report;

import java.util.OptionalLong;

/**
 * The thresholds the verdicts are computed with. Every verdict names the threshold it used, so a reader can
 * disagree with the policy without distrusting the numbers.
 *
 * @param keepQuality         a row "keeps quality" when {@link FormatRow#qualityKept()} is at least this
 *                            (0.99: at most 1 % of the headline lost)
 * @param rejectBelowQuality  a row whose quality kept is below this is not worth it whatever it saves (0.97)
 * @param minSizeGainIfSlower a row slower than the base must be at least this many times smaller than the base
 *                            to be worth it (1.5)
 * @param speedTolerance      throughputs within this fraction of each other count as equal (0.05): timing noise
 *                            on a shared machine should not decide a verdict
 * @param memoryBudgetBytes   when present, also answer "best pick for this much memory"
 */
public record VerdictPolicy(double keepQuality, double rejectBelowQuality, double minSizeGainIfSlower,
                            double speedTolerance, OptionalLong memoryBudgetBytes) {
    public VerdictPolicy {
        if (!(keepQuality > 0 && keepQuality <= 1)) throw new IllegalArgumentException("keepQuality must be in (0, 1]: " + keepQuality);
        if (!(rejectBelowQuality > 0 && rejectBelowQuality <= keepQuality)) {
            throw new IllegalArgumentException("rejectBelowQuality must be in (0, keepQuality]: " + rejectBelowQuality);
        }
        if (!(minSizeGainIfSlower >= 1)) throw new IllegalArgumentException("minSizeGainIfSlower must be >= 1: " + minSizeGainIfSlower);
        if (!(speedTolerance >= 0 && speedTolerance < 1)) throw new IllegalArgumentException("speedTolerance must be in [0, 1): " + speedTolerance);
        memoryBudgetBytes = memoryBudgetBytes == null ? OptionalLong.empty() : memoryBudgetBytes;
        if (memoryBudgetBytes.isPresent() && memoryBudgetBytes.getAsLong() <= 0) {
            throw new IllegalArgumentException("memory budget must be positive: " + memoryBudgetBytes.getAsLong());
        }
    }

    /** Keep 99 %, reject below 97 %, a slower row must be 1.5× smaller, 5 % speed noise, no memory budget. */
    public static VerdictPolicy defaults() {
        return new VerdictPolicy(0.99, 0.97, 1.5, 0.05, OptionalLong.empty());
    }

    /** The same policy with a memory budget. */
    public VerdictPolicy withMemoryBudget(long bytes) {
        return new VerdictPolicy(keepQuality, rejectBelowQuality, minSizeGainIfSlower, speedTolerance, OptionalLong.of(bytes));
    }
}
