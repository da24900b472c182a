package dev.squint.core.codec;

import dev.squint.core.GgmlType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

class FloatCodecsTest {

    static final String[] INPUTS = {"normal", "uniform", "outliers", "zeros", "tiny", "mixed", "real_wq_l0", "real_w1_l0"};

    static byte[] resource(String path) throws IOException {
        try (InputStream in = FloatCodecsTest.class.getResourceAsStream("/ggml/" + path)) {
            assertThat(in).as("test resource ggml/%s", path).isNotNull();
            return in.readAllBytes();
        }
    }

    static float[] floats(byte[] bytes) {
        float[] out = new float[bytes.length / 4];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
        return out;
    }

    static Stream<Arguments> ggmlCases() {
        return Stream.of(GgmlType.F16, GgmlType.BF16).flatMap(t -> Stream.of(INPUTS).map(in -> Arguments.of(t, in)));
    }

    @ParameterizedTest(name = "{0}/{1}")
    @MethodSource("ggmlCases")
    void quantizeAndDequantizeAreBitExactWithGgml(GgmlType type, String input) throws IOException {
        float[] src = floats(resource("inputs/" + input + ".f32"));
        byte[] expectQ = resource(type + "/" + input + ".q.bin");
        float[] expectDeq = floats(resource(type + "/" + input + ".deq.f32"));
        int rows = src.length / 512, n = 512;

        byte[] q = new byte[expectQ.length];
        long written = Codecs.quantizeChunk(type, src, 0, rows, n, MemorySegment.ofArray(q), 0, null);
        assertThat(written).isEqualTo(expectQ.length);
        assertThat(q).isEqualTo(expectQ);

        BlockCodec codec = Codecs.of(type);
        float[] deq = new float[src.length];
        for (int r = 0; r < rows; r++) codec.dequantizeRow(MemorySegment.ofArray(q), codec.rowBytes(n) * r, deq, r * n, n);
        for (int i = 0; i < deq.length; i++) {
            assertThat(Float.floatToRawIntBits(deq[i])).as("element %d", i).isEqualTo(Float.floatToRawIntBits(expectDeq[i]));
        }
    }

    @Test
    void registryHasTheFloatTypesWithThemselvesAsDotType() {
        for (GgmlType t : new GgmlType[] {GgmlType.F32, GgmlType.F16, GgmlType.BF16}) {
            BlockCodec c = Codecs.of(t);
            assertThat(c.type()).isEqualTo(t);
            assertThat(c.vecDotType()).isEqualTo(t);
            assertThat(c.requiresImportance()).isFalse();
        }
        assertThat(Codecs.of(GgmlType.F16).rowBytes(7)).isEqualTo(14);
        assertThat(Codecs.of(GgmlType.F32).rowBytes(7)).isEqualTo(28);
    }

    @Test
    void f32CodecCopiesLittleEndianBitsIncludingNanAndOffsets() {
        float[] src = {1.5f, -0f, Float.intBitsToFloat(0x7F80_1234), Float.MIN_VALUE, 3e38f};
        BlockCodec c = Codecs.of(GgmlType.F32);
        byte[] bytes = new byte[4 + 4 * 4];
        c.quantizeRow(src, 1, 4, MemorySegment.ofArray(bytes), 4, null);
        ByteBuffer bb = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 4; i++) assertThat(bb.getInt(4 + 4 * i)).isEqualTo(Float.floatToRawIntBits(src[1 + i]));
        float[] back = new float[6];
        c.dequantizeRow(MemorySegment.ofArray(bytes), 4, back, 2, 4);
        for (int i = 0; i < 4; i++) assertThat(Float.floatToRawIntBits(back[2 + i])).isEqualTo(Float.floatToRawIntBits(src[1 + i]));
    }

    /** A row where summing in float would lose the small terms: ggml's double accumulation keeps them. */
    @Test
    void dotAccumulatesInDoubleAsGgmlScalarPath() {
        int n = 1001;
        float[] x = new float[n], y = new float[n];
        x[0] = 4096f; y[0] = 4096f; // 2^24: adding 1.0 in float would be a tie rounding back to 2^24
        for (int i = 1; i < n; i++) { x[i] = 1f; y[i] = 1f; }
        for (GgmlType t : new GgmlType[] {GgmlType.F32, GgmlType.F16, GgmlType.BF16}) {
            BlockCodec c = Codecs.of(t);
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment xs = arena.allocate(c.rowBytes(n) + 6), ys = arena.allocate(c.rowBytes(n) + 2);
                c.quantizeRow(x, 0, n, xs, 6, null);
                c.quantizeRow(y, 0, n, ys, 2, null);
                assertThat(c.dot(n, xs, 6, ys, 2)).as("%s", t).isEqualTo(16_777_216f + 1000f);
            }
        }
    }

    /**
     * Products of F16/BF16 values are exact in float, so the dot is the double sum of exact products:
     * compared with the exact BigDecimal sum, the result is within the rounding of a double sum.
     */
    @Test
    void dotMatchesExactSumOfDecodedProducts() {
        SplittableRandom rnd = new SplittableRandom(7);
        int n = 777;
        float[] x = new float[n], y = new float[n];
        for (int i = 0; i < n; i++) { x[i] = (float) rnd.nextGaussian(); y[i] = (float) rnd.nextGaussian(); }
        for (GgmlType t : new GgmlType[] {GgmlType.F32, GgmlType.F16, GgmlType.BF16}) {
            BlockCodec c = Codecs.of(t);
            byte[] xb = new byte[(int) c.rowBytes(n)], yb = new byte[(int) c.rowBytes(n)];
            c.quantizeRow(x, 0, n, MemorySegment.ofArray(xb), 0, null);
            c.quantizeRow(y, 0, n, MemorySegment.ofArray(yb), 0, null);
            float[] xd = new float[n], yd = new float[n];
            c.dequantizeRow(MemorySegment.ofArray(xb), 0, xd, 0, n);
            c.dequantizeRow(MemorySegment.ofArray(yb), 0, yd, 0, n);
            BigDecimal exact = BigDecimal.ZERO;
            for (int i = 0; i < n; i++) exact = exact.add(new BigDecimal(xd[i] * yd[i]));
            float got = c.dot(n, MemorySegment.ofArray(xb), 0, MemorySegment.ofArray(yb), 0);
            assertThat((double) got).as("%s", t).isCloseTo(exact.doubleValue(), org.assertj.core.data.Offset.offset(Math.ulp(exact.floatValue()) * 1.0));
        }
    }
}
