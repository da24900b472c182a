package dev.squint.formats.gguf;

import dev.squint.core.GgmlType;
import dev.squint.core.MetaValue;
import dev.squint.core.ScalarType;
import dev.squint.core.Shape;
import dev.squint.core.Tensor;
import dev.squint.formats.ModelOpener;
import dev.squint.core.Model;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The GGUF files llama.cpp wrote for stories260K (../shared/testdata/llama.cpp): read, and written back byte for byte. */
class GgufLlamaCppFilesTest {
    @TempDir Path dir;

    private static Path shared(String name) {
        Path p = Path.of(System.getProperty("squint.shared", "../shared"), "testdata", "llama.cpp", name);
        assumeTrue(Files.exists(p), "llama.cpp test data absent: " + p);
        return p;
    }

    @ParameterizedTest
    @ValueSource(strings = {"stories260K-f32.gguf", "stories260K-Q8_0-ffnF16.gguf", "stories260K-Q4_0-ffnF16.gguf", "stories260K-Q4_K_M.gguf"})
    void writingAnUnmodifiedFileBackGivesIdenticalBytes(String name) throws IOException {
        Path in = shared(name);
        Path out = dir.resolve(name);
        try (GgufFile g = GgufReader.open(in)) {
            GgufWriter.copy(g, out);
        }
        assertThat(Files.mismatch(in, out)).isEqualTo(-1L);
        try (var files = Files.list(dir)) {
            assertThat(files).containsExactly(out); // no temp file left behind
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"stories260K-f32.gguf", "stories260K-Q8_0-ffnF16.gguf", "stories260K-Q4_0-ffnF16.gguf", "stories260K-Q4_K_M.gguf"})
    void rebuildingThePlanFromPartsGivesIdenticalBytes(String name) throws IOException {
        // what a quantizer does: metadata + (name, type, ne) in order, offsets computed by the writer
        Path in = shared(name);
        Path out = dir.resolve("rebuilt.gguf");
        try (GgufFile g = GgufReader.open(in)) {
            GgufPlan.Builder b = GgufPlan.builder().metadata(g.metadata());
            for (GgufTensorInfo t : g.tensorInfos()) b.tensor(t.name(), t.type(), t.ne());
            GgufPlan plan = b.build();
            assertThat(plan.tensors()).isEqualTo(g.tensorInfos());
            assertThat(plan.dataOffset()).isEqualTo(g.dataOffset());
            GgufWriter.write(out, plan, GgufWriter.from(g), java.util.List.of(in));
        }
        assertThat(Files.mismatch(in, out)).isEqualTo(-1L);
    }

    @Test
    void stories260kF32HasLlamaShapesAndMetadata() {
        Path in = shared("stories260K-f32.gguf");
        try (GgufFile g = GgufReader.open(in)) {
            assertThat(g.version()).isEqualTo(3);
            assertThat(g.alignment()).isEqualTo(32);
            assertThat(g.dataOffset() % 32).isZero();
            assertThat(g.architecture()).contains("llama");
            assertThat(g.metadata().integer("llama.context_length")).contains(128L);
            assertThat(g.metadata().get("llama.context_length").orElseThrow().kind()).isEqualTo(MetaValue.Kind.UINT32);
            assertThat(g.metadata().integer("llama.embedding_length")).contains(64L);
            assertThat(g.metadata().strings("tokenizer.ggml.tokens").orElseThrow()).hasSize(512);

            Tensor emb = g.tensor("token_embd.weight").orElseThrow();
            assertThat(emb.shape()).isEqualTo(Shape.of(512, 64));
            assertThat(emb.dtype()).isEqualTo(ScalarType.F32);
            assertThat(emb.byteSize()).isEqualTo(512L * 64 * 4);
            GgufTensorInfo embInfo = g.tensorInfo("token_embd.weight").orElseThrow();
            assertThat(embInfo.type()).isEqualTo(GgmlType.F32);
            assertThat(embInfo.ne()).containsExactly(64, 512);

            assertThat(g.tensor("output.weight").orElseThrow().shape()).isEqualTo(Shape.of(512, 64));
            assertThat(g.tensor("blk.0.attn_q.weight").orElseThrow().shape()).isEqualTo(Shape.of(64, 64));
            assertThat(g.tensor("blk.0.ffn_down.weight").orElseThrow().shape()).isEqualTo(Shape.of(64, 172));
            assertThat(g.tensor("blk.0.ffn_up.weight").orElseThrow().shape()).isEqualTo(Shape.of(172, 64));
            assertThat(g.tensor("blk.0.attn_norm.weight").orElseThrow().shape()).isEqualTo(Shape.of(64));
            assertThat(g.tensors()).hasSize(g.tensorInfos().size());
            assertThat(g.parameterCount()).isGreaterThan(250_000L).isLessThan(300_000L);

            // the view is the file's bytes: compare a float with a direct read of the file
            long at = g.dataOffset() + embInfo.offset() + 4 * 10;
            float viaView = emb.data().get(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 40);
            byte[] raw = Files.readAllBytes(in);
            float direct = Float.intBitsToFloat((raw[(int) at] & 0xFF) | (raw[(int) at + 1] & 0xFF) << 8
                    | (raw[(int) at + 2] & 0xFF) << 16 | (raw[(int) at + 3] & 0xFF) << 24);
            assertThat(viaView).isEqualTo(direct).isNotZero();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void quantizedFileKeepsBlockTypesAndCanonicalScalarTypes() {
        try (GgufFile g = GgufReader.open(shared("stories260K-Q8_0-ffnF16.gguf"))) {
            Tensor q = g.tensor("blk.0.attn_q.weight").orElseThrow();
            assertThat(q.dtype()).isEqualTo(GgmlType.Q8_0);
            assertThat(q.byteSize()).isEqualTo(64L * 64 / 32 * 34);
            Tensor down = g.tensor("blk.0.ffn_down.weight").orElseThrow();
            assertThat(down.dtype()).isEqualTo(ScalarType.F16);
            assertThat(g.tensorInfo("blk.0.ffn_down.weight").orElseThrow().type()).isEqualTo(GgmlType.F16);
        }
    }

    @Test
    void modelOpenerDispatchesToTheGgufReader() {
        try (Model m = ModelOpener.open(shared("stories260K-Q4_K_M.gguf"))) {
            assertThat(m).isInstanceOf(GgufFile.class);
            assertThat(m.container()).isEqualTo(dev.squint.core.Container.GGUF);
            assertThat(m.fileSize()).isEqualTo(304096L);
        }
    }
}
