package dev.squint.kernels;

import dev.squint.core.GgmlType;
import dev.squint.core.codec.BlockCodec;
import dev.squint.core.codec.Codecs;
import dev.squint.core.codec.FloatFormats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The matrix × vector kernels against their scalar twins at odd row and block counts. */
class MatVecKernelsTest {
    private static final int[] BLOCKS = {1, 3, 7, 64, 65};
    private static final int[] ROWS = {1, 3, 4, 5, 11};

    private static float[] gaussian(int n, long seed, double sd) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (rnd.nextGaussian() * sd);
        return x;
    }

    /** A weight matrix quantized by the reference codec, placed at an odd offset in its segment. */
    private static MemorySegment matrix(GgmlType t, int rows, int n, long seed, long offset) {
        BlockCodec c = Codecs.of(t);
        long rowBytes = c.rowBytes(n);
        MemorySegment m = MemorySegment.ofArray(new byte[(int) (offset + rows * rowBytes)]);
        float[] w = gaussian(rows * n, seed, 0.02);
        for (int r = 0; r < rows; r++) c.quantizeRow(w, r * n, n, m, offset + r * rowBytes, null);
        return m;
    }

    @Test
    void activationQuantizationEqualsItsScalarTwin() {
        for (int blocks : BLOCKS) {
            int n = 32 * blocks;
            float[] x = gaussian(n + 5, blocks, 3.0);
            x[5] = 0;
            x[6 + 16] = 127.5f / 127f * 2f; // not a tie after scaling, but near one
            for (int j = 0; j < 32 && blocks > 1; j++) x[5 + 32 + j] = j % 2 == 0 ? 0.5f * j : -0.5f * j; // ties after scaling
            MatVecKernels.Q8Token a = new MatVecKernels.Q8Token();
            MatVecKernels.quantizeQ8_0(x, 5, n, a);
            int[] q = new int[n];
            float[] d = new float[blocks];
            MatVecKernels.quantizeQ8_0Reference(x, 5, n, q, d);
            for (int i = 0; i < n; i++) assertThat(a.value(i)).as("value %d of %d", i, n).isEqualTo(q[i]);
            for (int b = 0; b < blocks; b++) assertThat(a.scale(b)).isEqualTo(d[b]);
        }
    }

    @Test
    void activationQuantizationRoundsHalvesToEvenAsLlamaCppsX86Build() {
        // amax 127 makes the multiplier exactly 1: 2.5 → 2, 3.5 → 4, -0.5 → -0 (0), 126.5 → 126
        float[] x = new float[32];
        x[0] = 127f;
        x[1] = 2.5f;
        x[2] = 3.5f;
        x[3] = -0.5f;
        x[4] = 126.5f;
        x[5] = -1.5f;
        MatVecKernels.Q8Token a = new MatVecKernels.Q8Token();
        MatVecKernels.quantizeQ8_0(x, 0, 32, a);
        assertThat(new int[] {a.value(0), a.value(1), a.value(2), a.value(3), a.value(4), a.value(5)})
                .containsExactly(127, 2, 4, 0, 126, -2);
        assertThat(a.scale(0)).isEqualTo(Float.float16ToFloat(Float.floatToFloat16(1f)));
    }

    @ParameterizedTest
    @EnumSource(names = {"Q8_0", "Q4_0"})
    void quantizedRowsMatchTheScalarTwin(GgmlType t) {
        for (int blocks : BLOCKS) {
            for (int rows : ROWS) {
                int n = 32 * blocks;
                long offset = 7;
                MemorySegment w = matrix(t, rows, n, 31L * blocks + rows, offset);
                long rowBytes = Codecs.of(t).rowBytes(n);
                float[] x = gaussian(n, rows, 1.0);
                MatVecKernels.Q8Token a = new MatVecKernels.Q8Token();
                MatVecKernels.quantizeQ8_0(x, 0, n, a);
                int[] q = new int[n];
                float[] d = new float[blocks];
                MatVecKernels.quantizeQ8_0Reference(x, 0, n, q, d);
                float[] y = new float[rows + 2];
                // rows [1, rows): a range not starting at zero, written at its own index plus one
                if (t == GgmlType.Q8_0) MatVecKernels.q8_0Rows(w, offset, rowBytes, 1, rows, a, y, 1);
                else MatVecKernels.q4_0Rows(w, offset, rowBytes, 1, rows, a, y, 1);
                assertThat(y[0]).isZero();
                assertThat(y[1]).isZero();
                for (int j = 1; j < rows; j++) {
                    float expected = t == GgmlType.Q8_0
                            ? MatVecKernels.dotQ8_0Reference(w, offset + j * rowBytes, n, q, d)
                            : MatVecKernels.dotQ4_0Reference(w, offset + j * rowBytes, n, q, d);
                    float scale = sumAbsTerms(t, w, offset + j * rowBytes, n, q, d);
                    assertThat(y[1 + j]).as("%s row %d of %d, %d blocks", t, j, rows, blocks)
                            .isCloseTo(expected, within(1e-5f * scale + 1e-30f));
                }
                assertThat(y[rows + 1]).isZero();
            }
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"Q8_0", "Q4_0"})
    void blockScaleTablesGiveTheSameRowsAndAreChecked(GgmlType t) {
        int rows = 9, n = 32 * 5, blockBytes = t == GgmlType.Q8_0 ? 34 : 18;
        long offset = 3, rowBytes = Codecs.of(t).rowBytes(n);
        MemorySegment w = matrix(t, rows, n, 77, offset);
        w.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), offset + rowBytes + blockBytes, (short) 0x7C00); // row 1, block 1: +Inf
        MemorySegment scales = MatVecKernels.blockScales(w, offset, rowBytes, rows, n, blockBytes);
        assertThat(scales.getAtIndex(ValueLayout.JAVA_FLOAT, 5 + 1)).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(scales.getAtIndex(ValueLayout.JAVA_FLOAT, 5 * 4 + 2))
                .isEqualTo(Float.float16ToFloat(w.get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), offset + 4 * rowBytes + 2L * blockBytes)));
        MatVecKernels.Q8Token a = new MatVecKernels.Q8Token();
        MatVecKernels.quantizeQ8_0(gaussian(n, 78, 1.0), 0, n, a);
        float[] withTable = new float[rows], decodedPerCall = new float[rows];
        if (t == GgmlType.Q8_0) {
            MatVecKernels.q8_0Rows(w, offset, rowBytes, scales, 0, rows, a, withTable, 0);
            MatVecKernels.q8_0Rows(w, offset, rowBytes, 0, rows, a, decodedPerCall, 0);
        } else {
            MatVecKernels.q4_0Rows(w, offset, rowBytes, scales, 0, rows, a, withTable, 0);
            MatVecKernels.q4_0Rows(w, offset, rowBytes, 0, rows, a, decodedPerCall, 0);
        }
        assertThat(withTable).containsExactly(decodedPerCall);
        assertThat(withTable[1]).isNotFinite(); // the infinite scale reaches the row's sum, as in the scalar twin
        assertThat(withTable[0]).isFinite();
        MemorySegment tooFew = MatVecKernels.blockScales(w, offset, rowBytes, rows - 1, n, blockBytes);
        float[] y = new float[rows];
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> {
            if (t == GgmlType.Q8_0) MatVecKernels.q8_0Rows(w, offset, rowBytes, tooFew, 0, rows, a, y, 0);
            else MatVecKernels.q4_0Rows(w, offset, rowBytes, tooFew, 0, rows, a, y, 0);
        }).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("8 rows");
    }

    /** Σ|d_w·d_a·sumi| over blocks: the size float rounding errors scale with. */
    private static float sumAbsTerms(GgmlType t, MemorySegment w, long row, int n, int[] q, float[] d) {
        BlockCodec c = Codecs.of(t);
        float[] wf = new float[n];
        c.dequantizeRow(w, row, wf, 0, n);
        float s = 0;
        for (int i = 0; i < n; i++) s += Math.abs(wf[i] * q[i] * d[i / 32]);
        return s;
    }

    @Test
    void scalarTwinsAreTheCodecDots() {
        // the twins are ggml's reference dots: same float as the core codecs' dot with the same Q8_0 block
        int n = 32 * 9;
        for (GgmlType t : new GgmlType[] {GgmlType.Q8_0, GgmlType.Q4_0}) {
            MemorySegment w = matrix(t, 1, n, 5, 0);
            float[] x = gaussian(n, 6, 1.0);
            int[] q = new int[n];
            float[] d = new float[n / 32];
            MatVecKernels.quantizeQ8_0Reference(x, 0, n, q, d);
            MemorySegment act = MemorySegment.ofArray(new byte[34 * (n / 32)]);
            for (int b = 0; b < n / 32; b++) {
                act.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 34L * b, Float.floatToFloat16(d[b]));
                for (int i = 0; i < 32; i++) act.set(ValueLayout.JAVA_BYTE, 34L * b + 2 + i, (byte) q[32 * b + i]);
            }
            float codec = Codecs.of(t).dot(n, w, 0, act, 0);
            float twin = t == GgmlType.Q8_0 ? MatVecKernels.dotQ8_0Reference(w, 0, n, q, d) : MatVecKernels.dotQ4_0Reference(w, 0, n, q, d);
            assertThat(twin).as("%s", t).isEqualTo(codec);
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"Q4_K", "Q6_K"})
    void kQuantRowsMatchTheCodecDot(GgmlType t) {
        BlockCodec c = Codecs.of(t);
        BlockCodec q8k = Codecs.of(GgmlType.Q8_K);
        for (int blocks : new int[] {1, 3, 8}) {
            for (int rows : ROWS) {
                int n = 256 * blocks;
                long offset = 5;
                MemorySegment w = matrix(t, rows, n, 17L * blocks + rows, offset);
                long rowBytes = c.rowBytes(n);
                float[] x = gaussian(n, rows + 100, 1.0);
                MemorySegment act = MemorySegment.ofArray(new byte[(int) q8k.rowBytes(n)]);
                q8k.quantizeRow(x, 0, n, act, 0, null);
                MatVecKernels.Q8Token a = new MatVecKernels.Q8Token();
                MatVecKernels.loadQ8K(act, 0, n, a);
                float[] y = new float[rows];
                if (t == GgmlType.Q4_K) MatVecKernels.q4_KRows(w, offset, rowBytes, 0, rows, a, y, 0);
                else MatVecKernels.q6_KRows(w, offset, rowBytes, 0, rows, a, y, 0);
                float[] wf = new float[n], xf = new float[n];
                q8k.dequantizeRow(act, 0, xf, 0, n);
                for (int j = 0; j < rows; j++) {
                    float expected = c.dot(n, w, offset + j * rowBytes, act, 0);
                    c.dequantizeRow(w, offset + j * rowBytes, wf, 0, n);
                    float scale = 0;
                    for (int i = 0; i < n; i++) scale += Math.abs(wf[i] * xf[i]);
                    assertThat(y[j]).as("%s row %d of %d, %d blocks", t, j, rows, blocks).isCloseTo(expected, within(1e-5f * scale + 1e-30f));
                }
            }
        }
    }

    @Test
    void f16RowsMatchTheScalarDotIncludingSubnormalsAndSpecials() {
        for (int n : new int[] {1, 15, 16, 17, 33, 250, 2048}) {
            for (int rows : ROWS) {
                long rowBytes = 2L * n;
                long offset = 2;
                MemorySegment w = MemorySegment.ofArray(new byte[(int) (offset + rows * rowBytes)]);
                float[] wf = gaussian(rows * n, n + rows, 0.5);
                SplittableRandom rnd = new SplittableRandom(n);
                for (int i = 0; i < wf.length; i++) {
                    if (rnd.nextInt(10) == 0) wf[i] = (float) (rnd.nextGaussian() * 1e-6); // F16 subnormals
                    if (rnd.nextInt(50) == 0) wf[i] = -0.0f;
                    if (rnd.nextInt(50) == 0) wf[i] = 60000f;
                }
                FloatFormats.f32ToF16Row(wf, 0, w, offset, wf.length);
                float[] x = gaussian(n, rows, 1.0);
                float[] y = new float[rows];
                MatVecKernels.f16Rows(w, offset, rowBytes, n, 0, rows, x, 0, y, 0);
                float[] yFinite = new float[rows];
                assertThat(MatVecKernels.f16AllFinite(w, offset, (long) rows * n)).isTrue();
                MatVecKernels.f16RowsFinite(w, offset, rowBytes, n, 0, rows, x, 0, yFinite, 0);
                assertThat(yFinite).containsExactly(y);
                for (int j = 0; j < rows; j++) {
                    float expected = MatVecKernels.f16DotScalar(w, offset + j * rowBytes, n, x, 0);
                    float scale = 0;
                    for (int i = 0; i < n; i++) {
                        scale += Math.abs(Float.float16ToFloat(w.get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), offset + j * rowBytes + 2L * i)) * x[i]);
                    }
                    assertThat(y[j]).as("n %d row %d of %d", n, j, rows).isCloseTo(expected, within(2e-6f * scale + 1e-30f));
                }
            }
        }
        // an infinite and a NaN weight give IEEE results, not the garbage of the fast widening
        int n = 64;
        MemorySegment w = MemorySegment.ofArray(new byte[4 * 2 * n]);
        float[] wf = gaussian(4 * n, 3, 0.5);
        wf[10] = Float.POSITIVE_INFINITY;
        wf[n + 3] = Float.NaN;
        FloatFormats.f32ToF16Row(wf, 0, w, 0, wf.length);
        float[] x = gaussian(n, 4, 1.0);
        x[10] = 1;
        float[] y = new float[4];
        assertThat(MatVecKernels.f16AllFinite(w, 0, 4L * n)).isFalse();
        assertThat(MatVecKernels.f16AllFinite(w, 2L * 2 * n, 2L * n)).isTrue(); // rows 2 and 3 only
        MatVecKernels.f16Rows(w, 0, 2L * n, n, 0, 4, x, 0, y, 0);
        assertThat(y[0]).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(y[1]).isNaN();
        assertThat(y[2]).isFinite();
    }
}
