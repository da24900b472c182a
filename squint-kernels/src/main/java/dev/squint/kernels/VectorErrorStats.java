package dev.squint.kernels;

import dev.squint.core.codec.ErrorStats;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * {@link ErrorStats.Accumulator}'s sums, row by row with vectors: each row is summed in float lanes
 * (Σ(r-a)², Σr², Σa², Σra and max|r-a|), and row totals are accumulated in double. The scalar
 * twin sums every element in double, so results agree to float rounding of one row's partial sums
 * (relative 1e-6 or so for rows of thousands), which is plenty for RMSE/SNR reports; it is a
 * measurement, not a codec, and makes error reporting cheap next to quantization.
 */
public final class VectorErrorStats {
    private static final jdk.incubator.vector.VectorSpecies<Float> F = Species.F;

    /** Row totals; the statistics are finished there, so both forms share definitions and edge cases. */
    private final ErrorStats.Accumulator totals = new ErrorStats.Accumulator();

    /** Adds {@code n} pairs {@code reference[refOffset + i]}, {@code approx[approxOffset + i]}. */
    public VectorErrorStats add(float[] reference, int refOffset, float[] approx, int approxOffset, int n) {
        FloatVector err = FloatVector.zero(F), ref = FloatVector.zero(F), app = FloatVector.zero(F), dot = FloatVector.zero(F),
                max = FloatVector.zero(F);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += F.length()) {
            FloatVector r = FloatVector.fromArray(F, reference, refOffset + i);
            FloatVector a = FloatVector.fromArray(F, approx, approxOffset + i);
            FloatVector d = r.sub(a);
            err = d.fma(d, err);
            ref = r.fma(r, ref);
            app = a.fma(a, app);
            dot = r.fma(a, dot);
            max = max.max(d.abs());
        }
        double e = err.reduceLanes(VectorOperators.ADD), rr = ref.reduceLanes(VectorOperators.ADD);
        double aa = app.reduceLanes(VectorOperators.ADD), ra = dot.reduceLanes(VectorOperators.ADD);
        double m = max.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) {
            double r = reference[refOffset + i], a = approx[approxOffset + i], d = r - a;
            e += d * d;
            rr += r * r;
            aa += a * a;
            ra += r * a;
            m = Math.max(m, Math.abs(d));
        }
        // NaN in either input poisons the result, as in ErrorStats
        totals.addSums(n, e, rr, aa, ra, Double.isNaN(m) || Double.isNaN(e) ? Double.NaN : m);
        return this;
    }

    public VectorErrorStats merge(VectorErrorStats o) {
        totals.merge(o.totals);
        return this;
    }

    /** The statistics, with {@link ErrorStats}' definitions and edge cases. */
    public ErrorStats result() {
        return totals.result();
    }
}
