package dev.squint.core.codec;

/**
 * How far an approximation (e.g. a dequantized tensor) is from a reference, all accumulated in double.
 *
 * <ul>
 *   <li>{@code rmse} = sqrt(Σ(r-a)² / n); 0 for no elements.</li>
 *   <li>{@code maxAbsError} = max |r-a|.</li>
 *   <li>{@code snrDb} = 10·log10(Σr² / Σ(r-a)²): +Infinity when the error is zero (including all-zero
 *       inputs), -Infinity when the reference is all zeros but the approximation is not.</li>
 *   <li>{@code cosine} = Σra / (‖r‖·‖a‖): 1 when both are all zeros, 0 when exactly one is.</li>
 * </ul>
 * NaN in either input makes the sums NaN. {@link Accumulator} gives the same result row by row.
 */
public record ErrorStats(long count, double rmse, double maxAbsError, double snrDb, double cosine) {

    public static ErrorStats between(float[] reference, float[] approx) {
        if (reference.length != approx.length) throw new IllegalArgumentException("lengths differ: " + reference.length + " vs " + approx.length);
        Accumulator acc = new Accumulator();
        acc.add(reference, 0, approx, 0, reference.length);
        return acc.result();
    }

    /** Streaming form: add rows (or any slices) in order, then {@link #result()}. Not thread-safe; {@link #merge} partial accumulators. */
    public static final class Accumulator {
        private long count;
        private double sumSqErr, sumSqRef, sumSqApprox, sumDot, maxAbs;

        public Accumulator add(float[] reference, int refOffset, float[] approx, int approxOffset, int n) {
            for (int i = 0; i < n; i++) {
                double r = reference[refOffset + i], a = approx[approxOffset + i];
                double d = r - a;
                sumSqErr += d * d;
                sumSqRef += r * r;
                sumSqApprox += a * a;
                sumDot += r * a;
                double ad = Math.abs(d);
                if (ad > maxAbs || Double.isNaN(ad)) maxAbs = ad;
            }
            count += n;
            return this;
        }

        public Accumulator merge(Accumulator other) {
            return addSums(other.count, other.sumSqErr, other.sumSqRef, other.sumSqApprox, other.sumDot, other.maxAbs);
        }

        /**
         * Adds the sums of {@code n} pairs computed elsewhere (e.g. with vectors): Σ(r-a)², Σr², Σa², Σra and
         * max|r-a| (NaN when any input was NaN).
         */
        public Accumulator addSums(long n, double sumSqErr, double sumSqRef, double sumSqApprox, double sumDot, double maxAbsError) {
            count += n;
            this.sumSqErr += sumSqErr;
            this.sumSqRef += sumSqRef;
            this.sumSqApprox += sumSqApprox;
            this.sumDot += sumDot;
            if (maxAbsError > maxAbs || Double.isNaN(maxAbsError)) maxAbs = maxAbsError;
            return this;
        }

        public ErrorStats result() {
            double rmse = count == 0 ? 0 : Math.sqrt(sumSqErr / count);
            double snr;
            if (sumSqErr == 0) snr = Double.POSITIVE_INFINITY;
            else if (sumSqRef == 0) snr = Double.NEGATIVE_INFINITY;
            else snr = 10 * Math.log10(sumSqRef / sumSqErr);
            double cos;
            if (sumSqRef == 0 && sumSqApprox == 0) cos = 1;
            else if (sumSqRef == 0 || sumSqApprox == 0) cos = 0;
            else cos = sumDot / (Math.sqrt(sumSqRef) * Math.sqrt(sumSqApprox));
            return new ErrorStats(count, rmse, maxAbs, snr, cos);
        }
    }
}
