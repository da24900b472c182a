package dev.squint.core.codec;

import dev.squint.core.GgmlType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.MemorySegment;
import java.util.EnumMap;
import java.util.Map;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Quantize → dequantize error of the grid codecs, on ggml's own test signal (with ggml's thresholds
 * from tests/test-quantize-fns.cpp) and on the shared inputs; dot products against a double-precision
 * dot of the dequantized rows; input validation.
 */
class GridCodecRoundTripTest {

    // tests/test-quantize-fns.cpp: MAX_QUANTIZATION_TOTAL_ERROR_{2BITS,3BITS,3BITS_XXS}. ggml runs its test
    // only for the types with a NULL-imatrix from_float (IQ2_S, IQ3_S, IQ3_XXS); for the others this test
    // uses an all-ones importance vector and the bounds noted on each.
    static final Map<GgmlType, Float> GGML_TOTAL_ERROR_LIMIT = new EnumMap<>(Map.of(
            GgmlType.IQ2_S, 0.0075f,
            GgmlType.IQ3_S, 0.0040f,
            GgmlType.IQ3_XXS, 0.0050f,
            GgmlType.IQ2_XXS, 0.0075f,   // the 2-bit limit
            GgmlType.IQ2_XS, 0.0075f,    // the 2-bit limit
            GgmlType.IQ1_S, 0.025f,      // ggml's limit for its other 1-bit type (Q1_0, "BINARY")
            GgmlType.IQ1_M, 0.025f));

    /** ggml's generate_data: 0.1 + amplitude*cos(i + offset), in float. */
    static float[] ggmlTestSignal(float offset, int n, float amplitude) {
        float[] d = new float[n];
        for (int i = 0; i < n; i++) d[i] = (float) (0.1 + amplitude * (float) Math.cos((float) i + offset));
        return d;
    }

    /** ggml's array_rmse: sqrt(sum of squared differences) / n (sic: not a true RMSE). */
    static float ggmlArrayRmse(float[] a, float[] b) {
        double sum = 0;
        for (int i = 0; i < a.length; i++) {
            double diff = a[i] - b[i];
            sum += diff * diff;
        }
        return (float) (Math.sqrt(sum) / a.length);
    }

    static float[] roundTrip(GgmlType type, float[] x, int rowLength, float[] importance) {
        BlockCodec c = Codecs.of(type);
        int rows = x.length / rowLength;
        long rowBytes = c.rowBytes(rowLength);
        MemorySegment q = MemorySegment.ofArray(new byte[(int) (rows * rowBytes)]);
        Codecs.quantizeChunk(type, x, 0, rows, rowLength, q, 0, importance);
        float[] out = new float[x.length];
        for (int r = 0; r < rows; r++) c.dequantizeRow(q, r * rowBytes, out, r * rowLength, rowLength);
        return out;
    }

    static float[] ones(int n) {
        float[] w = new float[n];
        java.util.Arrays.fill(w, 1f);
        return w;
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"IQ2_XXS", "IQ2_XS", "IQ2_S", "IQ3_XXS", "IQ3_S", "IQ1_S", "IQ1_M"})
    void ggmlTestSignalStaysWithinGgmlsThreshold(GgmlType type) {
        int n = 32 * 128; // ggml's test_size
        float[] x = ggmlTestSignal(0f, n, 2f);
        float[] importance = Codecs.of(type).requiresImportance() ? ones(n) : null;
        float err = ggmlArrayRmse(x, roundTrip(type, x, n, importance));
        assertThat(err).as("%s total quantization error", type).isLessThan(GGML_TOTAL_ERROR_LIMIT.get(type)).isGreaterThan(0f);
    }

    /** Relative RMSE (RMSE / RMS of the input) of the shared input {@code name}, with its importance vector. */
    static double relativeRmse(GgmlType type, String name) {
        GridCodecVectorsTest.Input in = GridCodecVectorsTest.input(name);
        float[] y = roundTrip(type, in.values(), in.rowLength(), in.importance());
        double se = 0, ss = 0;
        for (int i = 0; i < y.length; i++) {
            double d = (double) in.values()[i] - y[i];
            se += d * d;
            ss += (double) in.values()[i] * in.values()[i];
        }
        return Math.sqrt(se / ss);
    }

    @Test
    void errorOrderingOnNormalDataFollowsBitsPerWeight() {
        double iq3s = relativeRmse(GgmlType.IQ3_S, "normal");
        double iq3xxs = relativeRmse(GgmlType.IQ3_XXS, "normal");
        double iq2s = relativeRmse(GgmlType.IQ2_S, "normal");
        double iq2xs = relativeRmse(GgmlType.IQ2_XS, "normal");
        double iq2xxs = relativeRmse(GgmlType.IQ2_XXS, "normal");
        double iq1m = relativeRmse(GgmlType.IQ1_M, "normal");
        double iq1s = relativeRmse(GgmlType.IQ1_S, "normal");
        assertThat(iq3s).isLessThan(iq3xxs);
        assertThat(iq3xxs).isLessThan(iq2s);
        assertThat(iq2s).isLessThan(iq2xs);
        assertThat(iq2xs).isLessThan(iq2xxs);
        assertThat(iq2xxs).isLessThan(iq1m);
        assertThat(iq1m).isLessThan(iq1s);
        assertThat(iq1s).isLessThan(1.0);
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"IQ2_XXS", "IQ2_XS", "IQ2_S", "IQ3_XXS", "IQ3_S", "IQ1_S", "IQ1_M"})
    void sharedInputsRoundTripWithinMeasuredBounds(GgmlType type) {
        for (String name : new String[] {"normal", "uniform", "outliers", "mixed", "real_wq_l0", "real_w1_l0"}) {
            double rel = relativeRmse(type, name);
            // A few values 8-32x the rest: the 2-bit grids top out at 43/8 of a sub-block's typical magnitude.
            double bound = name.equals("outliers") ? 0.70 : maxRelativeRmse(type);
            assertThat(rel).as("%s on %s", type, name).isGreaterThan(0).isLessThan(bound);
        }
        assertThat(relativeRmseOrZero(type, "zeros")).isZero();
    }

    /** Bounds a little above what ggml's own code gives on these inputs (the codecs match it bit for bit). */
    static double maxRelativeRmse(GgmlType type) {
        return switch (type) {
            case IQ3_S -> 0.25;
            case IQ3_XXS -> 0.30;
            case IQ2_S -> 0.40;
            case IQ2_XS -> 0.45;
            case IQ2_XXS -> 0.50;
            case IQ1_M -> 0.65;
            case IQ1_S -> 0.70;
            default -> throw new IllegalArgumentException(type.toString());
        };
    }

    static double relativeRmseOrZero(GgmlType type, String name) {
        GridCodecVectorsTest.Input in = GridCodecVectorsTest.input(name);
        float[] y = roundTrip(type, in.values(), in.rowLength(), in.importance());
        double se = 0;
        for (int i = 0; i < y.length; i++) se += ((double) in.values()[i] - y[i]) * ((double) in.values()[i] - y[i]);
        return se;
    }

    /** A minimal Q8_K quantizer (ggml's quantize_row_q8_K_ref), for the dot tests. */
    static byte[] quantizeQ8K(float[] x, int off, int n) {
        byte[] out = new byte[n / 256 * GridCodecs.Q8K_BYTES];
        java.nio.ByteBuffer bb = java.nio.ByteBuffer.wrap(out).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (int b = 0; b < n / 256; b++) {
            int base = b * GridCodecs.Q8K_BYTES;
            float max = 0, amax = 0;
            for (int j = 0; j < 256; j++) {
                float ax = Math.abs(x[off + 256 * b + j]);
                if (ax > amax) {
                    amax = ax;
                    max = x[off + 256 * b + j];
                }
            }
            if (amax == 0) continue;
            float iscale = -127.f / max;
            int[] q = new int[256];
            for (int j = 0; j < 256; j++) {
                q[j] = Math.min(127, GgmlQuantMath.nearestInt(iscale * x[off + 256 * b + j]));
                out[base + 4 + j] = (byte) q[j];
            }
            for (int j = 0; j < 16; j++) {
                int sum = 0;
                for (int i = 0; i < 16; i++) sum += q[16 * j + i];
                bb.putShort(base + 260 + 2 * j, (short) sum);
            }
            bb.putFloat(base, 1 / iscale);
        }
        return out;
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"IQ2_XXS", "IQ2_XS", "IQ2_S", "IQ3_XXS", "IQ3_S", "IQ1_S", "IQ1_M"})
    void dotEqualsDoubleDotOfDequantizedRowsAtOddBlockCounts(GgmlType type) {
        BlockCodec c = Codecs.of(type);
        SplittableRandom rnd = new SplittableRandom(42 + type.ordinal());
        for (int blocks : new int[] {1, 3, 5}) {
            int n = 256 * blocks;
            float[] x = new float[n], a = new float[n], w = new float[n];
            for (int i = 0; i < n; i++) {
                x[i] = (float) (rnd.nextGaussian() * 0.7);
                a[i] = (float) rnd.nextGaussian();
                w[i] = (float) Math.exp(rnd.nextGaussian());
            }
            MemorySegment q = MemorySegment.ofArray(new byte[(int) c.rowBytes(n)]);
            c.quantizeRow(x, 0, n, q, 0, w);
            float[] xd = new float[n];
            c.dequantizeRow(q, 0, xd, 0, n);
            byte[] y = quantizeQ8K(a, 0, n);
            java.nio.ByteBuffer yb = java.nio.ByteBuffer.wrap(y).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            double exact = 0, magnitude = 0;
            for (int i = 0; i < n; i++) {
                int blk = i / 256;
                double yv = (double) yb.getFloat(blk * GridCodecs.Q8K_BYTES) * y[blk * GridCodecs.Q8K_BYTES + 4 + i % 256];
                exact += xd[i] * yv;
                magnitude += Math.abs(xd[i] * yv);
            }
            float got = c.dot(n, q, 0, MemorySegment.ofArray(y), 0);
            assertThat(magnitude).isGreaterThan(0);
            assertThat((double) got).as("%s, %d blocks", type, blocks).isCloseTo(exact, org.assertj.core.data.Offset.offset(2e-6 * magnitude + 1e-6));
        }
    }

    @Test
    void importanceIsRequiredExactlyWhereGgmlAssertsIt() {
        assertThat(Codecs.of(GgmlType.IQ2_XXS).requiresImportance()).isTrue();
        assertThat(Codecs.of(GgmlType.IQ2_XS).requiresImportance()).isTrue();
        assertThat(Codecs.of(GgmlType.IQ1_S).requiresImportance()).isTrue();
        assertThat(Codecs.of(GgmlType.IQ1_M).requiresImportance()).isFalse();
        assertThat(Codecs.of(GgmlType.IQ2_S).requiresImportance()).isFalse();
        assertThat(Codecs.of(GgmlType.IQ3_XXS).requiresImportance()).isFalse();
        assertThat(Codecs.of(GgmlType.IQ3_S).requiresImportance()).isFalse();
        float[] x = ggmlTestSignal(0f, 256, 1f);
        MemorySegment q = MemorySegment.ofArray(new byte[256]);
        assertThatThrownBy(() -> Codecs.of(GgmlType.IQ1_S).quantizeRow(x, 0, 256, q, 0, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("importance");
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"IQ2_XXS", "IQ2_XS", "IQ2_S", "IQ3_XXS", "IQ3_S", "IQ1_S", "IQ1_M"})
    void badInputIsRefused(GgmlType type) {
        BlockCodec c = Codecs.of(type);
        MemorySegment q = MemorySegment.ofArray(new byte[512]);
        float[] x = ggmlTestSignal(0f, 256, 1f);
        float[] w = ones(256);
        x[17] = Float.NaN;
        assertThatThrownBy(() -> c.quantizeRow(x, 0, 256, q, 0, w)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("element 17");
        x[17] = 0;
        assertThatThrownBy(() -> c.quantizeRow(x, 0, 128, q, 0, w)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("multiple");
        w[3] = Float.POSITIVE_INFINITY;
        assertThatThrownBy(() -> c.quantizeRow(x, 0, 256, q, 0, w)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("importance weight 3");
        assertThatThrownBy(() -> c.dequantizeRow(q, 0, new float[300], 0, 300)).isInstanceOf(IllegalArgumentException.class);
    }
}
