package dev.squint.core.codec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.squint.core.GgmlType;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Bit-exactness against llama.cpp: for every K-quant case in the reference vectors
 * (resources/ggml, copied from testdata/ggml), quantizing the input gives exactly ggml's bytes and
 * dequantizing them gives exactly ggml's floats, with and without an importance matrix.
 */
class KQuantReferenceVectorsTest {
    private static final Set<String> TYPES = Set.of("Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K");

    static byte[] resource(String name) throws IOException {
        try (InputStream in = KQuantReferenceVectorsTest.class.getResourceAsStream("/ggml/" + name)) {
            if (in == null) throw new IOException("missing test resource ggml/" + name);
            return in.readAllBytes();
        }
    }

    static float[] floats(byte[] bytes) {
        float[] f = new float[bytes.length / 4];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(f);
        return f;
    }

    static List<JsonNode> cases() throws IOException {
        JsonNode manifest = new ObjectMapper().readTree(resource("manifest.json"));
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode c : manifest.get("cases")) {
            if (TYPES.contains(c.get("type").asText())) out.add(c);
        }
        return out;
    }

    @Test
    void everyTypeHasPlainAndImatrixCases() throws IOException {
        List<JsonNode> cases = cases();
        // 8 inputs × 5 types, each with and without importance matrix
        assertThat(cases).hasSize(80);
        for (String t : TYPES) {
            assertThat(cases).filteredOn(c -> c.get("type").asText().equals(t)).hasSize(16);
        }
    }

    @TestFactory
    List<DynamicTest> quantizedBytesAndDequantizedFloatsMatchGgml() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode c : cases()) {
            tests.add(DynamicTest.dynamicTest(c.get("id").asText(), () -> checkCase(c)));
        }
        return tests;
    }

    private static void checkCase(JsonNode c) throws IOException {
        GgmlType type = GgmlType.fromName(c.get("type").asText()).orElseThrow();
        BlockCodec codec = Codecs.of(type);
        int rows = c.get("rows").asInt();
        int nPerRow = c.get("n_per_row").asInt();
        int rowBytes = c.get("row_bytes").asInt();
        assertThat(codec.rowBytes(nPerRow)).isEqualTo(rowBytes);
        float[] input = floats(resource(c.get("input").asText()));
        float[] importance = c.get("imatrix_used").asBoolean() ? floats(resource(c.get("imatrix").asText())) : null;
        byte[] expectedQ = resource(c.get("quantized").asText());
        float[] expectedDeq = floats(resource(c.get("dequantized").asText()));

        byte[] actualQ = new byte[rows * rowBytes];
        long written = Codecs.quantizeChunk(type, input, 0, rows, nPerRow, MemorySegment.ofArray(actualQ), 0, importance);
        assertThat(written).isEqualTo(expectedQ.length);
        for (int i = 0; i < expectedQ.length; i++) {
            if (actualQ[i] != expectedQ[i]) {
                int block = i / type.bytesPerBlock();
                fail("%s: first byte mismatch at %d (block %d, byte %d in block): expected 0x%02x, got 0x%02x",
                        c.get("id").asText(), i, block, i % type.bytesPerBlock(), expectedQ[i] & 0xFF, actualQ[i] & 0xFF);
            }
        }

        float[] actualDeq = new float[rows * nPerRow];
        MemorySegment q = MemorySegment.ofArray(expectedQ);
        for (int r = 0; r < rows; r++) {
            codec.dequantizeRow(q, (long) r * rowBytes, actualDeq, r * nPerRow, nPerRow);
        }
        for (int i = 0; i < expectedDeq.length; i++) {
            if (Float.floatToRawIntBits(actualDeq[i]) != Float.floatToRawIntBits(expectedDeq[i])) {
                fail("%s: dequantized value %d: expected %s, got %s", c.get("id").asText(), i, expectedDeq[i], actualDeq[i]);
            }
        }
    }
}
