package dev.squint.kernels;

import dev.squint.core.GgmlType;
import dev.squint.core.codec.BlockCodec;
import dev.squint.core.codec.Codecs;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The vectorized Q4_K/Q5_K/Q6_K quantizers against their scalar twins and ggml's reference bytes. */
class KQuantVectorQuantizerTest {

    private static void vectorQuantize(GgmlType t, float[] x, int off, int n, MemorySegment dst, long dstOff, float[] imp) {
        switch (t) {
            case Q4_K -> ScaleMinKVectorQuantizer.quantizeQ4K(x, off, n, dst, dstOff, imp);
            case Q5_K -> ScaleMinKVectorQuantizer.quantizeQ5K(x, off, n, dst, dstOff, imp);
            case Q6_K -> Q6KVectorQuantizer.quantize(x, off, n, dst, dstOff, imp);
            default -> throw new IllegalArgumentException(t.name());
        }
    }

    /** Rows with every flavour the search meets: gaussian, uniform, outliers, constant and zero sub-blocks, tiny, one-signed. */
    private static float[] mixedRow(int blocks, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] x = new float[256 * blocks];
        for (int b = 0; b < blocks; b++) {
            int kind = b % 7;
            for (int i = 0; i < 256; i++) {
                double g = rnd.nextGaussian();
                x[256 * b + i] = (float) switch (kind) {
                    case 0 -> g;
                    case 1 -> rnd.nextDouble() * 2 - 1;
                    case 2 -> g + (rnd.nextInt(64) == 0 ? 30 * Math.signum(g) : 0);
                    case 3 -> (i / 32) % 2 == 0 ? 0.375 : (i / 16) % 3 == 0 ? 0 : g; // constant, zero and random sub-blocks
                    case 4 -> (i / 32) == 5 ? 0 : g * 1e-8;
                    case 5 -> Math.abs(g) + 0.5;
                    default -> -Math.abs(g) * 3;
                };
            }
        }
        return x;
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q4_K", "Q5_K", "Q6_K"})
    void byteIdenticalToScalarCodec(GgmlType t) {
        BlockCodec scalar = Codecs.of(t);
        for (int blocks : new int[] {1, 3, 7, 15}) {
            int n = 256 * blocks;
            float[] x = mixedRow(blocks, 17L * blocks);
            SplittableRandom rnd = new SplittableRandom(blocks);
            float[] imp = new float[n];
            for (int i = 0; i < n; i++) imp[i] = (float) Math.exp(1.5 * rnd.nextGaussian());
            for (float[] importance : new float[][] {null, imp}) {
                byte[] expected = new byte[(int) scalar.rowBytes(n)];
                scalar.quantizeRow(x, 0, n, MemorySegment.ofArray(expected), 0, importance);
                byte[] actual = new byte[expected.length + 3];
                vectorQuantize(t, x, 0, n, MemorySegment.ofArray(actual), 3, importance);
                assertThat(java.util.Arrays.copyOfRange(actual, 3, actual.length))
                        .as("%s, %d blocks, importance %s", t, blocks, importance != null).isEqualTo(expected);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q4_K", "Q5_K", "Q6_K"})
    void matchesGgmlReferenceVectors(GgmlType t) throws IOException {
        Path root = Path.of(System.getProperty("squint.shared", "../shared"), "testdata", "ggml");
        Assumptions.assumeTrue(Files.isDirectory(root.resolve(t.name())), "ggml reference vectors not present under " + root);
        int cases = 0;
        for (String input : new String[] {"normal", "uniform", "outliers", "zeros", "tiny", "mixed", "real_wq_l0", "real_w1_l0"}) {
            float[] x = floats(Files.readAllBytes(root.resolve("inputs/" + input + ".f32")));
            float[] imp = floats(Files.readAllBytes(root.resolve("inputs/" + input + ".imatrix.f32")));
            int n = imp.length, rows = x.length / n;
            for (boolean withImp : new boolean[] {false, true}) {
                byte[] expected = Files.readAllBytes(root.resolve(t.name() + "/" + input + (withImp ? ".imatrix" : "") + ".q.bin"));
                byte[] actual = new byte[expected.length];
                long rowBytes = Codecs.of(t).rowBytes(n);
                for (int r = 0; r < rows; r++) {
                    vectorQuantize(t, x, r * n, n, MemorySegment.ofArray(actual), r * rowBytes, withImp ? imp : null);
                }
                assertThat(actual).as("%s/%s imatrix=%s", t, input, withImp).isEqualTo(expected);
                cases++;
            }
        }
        assertThat(cases).isEqualTo(16);
    }

    private static float[] floats(byte[] b) {
        float[] f = new float[b.length / 4];
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(f);
        return f;
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q4_K", "Q5_K", "Q6_K"})
    void rejectsBadInput(GgmlType t) {
        MemorySegment dst = MemorySegment.ofArray(new byte[1024]);
        float[] x = new float[512];
        x[9] = Float.NaN;
        assertThatThrownBy(() -> vectorQuantize(t, x, 0, 512, dst, 0, null)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("index 9");
        assertThatThrownBy(() -> vectorQuantize(t, new float[512], 0, 300, dst, 0, null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> vectorQuantize(t, new float[512], 0, 512, dst, 0, new float[10])).isInstanceOf(IllegalArgumentException.class);
    }
}
