package dev.squint.kernels;

import dev.squint.core.GgmlType;
import dev.squint.core.codec.BlockCodec;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The fast path squint actually runs (VectorCodecs through the row-parallel quantizer, 2 threads)
 * against llama.cpp's reference vectors in shared/testdata/ggml: identical bytes and floats.
 * Every reference input has 512 values per row (see that folder's README).
 */
class VectorCodecsReferenceTest {
    static final int N_PER_ROW = 512;

    static Path ggmlDir() {
        String shared = System.getProperty("squint.shared");
        Path dir = shared == null ? null : Path.of(shared, "testdata", "ggml");
        Assumptions.assumeTrue(dir != null && Files.isDirectory(dir.resolve("inputs")), "shared/testdata/ggml not found (squint.shared)");
        return dir;
    }

    static float[] floats(Path p) throws IOException {
        byte[] b = Files.readAllBytes(p);
        float[] f = new float[b.length / 4];
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(f);
        return f;
    }

    @ParameterizedTest
    @EnumSource(names = {"Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "IQ4_NL", "IQ4_XS", "TQ1_0", "TQ2_0"})
    void fastPathIsBitExactWithLlamaCpp(GgmlType t) throws IOException {
        Path dir = ggmlDir();
        BlockCodec codec = VectorCodecs.of(t);
        List<Path> inputs;
        try (Stream<Path> s = Files.list(dir.resolve("inputs"))) {
            inputs = s.filter(p -> p.toString().endsWith(".f32") && !p.toString().endsWith(".imatrix.f32")).sorted().toList();
        }
        int cases = 0;
        for (Path input : inputs) {
            String name = input.getFileName().toString().replace(".f32", "");
            float[] src = floats(input);
            int rows = src.length / N_PER_ROW;
            for (boolean weighted : new boolean[] {false, true}) {
                String stem = weighted ? name + ".imatrix" : name;
                Path q = dir.resolve(t.name()).resolve(stem + ".q.bin");
                if (!Files.exists(q)) continue;
                float[] importance = weighted ? floats(dir.resolve("inputs").resolve(name + ".imatrix.f32")) : null;
                byte[] expected = Files.readAllBytes(q);
                assertThat((long) expected.length).isEqualTo(rows * codec.rowBytes(N_PER_ROW));
                byte[] actual = new byte[expected.length];
                ParallelQuantizer.quantize(t, src, rows, N_PER_ROW, MemorySegment.ofArray(actual), 0, importance, 2);
                assertThat(actual).as("%s/%s quantized", t, stem).isEqualTo(expected);

                float[] deqExpected = floats(dir.resolve(t.name()).resolve(stem + ".deq.f32"));
                float[] deq = new float[rows * N_PER_ROW];
                for (int r = 0; r < rows; r++) {
                    codec.dequantizeRow(MemorySegment.ofArray(expected), r * codec.rowBytes(N_PER_ROW), deq, r * N_PER_ROW, N_PER_ROW);
                }
                assertThat(deq).as("%s/%s dequantized", t, stem).isEqualTo(deqExpected);
                cases++;
            }
        }
        boolean ignoresImportance = t == GgmlType.Q8_0 || t == GgmlType.TQ1_0 || t == GgmlType.TQ2_0;
        assertThat(cases).isEqualTo(ignoresImportance ? 8 : 16);
    }
}
