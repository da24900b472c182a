package dev.squint.convert;

import dev.squint.core.GgmlType;
import dev.squint.core.Metadata;
import dev.squint.core.SquintException;
import dev.squint.core.Tensor;
import dev.squint.formats.gguf.GgufFile;
import dev.squint.formats.gguf.GgufReader;
import dev.squint.formats.onnx.OnnxModel;
import dev.squint.formats.onnx.OnnxReader;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static dev.squint.convert.TinyHf.FF;
import static dev.squint.convert.TinyHf.HIDDEN;
import static dev.squint.convert.TinyHf.LAYERS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class BertConvertTest {
    static final Path MINILM = Path.of(System.getProperty("squint.models", "target/models"), "all-minilm-l6-v2", "all-minilm-l6-v2.onnx");

    @TempDir Path tmp;

    @Test
    void hfBertFolder() throws Exception {
        TinyHf hf = new TinyHf();
        Path dir = hf.bert(tmp.resolve("tiny-bert"));
        Path out = tmp.resolve("bert.gguf");
        GgufConverter.convert(ConvertOptions.of(dir, out));
        try (GgufFile f = GgufReader.open(out)) {
            Metadata m = f.metadata();
            assertThat(m.keys()).startsWith("general.architecture", "general.type", "general.name", "bert.block_count",
                    "bert.context_length", "bert.embedding_length", "bert.feed_forward_length", "bert.attention.head_count",
                    "bert.attention.layer_norm_epsilon", "general.file_type", "bert.attention.causal", "bert.pooling_type",
                    "tokenizer.ggml.token_type_count", "tokenizer.ggml.model");
            assertThat(m.string("general.architecture")).contains("bert");
            assertThat(m.integer("bert.context_length")).contains(64L);
            assertThat(m.integer("bert.feed_forward_length")).contains((long) FF);
            assertThat(m.integer("bert.attention.head_count")).contains(4L);
            assertThat(m.bool("bert.attention.causal")).contains(false);
            assertThat(m.integer("bert.pooling_type")).contains(1L);
            assertThat(m.string("tokenizer.ggml.model")).contains("bert");
            assertThat(m.strings("tokenizer.ggml.tokens").orElseThrow()).startsWith("[PAD]", "[unused0]", "\u2581the", "\u2581a", "[UNK]")
                    .contains("s", "gy", "\u2581cat");
            assertThat(m.longs("tokenizer.ggml.token_type").orElseThrow()).startsWith(3, 1, 1, 1, 3, 3, 3, 3, 1);
            assertThat(m.integer("tokenizer.ggml.cls_token_id")).contains(5L);
            assertThat(m.integer("tokenizer.ggml.seperator_token_id")).contains(6L);
            assertThat(m.integer("tokenizer.ggml.mask_token_id")).contains(7L);
            assertThat(m.integer("tokenizer.ggml.unknown_token_id")).contains(4L);
            assertThat(m.integer("tokenizer.ggml.padding_token_id")).contains(0L);
            assertThat(f.tensorInfos()).extracting(t -> t.name()).contains("token_embd.weight", "token_types.weight", "position_embd.weight",
                    "token_embd_norm.weight", "token_embd_norm.bias", "blk.1.attn_q.weight", "blk.1.attn_q.bias", "blk.1.attn_output.bias",
                    "blk.1.attn_output_norm.weight", "blk.1.ffn_up.weight", "blk.1.ffn_down.bias", "blk.1.layer_output_norm.bias")
                    .noneMatch(n -> n.contains("pooler")).hasSize(5 + 16 * LAYERS);
            assertThat(f.tensorInfo("position_embd.weight").orElseThrow().type()).isEqualTo(GgmlType.F32);
            assertThat(f.tensorInfo("token_types.weight").orElseThrow().type()).isEqualTo(GgmlType.F32);
            assertThat(f.tensorInfo("blk.0.attn_q.weight").orElseThrow().type()).isEqualTo(GgmlType.F16);
            assertThat(f.tensorInfo("blk.0.ffn_down.weight").orElseThrow().ne()).containsExactly(FF, HIDDEN);
        }
    }

    @Test
    void onnxMatMulWeightsAreNamedByTracingTheirBiasAdds() {
        Assumptions.assumeTrue(Files.exists(MINILM), "all-MiniLM-L6-v2 not unpacked (squint.models)");
        try (OnnxModel model = OnnxReader.open(MINILM)) {
            OnnxBertWeights w = OnnxBertWeights.trace(model);
            assertThat(w.layerCount()).isEqualTo(6);
            assertThat(w.headCount()).hasValue(12);
            assertThat(w.layerNormEpsilon().orElseThrow()).isCloseTo(1e-12, within(1e-15));
            for (int i = 0; i < 6; i++) {
                String p = "encoder.layer." + i + ".";
                for (String m : List.of("attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense")) {
                    OnnxBertWeights.Weight x = w.require(p + m + ".weight");
                    assertThat(x.transposed()).isTrue();
                    assertThat(x.tensor().name()).startsWith("onnx::MatMul_");
                    assertThat(x.tensor().shape().dims()).containsExactly(384, 384);
                    assertThat(w.require(p + m + ".bias").tensor().shape().dims()).containsExactly(384);
                }
                assertThat(w.require(p + "intermediate.dense.weight").tensor().shape().dims()).containsExactly(384, 1536); // [in, out]
                assertThat(w.require(p + "output.dense.weight").tensor().shape().dims()).containsExactly(1536, 384);
                assertThat(w.require(p + "output.LayerNorm.weight").transposed()).isFalse();
            }
            assertThat(w.require("embeddings.word_embeddings.weight").tensor().shape().dims()).containsExactly(30522, 384);
            // each traced weight is a distinct initializer
            assertThat(w.weights().values().stream().map(x -> x.tensor().name()).distinct().count()).isEqualTo(w.weights().size());
        }
    }

    @Test
    void anInt8OnnxExportIsRefusedWithAReason() {
        Path q = MINILM.getParent().resolveSibling("all-minilm-l6-v2-q").resolve("all-minilm-l6-v2-q.onnx");
        Assumptions.assumeTrue(Files.exists(q), "all-MiniLM-L6-v2-q not unpacked (squint.models)");
        assertThatThrownBy(() -> GgufConverter.convert(ConvertOptions.of(q, tmp.resolve("q.gguf"))))
                .isInstanceOf(SquintException.class).hasMessageContaining("this ONNX export is quantized");
        assertThat(tmp.resolve("q.gguf")).doesNotExist();
    }

    @Test
    void onnxExportConvertsToBertGguf() throws Exception {
        Assumptions.assumeTrue(Files.exists(MINILM), "all-MiniLM-L6-v2 not unpacked (squint.models)");
        Path out = tmp.resolve("minilm.gguf");
        ConvertReport r = GgufConverter.convert(ConvertOptions.of(MINILM, out).withOutType(OutType.F32));
        assertThat(r.tensors()).hasSize(5 + 16 * 6);
        try (GgufFile f = GgufReader.open(out); OnnxModel model = OnnxReader.open(MINILM)) {
            Metadata m = f.metadata();
            assertThat(m.integer("bert.block_count")).contains(6L);
            assertThat(m.integer("bert.embedding_length")).contains(384L);
            assertThat(m.integer("bert.feed_forward_length")).contains(1536L);
            assertThat(m.integer("bert.attention.head_count")).contains(12L);
            assertThat(m.integer("bert.context_length")).contains(512L);
            assertThat(m.integer("bert.pooling_type")).contains(1L);
            assertThat(m.strings("tokenizer.ggml.tokens").orElseThrow()).hasSize(30522).startsWith("[PAD]");
            assertThat(m.integer("tokenizer.ggml.cls_token_id")).contains(101L);
            assertThat(m.integer("tokenizer.ggml.seperator_token_id")).contains(102L);
            assertThat(m.integer("tokenizer.ggml.unknown_token_id")).contains(100L);
            assertThat(m.integer("tokenizer.ggml.mask_token_id")).contains(103L);
            // transposed on the way: GGUF row o of ffn_up = column o of the ONNX [in, out] MatMul weight
            Tensor up = f.tensor("blk.2.ffn_up.weight").orElseThrow();
            assertThat(up.shape().dims()).containsExactly(1536, 384);
            Tensor onnx = OnnxBertWeights.trace(model).require("encoder.layer.2.intermediate.dense.weight").tensor();
            float[] g = HfConvertTest.floats(up), o = HfConvertTest.floats(onnx);
            for (int row : new int[] {0, 7, 1535}) {
                for (int col : new int[] {0, 5, 383}) assertThat(g[row * 384 + col]).isEqualTo(o[col * 1536 + row]);
            }
        }
    }
}
