package dev.squint.convert;

import dev.squint.core.GgmlType;
import dev.squint.core.SquintException;
import dev.squint.formats.gguf.GgufFile;
import dev.squint.formats.gguf.GgufReader;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class Llama2cConvertTest {
    static final Path SHARED = Path.of(System.getProperty("squint.shared", "../../shared"));
    static final Path MODEL = SHARED.resolve("data/stories260K.bin");
    static final Path TOKENIZER = SHARED.resolve("data/tok512.bin");
    static final Path REFERENCE = SHARED.resolve("testdata/llama.cpp/stories260K-f32.gguf");

    @TempDir Path tmp;

    static void assumeShared() {
        Assumptions.assumeTrue(Files.exists(MODEL) && Files.exists(TOKENIZER) && Files.exists(REFERENCE),
                "../shared (stories260K, tok512, llama.cpp's GGUF) not found; set -Dsquint.shared");
    }

    @Test
    void stories260kIsByteIdenticalToLlamaCppsConverter() throws Exception {
        assumeShared();
        Path out = tmp.resolve("stories.gguf");
        List<String> written = new ArrayList<>();
        ConvertReport report = GgufConverter.convert(ConvertOptions.of(MODEL, out).withVocab(TOKENIZER)
                .withListener(new ConvertListener() {
                    @Override public void tensorWritten(String name, long bytes) { written.add(name); }
                }));
        assertThat(Files.mismatch(out, REFERENCE)).isEqualTo(-1L);
        assertThat(report.tensors()).hasSize(48);
        assertThat(written).hasSize(48).startsWith("token_embd.weight", "output_norm.weight", "output.weight");
        assertThat(report.architecture()).isEqualTo("llama");
        assertThat(report.outputBytes()).isEqualTo(Files.size(REFERENCE));
    }

    @Test
    void defaultTokenizerIsFoundBesideTheModel() throws Exception {
        assumeShared();
        Path dir = Files.createDirectories(tmp.resolve("m"));
        Files.copy(MODEL, dir.resolve("stories260K.bin"));
        Files.copy(TOKENIZER, dir.resolve("tok512.bin"));
        Path out = tmp.resolve("a.gguf");
        GgufConverter.convert(ConvertOptions.of(dir.resolve("stories260K.bin"), out));
        assertThat(Files.mismatch(out, REFERENCE)).isEqualTo(-1L);
    }

    @Test
    void outTypesFollowTheConverterRules() {
        assumeShared();
        Path out = tmp.resolve("q8.gguf");
        ConvertReport r = GgufConverter.convert(ConvertOptions.of(MODEL, out).withVocab(TOKENIZER).withOutType(OutType.Q8_0)
                .withContextLength(256));
        try (GgufFile f = GgufReader.open(out); GgufFile ref = GgufReader.open(REFERENCE)) {
            assertThat(f.metadata().integer("llama.context_length")).contains(256L);
            assertThat(f.tensorInfo("output_norm.weight").orElseThrow().type()).isEqualTo(GgmlType.F32);
            assertThat(f.tensorInfo("blk.0.attn_q.weight").orElseThrow().type()).isEqualTo(GgmlType.Q8_0);
            // ffn_down rows hold 172 values, not a multiple of 32: F16, as gguf-py falls back
            assertThat(f.tensorInfo("blk.0.ffn_down.weight").orElseThrow().type()).isEqualTo(GgmlType.F16);
            assertThat(f.tensorInfos()).extracting(t -> t.name()).containsExactlyElementsOf(
                    ref.tensorInfos().stream().map(t -> t.name()).toList());
        }
        ConvertReport.TensorEntry q = r.tensors().stream().filter(t -> t.name().equals("blk.0.attn_q.weight")).findFirst().orElseThrow();
        // Q8_0 keeps about 8 bits: SNR well above 30 dB on these weights, and not exact
        assertThat(q.error().orElseThrow().snrDb()).isBetween(30.0, 60.0);
        ConvertReport.TensorEntry down = r.tensors().stream().filter(t -> t.name().equals("blk.0.ffn_down.weight")).findFirst().orElseThrow();
        assertThat(down.error().orElseThrow().snrDb()).isGreaterThan(60.0);
        ConvertReport.TensorEntry norm = r.tensors().stream().filter(t -> t.name().equals("output_norm.weight")).findFirst().orElseThrow();
        assertThat(norm.error().orElseThrow().rmse()).isZero();
        assertThat(r.tensors()).filteredOn(t -> t.note().isPresent()).extracting(ConvertReport.TensorEntry::name)
                .containsExactly("blk.0.ffn_down.weight", "blk.1.ffn_down.weight", "blk.2.ffn_down.weight",
                        "blk.3.ffn_down.weight", "blk.4.ffn_down.weight");
    }

    @Test
    void refusesToOverwriteItsInputAndLeavesNothingOnFailure() throws Exception {
        assumeShared();
        Path dir = Files.createDirectories(tmp.resolve("x"));
        Path model = Files.copy(MODEL, dir.resolve("m.bin"));
        Path tok = Files.copy(TOKENIZER, dir.resolve("tok512.gguf"));
        byte[] tokBefore = Files.readAllBytes(tok);
        assertThatThrownBy(() -> GgufConverter.convert(ConvertOptions.of(model, tok).withVocab(tok)))
                .isInstanceOf(SquintException.class).hasMessageContaining("refusing to overwrite an input");
        assertThat(Files.readAllBytes(tok)).isEqualTo(tokBefore);
        Path truncated = dir.resolve("bad.bin");
        Files.write(truncated, Files.readAllBytes(TOKENIZER));
        Path out = dir.resolve("out.gguf");
        assertThatThrownBy(() -> GgufConverter.convert(ConvertOptions.of(model, out).withVocab(truncated.resolveSibling("missing.bin"))))
                .isInstanceOf(SquintException.class);
        assertThat(out).doesNotExist();
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.contains(".tmp-"));
        }
    }
}
