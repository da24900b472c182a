package dev.squint.kernels;

import dev.squint.core.codec.ErrorStats;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class VectorErrorStatsTest {
    @Test void agreesWithTheScalarAccumulatorAtOddSizes() {
        SplittableRandom rnd = new SplittableRandom(5);
        for (int n : new int[] {0, 1, 7, 17, 64, 1000, 5633}) {
            float[] r = new float[n + 3], a = new float[n + 5];
            for (int i = 0; i < r.length; i++) r[i] = (float) rnd.nextGaussian();
            for (int i = 0; i < a.length; i++) a[i] = i >= 2 && i - 2 < n ? r[i - 2] + 0.01f * (float) rnd.nextGaussian() : 9;
            ErrorStats want = new ErrorStats.Accumulator().add(r, 0, a, 2, n).add(r, 1, a, 3, n - Math.min(n, 1)).result();
            ErrorStats got = new VectorErrorStats().add(r, 0, a, 2, n).merge(new VectorErrorStats().add(r, 1, a, 3, n - Math.min(n, 1))).result();
            assertThat(got.count()).isEqualTo(want.count());
            assertThat(got.rmse()).isCloseTo(want.rmse(), within(1e-5 * Math.max(1, want.rmse())));
            assertThat(got.maxAbsError()).isEqualTo(want.maxAbsError());
            if (Double.isFinite(want.snrDb())) assertThat(got.snrDb()).isCloseTo(want.snrDb(), within(1e-3));
            else assertThat(got.snrDb()).isEqualTo(want.snrDb());
            assertThat(got.cosine()).isCloseTo(want.cosine(), within(1e-6));
        }
    }

    @Test void zeroErrorIsInfiniteSnr() {
        float[] x = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17};
        ErrorStats s = new VectorErrorStats().add(x, 0, x.clone(), 0, x.length).result();
        assertThat(s.rmse()).isZero();
        assertThat(s.snrDb()).isEqualTo(Double.POSITIVE_INFINITY);
    }
}
