package dev.squint.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class ConvertCommandTest {
    @TempDir Path dir;

    static Path shared(String rel) {
        Path p = Path.of(System.getProperty("squint.shared", "../shared")).resolve(rel);
        assumeTrue(Files.exists(p), rel + " not found under squint.shared");
        return p;
    }

    @Test
    void convertsStoriesByteForByteAndPrintsASummary() throws Exception {
        Path out = dir.resolve("s.gguf");
        CliRun run = CliRun.of("convert", shared("data/stories260K.bin").toString(), out.toString(),
                "--vocab", shared("data/tok512.bin").toString());
        assertThat(run.err()).isEmpty();
        assertThat(run.exitCode()).isZero();
        assertThat(Files.mismatch(out, shared("testdata/llama.cpp/stories260K-f32.gguf"))).isEqualTo(-1L);
        assertThat(run.out()).contains("(GGUF)", "source        llama2.c", "architecture  llama", "tensors       48 (292,800 parameters)",
                "types         F32 48", "1,185,376 bytes written", "bits/weight   32.00");
    }

    @Test
    void jsonSummaryListsEveryTensorAndFallbacks() throws Exception {
        Path out = dir.resolve("q.gguf");
        CliRun run = CliRun.of("convert", shared("data/stories260K.bin").toString(), out.toString(),
                "--tokenizer", shared("data/tok512.bin").toString(), "--outtype", "Q8_0", "--json");
        assertThat(run.exitCode()).isZero();
        JsonNode j = new ObjectMapper().readTree(run.out());
        assertThat(j.get("format").asText()).isEqualTo("GGUF");
        assertThat(j.get("tensors")).hasSize(48);
        assertThat(j.get("output_bytes").asLong()).isEqualTo(Files.size(out));
        JsonNode down = null;
        for (JsonNode t : j.get("tensors")) if (t.get("name").asText().equals("blk.0.ffn_down.weight")) down = t;
        assertThat(down.get("type").asText()).isEqualTo("F16");
        assertThat(down.get("note").asText()).contains("172 are not a multiple of Q8_0's block of 32");
    }

    @Test
    void badInputsExitTwoWithOneLine() throws Exception {
        Path folder = Files.createDirectories(dir.resolve("hf"));
        Files.writeString(folder.resolve("config.json"), "{\"architectures\": [\"FalconForCausalLM\"]}");
        Files.write(folder.resolve("model.safetensors"), new byte[] {2, 0, 0, 0, 0, 0, 0, 0, '{', '}'});
        CliRun run = CliRun.of("convert", folder.toString(), dir.resolve("o.gguf").toString());
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.errLines()).hasSize(1);
        assertThat(run.err()).contains("FalconForCausalLM is not supported", "LlamaForCausalLM", "BertModel");
        assertThat(dir.resolve("o.gguf")).doesNotExist();

        CliRun badType = CliRun.of("convert", folder.toString(), dir.resolve("o.gguf").toString(), "--outtype", "q4_k");
        assertThat(badType.exitCode()).isEqualTo(2);
        assertThat(badType.err()).contains("unknown --outtype 'q4_k'", "f32, f16, bf16, q8_0");

        Path model = shared("data/stories260K.bin");
        Path copy = Files.copy(model, dir.resolve("m.gguf"));
        CliRun same = CliRun.of("convert", copy.toString(), copy.toString());
        assertThat(same.exitCode()).isEqualTo(2);
        assertThat(same.err()).contains("refusing to overwrite an input");
    }

    @Test
    void convertsTheBundledMiniLmAliasToBertGguf() throws Exception {
        Path models = Path.of(System.getProperty("squint.models", "target/models"));
        assumeTrue(Files.exists(models.resolve("all-minilm-l6-v2/all-minilm-l6-v2.onnx")), "all-MiniLM-L6-v2 not unpacked");
        Path out = dir.resolve("minilm.gguf");
        CliRun run = CliRun.of("convert", "all-minilm-l6-v2", out.toString(), "--outtype", "q8_0");
        assertThat(run.err()).isEmpty();
        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).contains("source        ONNX BERT", "architecture  bert", "tensors       101", "Q8_0 37");
    }

    @Test
    void shardSizesParse() {
        assertThat(ConvertCommand.parseSize("5GB")).isEqualTo(5_000_000_000L);
        assertThat(ConvertCommand.parseSize("500mb")).isEqualTo(500_000_000L);
        assertThat(ConvertCommand.parseSize("2GiB")).isEqualTo(2L << 30);
        assertThat(ConvertCommand.parseSize("1.5 KiB")).isEqualTo(1536L);
        assertThat(ConvertCommand.parseSize("1000000")).isEqualTo(1_000_000L);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ConvertCommand.parseSize("lots"))
                .isInstanceOf(dev.squint.core.SquintException.class).hasMessageContaining("not a size");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ConvertCommand.parseSize("0"))
                .isInstanceOf(dev.squint.core.SquintException.class).hasMessageContaining("positive");
    }

    @Test
    void helpNamesTheInputsAndTypes() {
        CliRun run = CliRun.of("convert", "--help");
        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).contains("--outtype", "q8_0", "fp8", "--vocab", "Qwen3ForCausalLM", "ONNX BERT");
    }
}
