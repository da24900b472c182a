package dev.squint.core.codec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.squint.core.GgmlType;
import org.junit.jupiter.api.Test;
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
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Bit-exact check against llama.cpp's own output (test resources {@code ggml/}, copied from
 * shared/testdata/ggml): for every case of this family's types, quantizing the input must give
 * exactly the reference bytes, and dequantizing them exactly the reference floats, with and
 * without the importance matrix.
 */
class GgmlBlockVectorsTest {
    /** The types this family implements that the reference set covers (Q8_1 has no vectors there). */
    static final Set<GgmlType> FAMILY = EnumSet.of(GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1,
            GgmlType.Q8_0, GgmlType.IQ4_NL, GgmlType.IQ4_XS, GgmlType.TQ1_0, GgmlType.TQ2_0);

    record Case(String id, GgmlType type, int rows, int nPerRow, String input, String imatrix,
                String quantized, String dequantized) {
        @Override public String toString() { return id + (imatrix != null ? " +imatrix" : ""); }
    }

    static List<Case> cases() {
        try (InputStream in = resource("manifest.json")) {
            JsonNode root = new ObjectMapper().readTree(in);
            List<Case> out = new ArrayList<>();
            for (JsonNode c : root.get("cases")) {
                GgmlType type = GgmlType.fromName(c.get("type").asText()).orElseThrow();
                if (!FAMILY.contains(type)) continue;
                assertThat(c.get("ggml_type_id").asInt()).isEqualTo(type.id());
                assertThat(c.get("bytes_per_block").asInt()).isEqualTo(type.bytesPerBlock());
                boolean im = c.get("imatrix_used").asBoolean();
                out.add(new Case(c.get("id").asText(), type, c.get("rows").asInt(), c.get("n_per_row").asInt(),
                        c.get("input").asText(), im ? c.get("imatrix").asText() : null,
                        c.get("quantized").asText(), c.get("dequantized").asText()));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Stream<Arguments> caseArgs() {
        return cases().stream().map(Arguments::of);
    }

    static InputStream resource(String name) {
        InputStream in = GgmlBlockVectorsTest.class.getResourceAsStream("/ggml/" + name);
        if (in == null) throw new IllegalStateException("missing test resource ggml/" + name);
        return in;
    }

    static byte[] bytes(String name) {
        try (InputStream in = resource(name)) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static float[] floats(String name) {
        byte[] b = bytes(name);
        float[] f = new float[b.length / 4];
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(f);
        return f;
    }

    @Test
    void everyTypeOfTheFamilyHasItsCases() {
        List<Case> all = cases();
        for (GgmlType t : FAMILY) {
            long plain = all.stream().filter(c -> c.type == t && c.imatrix == null).count();
            long weighted = all.stream().filter(c -> c.type == t && c.imatrix != null).count();
            assertThat(plain).as("%s plain cases", t).isEqualTo(8);
            boolean ignoresImportance = t == GgmlType.Q8_0 || t == GgmlType.TQ1_0 || t == GgmlType.TQ2_0;
            assertThat(weighted).as("%s imatrix cases", t).isEqualTo(ignoresImportance ? 0 : 8);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("caseArgs")
    void quantizeIsBitExactWithGgml(Case c) {
        float[] src = floats(c.input);
        float[] importance = c.imatrix == null ? null : floats(c.imatrix);
        byte[] expected = bytes(c.quantized);
        BlockCodec codec = Codecs.of(c.type);
        byte[] actual = new byte[expected.length];
        long written = Codecs.quantizeChunk(c.type, src, 0, c.rows, c.nPerRow, MemorySegment.ofArray(actual), 0, importance);
        assertThat(written).isEqualTo(expected.length);
        assertThat(codec.rowBytes(c.nPerRow) * c.rows).isEqualTo(expected.length);
        int bpb = c.type.bytesPerBlock();
        for (int i = 0; i < expected.length; i++) {
            if (actual[i] != expected[i]) {
                int block = i / bpb;
                throw new AssertionError(c + ": first differing byte " + i + " (block " + block + ", byte "
                        + (i % bpb) + " of it): expected " + (expected[i] & 0xFF) + ", got " + (actual[i] & 0xFF));
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("caseArgs")
    void dequantizeIsBitExactWithGgml(Case c) {
        byte[] q = bytes(c.quantized);
        float[] expected = floats(c.dequantized);
        BlockCodec codec = Codecs.of(c.type);
        float[] actual = new float[c.rows * c.nPerRow];
        MemorySegment seg = MemorySegment.ofArray(q);
        for (int r = 0; r < c.rows; r++) {
            codec.dequantizeRow(seg, r * codec.rowBytes(c.nPerRow), actual, r * c.nPerRow, c.nPerRow);
        }
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToRawIntBits(actual[i]) != Float.floatToRawIntBits(expected[i])) {
                throw new AssertionError(c + ": element " + i + ": expected " + expected[i] + ", got " + actual[i]);
            }
        }
    }
}
