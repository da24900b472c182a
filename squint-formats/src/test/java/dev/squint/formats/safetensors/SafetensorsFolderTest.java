package dev.squint.formats.safetensors;

import dev.squint.core.ModelFormatException;
import dev.squint.core.ScalarType;
import dev.squint.core.Tensor;
import dev.squint.formats.ModelOpener;
import dev.squint.formats.safetensors.SafetensorsWriter.Entry;
import dev.squint.formats.safetensors.SafetensorsWriter.Options;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static dev.squint.formats.safetensors.StBytes.f32;
import static dev.squint.formats.safetensors.StBytes.file;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SafetensorsFolderTest {
    @TempDir Path dir;

    private Path threeShards() {
        List<Entry> entries = new ArrayList<>();
        for (int i = 0; i < 6; i++) entries.add(SafetensorsRoundTripTest.entry("t" + i, ScalarType.F32, i, 25));
        SafetensorsWriter.writeSharded(dir, entries, 200, Options.defaults());
        return dir.resolve(SafetensorsIndex.FILE_NAME);
    }

    private void writeIndex(String weightMap) throws IOException {
        Files.writeString(dir.resolve(SafetensorsIndex.FILE_NAME), "{\"metadata\":{\"total_size\":600},\"weight_map\":{" + weightMap + "}}");
    }

    @Test
    void readsAShardedFolderThroughModelOpener() throws IOException {
        threeShards();
        Files.writeString(dir.resolve("config.json"), "{\"architectures\":[\"LlamaForCausalLM\"],\"model_type\":\"llama\"}");
        try (var m = ModelOpener.open(dir)) {
            assertThat(m).isInstanceOf(SafetensorsModel.class);
            assertThat(m.tensors()).extracting(Tensor::name).containsExactly("t0", "t1", "t2", "t3", "t4", "t5");
            assertThat(m.architecture()).contains("LlamaForCausalLM");
            assertThat(((SafetensorsModel) m).shardPaths()).hasSize(3);
        }
    }

    @Test
    void singleFileSeesTheConfigBesideIt() throws IOException {
        Path f = dir.resolve("weights.safetensors");
        SafetensorsWriter.write(f, List.of(SafetensorsRoundTripTest.entry("x", ScalarType.BF16, 1, 8)), Options.defaults());
        try (SafetensorsModel m = SafetensorsReader.open(f)) {
            assertThat(m.architecture()).isEmpty();
        }
        Files.writeString(dir.resolve("config.json"), "{\"architectures\":[\"Qwen2ForCausalLM\"]}");
        try (SafetensorsModel m = SafetensorsReader.open(f)) {
            assertThat(m.architecture()).contains("Qwen2ForCausalLM");
            assertThat(m.hf().tokenizer()).isEmpty();
        }
    }

    @Test
    void folderWithoutIndexReadsModelSafetensorsOrEveryFile() throws IOException {
        Files.write(dir.resolve("b.safetensors"), file("{" + f32("b", 1, 0) + "}", 4));
        Files.write(dir.resolve("a.safetensors"), file("{" + f32("a", 2, 0) + "}", 8));
        try (SafetensorsModel m = SafetensorsReader.open(dir)) {
            assertThat(m.tensors()).extracting(Tensor::name).containsExactly("a", "b");
            assertThat(m.fileSize()).isEqualTo(Files.size(dir.resolve("a.safetensors")) + Files.size(dir.resolve("b.safetensors")));
        }
        Files.write(dir.resolve("model.safetensors"), file("{" + f32("m", 1, 0) + "}", 4));
        try (SafetensorsModel m = SafetensorsReader.open(dir)) {
            assertThat(m.tensors()).extracting(Tensor::name).containsExactly("m");
        }
    }

    @Test
    void sameTensorInTwoUnindexedFilesIsAFault() throws IOException {
        Files.write(dir.resolve("a.safetensors"), file("{" + f32("w", 1, 0) + "}", 4));
        Files.write(dir.resolve("b.safetensors"), file("{" + f32("w", 1, 0) + "}", 4));
        assertThatThrownBy(() -> SafetensorsReader.open(dir)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("b.safetensors: tensor 'w' is also in a.safetensors");
    }

    @Test
    void opensAnIndexFileDirectlyAndFindsAnIndexNamedOtherwise() throws IOException {
        Path index = threeShards();
        try (SafetensorsModel m = SafetensorsReader.open(index)) {
            assertThat(m.tensors()).hasSize(6);
            assertThat(m.index().orElseThrow().totalSize()).hasValue(600);
        }
        Path diffusers = dir.resolve("diffusion_pytorch_model.safetensors.index.json");
        Files.move(index, diffusers);
        try (SafetensorsModel m = SafetensorsReader.open(dir)) {
            assertThat(m.tensors()).hasSize(6);
            assertThat(m.index()).isPresent();
        }
        Files.copy(diffusers, dir.resolve("other.safetensors.index.json"));
        assertThatThrownBy(() -> SafetensorsReader.open(dir)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("several safetensors indexes (diffusion_pytorch_model.safetensors.index.json, other.safetensors.index.json)");
    }

    @Test
    void emptyFolderIsAFault() {
        assertThatThrownBy(() -> SafetensorsReader.open(dir)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("no .safetensors file and no model.safetensors.index.json");
    }

    @Test
    void indexNamingAMissingShard() throws IOException {
        threeShards();
        Files.delete(dir.resolve("model-00002-of-00003.safetensors"));
        assertThatThrownBy(() -> SafetensorsReader.open(dir)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining(SafetensorsIndex.FILE_NAME + ": weight_map entry 't2' names shard 'model-00002-of-00003.safetensors', which does not exist");
    }

    @Test
    void indexShardPathsMayNotLeaveTheFolder() throws IOException {
        Path inner = Files.createDirectory(dir.resolve("inner"));
        Files.write(dir.resolve("outside.safetensors"), file("{" + f32("w", 1, 0) + "}", 4));
        for (String name : List.of("../outside.safetensors", dir.resolve("outside.safetensors").toString(), "sub/../../outside.safetensors")) {
            Files.writeString(inner.resolve(SafetensorsIndex.FILE_NAME), "{\"weight_map\":{\"w\":\"" + name.replace("\\", "\\\\") + "\"}}");
            assertThatThrownBy(() -> SafetensorsReader.open(inner)).as(name).isInstanceOf(ModelFormatException.class)
                    .hasMessageContaining("names shard '" + name + "', which is outside the model folder");
        }
    }

    @Test
    void indexListsATensorItsShardLacks() throws IOException {
        Files.write(dir.resolve("s.safetensors"), file("{" + f32("a", 1, 0) + "}", 4));
        writeIndex("\"a\":\"s.safetensors\",\"ghost\":\"s.safetensors\"");
        assertThatThrownBy(() -> SafetensorsReader.open(dir)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("tensor 'ghost' is mapped to s.safetensors, which does not hold it");
    }

    @Test
    void shardHoldsATensorTheIndexDoesNotList() throws IOException {
        Files.write(dir.resolve("s.safetensors"), file("{" + f32("a", 1, 0) + "," + f32("extra", 1, 4) + "}", 8));
        writeIndex("\"a\":\"s.safetensors\"");
        assertThatThrownBy(() -> SafetensorsReader.open(dir)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("s.safetensors: tensor 'extra' is not listed for this shard");
    }

    @Test
    void malformedIndexNamesTheIndex() throws IOException {
        Files.writeString(dir.resolve(SafetensorsIndex.FILE_NAME), "{\"weight_map\": {\"a\": ");
        assertThatThrownBy(() -> SafetensorsReader.open(dir)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining(SafetensorsIndex.FILE_NAME + ": not valid JSON").hasMessageNotContaining("\n");
        Files.writeString(dir.resolve(SafetensorsIndex.FILE_NAME), "{\"weight_map\": {\"a\": 3}}");
        assertThatThrownBy(() -> SafetensorsReader.open(dir)).hasMessageContaining("weight_map entry 'a' is not a file name string");
        Files.writeString(dir.resolve(SafetensorsIndex.FILE_NAME), "{\"weight_map\": {\"a\": \"x\", \"a\": \"y\"}}");
        assertThatThrownBy(() -> SafetensorsReader.open(dir)).hasMessageContaining("Duplicate field 'a'");
        Files.writeString(dir.resolve(SafetensorsIndex.FILE_NAME), "{\"metadata\": {}}");
        assertThatThrownBy(() -> SafetensorsReader.open(dir)).hasMessageContaining("no weight_map object");
    }

    @Test
    void brokenShardInAFolderNamesTheShard() throws IOException {
        threeShards();
        Path shard = dir.resolve("model-00003-of-00003.safetensors");
        byte[] b = Files.readAllBytes(shard);
        Files.write(shard, java.util.Arrays.copyOf(b, b.length - 1));
        assertThatThrownBy(() -> SafetensorsReader.open(dir)).isInstanceOf(ModelFormatException.class)
                .hasMessageStartingWith(shard.toString()).hasMessageContaining("beyond the data section");
    }

    @Test
    void missingPathIsAFault() {
        assertThatThrownBy(() -> SafetensorsReader.open(dir.resolve("nope.safetensors"))).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("no such file");
    }
}
