package dev.squint.core.codec;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class ErrorStatsTest {

    @Test
    void handComputedValues() {
        float[] ref = {3f, 4f, 0f, 0f};
        float[] approx = {3f, 3f, 1f, 0f};
        ErrorStats s = ErrorStats.between(ref, approx);
        // errors 0, 1, -1, 0: sum sq 2, mean 0.5; signal 25; dot 9 + 12 = 21; |approx|^2 = 19
        assertThat(s.count()).isEqualTo(4);
        assertThat(s.rmse()).isCloseTo(Math.sqrt(0.5), within(1e-15));
        assertThat(s.maxAbsError()).isEqualTo(1.0);
        assertThat(s.snrDb()).isCloseTo(10 * Math.log10(25 / 2.0), within(1e-12));
        assertThat(s.cosine()).isCloseTo(21 / (5 * Math.sqrt(19)), within(1e-15));
    }

    @Test
    void allZeroAndIdenticalInputsAreWellDefined() {
        ErrorStats zeros = ErrorStats.between(new float[8], new float[8]);
        assertThat(zeros.rmse()).isZero();
        assertThat(zeros.maxAbsError()).isZero();
        assertThat(zeros.snrDb()).isEqualTo(Double.POSITIVE_INFINITY);
        assertThat(zeros.cosine()).isEqualTo(1.0);

        ErrorStats fromZero = ErrorStats.between(new float[] {0, 0}, new float[] {1, -1});
        assertThat(fromZero.snrDb()).isEqualTo(Double.NEGATIVE_INFINITY);
        assertThat(fromZero.cosine()).isZero();
        assertThat(fromZero.rmse()).isEqualTo(1.0);

        ErrorStats toZero = ErrorStats.between(new float[] {2, 0}, new float[] {0, 0});
        assertThat(toZero.snrDb()).isCloseTo(0.0, within(1e-15));
        assertThat(toZero.cosine()).isZero();

        float[] x = {1.5f, -2f, 7f};
        ErrorStats same = ErrorStats.between(x, x.clone());
        assertThat(same.snrDb()).isEqualTo(Double.POSITIVE_INFINITY);
        assertThat(same.cosine()).isCloseTo(1.0, within(1e-15));

        ErrorStats empty = ErrorStats.between(new float[0], new float[0]);
        assertThat(empty.count()).isZero();
        assertThat(empty.rmse()).isZero();
    }

    @Test
    void negatedApproximationHasCosineMinusOneAndKnownSnr() {
        float[] x = IntQuantizerTest.gaussian(1000, 1, 1);
        float[] neg = new float[x.length];
        for (int i = 0; i < x.length; i++) neg[i] = -x[i];
        ErrorStats s = ErrorStats.between(x, neg);
        assertThat(s.cosine()).isCloseTo(-1.0, within(1e-12));
        assertThat(s.snrDb()).isCloseTo(10 * Math.log10(0.25), within(1e-9)); // error is 2x
    }

    @Test
    void streamingRowByRowEqualsWholeArrayExactly() {
        int rows = 17, cols = 61;
        float[] ref = IntQuantizerTest.gaussian(rows * cols, 2, 1);
        float[] approx = IntQuantizerTest.gaussian(rows * cols, 3, 0.01);
        for (int i = 0; i < approx.length; i++) approx[i] += ref[i];
        ErrorStats whole = ErrorStats.between(ref, approx);
        ErrorStats.Accumulator acc = new ErrorStats.Accumulator();
        float[] rowRef = new float[cols], rowApprox = new float[cols];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(ref, r * cols, rowRef, 0, cols);
            System.arraycopy(approx, r * cols, rowApprox, 0, cols);
            acc.add(rowRef, 0, rowApprox, 0, cols);
        }
        assertThat(acc.result()).isEqualTo(whole);
        // merged partial accumulators agree to rounding
        ErrorStats.Accumulator a = new ErrorStats.Accumulator().add(ref, 0, approx, 0, 500);
        ErrorStats.Accumulator b = new ErrorStats.Accumulator().add(ref, 500, approx, 500, ref.length - 500);
        ErrorStats merged = a.merge(b).result();
        assertThat(merged.count()).isEqualTo(whole.count());
        assertThat(merged.maxAbsError()).isEqualTo(whole.maxAbsError());
        assertThat(merged.rmse()).isCloseTo(whole.rmse(), within(1e-12));
        assertThat(merged.snrDb()).isCloseTo(whole.snrDb(), within(1e-9));
        assertThat(whole.snrDb()).isCloseTo(40.0, within(0.5)); // noise sigma 1% of signal: 40 dB
    }
}
