package dev.squint.kernels;

import dev.squint.core.GgmlType;
import dev.squint.core.codec.BlockCodec;
import dev.squint.core.codec.Codecs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The Vector API kernels against their scalar twins (core codecs): identical bytes, floats and dots. */
class LegacyQuantKernelsTest {
    static final int[] BLOCK_COUNTS = {1, 2, 3, 5, 7, 31, 64, 129};

    /** Seeded rows with the awkward cases mixed in: zero blocks, exact halves, -0.0, tiny and large blocks. */
    static float[] data(int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int b = 0; b < n / 32; b++) {
            int kind = rnd.nextInt(9);
            for (int j = 0; j < 32; j++) {
                int i = 32 * b + j;
                x[i] = switch (kind) {
                    case 0 -> 0f;
                    case 1 -> j == 0 ? 127f : (rnd.nextInt(254) - 127) + 0.5f * rnd.nextInt(2); // d = 1: exact halves
                    case 2 -> j % 3 == 0 ? -0.0f : (float) rnd.nextGaussian() * 1e-6f;
                    case 3 -> (float) rnd.nextGaussian() * 300f;
                    case 4 -> j == 7 ? -5f : (rnd.nextInt(11) - 5); // ties for the largest magnitude, signed first
                    // zero minimum / maximum whose sign comes from the first zero (Q4_1/Q5_1 store it)
                    case 5 -> j % 5 == 0 ? (j == 0 ? -0.0f : 0.0f) : (float) Math.abs(rnd.nextGaussian());
                    case 6 -> j % 5 == 0 ? (j == 5 ? 0.0f : -0.0f) : (float) Math.abs(rnd.nextGaussian());
                    case 7 -> j % 4 == 0 ? (j % 8 == 0 ? -0.0f : 0.0f) : (float) -Math.abs(rnd.nextGaussian());
                    default -> (float) rnd.nextGaussian();
                };
            }
        }
        return x;
    }

    static byte[] scalarQuantize(GgmlType t, float[] x, int off, int n) {
        byte[] out = new byte[(int) t.bytesFor(n)];
        Codecs.of(t).quantizeRow(x, off, n, MemorySegment.ofArray(out), 0, null);
        return out;
    }

    @ParameterizedTest
    @EnumSource(names = {"Q8_0", "Q8_1", "Q4_0", "Q4_1", "Q5_0", "Q5_1"})
    void quantizeWritesTheScalarBytes(GgmlType t) {
        assertThat(LegacyQuantKernels.canQuantize(t)).isTrue();
        for (int blocks : BLOCK_COUNTS) {
            int n = 32 * blocks;
            float[] x = data(n + 3, blocks);
            byte[] expected = scalarQuantize(t, x, 3, n);
            byte[] actual = new byte[expected.length + 5];
            LegacyQuantKernels.quantize(t, x, 3, n, MemorySegment.ofArray(actual), 5);
            assertThat(java.util.Arrays.copyOfRange(actual, 5, actual.length)).as("%s, %d blocks", t, blocks).isEqualTo(expected);
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"Q8_0", "Q8_1", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "IQ4_NL"})
    void dequantizeGivesTheScalarFloats(GgmlType t) {
        assertThat(LegacyQuantKernels.canDequantize(t)).isTrue();
        BlockCodec codec = Codecs.of(t);
        SplittableRandom rnd = new SplittableRandom(5);
        for (int blocks : BLOCK_COUNTS) {
            int n = 32 * blocks;
            // arbitrary bytes (every quant value, including Q8_0's -128) with finite random F16 scales
            byte[] q = new byte[(int) t.bytesFor(n)];
            rnd.nextBytes(q);
            MemorySegment seg = MemorySegment.ofArray(q);
            finiteScales(t, seg, blocks, rnd);
            float[] expected = new float[n];
            float[] actual = new float[n + 1];
            codec.dequantizeRow(seg, 0, expected, 0, n);
            LegacyQuantKernels.dequantize(t, seg, 0, actual, 1, n);
            for (int i = 0; i < n; i++) {
                assertThat(Float.floatToRawIntBits(actual[i + 1])).as("%s, %d blocks, element %d", t, blocks, i)
                        .isEqualTo(Float.floatToRawIntBits(expected[i]));
            }
        }
    }

    /** Random finite F16 values in every scale field (d, and m or s where the type has one). */
    static void finiteScales(GgmlType t, MemorySegment seg, int blocks, SplittableRandom rnd) {
        boolean two = t == GgmlType.Q4_1 || t == GgmlType.Q5_1 || t == GgmlType.Q8_1;
        for (int b = 0; b < blocks; b++) {
            long o = (long) b * t.bytesPerBlock();
            seg.set(ValueLayout.JAVA_SHORT_UNALIGNED, o, Float.floatToFloat16((float) rnd.nextGaussian()));
            if (two) seg.set(ValueLayout.JAVA_SHORT_UNALIGNED, o + 2, Float.floatToFloat16((float) rnd.nextGaussian()));
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "IQ4_NL"})
    void dotEqualsTheScalarDot(GgmlType t) {
        assertThat(LegacyQuantKernels.canDot(t)).isTrue();
        BlockCodec codec = Codecs.of(t);
        SplittableRandom rnd = new SplittableRandom(11);
        for (int blocks : BLOCK_COUNTS) {
            int n = 32 * blocks;
            MemorySegment xq = MemorySegment.ofArray(scalarQuantize(t, data(n, 100 + blocks), 0, n));
            MemorySegment yq = MemorySegment.ofArray(scalarQuantize(codec.vecDotType(), data(n, 200 + blocks), 0, n));
            float expected = codec.dot(n, xq, 0, yq, 0);
            float actual = LegacyQuantKernels.dot(t, n, xq, 0, yq, 0);
            assertThat(Float.floatToRawIntBits(actual)).as("%s, %d blocks: %s vs %s", t, blocks, actual, expected)
                    .isEqualTo(Float.floatToRawIntBits(expected));
            // arbitrary bytes: every quant value, including Q8's -128
            byte[] xr = new byte[(int) t.bytesFor(n)];
            byte[] yr = new byte[(int) codec.vecDotType().bytesFor(n)];
            rnd.nextBytes(xr);
            rnd.nextBytes(yr);
            finiteScales(t, MemorySegment.ofArray(xr), blocks, rnd);
            finiteScales(codec.vecDotType(), MemorySegment.ofArray(yr), blocks, rnd);
            expected = codec.dot(n, MemorySegment.ofArray(xr), 0, MemorySegment.ofArray(yr), 0);
            actual = VectorCodecs.of(t).dot(n, MemorySegment.ofArray(xr), 0, MemorySegment.ofArray(yr), 0);
            assertThat(Float.floatToRawIntBits(actual)).as("%s, %d blocks: %s vs %s", t, blocks, actual, expected)
                    .isEqualTo(Float.floatToRawIntBits(expected));
        }
    }

    @Test
    void badInputIsRefusedLikeTheScalarCodec() {
        float[] x = data(64, 1);
        x[40] = Float.NaN;
        MemorySegment dst = MemorySegment.ofArray(new byte[200]);
        assertThatThrownBy(() -> LegacyQuantKernels.quantizeQ8_0(x, 0, 64, dst, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("element 40");
        x[40] = Float.NEGATIVE_INFINITY;
        assertThatThrownBy(() -> LegacyQuantKernels.quantizeQ4_0(x, 0, 64, dst, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("element 40");
        assertThatThrownBy(() -> LegacyQuantKernels.quantizeQ4_0(data(64, 1), 0, 33, dst, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a multiple");
        assertThatThrownBy(() -> LegacyQuantKernels.dotQ8_0Q8_0(31, dst, 0, dst, 0))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"Q8_0", "Q8_1", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "IQ4_NL", "IQ4_XS", "TQ2_0"})
    void wholeTensorQuantizeIsIdenticalAtAnyThreadCount(String typeName) {
        GgmlType t = GgmlType.valueOf(typeName);
        int rows = 23;
        int nPerRow = 512;
        float[] src = data(rows * nPerRow, 77);
        float[] importance = null;
        if (t != GgmlType.Q8_0 && t != GgmlType.Q8_1 && t != GgmlType.TQ2_0) {
            importance = new float[nPerRow];
            SplittableRandom rnd = new SplittableRandom(3);
            for (int i = 0; i < nPerRow; i++) importance[i] = (float) Math.exp(rnd.nextGaussian());
        }
        long bytes = t.bytesFor((long) rows * nPerRow);
        byte[] reference = new byte[(int) bytes];
        Codecs.quantizeChunk(t, src, 0, rows, nPerRow, MemorySegment.ofArray(reference), 0, importance);
        for (float[] imp : new float[][] {importance, null}) {
            byte[] scalar = new byte[(int) bytes];
            Codecs.quantizeChunk(t, src, 0, rows, nPerRow, MemorySegment.ofArray(scalar), 0, imp);
            for (int threads : new int[] {1, 2, 3, 4}) {
                byte[] out = new byte[(int) bytes];
                long written = ParallelQuantizer.quantize(t, src, rows, nPerRow, MemorySegment.ofArray(out), 0, imp, threads);
                assertThat(written).isEqualTo(bytes);
                assertThat(out).as("%s, %d threads, importance %s", t, threads, imp != null).isEqualTo(scalar);
            }
        }
        assertThat(reference).isNotEmpty();
    }

    @ParameterizedTest
    @EnumSource(names = {"Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q8_1", "IQ4_NL", "IQ4_XS", "TQ1_0", "TQ2_0"})
    void vectorCodecsAgreeWithTheReferenceCodecs(GgmlType t) {
        BlockCodec ref = Codecs.of(t);
        BlockCodec fast = VectorCodecs.of(t);
        assertThat(fast.type()).isEqualTo(t);
        assertThat(fast.vecDotType()).isEqualTo(ref.vecDotType());
        int n = 256 * 3;
        float[] x = data(n, 31);
        float[] importance = new float[n];
        java.util.Arrays.fill(importance, 0.5f);
        importance[3] = 40f;
        for (float[] imp : new float[][] {null, importance}) {
            byte[] a = new byte[(int) t.bytesFor(n)];
            byte[] b = new byte[a.length];
            ref.quantizeRow(x, 0, n, MemorySegment.ofArray(a), 0, imp);
            fast.quantizeRow(x, 0, n, MemorySegment.ofArray(b), 0, imp);
            assertThat(b).as("%s, importance %s", t, imp != null).isEqualTo(a);
            float[] da = new float[n];
            float[] db = new float[n];
            ref.dequantizeRow(MemorySegment.ofArray(a), 0, da, 0, n);
            fast.dequantizeRow(MemorySegment.ofArray(a), 0, db, 0, n);
            assertThat(db).isEqualTo(da);
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"IQ4_NL", "IQ4_XS"})
    void iq4SearchWritesTheScalarBytes(GgmlType t) {
        org.junit.jupiter.api.Assumptions.assumeTrue(NonLinearKernels.AVAILABLE, "needs 16 float lanes");
        int[] counts = t == GgmlType.IQ4_XS ? new int[] {1, 3, 5} : new int[] {1, 7, 33};
        SplittableRandom rnd = new SplittableRandom(17);
        for (int blocks : counts) {
            int n = t.blockSize() * blocks;
            float[] x = data(n + 2, 400 + blocks);
            float[] importance = new float[n];
            for (int i = 0; i < n; i++) importance[i] = (float) Math.exp(1.5 * rnd.nextGaussian());
            for (float[] imp : new float[][] {null, importance}) {
                byte[] expected = new byte[(int) t.bytesFor(n)];
                Codecs.of(t).quantizeRow(x, 2, n, MemorySegment.ofArray(expected), 0, imp);
                byte[] actual = new byte[expected.length + 3];
                NonLinearKernels.quantize(t, x, 2, n, MemorySegment.ofArray(actual), 3, imp);
                assertThat(java.util.Arrays.copyOfRange(actual, 3, actual.length))
                        .as("%s, %d blocks, importance %s", t, blocks, imp != null).isEqualTo(expected);
            }
        }
        float[] bad = data(t.blockSize(), 1);
        bad[9] = Float.POSITIVE_INFINITY;
        assertThatThrownBy(() -> NonLinearKernels.quantize(t, bad, 0, t.blockSize(), MemorySegment.ofArray(new byte[200]), 0, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("element 9");
    }

    @Test
    void iq4XsDequantizeAndDotEqualTheScalarCodec() {
        org.junit.jupiter.api.Assumptions.assumeTrue(NonLinearKernels.AVAILABLE, "needs 16 float lanes");
        BlockCodec codec = Codecs.of(GgmlType.IQ4_XS);
        SplittableRandom rnd = new SplittableRandom(23);
        for (int blocks : new int[] {1, 3, 5}) {
            int n = 256 * blocks;
            byte[] q = new byte[(int) GgmlType.IQ4_XS.bytesFor(n)];
            rnd.nextBytes(q); // every code and 6-bit scale
            MemorySegment seg = MemorySegment.ofArray(q);
            for (int b = 0; b < blocks; b++) seg.set(ValueLayout.JAVA_SHORT_UNALIGNED, 136L * b, Float.floatToFloat16((float) rnd.nextGaussian()));
            float[] expected = new float[n];
            float[] actual = new float[n];
            codec.dequantizeRow(seg, 0, expected, 0, n);
            NonLinearKernels.dequantizeIq4Xs(seg, 0, actual, 0, n);
            assertThat(actual).as("%d blocks", blocks).isEqualTo(expected);
            MemorySegment y = MemorySegment.ofArray(new byte[(int) GgmlType.Q8_K.bytesFor(n)]);
            Codecs.of(GgmlType.Q8_K).quantizeRow(data(n, 500 + blocks), 0, n, y, 0, null);
            assertThat(Float.floatToRawIntBits(NonLinearKernels.dotIq4XsQ8K(n, seg, 0, y, 0)))
                    .isEqualTo(Float.floatToRawIntBits(codec.dot(n, seg, 0, y, 0)));
            assertThat(VectorCodecs.of(GgmlType.IQ4_XS).dot(n, seg, 0, y, 0)).isEqualTo(codec.dot(n, seg, 0, y, 0));
        }
    }
}
