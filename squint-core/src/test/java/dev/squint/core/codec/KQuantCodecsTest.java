package dev.squint.core.codec;

import dev.squint.core.GgmlType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Round-trip error, dot products and input checks of the K-quant codecs, with the error bounds of
 * llama.cpp's tests/test-quantize-fns.cpp.
 */
class KQuantCodecsTest {
    private static final int TEST_SIZE = 32 * 128; // test-quantize-fns.cpp's size

    /** test-quantize-fns.cpp's generate_data: 0.1 + 2·cos(i + offset), the sum in double, stored as float. */
    static float[] generateData(float offset, int n) {
        float[] d = new float[n];
        for (int i = 0; i < n; i++) d[i] = (float) (0.1 + 2 * (float) Math.cos(i + offset));
        return d;
    }

    static double maxTotalError(GgmlType t) {
        return switch (t) {
            case Q2_K -> 0.0075;
            case Q3_K -> 0.0040;
            default -> 0.002;
        };
    }

    static double maxDotError(GgmlType t) {
        return t == GgmlType.Q2_K ? 0.04 : 0.02;
    }

    static byte[] quantize(GgmlType t, float[] x, float[] importance) {
        BlockCodec c = Codecs.of(t);
        byte[] q = new byte[(int) c.rowBytes(x.length)];
        c.quantizeRow(x, 0, x.length, MemorySegment.ofArray(q), 0, importance);
        return q;
    }

    static float[] dequantize(GgmlType t, byte[] q, int n) {
        float[] out = new float[n];
        Codecs.of(t).dequantizeRow(MemorySegment.ofArray(q), 0, out, 0, n);
        return out;
    }

    /** test-quantize-fns.cpp's array_rmse: sqrt(Σ diff²) / n. */
    static double arrayRmse(float[] a, float[] b) {
        double sum = 0;
        for (int i = 0; i < a.length; i++) {
            double diff = a[i] - b[i];
            sum += diff * diff;
        }
        return Math.sqrt(sum) / a.length;
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "Q8_K"})
    void registeredWithQ8KAsDotPartner(GgmlType t) {
        BlockCodec c = Codecs.of(t);
        assertThat(c.type()).isEqualTo(t);
        assertThat(c.vecDotType()).isEqualTo(GgmlType.Q8_K);
        assertThat(c.requiresImportance()).isFalse();
        assertThat(c.rowBytes(512)).isEqualTo(2L * t.bytesPerBlock());
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "Q8_K"})
    void roundTripErrorWithinGgmlBounds(GgmlType t) {
        float[] x = generateData(0, TEST_SIZE);
        float[] back = dequantize(t, quantize(t, x, null), TEST_SIZE);
        assertThat(arrayRmse(x, back)).isLessThan(maxTotalError(t));
    }

    @Test
    void q8kRoundTripIsNearlyExactAndBsumsAreBlockSums() {
        // Q8_K has no llama.cpp reference vectors (it is never a storage type); check it against its definition
        float[] x = generateData(0.5f, 3 * 256);
        byte[] q = quantize(GgmlType.Q8_K, x, null);
        float[] back = dequantize(GgmlType.Q8_K, q, x.length);
        for (int b = 0; b < 3; b++) {
            float amax = 0;
            for (int j = 0; j < 256; j++) amax = Math.max(amax, Math.abs(x[256 * b + j]));
            float d = KQuantCodec.leFloat(q, 292 * b);
            assertThat(Math.abs(d)).isCloseTo(amax / 127, org.assertj.core.data.Percentage.withPercentage(1e-4));
            for (int j = 0; j < 256; j++) {
                assertThat(Math.abs(back[256 * b + j] - x[256 * b + j])).isLessThanOrEqualTo(Math.abs(d) * 0.5f * 1.0001f);
            }
            for (int g = 0; g < 16; g++) {
                int sum = 0;
                for (int k = 0; k < 16; k++) sum += q[292 * b + 4 + 16 * g + k];
                assertThat(KQuantCodec.leShort(q, 292 * b + 260 + 2 * g)).isEqualTo(sum);
            }
        }
        // an all-zero block is all zero bytes
        byte[] z = quantize(GgmlType.Q8_K, new float[256], null);
        assertThat(z).containsOnly((byte) 0);
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"})
    void importanceQuantizationAlsoWithinBounds(GgmlType t) {
        float[] x = generateData(0, TEST_SIZE);
        float[] imp = new float[TEST_SIZE];
        SplittableRandom rnd = new SplittableRandom(7);
        for (int i = 0; i < imp.length; i++) imp[i] = (float) Math.exp(rnd.nextGaussian());
        float[] back = dequantize(t, quantize(t, x, imp), TEST_SIZE);
        assertThat(arrayRmse(x, back)).isLessThan(maxTotalError(t));
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "Q8_K"})
    void dotMatchesGgmlErrorBoundAgainstFloatData(GgmlType t) {
        // test-quantize-fns.cpp's dot_product_error: quantized dot vs double dot of the original floats
        float[] a = generateData(0, TEST_SIZE);
        float[] b = generateData(1, TEST_SIZE);
        byte[] qa = quantize(t, a, null);
        byte[] qb = quantize(GgmlType.Q8_K, b, null);
        float got = Codecs.of(t).dot(TEST_SIZE, MemorySegment.ofArray(qa), 0, MemorySegment.ofArray(qb), 0);
        double ref = 0;
        for (int i = 0; i < TEST_SIZE; i++) ref += a[i] * b[i];
        assertThat(Math.abs(got - ref) / TEST_SIZE).isLessThan(maxDotError(t));
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "Q8_K"})
    void dotEqualsDoubleDotOfDequantizedValuesAtOddBlockCounts(GgmlType t) {
        SplittableRandom rnd = new SplittableRandom(42);
        for (int blocks : new int[] {1, 3, 7, 17}) {
            int n = 256 * blocks;
            float[] a = new float[n], b = new float[n];
            for (int i = 0; i < n; i++) {
                a[i] = (float) rnd.nextGaussian();
                b[i] = (float) (rnd.nextGaussian() * 3);
            }
            byte[] qa = quantize(t, a, null);
            byte[] qb = quantize(GgmlType.Q8_K, b, null);
            float[] da = dequantize(t, qa, n);
            float[] db = dequantize(GgmlType.Q8_K, qb, n);
            double ref = 0, mag = 0;
            for (int i = 0; i < n; i++) {
                ref += (double) da[i] * db[i];
                mag += Math.abs((double) da[i] * db[i]);
            }
            float got = Codecs.of(t).dot(n, MemorySegment.ofArray(qa), 0, MemorySegment.ofArray(qb), 0);
            // ggml's bound (per value), and a tight one: only float rounding of the per-block scaling remains
            assertThat(Math.abs(got - ref) / n).as("%s, %d blocks", t, blocks).isLessThan(maxDotError(t));
            assertThat(Math.abs(got - ref)).as("%s, %d blocks", t, blocks).isLessThanOrEqualTo(1e-5 * mag + 1e-6);
        }
    }

    @Test
    void dotReadsAtByteOffsets() {
        float[] a = generateData(0.25f, 512);
        float[] b = generateData(2.0f, 512);
        byte[] qa = quantize(GgmlType.Q4_K, a, null);
        byte[] qb = quantize(GgmlType.Q8_K, b, null);
        byte[] qa2 = new byte[qa.length + 5];
        byte[] qb2 = new byte[qb.length + 3];
        System.arraycopy(qa, 0, qa2, 5, qa.length);
        System.arraycopy(qb, 0, qb2, 3, qb.length);
        BlockCodec c = Codecs.of(GgmlType.Q4_K);
        float direct = c.dot(512, MemorySegment.ofArray(qa), 0, MemorySegment.ofArray(qb), 0);
        float shifted = c.dot(512, MemorySegment.ofArray(qa2), 5, MemorySegment.ofArray(qb2), 3);
        assertThat(Float.floatToRawIntBits(shifted)).isEqualTo(Float.floatToRawIntBits(direct));
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "Q8_K"})
    void rejectsNonFiniteValuesAndBadLengths(GgmlType t) {
        BlockCodec c = Codecs.of(t);
        MemorySegment dst = MemorySegment.ofArray(new byte[2 * t.bytesPerBlock()]);
        float[] nan = generateData(0, 512);
        nan[300] = Float.NaN;
        assertThatThrownBy(() -> c.quantizeRow(nan, 0, 512, dst, 0, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("non-finite").hasMessageContaining("300");
        float[] inf = generateData(0, 512);
        inf[7] = Float.NEGATIVE_INFINITY;
        assertThatThrownBy(() -> c.quantizeRow(inf, 0, 512, dst, 0, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("index 7");
        float[] ok = generateData(0, 512);
        assertThatThrownBy(() -> c.quantizeRow(ok, 0, 300, dst, 0, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("multiple of 256");
        assertThatThrownBy(() -> c.dequantizeRow(dst, 0, new float[512], 0, 100))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("multiple of 256");
        assertThatThrownBy(() -> c.dot(257, dst, 0, dst, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("multiple of 256");
        assertThatThrownBy(() -> Codecs.quantizeChunk(t, ok, 0, 2, 200, dst, 0, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("block size");
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"})
    void rejectsShortOrNonFiniteImportance(GgmlType t) {
        BlockCodec c = Codecs.of(t);
        MemorySegment dst = MemorySegment.ofArray(new byte[2 * t.bytesPerBlock()]);
        float[] x = generateData(0, 512);
        assertThatThrownBy(() -> c.quantizeRow(x, 0, 512, dst, 0, new float[256]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("importance");
        float[] imp = new float[512];
        java.util.Arrays.fill(imp, 1f);
        imp[511] = Float.POSITIVE_INFINITY;
        assertThatThrownBy(() -> c.quantizeRow(x, 0, 512, dst, 0, imp))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("column 511");
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "Q8_K"})
    void quantizesAtSourceAndDestinationOffsets(GgmlType t) {
        float[] x = generateData(3, 768);
        byte[] whole = quantize(t, x, null);
        BlockCodec c = Codecs.of(t);
        byte[] out = new byte[whole.length + 11];
        c.quantizeRow(x, 256, 512, MemorySegment.ofArray(out), 11, null);
        byte[] expected = new byte[2 * t.bytesPerBlock()];
        System.arraycopy(whole, t.bytesPerBlock(), expected, 0, expected.length);
        byte[] actual = java.util.Arrays.copyOfRange(out, 11, 11 + expected.length);
        assertThat(actual).isEqualTo(expected);
    }
}
