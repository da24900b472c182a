package dev.squint.formats.inspect;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.squint.core.Container;
import dev.squint.core.DType;
import dev.squint.core.GgmlType;
import dev.squint.core.MetaValue;
import dev.squint.core.Metadata;
import dev.squint.core.Model;
import dev.squint.core.ModelFormatException;
import dev.squint.core.ScalarType;
import dev.squint.core.Shape;
import dev.squint.core.Tensor;
import dev.squint.core.TensorInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class InspectorTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir Path dir;

    static Path stories() {
        Path p = Path.of(System.getProperty("squint.shared", "../shared"), "data", "stories260K.bin");
        assumeTrue(Files.exists(p), "stories260K.bin not found under squint.shared");
        return p;
    }

    @Test
    void reportsStories260K() {
        InspectReport r = Inspector.inspect(stories());
        assertThat(r.container()).isEqualTo(Container.LLAMA2C);
        assertThat(r.architecture()).contains("llama");
        assertThat(r.parameterCount()).isEqualTo(264_128L);
        assertThat(r.fileSize()).isEqualTo(1_056_540L);
        assertThat(r.tensorBytes()).isEqualTo(1_056_512L);
        assertThat(r.bitsPerWeight()).isEqualTo(32.0);
        assertThat(r.dtypes()).containsExactly(new InspectReport.DTypeStats(ScalarType.F32, 49, 264_128L, 1_056_512L));
        assertThat(r.tensors()).hasSize(49);
        assertThat(r.tensors().getFirst().offset()).hasValue(28L);
        assertThat(r.metadata()).extracting(InspectReport.MetaEntry::key).contains("llama.block_count", "llama2c.shared_classifier");
        assertThat(r.containerFacts()).containsKey("classifier");
        assertThat(r.containerFacts().get("classifier")).contains("shared");
    }

    @Test
    void storiesAsText() {
        String text = InspectText.render(Inspector.inspect(stories()), false, false);
        assertThat(text).startsWith("stories260K.bin (llama2.c)\n");
        assertThat(text).contains("264,128 (264.1 K)", "1.1 MB (1,056,540 bytes)", "bits per weight  32.00");
        assertThat(text).contains("tensors (49)");
        // 49 tensors fit under the limit: every one is listed, with its offset
        assertThat(text).contains("rope_freqs_imag").doesNotContain("--all");
        assertThat(text).containsPattern("token_embd\\.weight +F32 +\\[512, 64\\] +131\\.1 kB +28\\n");
    }

    @Test
    void storiesAsJson() throws Exception {
        JsonNode j = JSON.readTree(InspectJson.render(Inspector.inspect(stories()), false));
        assertThat(j.get("container").asText()).isEqualTo("llama2.c");
        assertThat(j.get("parameter_count").asLong()).isEqualTo(264_128L);
        assertThat(j.get("file_size").asLong()).isEqualTo(1_056_540L);
        assertThat(j.get("tensors")).hasSize(49);
        JsonNode k = j.get("tensors").get(2);
        assertThat(k.get("name").asText()).isEqualTo("blk.0.attn_q.weight");
        assertThat(JSON.convertValue(k.get("shape"), long[].class)).containsExactly(64, 64);
        assertThat(k.get("offset").asLong()).isEqualTo(28 + 4L * (512 * 64 + 5 * 64));
        JsonNode blocks = find(j.get("metadata"), "llama.block_count");
        assertThat(blocks.get("kind").asText()).isEqualTo("UINT32");
        assertThat(blocks.get("value").asLong()).isEqualTo(5);
        assertThat(find(j.get("metadata"), "llama2c.shared_classifier").get("value").asBoolean()).isTrue();
        assertThat(find(j.get("metadata"), "llama.attention.layer_norm_rms_epsilon").get("value").floatValue()).isEqualTo(1e-5f);
    }

    @Test
    void missingFileIsAFormatFault() {
        Path p = dir.resolve("absent.gguf");
        assertThatThrownBy(() -> Inspector.inspect(p)).isInstanceOf(ModelFormatException.class).hasMessageStartingWith(p.toString());
    }

    @Test
    void mixedDtypesAreCountedPerType() {
        InspectReport r = Inspector.of(synthetic(3));
        // 3 F32 [4, 32] tensors (512 B each) ... see synthetic(): Q4_0 [8, 64] = 16 blocks x 18 B = 288 B; F16 [10] = 20 B
        assertThat(r.dtypes()).containsExactly(
                new InspectReport.DTypeStats(ScalarType.F32, 3, 384, 1536),
                new InspectReport.DTypeStats(GgmlType.Q4_0, 1, 512, 288),
                new InspectReport.DTypeStats(ScalarType.F16, 1, 10, 20));
        assertThat(r.parameterCount()).isEqualTo(906);
        assertThat(r.tensorBytes()).isEqualTo(1844);
        assertThat(r.bitsPerWeight()).isEqualTo(8.0 * 1844 / 906);
        assertThat(r.tensors()).allSatisfy(t -> assertThat(t.offset()).isEmpty());
        assertThat(r.containerFacts()).isEmpty();
    }

    @Test
    void longTensorTablesShowHeadAndTailUnlessAll() {
        InspectReport r = Inspector.of(synthetic(100));
        String cut = InspectText.render(r, false, false);
        assertThat(cut).contains("t.0.weight", "t.29.weight", "... 62 more (--all lists every tensor)", "t.92.weight", "t.99.weight", "h.bias")
                .doesNotContain("t.30.weight", "t.91.weight");
        String all = InspectText.render(r, true, false);
        for (int i = 0; i < 100; i++) assertThat(all).contains("t." + i + ".weight ");
        assertThat(all).doesNotContain("--all");
        // no offsets known: no offset column
        assertThat(all).contains("  name  ").doesNotContain("offset");
    }

    @Test
    void tensorColumnsAreAligned() {
        String text = InspectText.render(Inspector.inspect(stories()), false, false);
        List<String> rows = text.lines().dropWhile(l -> !l.startsWith("tensors")).skip(1).toList();
        int dtypeColumn = rows.getFirst().indexOf("dtype");
        assertThat(rows).hasSize(50).allSatisfy(l -> assertThat(l.charAt(dtypeColumn)).isIn('F', 'd'));
        // right-aligned offsets end in the same column
        int end = rows.getFirst().length();
        assertThat(rows).allSatisfy(l -> assertThat(l).hasSize(end));
    }

    @Test
    void metadataArraysAreAbbreviatedUnlessFull() throws Exception {
        InspectReport r = Inspector.of(synthetic(1));
        String text = InspectText.render(r, false, false);
        assertThat(text).contains("tokenizer.ggml.tokens  str[]  [\"tok0\", \"tok1\", \"tok2\", \"tok3\", \"tok4\", \"tok5\", \"tok6\", \"tok7\", ... (100 strings)]");
        assertThat(text).containsPattern("\n  chat +str +line one\\\\nline two\n");
        assertThat(text).containsPattern("\n  big +u64 +18446744073709551615\n");
        assertThat(text).containsPattern("\n  blob +str +" + "x".repeat(96) + "\\.\\.\\. \\(500 chars\\)\n");
        assertThat(text).contains("parameters       650\n");
        assertThat(InspectText.render(r, false, true)).contains("\"tok99\"").contains("x".repeat(500));

        JsonNode j = JSON.readTree(InspectJson.render(r, false));
        JsonNode tokens = find(j.get("metadata"), "tokenizer.ggml.tokens");
        assertThat(tokens.get("kind").asText()).isEqualTo("ARRAY");
        assertThat(tokens.get("element_kind").asText()).isEqualTo("STRING");
        assertThat(tokens.get("count").asInt()).isEqualTo(100);
        assertThat(tokens.get("truncated").asBoolean()).isTrue();
        assertThat(tokens.get("value")).hasSize(8);
        assertThat(find(j.get("metadata"), "chat").get("value").asText()).isEqualTo("line one\nline two");
        assertThat(find(j.get("metadata"), "big").get("value").bigIntegerValue().toString()).isEqualTo("18446744073709551615");
        assertThat(find(j.get("metadata"), "blob").get("value").asText()).hasSize(500);
        assertThat(j.get("architecture").isNull()).isTrue();

        JsonNode full = find(JSON.readTree(InspectJson.render(r, true)).get("metadata"), "tokenizer.ggml.tokens");
        assertThat(full.get("value")).hasSize(100);
        assertThat(full.get("value").get(99).asText()).isEqualTo("tok99");
        assertThat(full.get("truncated").asBoolean()).isFalse();
    }

    @Test
    void humanUnits() {
        assertThat(HumanUnits.bytes(90_387_606)).isEqualTo("90.4 MB");
        assertThat(HumanUnits.bytes(28)).isEqualTo("28 B");
        assertThat(HumanUnits.bytes(999)).isEqualTo("999 B");
        assertThat(HumanUnits.bytes(1000)).isEqualTo("1.0 kB");
        assertThat(HumanUnits.bytes(999_960)).isEqualTo("1.0 MB");
        assertThat(HumanUnits.bytes(7_000_000_000L)).isEqualTo("7.0 GB");
        assertThat(HumanUnits.count(22_713_216)).isEqualTo("22.7 M");
        assertThat(HumanUnits.count(512)).isEqualTo("512");
        assertThat(HumanUnits.count(6_738_415_616L)).isEqualTo("6.7 B");
        assertThat(HumanUnits.grouped(1_056_540)).isEqualTo("1,056,540");
    }

    private static JsonNode find(JsonNode metadata, String key) {
        for (JsonNode m : metadata) if (m.get("key").asText().equals(key)) return m;
        throw new AssertionError("no metadata key " + key);
    }

    /** A model of {@code f32Tensors} F32 [4, 32] tensors, one Q4_0 [8, 64] and one F16 [10], with awkward metadata. */
    private static Model synthetic(int f32Tensors) {
        List<Tensor> tensors = new ArrayList<>();
        for (int i = 0; i < f32Tensors; i++) tensors.add(tensor("t." + i + ".weight", ScalarType.F32, 4, 32));
        tensors.add(tensor("q.weight", GgmlType.Q4_0, 8, 64));
        tensors.add(tensor("h.bias", ScalarType.F16, 10));
        List<MetaValue> tokens = new ArrayList<>();
        for (int i = 0; i < 100; i++) tokens.add(MetaValue.Str.of("tok" + i));
        Metadata md = Metadata.builder()
                .put("tokenizer.ggml.tokens", new MetaValue.Array(MetaValue.Kind.STRING, tokens))
                .putString("chat", "line one\nline two")
                .putU64("big", -1L)
                .putString("blob", "x".repeat(500))
                .build();
        return new Model() {
            @Override public Container container() { return Container.GGUF; }
            @Override public Path path() { return Path.of("synthetic.gguf"); }
            @Override public Metadata metadata() { return md; }
            @Override public List<Tensor> tensors() { return tensors; }
            @Override public long fileSize() { return 4096; }
            @Override public Optional<String> architecture() { return Optional.empty(); }
            @Override public void close() {}
        };
    }

    private static Tensor tensor(String name, DType type, long... dims) {
        TensorInfo info = TensorInfo.of(name, type, Shape.of(dims));
        return new Tensor(info, MemorySegment.ofArray(new byte[(int) info.byteSize()]));
    }
}
