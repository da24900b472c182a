package dev.squint.core.codec;

import dev.squint.core.codec.IntQuantizer.Granularity;
import dev.squint.core.codec.IntQuantizer.RangeMethod;
import dev.squint.core.codec.IntQuantizer.ScaleType;
import dev.squint.core.codec.IntQuantizer.Scheme;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class IntQuantizerTest {

    static float[] gaussian(int n, long seed, double sigma) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] w = new float[n];
        for (int i = 0; i < n; i++) w[i] = (float) (rnd.nextGaussian() * sigma);
        return w;
    }

    /** Gaussian with a few large outliers: where clipping pays off. */
    static float[] heavyTailed(int n, long seed) {
        float[] w = gaussian(n, seed, 0.02);
        SplittableRandom rnd = new SplittableRandom(seed + 1);
        for (int k = 0; k < n / 50; k++) w[rnd.nextInt(n)] = (float) (rnd.nextBoolean() ? 0.2 : -0.2) * (float) (1 + rnd.nextDouble());
        return w;
    }

    static Stream<Arguments> uniformSchemes() {
        List<Arguments> out = new ArrayList<>();
        for (int bits : new int[] {2, 3, 4, 8}) {
            for (boolean sym : new boolean[] {true, false}) {
                for (ScaleType st : ScaleType.values()) {
                    out.add(Arguments.of(new Scheme(IntQuantizer.Grid.UNIFORM, bits, sym, Granularity.PER_TENSOR, 0, RangeMethod.MIN_MAX, st)));
                    out.add(Arguments.of(new Scheme(IntQuantizer.Grid.UNIFORM, bits, sym, Granularity.PER_CHANNEL, 0, RangeMethod.MIN_MAX, st)));
                    for (int g : new int[] {32, 64, 128}) {
                        out.add(Arguments.of(new Scheme(IntQuantizer.Grid.UNIFORM, bits, sym, Granularity.PER_GROUP, g, RangeMethod.MIN_MAX, st)));
                    }
                }
            }
        }
        return out.stream();
    }

    /** Element {@code i}'s group index under the scheme. */
    static int groupOf(Scheme s, int i, int cols) {
        int row = i / cols, col = i % cols;
        return switch (s.granularity()) {
            case PER_TENSOR -> 0;
            case PER_CHANNEL -> row;
            case PER_GROUP -> row * s.groupsPerRow(cols) + col / s.groupSize();
        };
    }

    @ParameterizedTest
    @MethodSource("uniformSchemes")
    void minMaxRoundToNearestErrIsAtMostHalfAStep(Scheme scheme) {
        int rows = 5, cols = 200; // 200 is not a multiple of 64 or 128: ragged last groups
        float[] w = heavyTailed(rows * cols, 11);
        QuantizedMatrix q = IntQuantizer.quantize(w, rows, cols, scheme);
        float[] back = q.dequantize();
        for (int i = 0; i < w.length; i++) {
            float scale = q.scales()[groupOf(scheme, i, cols)];
            assertThat(scale).isPositive();
            double err = Math.abs((double) w[i] - back[i]);
            assertThat(err).as("element %d, scale %s", i, scale).isLessThanOrEqualTo(scale * 0.5 * (1 + 1e-5));
        }
        if (scheme.scaleType() == ScaleType.F16) {
            for (float s : q.scales()) assertThat(FloatFormats.f16ToF32(FloatFormats.f32ToF16(s))).isEqualTo(s);
        }
    }

    @ParameterizedTest
    @MethodSource("uniformSchemes")
    void mseClipSearchIsNeverWorseThanMinMaxPerGroup(Scheme minMax) {
        Scheme mse = new Scheme(minMax.grid(), minMax.bits(), minMax.symmetric(), minMax.granularity(), minMax.groupSize(), RangeMethod.MSE_CLIP, minMax.scaleType());
        int rows = 4, cols = 192;
        float[] w = heavyTailed(rows * cols, 5);
        float[] a = IntQuantizer.quantize(w, rows, cols, minMax).dequantize();
        float[] b = IntQuantizer.quantize(w, rows, cols, mse).dequantize();
        int groups = (int) minMax.groupCount(rows, cols);
        double[] errA = new double[groups], errB = new double[groups];
        for (int i = 0; i < w.length; i++) {
            int g = groupOf(minMax, i, cols);
            errA[g] += sq((double) w[i] - a[i]);
            errB[g] += sq((double) w[i] - b[i]);
        }
        for (int g = 0; g < groups; g++) assertThat(errB[g]).as("group %d", g).isLessThanOrEqualTo(errA[g]);
    }

    @Test
    void mseClipSearchStrictlyHelpsOnGaussianRowsAtLowBits() {
        // a Gaussian row's extremes (~2.8 sigma) waste 3-bit levels; clipping nearer 2 sigma pays off
        int rows = 8, cols = 256;
        float[] w = gaussian(rows * cols, 3, 1.0);
        Scheme minMax = Scheme.symmetric(3, Granularity.PER_CHANNEL, 0, RangeMethod.MIN_MAX, ScaleType.F32);
        Scheme mse = Scheme.symmetric(3, Granularity.PER_CHANNEL, 0, RangeMethod.MSE_CLIP, ScaleType.F32);
        double eMinMax = ErrorStats.between(w, IntQuantizer.quantize(w, rows, cols, minMax).dequantize()).rmse();
        double eMse = ErrorStats.between(w, IntQuantizer.quantize(w, rows, cols, mse).dequantize()).rmse();
        assertThat(eMse).isLessThan(eMinMax * 0.9);
    }

    static double sq(double d) { return d * d; }

    @Test
    void zeroMapsToExactlyZeroInEveryScheme() {
        int rows = 3, cols = 70;
        float[] w = gaussian(rows * cols, 9, 1.0);
        for (int i = 0; i < w.length; i += 7) w[i] = 0f;
        for (Scheme s : uniformSchemes().map(a -> (Scheme) a.get()[0]).toList()) {
            float[] back = IntQuantizer.quantize(w, rows, cols, s).dequantize();
            for (int i = 0; i < w.length; i += 7) assertThat(back[i]).as("%s element %d", s, i).isEqualTo(0f);
        }
        Scheme nf4 = Scheme.nf4(64, RangeMethod.MIN_MAX, ScaleType.F32);
        float[] back = IntQuantizer.quantize(w, rows, cols, nf4).dequantize();
        for (int i = 0; i < w.length; i += 7) assertThat(back[i]).isEqualTo(0f);
    }

    @Test
    void symmetricZeroHasTheMidCodeAndAllZeroGroupsGiveZeros() {
        float[] w = new float[2 * 40];
        for (int i = 40; i < 80; i++) w[i] = i - 60; // row 1: -20..19, row 0 all zeros
        QuantizedMatrix q = IntQuantizer.quantize(w, 2, 40, Scheme.symmetric(4, Granularity.PER_CHANNEL, 0, RangeMethod.MIN_MAX, ScaleType.F32));
        assertThat(q.scales()[0]).isEqualTo(0f);
        assertThat(q.code(1, 20)).isEqualTo(8); // w = 0 -> q = 0 -> offset code 2^(4-1)
        assertThat(q.code(1, 0)).isEqualTo(1); // -20 = -absmax -> -7 -> 1
        float[] back = q.dequantize();
        for (int i = 0; i < 40; i++) assertThat(back[i]).isEqualTo(0f);
        assertThat(back[40]).isEqualTo(-20f, within(1e-5f));
    }

    @Test
    void asymmetricCoversTheRangeWithZeroInsideAndKeepsConstantRowsExact() {
        float[] w = {1f, 2f, 3f, 4f, 0.375f, 0.375f, 0.375f, 0.375f};
        QuantizedMatrix q = IntQuantizer.quantize(w, 2, 4, Scheme.asymmetric(2, Granularity.PER_CHANNEL, 0, RangeMethod.MIN_MAX, ScaleType.F32));
        // range widened to [0, 4]: scale 4/3, zero point 0; 0.375 row: range [0, 0.375], scale 0.125
        assertThat(q.scales()[0]).isEqualTo(4f / 3f, within(1e-6f));
        assertThat(q.zeroPoint(0)).isZero();
        float[] back = q.dequantize();
        assertThat(back[3]).isEqualTo(4f, within(1e-5f));
        for (int i = 4; i < 8; i++) assertThat(back[i]).isEqualTo(0.375f, within(1e-6f));
        float[] neg = {-1f, -2f, -3f, -4f};
        QuantizedMatrix qn = IntQuantizer.quantize(neg, 1, 4, Scheme.asymmetric(8, Granularity.PER_TENSOR, 0, RangeMethod.MIN_MAX, ScaleType.F16));
        assertThat(qn.zeroPoint(0)).isEqualTo(255);
    }

    @Test
    void packingWorksForOddLengthsAndEveryWidth() {
        SplittableRandom rnd = new SplittableRandom(1);
        for (int bits = 1; bits <= 8; bits++) {
            for (int count : new int[] {1, 3, 7, 13, 37}) {
                int[] codes = new int[count];
                for (int i = 0; i < count; i++) codes[i] = rnd.nextInt(1 << bits);
                byte[] packed = BitPacker.pack(codes, bits);
                assertThat(packed).hasSize((count * bits + 7) / 8);
                assertThat(BitPacker.unpack(packed, count, bits)).isEqualTo(codes);
                int usedInLast = (count * bits) % 8;
                if (usedInLast != 0) assertThat((packed[packed.length - 1] & 0xFF) >>> usedInLast).isZero();
            }
        }
        // documented layout: 3-bit codes 1..8 (mod 8) straddle bytes little-endian
        assertThat(BitPacker.pack(new int[] {1, 2, 3}, 3)).containsExactly((byte) (1 | 2 << 3 | (3 & 3) << 6), (byte) (3 >>> 2));
        assertThat(BitPacker.pack(new int[] {0xA, 0x5}, 4)).containsExactly((byte) 0x5A);
        assertThatThrownBy(() -> BitPacker.pack(new int[] {8}, 3)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void oddShapesRoundTripThroughPackedCodes() {
        int rows = 3, cols = 37; // 111 values, 3 bits: 333 bits -> 42 bytes
        float[] w = gaussian(rows * cols, 4, 1.0);
        Scheme s = Scheme.asymmetric(3, Granularity.PER_GROUP, 32, RangeMethod.MIN_MAX, ScaleType.F16);
        QuantizedMatrix q = IntQuantizer.quantize(w, rows, cols, s);
        assertThat(q.codes()).hasSize(42);
        assertThat(q.groupCount()).isEqualTo(6); // 2 groups per row: 32 + 5
        assertThat(q.zeroPoints()).hasSize(3); // 6 zero points * 3 bits = 18 bits
        QuantizedMatrix copy = new QuantizedMatrix(s, rows, cols, q.codes().clone(), q.scales().clone(), q.zeroPoints().clone());
        assertThat(copy.dequantize()).isEqualTo(q.dequantize());
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) assertThat(q.code(r, c)).isBetween(0, 7);
    }

    @Test
    void bitsPerWeightCountsCodesScalesAndZeroPoints() {
        float[] w = gaussian(4 * 256, 2, 1.0);
        assertThat(IntQuantizer.quantize(w, 4, 256, Scheme.asymmetric(4, Granularity.PER_GROUP, 128, RangeMethod.MIN_MAX, ScaleType.F16)).bitsPerWeight())
                .isEqualTo(4 + 16.0 / 128 + 4.0 / 128);
        assertThat(IntQuantizer.quantize(w, 4, 256, Scheme.symmetric(4, Granularity.PER_GROUP, 32, RangeMethod.MIN_MAX, ScaleType.F32)).bitsPerWeight())
                .isEqualTo(4 + 32.0 / 32);
        assertThat(IntQuantizer.quantize(w, 4, 256, Scheme.symmetric(8, Granularity.PER_CHANNEL, 0, RangeMethod.MIN_MAX, ScaleType.F32)).bitsPerWeight())
                .isEqualTo(8 + 32.0 / 256);
        assertThat(IntQuantizer.quantize(w, 4, 256, Scheme.asymmetric(2, Granularity.PER_TENSOR, 0, RangeMethod.MIN_MAX, ScaleType.F16)).bitsPerWeight())
                .isEqualTo(2 + (16.0 + 2) / 1024);
        assertThat(IntQuantizer.quantize(w, 4, 256, Scheme.nf4(64, RangeMethod.MIN_MAX, ScaleType.F32)).bitsPerWeight())
                .isEqualTo(4.5);
        // ragged: 100 columns in groups of 32 -> 4 groups per row
        QuantizedMatrix q = IntQuantizer.quantize(gaussian(300, 3, 1), 3, 100, Scheme.asymmetric(3, Granularity.PER_GROUP, 32, RangeMethod.MIN_MAX, ScaleType.F16));
        assertThat(q.bitsPerWeight()).isEqualTo((300 * 3 + 12 * 16 + 12 * 3) / 300.0);
        assertThat(q.storageBytes()).isEqualTo(113 + 24 + 5);
    }

    @Test
    void nf4TableIsQloraAndCodesPickTheNearestValue() {
        float[] t = IntQuantizer.NF4_VALUES;
        assertThat(t).hasSize(16);
        assertThat(t[0]).isEqualTo(-1f);
        assertThat(t[7]).isEqualTo(0f);
        assertThat(t[15]).isEqualTo(1f);
        for (int i = 1; i < 16; i++) assertThat(t[i]).isGreaterThan(t[i - 1]);
        assertThat(t[8]).isEqualTo(0.07958029955625534f);
        assertThat(t[1]).isEqualTo(-0.6961928009986877f);

        int rows = 4, cols = 320;
        float[] w = gaussian(rows * cols, 8, 0.05);
        for (ScaleType st : ScaleType.values()) {
            Scheme s = Scheme.nf4(64, RangeMethod.MIN_MAX, st);
            QuantizedMatrix q = IntQuantizer.quantize(w, rows, cols, s);
            float[] back = q.dequantize();
            for (int i = 0; i < w.length; i++) {
                float scale = q.scales()[groupOf(s, i, cols)];
                float y = w[i] * Int8Rows.inverse(scale);
                int code = q.code(i / cols, i % cols);
                double best = Math.abs((double) y - t[code]);
                for (float v : t) assertThat(best).as("element %d", i).isLessThanOrEqualTo(Math.abs((double) y - v));
                assertThat(back[i]).isEqualTo(t[code] * scale);
            }
        }
        // each group's absmax element is exactly representable: +-1 * scale
        assertThat(IntQuantizer.nearestNf4(1f)).isEqualTo(15);
        assertThat(IntQuantizer.nearestNf4(-1f)).isEqualTo(0);
        assertThat(IntQuantizer.nearestNf4(0.01f)).isEqualTo(7);
        float midpoint = (float) ((t[8] + (double) t[9]) / 2);
        assertThat(IntQuantizer.nearestNf4(Math.nextUp(midpoint))).isEqualTo(9);
        assertThat(IntQuantizer.nearestNf4(Math.nextDown(midpoint))).isEqualTo(8);
    }

    @Test
    void int8PerChannelSchemeMatchesTheInt8RowReference() {
        int rows = 6, cols = 131;
        float[] w = heavyTailed(rows * cols, 21);
        QuantizedMatrix q = IntQuantizer.quantize(w, rows, cols, Scheme.symmetric(8, Granularity.PER_CHANNEL, 0, RangeMethod.MIN_MAX, ScaleType.F32));
        byte[] codes = new byte[cols];
        float[] row = new float[cols];
        for (int r = 0; r < rows; r++) {
            float scale = Int8Rows.quantizeRow(w, r * cols, cols, codes, 0);
            assertThat(scale).isEqualTo(q.scales()[r]);
            for (int c = 0; c < cols; c++) assertThat(codes[c] + 128).isEqualTo(q.code(r, c));
            Int8Rows.dequantizeRow(codes, 0, cols, scale, row, 0);
            for (int c = 0; c < cols; c++) assertThat(Math.abs(row[c] - w[r * cols + c])).isLessThanOrEqualTo(scale * 0.5f * (1 + 1e-5f));
        }
    }

    @Test
    void scaleRoundingIsUpwardsToTheStorageType() {
        assertThat(ScaleType.F16.roundUp(1.0 + 1e-6)).isEqualTo(1f + 0x1p-10f);
        assertThat(ScaleType.F16.roundUp(1.0)).isEqualTo(1f);
        assertThat(ScaleType.F16.roundUp(1e-9)).isEqualTo(0x1p-24f);
        assertThat(ScaleType.F16.roundUp(1e6)).isEqualTo(65504f);
        assertThat(ScaleType.F16.roundUp(0)).isEqualTo(0f);
        float tenth = ScaleType.F32.roundUp(0.1); // 0.1f is below 0.1, so the next float up
        assertThat((double) tenth).isGreaterThanOrEqualTo(0.1);
        assertThat((double) Math.nextDown(tenth)).isLessThan(0.1);
    }

    @Test
    void quantizationIsDeterministic() {
        float[] w = heavyTailed(4 * 96, 13);
        Scheme s = Scheme.asymmetric(3, Granularity.PER_GROUP, 32, RangeMethod.MSE_CLIP, ScaleType.F16);
        QuantizedMatrix a = IntQuantizer.quantize(w, 4, 96, s), b = IntQuantizer.quantize(w, 4, 96, s);
        assertThat(a.codes()).isEqualTo(b.codes());
        assertThat(a.scales()).isEqualTo(b.scales());
        assertThat(a.zeroPoints()).isEqualTo(b.zeroPoints());
    }

    @Test
    void invalidSchemesAndInputsAreRefused() {
        assertThatThrownBy(() -> Scheme.symmetric(5, Granularity.PER_TENSOR, 0, RangeMethod.MIN_MAX, ScaleType.F32)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Scheme.symmetric(4, Granularity.PER_GROUP, 0, RangeMethod.MIN_MAX, ScaleType.F32)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Scheme.symmetric(4, Granularity.PER_CHANNEL, 32, RangeMethod.MIN_MAX, ScaleType.F32)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Scheme(IntQuantizer.Grid.NF4, 4, false, Granularity.PER_GROUP, 64, RangeMethod.MIN_MAX, ScaleType.F32)).isInstanceOf(IllegalArgumentException.class);
        Scheme s = Scheme.symmetric(4, Granularity.PER_TENSOR, 0, RangeMethod.MIN_MAX, ScaleType.F32);
        assertThatThrownBy(() -> IntQuantizer.quantize(new float[5], 2, 3, s)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> IntQuantizer.quantize(new float[] {1, Float.NaN}, 1, 2, s)).hasMessageContaining("NaN");
    }
}
