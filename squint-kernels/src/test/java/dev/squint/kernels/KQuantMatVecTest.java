package dev.squint.kernels;

import dev.squint.core.GgmlType;
import dev.squint.core.codec.BlockCodec;
import dev.squint.core.codec.Codecs;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The Q4_K / Q6_K matrix × vector kernels against the codecs' scalar dots (ggml's reference order):
 * equal to float rounding, with random bit patterns (every scale, min, level and high-bit combination),
 * extreme magnitudes (the 16-bit partial sums at their bounds) and odd row and block counts; the one-row
 * kernels kept for other vector widths too; and identical, bit for bit, however the rows are split into ranges.
 */
class KQuantMatVecTest {
    private static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat LE_FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int[] ROWS = {1, 2, 3, 4, 5, 6, 7, 9, 13};

    /** Random bytes for every block of {@code rows} rows, with finite f16 scales of moderate size. */
    private static MemorySegment randomMatrix(GgmlType t, int rows, int n, long seed, long offset) {
        long rowBytes = Codecs.of(t).rowBytes(n);
        byte[] bytes = new byte[(int) (offset + rows * rowBytes)];
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int i = 0; i < bytes.length; i++) bytes[i] = (byte) rnd.nextInt(256);
        MemorySegment m = MemorySegment.ofArray(bytes);
        int blockBytes = t == GgmlType.Q4_K ? 144 : 210;
        for (long b = 0; b < rows * rowBytes / blockBytes; b++) {
            long o = offset + b * blockBytes;
            if (t == GgmlType.Q4_K) {
                m.set(LE_SHORT, o, Float.floatToFloat16((float) rnd.nextDouble(-0.01, 0.01)));
                m.set(LE_SHORT, o + 2, Float.floatToFloat16((float) rnd.nextDouble(-0.01, 0.01)));
            } else {
                m.set(LE_SHORT, o + 208, Float.floatToFloat16((float) rnd.nextDouble(-0.01, 0.01)));
            }
        }
        return m;
    }

    /** A Q8_K row of the given int8 values (any of −128..127), block scales {@code d}, and its bsums. */
    private static MemorySegment q8k(int[] q, float[] d) {
        int n = q.length;
        MemorySegment s = MemorySegment.ofArray(new byte[292 * (n / 256)]);
        for (int b = 0; b < n / 256; b++) {
            long o = 292L * b;
            s.set(LE_FLOAT, o, d[b]);
            for (int i = 0; i < 256; i++) s.set(ValueLayout.JAVA_BYTE, o + 4 + i, (byte) q[256 * b + i]);
            for (int g = 0; g < 16; g++) {
                int sum = 0;
                for (int i = 0; i < 16; i++) sum += q[256 * b + 16 * g + i];
                s.set(LE_SHORT, o + 260 + 2L * g, (short) sum);
            }
        }
        return s;
    }

    private static float[] rows(GgmlType t, MemorySegment w, long offset, long rowBytes, int from, int to, MatVecKernels.Q8Token a, float[] y) {
        if (t == GgmlType.Q4_K) MatVecKernels.q4_KRows(w, offset, rowBytes, from, to, a, y, 0);
        else MatVecKernels.q6_KRows(w, offset, rowBytes, from, to, a, y, 0);
        return y;
    }

    /** Σ|w·x| over the row: the size float rounding errors scale with. */
    private static float magnitude(BlockCodec c, MemorySegment w, long row, MemorySegment act, int n) {
        float[] wf = new float[n], xf = new float[n];
        c.dequantizeRow(w, row, wf, 0, n);
        Codecs.of(GgmlType.Q8_K).dequantizeRow(act, 0, xf, 0, n);
        float s = 0;
        for (int i = 0; i < n; i++) s += Math.abs(wf[i] * xf[i]);
        return s;
    }

    @ParameterizedTest
    @EnumSource(names = {"Q4_K", "Q6_K"})
    void randomBitPatternsMatchTheCodecDotAtEveryRowCount(GgmlType t) {
        BlockCodec c = Codecs.of(t);
        for (int blocks : new int[] {1, 2, 5}) {
            int n = 256 * blocks;
            long rowBytes = c.rowBytes(n);
            for (int rows : ROWS) {
                long offset = 3;
                MemorySegment w = randomMatrix(t, rows, n, 41L * blocks + rows, offset);
                SplittableRandom rnd = new SplittableRandom(rows * 7L + blocks);
                int[] q = new int[n];
                for (int i = 0; i < n; i++) q[i] = rnd.nextInt(-128, 128);
                float[] d = new float[blocks];
                for (int b = 0; b < blocks; b++) d[b] = (float) rnd.nextDouble(0.001, 0.05);
                MemorySegment act = q8k(q, d);
                MatVecKernels.Q8Token a = new MatVecKernels.Q8Token();
                MatVecKernels.loadQ8K(act, 0, n, a);
                float[] y = rows(t, w, offset, rowBytes, 0, rows, a, new float[rows]);
                for (int j = 0; j < rows; j++) {
                    long row = offset + j * rowBytes;
                    float expected = c.dot(n, w, row, act, 0);
                    assertThat(y[j]).as("%s row %d of %d, %d blocks", t, j, rows, blocks)
                            .isCloseTo(expected, within(1e-5f * magnitude(c, w, row, act, n) + 1e-30f));
                    float one = t == GgmlType.Q4_K ? KQuantMatVec.q4_KOne(w, row, a) : KQuantMatVec.q6_KOne(w, row, a);
                    assertThat(one).as("%s one-row kernel, row %d", t, j)
                            .isCloseTo(expected, within(1e-5f * magnitude(c, w, row, act, n) + 1e-30f));
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"Q4_K", "Q6_K"})
    void resultsAreIdenticalHoweverTheRowsAreSplit(GgmlType t) {
        BlockCodec c = Codecs.of(t);
        int n = 256 * 3, rows = 23;
        long rowBytes = c.rowBytes(n);
        MemorySegment w = randomMatrix(t, rows, n, 99, 0);
        SplittableRandom rnd = new SplittableRandom(5);
        int[] q = new int[n];
        for (int i = 0; i < n; i++) q[i] = rnd.nextInt(-127, 128);
        MemorySegment act = q8k(q, new float[] {0.01f, 0.02f, 0.03f});
        MatVecKernels.Q8Token a = new MatVecKernels.Q8Token();
        MatVecKernels.loadQ8K(act, 0, n, a);
        float[] whole = rows(t, w, 0, rowBytes, 0, rows, a, new float[rows]);
        for (int trial = 0; trial < 20; trial++) {
            int cut1 = rnd.nextInt(rows + 1), cut2 = rnd.nextInt(rows + 1);
            int lo = Math.min(cut1, cut2), hi = Math.max(cut1, cut2);
            float[] y = new float[rows];
            rows(t, w, 0, rowBytes, 0, lo, a, y);
            rows(t, w, 0, rowBytes, lo, hi, a, y);
            rows(t, w, 0, rowBytes, hi, rows, a, y);
            assertThat(y).as("%s split at %d and %d", t, lo, hi).containsExactly(whole);
        }
        float[] single = new float[rows];
        for (int j = 0; j < rows; j++) rows(t, w, 0, rowBytes, j, j + 1, a, single);
        assertThat(single).containsExactly(whole);
    }

    @ParameterizedTest
    @EnumSource(names = {"Q4_K", "Q6_K"})
    void extremeLevelsScalesAndActivationsDoNotOverflow(GgmlType t) {
        BlockCodec c = Codecs.of(t);
        int n = 512, rows = 6;
        long rowBytes = c.rowBytes(n);
        byte[] bytes = new byte[(int) (rows * rowBytes)];
        Arrays.fill(bytes, (byte) 0xFF); // every level at its maximum, every 6-bit scale and min 63 (Q6_K scales −1)
        MemorySegment w = MemorySegment.ofArray(bytes);
        for (int b = 0; b < rows * n / 256; b++) {
            if (t == GgmlType.Q4_K) {
                w.set(LE_SHORT, 144L * b, Float.floatToFloat16(1f));
                w.set(LE_SHORT, 144L * b + 2, Float.floatToFloat16(0.5f));
            } else {
                // Q6_K scales at the int8 extremes, alternating by row
                for (int g = 0; g < 16; g++) w.set(ValueLayout.JAVA_BYTE, 210L * b + 192 + g, (byte) ((b + g) % 2 == 0 ? -128 : 127));
                w.set(LE_SHORT, 210L * b + 208, Float.floatToFloat16(1f));
            }
        }
        for (int[] pattern : new int[][] {{-128}, {127}, {-128, 127}, {127, 127, -128, -128}}) {
            int[] q = new int[n];
            for (int i = 0; i < n; i++) q[i] = pattern[(i / 16) % pattern.length];
            MemorySegment act = q8k(q, new float[] {1f, 1f});
            MatVecKernels.Q8Token a = new MatVecKernels.Q8Token();
            MatVecKernels.loadQ8K(act, 0, n, a);
            float[] y = rows(t, w, 0, rowBytes, 0, rows, a, new float[rows]);
            for (int j = 0; j < rows; j++) {
                float expected = c.dot(n, w, j * rowBytes, act, 0);
                assertThat(y[j]).as("%s row %d, pattern %s", t, j, Arrays.toString(pattern))
                        .isCloseTo(expected, within(1e-6f * magnitude(c, w, j * rowBytes, act, n)));
            }
        }
    }

    @org.junit.jupiter.api.Test
    void directTokenQuantizationEqualsTheCodecThenLoad() {
        BlockCodec q8k = Codecs.of(GgmlType.Q8_K);
        SplittableRandom rnd = new SplittableRandom(11);
        for (int blocks : new int[] {1, 3, 8}) {
            int n = 256 * blocks;
            float[] x = new float[n + 7];
            for (int i = 0; i < x.length; i++) x[i] = (float) (rnd.nextGaussian() * 2);
            Arrays.fill(x, 7, 7 + 256, 0f); // an all-zero block
            if (blocks > 1) {
                x[7 + 256 + 3] = 5f; // the largest magnitude twice, opposite signs: the first one sets the sign
                x[7 + 256 + 9] = -5f;
                for (int i = 0; i < 16; i++) x[7 + 256 + 40 + i] = 5f * (i - 8) / 127f * 0.5f; // halves after scaling
            }
            MemorySegment row = MemorySegment.ofArray(new byte[(int) q8k.rowBytes(n)]);
            q8k.quantizeRow(x, 7, n, row, 0, null);
            MatVecKernels.Q8Token viaCodec = new MatVecKernels.Q8Token(), direct = new MatVecKernels.Q8Token();
            MatVecKernels.loadQ8K(row, 0, n, viaCodec);
            MatVecKernels.quantizeQ8K(x, 7, n, direct);
            assertThat(Arrays.copyOf(direct.q, n)).containsExactly(Arrays.copyOf(viaCodec.q, n));
            assertThat(Arrays.copyOf(direct.qs, n)).containsExactly(Arrays.copyOf(viaCodec.qs, n));
            assertThat(Arrays.copyOf(direct.kScale, blocks)).containsExactly(Arrays.copyOf(viaCodec.kScale, blocks));
            assertThat(Arrays.copyOf(direct.bsums, 16 * blocks)).containsExactly(Arrays.copyOf(viaCodec.bsums, 16 * blocks));
            assertThat(Arrays.copyOf(direct.k4, n)).containsExactly(Arrays.copyOf(viaCodec.k4, n));
            assertThat(Arrays.copyOf(direct.k6, n)).containsExactly(Arrays.copyOf(viaCodec.k6, n));
            assertThat(Arrays.copyOf(direct.kMinSums, 16 * blocks)).containsExactly(Arrays.copyOf(viaCodec.kMinSums, 16 * blocks));
            assertThat(Arrays.copyOf(direct.kOffsets, 16 * blocks)).containsExactly(Arrays.copyOf(viaCodec.kOffsets, 16 * blocks));
        }
        float[] bad = new float[256];
        bad[17] = Float.NaN;
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> MatVecKernels.quantizeQ8K(bad, 0, 256, new MatVecKernels.Q8Token()))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
