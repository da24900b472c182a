package dev.squint.core.codec;

import dev.squint.core.GgmlType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Behaviour of this family's codecs beyond the reference vectors: ggml's own error bounds
 * (tests/test-quantize-fns.cpp), dot products at odd block counts, Q8_1 (which has no reference
 * vectors), and bad input.
 */
class GgmlBlockCodecsTest {
    // ggml's tests/test-quantize-fns.cpp thresholds
    static final float MAX_QUANTIZATION_TOTAL_ERROR = 0.002f;
    static final float MAX_QUANTIZATION_TOTAL_ERROR_TERNARY = 0.01f;
    static final float MAX_DOT_PRODUCT_ERROR = 0.02f;
    static final float MAX_DOT_PRODUCT_ERROR_TERNARY = 0.15f;

    static boolean ternary(GgmlType t) {
        return t == GgmlType.TQ1_0 || t == GgmlType.TQ2_0;
    }

    /** test-quantize-fns's generate_data: 0.1 + amplitude·cos(i + offset). */
    static float[] generate(float offset, int n, float amplitude) {
        float[] d = new float[n];
        for (int i = 0; i < n; i++) d[i] = (float) (0.1 + amplitude * (float) Math.cos((float) i + offset));
        return d;
    }

    static MemorySegment quantize(GgmlType t, float[] x, float[] importance) {
        MemorySegment seg = MemorySegment.ofArray(new byte[(int) t.bytesFor(x.length)]);
        Codecs.of(t).quantizeRow(x, 0, x.length, seg, 0, importance);
        return seg;
    }

    /** The activation row a dot needs, quantized with the reference quantizer of the vec-dot type (Q8_0, Q8_1, Q8_K). */
    static MemorySegment quantizeVecDot(GgmlType vt, float[] y) {
        return quantize(vt, y, null);
    }

    static float[] dequantizeVecDot(GgmlType vt, MemorySegment q, int n) {
        float[] out = new float[n];
        Codecs.of(vt).dequantizeRow(q, 0, out, 0, n);
        return out;
    }

    @ParameterizedTest
    @EnumSource(names = {"Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q8_1", "IQ4_NL", "IQ4_XS", "TQ1_0", "TQ2_0"})
    void roundTripErrorIsWithinGgmlsOwnBound(GgmlType t) {
        int n = 32 * 128;
        float[] x = generate(0, n, 2);
        float[] back = new float[n];
        Codecs.of(t).dequantizeRow(quantize(t, x, null), 0, back, 0, n);
        double sum = 0;
        for (int i = 0; i < n; i++) sum += (double) (x[i] - back[i]) * (x[i] - back[i]);
        float rmse = (float) Math.sqrt(sum) / n; // ggml's array_rmse (sic: sqrt(Σ)/n)
        assertThat(rmse).isLessThan(ternary(t) ? MAX_QUANTIZATION_TOTAL_ERROR_TERNARY : MAX_QUANTIZATION_TOTAL_ERROR);
        assertThat(rmse).as("a lossy type is not the identity").isGreaterThan(0f);
    }

    @ParameterizedTest
    @EnumSource(names = {"Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q8_1", "IQ4_NL", "IQ4_XS", "TQ1_0", "TQ2_0"})
    void dotMatchesTheDequantizedDotAtOddBlockCounts(GgmlType t) {
        BlockCodec codec = Codecs.of(t);
        int bs = t.blockSize();
        int[] blockCounts = bs == 32 ? new int[] {1, 3, 7, 33, 128} : new int[] {1, 3, 5, 16};
        for (int blocks : blockCounts) {
            int n = blocks * bs;
            float[] x = generate(0, n, 2);
            float[] y = generate(1, n, 2);
            MemorySegment xq = quantize(t, x, null);
            MemorySegment yq = quantizeVecDot(codec.vecDotType(), y);
            float dot = codec.dot(n, xq, 0, yq, 0);

            float[] xd = new float[n];
            codec.dequantizeRow(xq, 0, xd, 0, n);
            float[] yd = dequantizeVecDot(codec.vecDotType(), yq, n);
            double exact = 0;
            double magnitude = 0;
            double trueDot = 0;
            for (int i = 0; i < n; i++) {
                exact += (double) xd[i] * yd[i];
                magnitude += Math.abs((double) xd[i] * yd[i]);
                trueDot += (double) x[i] * y[i];
            }
            // The dot works on the same integers as the dequantized values; only float rounding
            // differs, plus (Q4_1/Q5_1) the F16 rounding of Q8_1's stored d·Σq.
            double tolerance = (t == GgmlType.Q4_1 || t == GgmlType.Q5_1 ? 1e-3 : 1e-5) * magnitude + 1e-6;
            assertThat((double) dot).as("%s, %d blocks", t, blocks).isCloseTo(exact, org.assertj.core.data.Offset.offset(tolerance));
            if (n != 32 * 128) continue; // ggml's bound is stated for its test size, 4096 values
            float err = (float) Math.abs(dot - trueDot) / n;
            assertThat(err).as("%s, %d blocks vs the float dot", t, blocks)
                    .isLessThan(ternary(t) ? MAX_DOT_PRODUCT_ERROR_TERNARY : MAX_DOT_PRODUCT_ERROR);
        }
    }

    @Test
    void dotOfZeroBlocksIsZeroAndDotsIgnoreBytesOutsideTheRow() {
        for (GgmlType t : GgmlBlockVectorsTest.FAMILY) {
            BlockCodec c = Codecs.of(t);
            int n = t.blockSize() * 2;
            float[] x = generate(0, n, 1);
            float[] y = generate(2, n, 1);
            MemorySegment xq = quantize(t, x, null);
            MemorySegment yq = quantizeVecDot(c.vecDotType(), y);
            float ref = c.dot(n, xq, 0, yq, 0);
            // the same rows at an offset inside larger buffers filled with junk
            byte[] xb = new byte[(int) xq.byteSize() + 100];
            byte[] yb = new byte[(int) yq.byteSize() + 100];
            Arrays.fill(xb, (byte) 0x7B);
            Arrays.fill(yb, (byte) 0x5D);
            MemorySegment.copy(xq, 0, MemorySegment.ofArray(xb), 37, xq.byteSize());
            MemorySegment.copy(yq, 0, MemorySegment.ofArray(yb), 51, yq.byteSize());
            assertThat(c.dot(n, MemorySegment.ofArray(xb), 37, MemorySegment.ofArray(yb), 51)).as("%s", t).isEqualTo(ref);
            assertThat(c.dot(0, xq, 0, yq, 0)).isZero();
        }
    }

    @Test
    void q8_1StoresTheScaledSumOfItsQuants() {
        float[] x = generate(0.5f, 96, 3);
        MemorySegment q = quantize(GgmlType.Q8_1, x, null);
        MemorySegment q0 = quantize(GgmlType.Q8_0, x, null);
        for (int b = 0; b < 3; b++) {
            long o = 36L * b;
            float d = GgmlBlockCodecs.half(q, o);
            float amax = 0;
            for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[32 * b + j]));
            float dUnrounded = amax / 127; // ggml multiplies the sum by the float scale, before its F16 rounding
            int sum = 0;
            for (int j = 0; j < 32; j++) {
                sum += GgmlBlockCodecs.s8(q, o + 4 + j);
                // same quants and scale as Q8_0
                assertThat(GgmlBlockCodecs.s8(q, o + 4 + j)).isEqualTo(GgmlBlockCodecs.s8(q0, 34L * b + 2 + j));
            }
            assertThat(d).isEqualTo(GgmlBlockCodecs.half(q0, 34L * b));
            assertThat(GgmlBlockCodecs.half(q, o + 2)).isEqualTo(Float.float16ToFloat(Float.floatToFloat16(sum * dUnrounded)));
        }
    }

    @Test
    void q8_0RoundsHalvesAwayFromZeroLikeRoundf() {
        // amax 127 gives d = 1 exactly, so x·id is x: ±2.5 must become ±3, ±0.5 → ±1
        float[] x = new float[32];
        x[0] = 127;
        x[1] = 2.5f;
        x[2] = -2.5f;
        x[3] = 0.5f;
        x[4] = -0.5f;
        x[5] = 0.49999997f;
        MemorySegment q = quantize(GgmlType.Q8_0, x, null);
        assertThat(GgmlBlockCodecs.half(q, 0)).isEqualTo(1f);
        assertThat(new int[] {GgmlBlockCodecs.s8(q, 3), GgmlBlockCodecs.s8(q, 4), GgmlBlockCodecs.s8(q, 5),
                GgmlBlockCodecs.s8(q, 6), GgmlBlockCodecs.s8(q, 7)}).containsExactly(3, -3, 1, -1, 0);
    }

    @ParameterizedTest
    @EnumSource(names = {"Q8_0", "Q8_1", "TQ1_0", "TQ2_0"})
    void typesWithoutAWeightedSearchIgnoreImportance(GgmlType t) {
        float[] x = generate(0.25f, 512, 1.5f);
        float[] importance = new float[512];
        SplittableRandom rnd = new SplittableRandom(7);
        for (int i = 0; i < importance.length; i++) importance[i] = (float) Math.exp(rnd.nextGaussian());
        assertThat(quantize(t, x, importance).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE))
                .isEqualTo(quantize(t, x, null).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
    }

    @ParameterizedTest
    @EnumSource(names = {"Q4_0", "Q4_1", "Q5_0", "Q5_1", "IQ4_NL", "IQ4_XS"})
    void importanceChangesTheWeightedTypes(GgmlType t) {
        float[] x = generate(0.25f, 512, 1.5f);
        float[] importance = new float[512];
        SplittableRandom rnd = new SplittableRandom(7);
        for (int i = 0; i < importance.length; i++) importance[i] = (float) Math.exp(2 * rnd.nextGaussian());
        assertThat(quantize(t, x, importance).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE))
                .isNotEqualTo(quantize(t, x, null).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
    }

    @ParameterizedTest
    @EnumSource(names = {"Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q8_1", "IQ4_NL", "IQ4_XS", "TQ1_0", "TQ2_0"})
    void rowsNotAMultipleOfTheBlockSizeAreRefused(GgmlType t) {
        BlockCodec c = Codecs.of(t);
        int n = t.blockSize() + 1;
        float[] x = new float[n];
        MemorySegment big = MemorySegment.ofArray(new byte[4096]);
        assertThatThrownBy(() -> c.quantizeRow(x, 0, n, big, 0, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a multiple of the block size");
        assertThatThrownBy(() -> c.dequantizeRow(big, 0, new float[n], 0, n))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a multiple");
        assertThatThrownBy(() -> c.dot(n, big, 0, big, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a multiple");
        assertThatThrownBy(() -> Codecs.quantizeChunk(t, new float[2 * n], 0, 2, n, big, 0, null))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest
    @EnumSource(names = {"Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q8_1", "IQ4_NL", "IQ4_XS", "TQ1_0", "TQ2_0"})
    void nonFiniteValuesAreRefusedNamingTheElement(GgmlType t) {
        BlockCodec c = Codecs.of(t);
        int n = t.blockSize();
        MemorySegment dst = MemorySegment.ofArray(new byte[(int) t.bytesFor(n)]);
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            float[] x = generate(0, n, 1);
            x[5] = bad;
            assertThatThrownBy(() -> c.quantizeRow(x, 0, n, dst, 0, null))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("element 5");
        }
        if (t != GgmlType.Q8_0 && t != GgmlType.Q8_1 && !ternary(t)) {
            float[] importance = new float[n];
            Arrays.fill(importance, 1f);
            importance[3] = Float.NaN;
            assertThatThrownBy(() -> c.quantizeRow(generate(0, n, 1), 0, n, dst, 0, importance))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("importance weight 3");
            assertThatThrownBy(() -> c.quantizeRow(generate(0, n, 1), 0, n, dst, 0, new float[n - 1]))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("importance has");
        }
    }

    @Test
    void validateRowDataFindsNonFiniteScalesLikeGgml() {
        for (GgmlType t : GgmlBlockVectorsTest.FAMILY) {
            int n = t.blockSize() * 3;
            MemorySegment q = quantize(t, generate(0, n, 1), null);
            assertThat(GgmlBlockCodecs.validateRowData(t, q, 0, q.byteSize())).as("%s", t).isEqualTo(-1);
            long scaleOffset = switch (t) {
                case TQ1_0 -> 52;
                case TQ2_0 -> 64;
                default -> 0;
            };
            q.set(GgmlBlockCodecs.LE_SHORT, t.bytesPerBlock() + scaleOffset, Float.floatToFloat16(Float.POSITIVE_INFINITY));
            assertThat(GgmlBlockCodecs.validateRowData(t, q, 0, q.byteSize())).as("%s", t).isEqualTo(1);
            // ggml's dequantizer does not check: the infinity propagates
            float[] out = new float[n];
            Codecs.of(t).dequantizeRow(q, 0, out, 0, n);
            boolean anyInfinite = false;
            for (int i = t.blockSize(); i < 2 * t.blockSize(); i++) anyInfinite |= !Float.isFinite(out[i]);
            assertThat(anyInfinite).as("%s", t).isTrue();
        }
        assertThatThrownBy(() -> GgmlBlockCodecs.validateRowData(GgmlType.Q4_0, MemorySegment.ofArray(new byte[19]), 0, 19))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void zeroRowsGiveZeroBlocksAndZeroValues() {
        for (GgmlType t : GgmlBlockVectorsTest.FAMILY) {
            int n = t.blockSize() * 2;
            MemorySegment q = quantize(t, new float[n], null);
            float[] out = new float[n];
            Arrays.fill(out, 42f);
            Codecs.of(t).dequantizeRow(q, 0, out, 0, n);
            for (float v : out) assertThat(v).as("%s", t).isZero();
        }
    }

    @Test
    void vecDotTypesAreGgmls() {
        assertThat(Codecs.of(GgmlType.Q4_0).vecDotType()).isEqualTo(GgmlType.Q8_0);
        assertThat(Codecs.of(GgmlType.Q5_0).vecDotType()).isEqualTo(GgmlType.Q8_0);
        assertThat(Codecs.of(GgmlType.Q8_0).vecDotType()).isEqualTo(GgmlType.Q8_0);
        assertThat(Codecs.of(GgmlType.IQ4_NL).vecDotType()).isEqualTo(GgmlType.Q8_0);
        assertThat(Codecs.of(GgmlType.Q4_1).vecDotType()).isEqualTo(GgmlType.Q8_1);
        assertThat(Codecs.of(GgmlType.Q5_1).vecDotType()).isEqualTo(GgmlType.Q8_1);
        assertThat(Codecs.of(GgmlType.IQ4_XS).vecDotType()).isEqualTo(GgmlType.Q8_K);
        assertThat(Codecs.of(GgmlType.TQ1_0).vecDotType()).isEqualTo(GgmlType.Q8_K);
        assertThat(Codecs.of(GgmlType.TQ2_0).vecDotType()).isEqualTo(GgmlType.Q8_K);
        for (GgmlType t : GgmlBlockVectorsTest.FAMILY) assertThat(Codecs.of(t).requiresImportance()).isFalse();
    }
}
