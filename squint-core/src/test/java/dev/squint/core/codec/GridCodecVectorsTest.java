package dev.squint.core.codec;

import dev.squint.core.GgmlType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Bit-exactness of the grid codecs against ggml's C code. The vectors in {@code ggml-iq/} were made by
 * compiling ggml's {@code ggml-quants.c} and generic dot kernels locally (see {@code ggml-iq/README.md});
 * they are not from an official llama.cpp build, because the shared reference set has no grid types.
 */
class GridCodecVectorsTest {

    static final List<GgmlType> TYPES = List.of(GgmlType.IQ2_XXS, GgmlType.IQ2_XS, GgmlType.IQ2_S,
            GgmlType.IQ3_XXS, GgmlType.IQ3_S, GgmlType.IQ1_S, GgmlType.IQ1_M);
    /** Inputs with quantized bytes, dequantized floats and dots. */
    static final List<String> INPUTS = List.of("normal", "uniform", "outliers", "zeros", "tiny", "mixed",
            "real_wq_l0", "real_w1_l0", "odd5");
    /** Inputs made to reach rare quantizer branches: bytes and dots only (see ggml-iq/README.md). */
    static final List<String> STRESS_INPUTS = List.of("stress", "stress_w0");

    static Stream<Arguments> cases() {
        return cases(INPUTS);
    }

    static Stream<Arguments> allCases() {
        return cases(Stream.concat(INPUTS.stream(), STRESS_INPUTS.stream()).toList());
    }

    static Stream<Arguments> cases(List<String> inputs) {
        List<Arguments> out = new ArrayList<>();
        for (GgmlType t : TYPES) {
            for (String in : inputs) {
                if (!Codecs.of(t).requiresImportance()) out.add(Arguments.of(t, in, false));
                out.add(Arguments.of(t, in, true));
            }
        }
        return out.stream();
    }

    static byte[] resource(String path) {
        try (InputStream in = GridCodecVectorsTest.class.getResourceAsStream(path)) {
            if (in == null) throw new IllegalStateException("missing test resource " + path);
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static float[] floats(byte[] b) {
        float[] f = new float[b.length / 4];
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(f);
        return f;
    }

    /** An input matrix: the shared inputs, plus odd5 (3 rows of 5 blocks) made with the vectors. */
    record Input(float[] values, float[] importance, int rowLength) {
        int rows() {
            return values.length / rowLength;
        }
    }

    static Input input(String name) {
        String dir = name.equals("odd5") || STRESS_INPUTS.contains(name) ? "/ggml-iq/inputs/" : "/ggml/inputs/";
        float[] imatrix = floats(resource(dir + name + ".imatrix.f32"));
        return new Input(floats(resource(dir + name + ".f32")), imatrix, imatrix.length);
    }

    static String base(GgmlType type, String input, boolean imatrix) {
        return "/ggml-iq/" + type + "/" + input + (imatrix ? ".imatrix" : "");
    }

    @ParameterizedTest(name = "{0} {1} imatrix={2}")
    @MethodSource("allCases")
    void quantizeMatchesGgmlBytes(GgmlType type, String name, boolean imatrix) {
        BlockCodec codec = Codecs.of(type);
        Input in = input(name);
        byte[] expected = resource(base(type, name, imatrix) + ".q.bin");
        byte[] actual = new byte[expected.length];
        long written = Codecs.quantizeChunk(type, in.values(), 0, in.rows(), in.rowLength(),
                MemorySegment.ofArray(actual), 0, imatrix ? in.importance() : null);
        assertThat(written).isEqualTo(expected.length);
        int bpb = type.bytesPerBlock();
        for (int i = 0; i < expected.length; i++) {
            if (actual[i] != expected[i]) {
                fail("%s %s: first difference in block %d at byte %d of the block: got 0x%02x, ggml 0x%02x",
                        type, name, i / bpb, i % bpb, actual[i] & 0xFF, expected[i] & 0xFF);
            }
        }
    }

    @ParameterizedTest(name = "{0} {1} imatrix={2}")
    @MethodSource("cases")
    void dequantizeMatchesGgmlFloats(GgmlType type, String name, boolean imatrix) {
        BlockCodec codec = Codecs.of(type);
        Input in = input(name);
        MemorySegment q = MemorySegment.ofArray(resource(base(type, name, imatrix) + ".q.bin"));
        float[] expected = floats(resource(base(type, name, imatrix) + ".deq.f32"));
        float[] actual = new float[expected.length];
        long rowBytes = codec.rowBytes(in.rowLength());
        for (int r = 0; r < in.rows(); r++) {
            codec.dequantizeRow(q, r * rowBytes, actual, r * in.rowLength(), in.rowLength());
        }
        for (int i = 0; i < expected.length; i++) {
            assertThat(Float.floatToRawIntBits(actual[i])).as("%s %s element %d: %s vs ggml %s", type, name, i, actual[i], expected[i])
                    .isEqualTo(Float.floatToRawIntBits(expected[i]));
        }
    }

    @ParameterizedTest(name = "{0} {1} imatrix={2}")
    @MethodSource("allCases")
    void dotMatchesGgmlGenericKernel(GgmlType type, String name, boolean imatrix) {
        BlockCodec codec = Codecs.of(type);
        Input in = input(name);
        MemorySegment q = MemorySegment.ofArray(resource(base(type, name, imatrix) + ".q.bin"));
        MemorySegment y = MemorySegment.ofArray(resource("/ggml-iq/q8k/" + name + ".q8k.bin"));
        float[] expected = floats(resource(base(type, name, imatrix) + ".dot.f32"));
        long rowBytes = codec.rowBytes(in.rowLength());
        long yRowBytes = GgmlType.Q8_K.bytesFor(in.rowLength());
        for (int r = 0; r < in.rows(); r++) {
            float got = codec.dot(in.rowLength(), q, r * rowBytes, y, r * yRowBytes);
            assertThat(Float.floatToRawIntBits(got)).as("%s %s row %d: %s vs ggml %s", type, name, r, got, expected[r])
                    .isEqualTo(Float.floatToRawIntBits(expected[r]));
        }
    }
}
