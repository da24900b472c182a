package dev.squint.kernels;

import dev.squint.core.GgmlType;
import dev.squint.core.codec.BlockCodec;
import dev.squint.core.codec.Codecs;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The vector kernels against their scalar twins (the core codecs): bit-identical, at odd block counts and offsets. */
class KQuantVectorKernelsTest {
    private static final int[] BLOCK_COUNTS = {1, 3, 5, 7, 13};

    /** Quantized rows from real quantization (scalar codec) of gaussian data with a few outliers. */
    private static byte[] quantizedRow(GgmlType t, int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (rnd.nextGaussian() * (i % 97 == 0 ? 20 : 1));
        BlockCodec c = Codecs.of(t);
        byte[] q = new byte[(int) c.rowBytes(n)];
        c.quantizeRow(x, 0, n, MemorySegment.ofArray(q), 0, null);
        return q;
    }

    /** Arbitrary bytes (every nibble/scale pattern) with finite fp16 scales at the given offsets. */
    private static byte[] randomBlocks(GgmlType t, int blocks, long seed, int... fp16Offsets) {
        SplittableRandom rnd = new SplittableRandom(seed);
        byte[] q = new byte[blocks * t.bytesPerBlock()];
        for (int i = 0; i < q.length; i++) q[i] = (byte) rnd.nextInt(256);
        for (int b = 0; b < blocks; b++) {
            for (int off : fp16Offsets) {
                short h = Float.floatToFloat16((float) (rnd.nextDouble() * 0.01));
                q[b * t.bytesPerBlock() + off] = (byte) h;
                q[b * t.bytesPerBlock() + off + 1] = (byte) (h >> 8);
            }
        }
        return q;
    }

    private static byte[] shifted(byte[] q, int by) {
        byte[] out = new byte[q.length + by];
        System.arraycopy(q, 0, out, by, q.length);
        return out;
    }

    private static void assertSameFloats(float[] expected, float[] actual) {
        for (int i = 0; i < expected.length; i++) {
            assertThat(Float.floatToIntBits(actual[i])).as("value %d: %s vs %s", i, expected[i], actual[i])
                    .isEqualTo(Float.floatToIntBits(expected[i]));
        }
    }

    private static void checkDequantize(GgmlType t, byte[] q, int n) {
        float[] expected = new float[n + 3];
        Codecs.of(t).dequantizeRow(MemorySegment.ofArray(q), 0, expected, 3, n);
        float[] actual = new float[n + 3];
        MemorySegment seg = MemorySegment.ofArray(shifted(q, 7));
        if (t == GgmlType.Q4_K) KQuantVectorKernels.dequantizeQ4K(seg, 7, actual, 3, n);
        else KQuantVectorKernels.dequantizeQ6K(seg, 7, actual, 3, n);
        assertSameFloats(expected, actual);
    }

    private static void checkDot(GgmlType t, byte[] qx, byte[] qy, int n) {
        float expected = Codecs.of(t).dot(n, MemorySegment.ofArray(qx), 0, MemorySegment.ofArray(qy), 0);
        MemorySegment x = MemorySegment.ofArray(shifted(qx, 5));
        MemorySegment y = MemorySegment.ofArray(shifted(qy, 9));
        float actual = t == GgmlType.Q4_K ? KQuantVectorKernels.dotQ4K(n, x, 5, y, 9) : KQuantVectorKernels.dotQ6K(n, x, 5, y, 9);
        assertThat(Float.floatToIntBits(actual)).as("%s dot over %d values: %s vs %s", t, n, expected, actual)
                .isEqualTo(Float.floatToIntBits(expected));
    }

    @Test
    void usesEightOrSixteenLanes() {
        assertThat(KQuantVectorKernels.lanes()).isIn(8, 16);
    }

    @Test
    void q4kDequantizeIsBitIdenticalToScalar() {
        for (int blocks : BLOCK_COUNTS) {
            int n = 256 * blocks;
            checkDequantize(GgmlType.Q4_K, quantizedRow(GgmlType.Q4_K, n, blocks), n);
            checkDequantize(GgmlType.Q4_K, randomBlocks(GgmlType.Q4_K, blocks, 100 + blocks, 0, 2), n);
        }
    }

    @Test
    void q6kDequantizeIsBitIdenticalToScalar() {
        for (int blocks : BLOCK_COUNTS) {
            int n = 256 * blocks;
            checkDequantize(GgmlType.Q6_K, quantizedRow(GgmlType.Q6_K, n, blocks), n);
            checkDequantize(GgmlType.Q6_K, randomBlocks(GgmlType.Q6_K, blocks, 200 + blocks, 208), n);
        }
    }

    @Test
    void q4kDotIsBitIdenticalToScalar() {
        for (int blocks : BLOCK_COUNTS) {
            int n = 256 * blocks;
            byte[] qy = quantizedRow(GgmlType.Q8_K, n, 1000 + blocks);
            checkDot(GgmlType.Q4_K, quantizedRow(GgmlType.Q4_K, n, blocks), qy, n);
            checkDot(GgmlType.Q4_K, randomBlocks(GgmlType.Q4_K, blocks, 300 + blocks, 0, 2), qy, n);
        }
    }

    @Test
    void q6kDotIsBitIdenticalToScalar() {
        for (int blocks : BLOCK_COUNTS) {
            int n = 256 * blocks;
            byte[] qy = quantizedRow(GgmlType.Q8_K, n, 2000 + blocks);
            checkDot(GgmlType.Q6_K, quantizedRow(GgmlType.Q6_K, n, blocks), qy, n);
            checkDot(GgmlType.Q6_K, randomBlocks(GgmlType.Q6_K, blocks, 400 + blocks, 208), qy, n);
        }
    }

    @Test
    void rejectsRowsThatAreNotWholeBlocks() {
        MemorySegment s = MemorySegment.ofArray(new byte[1024]);
        assertThatThrownBy(() -> KQuantVectorKernels.dotQ4K(100, s, 0, s, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> KQuantVectorKernels.dotQ6K(300, s, 0, s, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> KQuantVectorKernels.dequantizeQ4K(s, 0, new float[512], 0, 255)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> KQuantVectorKernels.dequantizeQ6K(s, 0, new float[512], 0, 257)).isInstanceOf(IllegalArgumentException.class);
    }
}
