package dev.squint.engine.llama;

import dev.squint.core.Model;
import dev.squint.core.ScalarType;
import dev.squint.core.Shape;
import dev.squint.core.SquintException;
import dev.squint.core.Tensor;
import dev.squint.formats.ModelOpener;
import dev.squint.formats.safetensors.SafetensorsWriter;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * A Hugging Face folder made from the stories260K GGUF by undoing llama.cpp's Q/K row permutation runs
 * NeoX-style RoPE and must give the GGUF's logits: this checks HF tensor names, config.json reading and
 * that NeoX rotation on HF rows equals normal rotation on permuted rows.
 */
class HfFolderTest {
    static final Path GGUF = Path.of(System.getProperty("squint.shared", "../shared"), "testdata/llama.cpp/stories260K-f32.gguf");

    @Test
    void hfFolderGivesTheGgufLogits(@TempDir Path dir) throws IOException {
        Assumptions.assumeTrue(Files.exists(GGUF), "shared data absent");
        int[] tokens = {1, 403, 407, 261, 378, 415, 350, 46, 400, 300};
        try (Model g = ModelOpener.open(GGUF)) {
            LlamaConfig c = LlamaConfig.of(g);
            List<SafetensorsWriter.Entry> entries = new ArrayList<>();
            entries.add(copy(g, "token_embd.weight", "model.embed_tokens.weight"));
            entries.add(copy(g, "output_norm.weight", "model.norm.weight"));
            entries.add(copy(g, "output.weight", "lm_head.weight"));
            for (int l = 0; l < c.layers(); l++) {
                String b = "blk." + l + ".", h = "model.layers." + l + ".";
                entries.add(unpermute(g, b + "attn_q.weight", h + "self_attn.q_proj.weight", c.heads(), c.headDim()));
                entries.add(unpermute(g, b + "attn_k.weight", h + "self_attn.k_proj.weight", c.kvHeads(), c.headDim()));
                entries.add(copy(g, b + "attn_v.weight", h + "self_attn.v_proj.weight"));
                entries.add(copy(g, b + "attn_output.weight", h + "self_attn.o_proj.weight"));
                entries.add(copy(g, b + "attn_norm.weight", h + "input_layernorm.weight"));
                entries.add(copy(g, b + "ffn_norm.weight", h + "post_attention_layernorm.weight"));
                entries.add(copy(g, b + "ffn_gate.weight", h + "mlp.gate_proj.weight"));
                entries.add(copy(g, b + "ffn_up.weight", h + "mlp.up_proj.weight"));
                entries.add(copy(g, b + "ffn_down.weight", h + "mlp.down_proj.weight"));
            }
            SafetensorsWriter.write(dir.resolve("model.safetensors"), entries);
            Files.writeString(dir.resolve("config.json"), """
                    {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 64, "intermediate_size": 172,
                     "num_hidden_layers": 5, "num_attention_heads": 8, "num_key_value_heads": 4, "vocab_size": 512,
                     "max_position_embeddings": 128, "rms_norm_eps": 1e-05, "rope_theta": 10000.0, "tie_word_embeddings": false}
                    """);
            try (Model hf = ModelOpener.open(dir); LlamaModel a = LlamaModel.load(hf); LlamaModel b = LlamaModel.load(g);
                 LlamaSession sa = a.newSession(16, 1); LlamaSession sb = b.newSession(16, 1)) {
                assertThat(a.config().ropeMode()).isEqualTo(LlamaConfig.RopeMode.NEOX);
                assertThat(b.config().ropeMode()).isEqualTo(LlamaConfig.RopeMode.NORMAL);
                float[] la = sa.forward(tokens, 0, tokens.length, true).clone();
                float[] lb = sb.forward(tokens, 0, tokens.length, true);
                // dims are summed in another order inside attention, and F16 rounding there can turn an ulp into ~1e-4
                for (int i = 0; i < tokens.length * 512; i++) assertThat(la[i]).isCloseTo(lb[i], within(2e-3f));
            }
            Files.writeString(dir.resolve("config.json"), "{\"architectures\": [\"GPT2LMHeadModel\"], \"hidden_size\": 64}");
            try (Model hf = ModelOpener.open(dir)) {
                assertThatThrownBy(() -> LlamaModel.load(hf)).isInstanceOf(SquintException.class)
                        .hasMessageContaining("GPT2LMHeadModel").hasMessageContaining("LlamaForCausalLM");
            }
        }
    }

    private static SafetensorsWriter.Entry copy(Model g, String from, String to) {
        Tensor t = g.tensor(from).orElseThrow();
        return SafetensorsWriter.Entry.of(to, ScalarType.F32, t.shape(), t.data());
    }

    /** HF row (h, half·hd/2 + j) is GGUF row (h, 2j + half): the inverse of llama.cpp's convert permute. */
    private static SafetensorsWriter.Entry unpermute(Model g, String from, String to, int heads, int hd) {
        Tensor t = g.tensor(from).orElseThrow();
        long cols = t.shape().dim(1), rowBytes = 4 * cols;
        MemorySegment dst = MemorySegment.ofArray(new byte[(int) t.byteSize()]);
        for (int h = 0; h < heads; h++) {
            for (int half = 0; half < 2; half++) {
                for (int j = 0; j < hd / 2; j++) {
                    long src = (long) h * hd + 2L * j + half, out = (long) h * hd + (long) half * hd / 2 + j;
                    MemorySegment.copy(t.data(), src * rowBytes, dst, out * rowBytes, rowBytes);
                }
            }
        }
        return SafetensorsWriter.Entry.of(to, ScalarType.F32, Shape.of(t.shape().dims()), dst);
    }
}
