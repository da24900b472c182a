package dev.squint.convert;

import dev.squint.core.GgmlType;
import dev.squint.core.Metadata;
import dev.squint.core.ScalarType;
import dev.squint.core.SquintException;
import dev.squint.core.Tensor;
import dev.squint.core.codec.FloatFormats;
import dev.squint.formats.gguf.GgufFile;
import dev.squint.formats.gguf.GgufReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static dev.squint.convert.TinyHf.FF;
import static dev.squint.convert.TinyHf.HEADS;
import static dev.squint.convert.TinyHf.HEAD_DIM;
import static dev.squint.convert.TinyHf.HIDDEN;
import static dev.squint.convert.TinyHf.KV_HEADS;
import static dev.squint.convert.TinyHf.LAYERS;
import static dev.squint.convert.TinyHf.VOCAB;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class HfConvertTest {
    @TempDir Path tmp;

    @Test
    void llamaMetadataNamesAndSentencePieceVocabulary() throws Exception {
        TinyHf hf = new TinyHf();
        Path dir = hf.llamaFamily(tmp.resolve("tiny-llama"), "LlamaForCausalLM", ScalarType.F32, false, false);
        Path out = tmp.resolve("llama.gguf");
        GgufConverter.convert(ConvertOptions.of(dir, out).withOutType(OutType.F32));
        try (GgufFile f = GgufReader.open(out)) {
            Metadata m = f.metadata();
            assertThat(m.string("general.architecture")).contains("llama");
            assertThat(m.integer("llama.context_length")).contains(256L);
            assertThat(m.integer("llama.embedding_length")).contains((long) HIDDEN);
            assertThat(m.integer("llama.feed_forward_length")).contains((long) FF);
            assertThat(m.integer("llama.block_count")).contains((long) LAYERS);
            assertThat(m.integer("llama.attention.head_count")).contains((long) HEADS);
            assertThat(m.integer("llama.attention.head_count_kv")).contains((long) KV_HEADS);
            assertThat(m.integer("llama.rope.dimension_count")).contains((long) HEAD_DIM);
            assertThat(m.integer("llama.vocab_size")).contains((long) VOCAB);
            assertThat(m.number("llama.rope.freq_base")).contains(500000.0);
            assertThat(m.number("llama.attention.layer_norm_rms_epsilon").orElseThrow()).isCloseTo(1e-6, within(1e-12));
            assertThat(m.string("llama.rope.scaling.type")).contains("linear");
            assertThat(m.number("llama.rope.scaling.factor")).contains(2.0);
            assertThat(m.integer("general.file_type")).contains(0L);
            assertThat(m.integer("general.quantization_version")).contains(2L);
            assertThat(m.string("tokenizer.ggml.model")).contains("llama");
            List<String> tokens = m.strings("tokenizer.ggml.tokens").orElseThrow();
            assertThat(tokens).hasSize(VOCAB).startsWith("<unk>", "<s>", "</s>", "<0x00>");
            assertThat(m.longs("tokenizer.ggml.token_type").orElseThrow()).startsWith(3, 3, 3, 6, 6, 6, 1);
            // normal pieces score minus the rank of the merge that makes them: "▁a" is merge 0, "ab" merge 1, "▁abc" merge 7
            float[] scores = m.floats("tokenizer.ggml.scores").orElseThrow();
            assertThat(scores[tokens.indexOf("\u2581a")]).isEqualTo(0f);
            assertThat(scores[tokens.indexOf("ab")]).isEqualTo(-1f);
            assertThat(scores[tokens.indexOf("\u2581abc")]).isEqualTo(-7f);
            assertThat(scores[tokens.indexOf("a")]).isEqualTo(-1e9f);
            assertThat(scores[tokens.indexOf("<0x0A>")]).isEqualTo(0f);
            assertThat(m.integer("tokenizer.ggml.bos_token_id")).contains(1L);
            assertThat(m.integer("tokenizer.ggml.eos_token_id")).contains(2L);
            assertThat(m.integer("tokenizer.ggml.unknown_token_id")).contains(0L);
            assertThat(m.bool("tokenizer.ggml.add_bos_token")).contains(true);
            assertThat(m.bool("tokenizer.ggml.add_eos_token")).contains(false);
            assertThat(m.string("tokenizer.chat_template")).contains("{{ messages }}");

            assertThat(f.tensorInfos()).extracting(t -> t.name()).contains("token_embd.weight", "output_norm.weight", "output.weight",
                    "blk.0.attn_q.weight", "blk.0.attn_k.weight", "blk.0.attn_v.weight", "blk.0.attn_output.weight",
                    "blk.1.ffn_gate.weight", "blk.1.ffn_up.weight", "blk.1.ffn_down.weight", "blk.1.attn_norm.weight", "blk.1.ffn_norm.weight")
                    .hasSize(3 + 9 * LAYERS);
            assertThat(f.tensor("blk.0.attn_k.weight").orElseThrow().shape().dims()).containsExactly(KV_HEADS * HEAD_DIM, HIDDEN);

            // the rotary permutation, one row by hand: head 1, GGUF row 9 = pair 0, second of the pair = HF row 8 + 4 = 12
            float[] q = floats(f.tensor("blk.0.attn_q.weight").orElseThrow());
            float[] hfQ = hf.values.get("model.layers.0.self_attn.q_proj.weight");
            assertThat(row(q, 9)).containsExactly(row(hfQ, 12));
            assertThat(row(q, 8)).containsExactly(row(hfQ, 8));
            assertThat(row(q, 2)).containsExactly(row(hfQ, 1));
            for (int r = 0; r < HEADS * HEAD_DIM; r++) {
                int head = r / HEAD_DIM, within = r % HEAD_DIM;
                assertThat(row(q, r)).containsExactly(row(hfQ, head * HEAD_DIM + (within % 2) * HEAD_DIM / 2 + within / 2));
            }
            float[] k = floats(f.tensor("blk.1.attn_k.weight").orElseThrow());
            float[] hfK = hf.values.get("model.layers.1.self_attn.k_proj.weight");
            assertThat(row(k, 1)).containsExactly(row(hfK, 4));
            assertThat(row(k, 15)).containsExactly(row(hfK, 15));
            // v is not permuted
            assertThat(floats(f.tensor("blk.0.attn_v.weight").orElseThrow())).containsExactly(hf.values.get("model.layers.0.self_attn.v_proj.weight"));
            assertThat(floats(f.tensor("output.weight").orElseThrow())).containsExactly(hf.values.get("lm_head.weight"));
        }
    }

    @Test
    void mistralIsLlamaInGguf() throws Exception {
        TinyHf hf = new TinyHf();
        Path dir = hf.llamaFamily(tmp.resolve("m"), "MistralForCausalLM", ScalarType.BF16, true, true);
        Path out = tmp.resolve("mistral.gguf");
        ConvertReport r = GgufConverter.convert(ConvertOptions.of(dir, out));
        assertThat(r.source()).isEqualTo("Hugging Face MistralForCausalLM");
        try (GgufFile f = GgufReader.open(out)) {
            assertThat(f.metadata().string("general.architecture")).contains("llama");
            assertThat(f.metadata().integer("general.file_type")).contains(1L);
            assertThat(f.tensor("output.weight")).isEmpty(); // tied: llama.cpp reuses token_embd
            assertThat(f.tensorInfo("blk.0.attn_q.weight").orElseThrow().type()).isEqualTo(GgmlType.F16);
            assertThat(f.tensorInfo("blk.0.attn_norm.weight").orElseThrow().type()).isEqualTo(GgmlType.F32);
            float[] q = floats(f.tensor("blk.0.attn_q.weight").orElseThrow());
            float[] hfQ = hf.values.get("model.layers.0.self_attn.q_proj.weight");
            float[] expected = row(hfQ, 4);
            for (int i = 0; i < expected.length; i++) expected[i] = FloatFormats.f16ToF32(FloatFormats.f32ToF16(expected[i]));
            assertThat(row(q, 1)).containsExactly(expected);
        }
    }

    @Test
    void qwen2KeepsBiasesUnpermutedAndWritesGpt2Vocabulary() throws Exception {
        TinyHf hf = new TinyHf();
        Path dir = hf.llamaFamily(tmp.resolve("q2"), "Qwen2ForCausalLM", ScalarType.F32, false, false);
        Path out = tmp.resolve("qwen2.gguf");
        GgufConverter.convert(ConvertOptions.of(dir, out).withOutType(OutType.F32));
        try (GgufFile f = GgufReader.open(out)) {
            Metadata m = f.metadata();
            assertThat(m.string("general.architecture")).contains("qwen2");
            assertThat(m.integer("qwen2.context_length")).contains(256L);
            assertThat(m.contains("qwen2.rope.dimension_count")).isFalse();
            assertThat(m.string("tokenizer.ggml.model")).contains("gpt2");
            assertThat(m.string("tokenizer.ggml.pre")).contains("qwen2");
            List<String> tokens = m.strings("tokenizer.ggml.tokens").orElseThrow();
            assertThat(tokens).hasSize(VOCAB).endsWith("<|endoftext|>", "<|im_start|>", "[PAD18]", "[PAD19]");
            assertThat(m.longs("tokenizer.ggml.token_type").orElseThrow()).endsWith(3, 3, 4, 4).startsWith(1, 1, 1);
            assertThat(m.strings("tokenizer.ggml.merges").orElseThrow()).startsWith("\u0120 a", "a b").hasSize(10);
            assertThat(m.contains("tokenizer.ggml.scores")).isFalse();
            assertThat(m.integer("tokenizer.ggml.eos_token_id")).contains(16L);
            assertThat(m.integer("tokenizer.ggml.padding_token_id")).contains(16L);
            assertThat(m.integer("tokenizer.ggml.bos_token_id")).contains(1L); // from config.json
            assertThat(f.tensor("blk.0.attn_q.bias").orElseThrow().shape().dims()).containsExactly(HEADS * HEAD_DIM);
            assertThat(f.tensor("blk.1.attn_k.bias")).isPresent();
            assertThat(f.tensor("blk.1.attn_v.bias")).isPresent();
            assertThat(floats(f.tensor("blk.0.attn_q.weight").orElseThrow())).containsExactly(hf.values.get("model.layers.0.self_attn.q_proj.weight"));
            assertThat(floats(f.tensor("blk.0.attn_q.bias").orElseThrow())).containsExactly(hf.values.get("model.layers.0.self_attn.q_proj.bias"));
        }
    }

    @Test
    void qwen3HasQkNormsInF32() throws Exception {
        TinyHf hf = new TinyHf();
        Path dir = hf.llamaFamily(tmp.resolve("q3"), "Qwen3ForCausalLM", ScalarType.F16, true, false);
        Path out = tmp.resolve("qwen3.gguf");
        GgufConverter.convert(ConvertOptions.of(dir, out).withOutType(OutType.Q8_0));
        try (GgufFile f = GgufReader.open(out)) {
            Metadata m = f.metadata();
            assertThat(m.string("general.architecture")).contains("qwen3");
            assertThat(m.integer("qwen3.attention.key_length")).contains((long) HEAD_DIM);
            assertThat(m.integer("general.file_type")).contains(7L);
            assertThat(f.tensorInfo("blk.0.attn_q_norm.weight").orElseThrow().type()).isEqualTo(GgmlType.F32);
            assertThat(f.tensorInfo("blk.1.attn_k_norm.weight").orElseThrow().type()).isEqualTo(GgmlType.F32);
            assertThat(f.tensorInfo("blk.1.attn_k_norm.weight").orElseThrow().ne()).containsExactly(HEAD_DIM);
            assertThat(f.tensorInfo("blk.0.attn_q.weight").orElseThrow().type()).isEqualTo(GgmlType.Q8_0);
            assertThat(f.tensorInfo("token_embd.weight").orElseThrow().type()).isEqualTo(GgmlType.Q8_0);
            assertThat(f.tensor("output.weight")).isEmpty();
            // F16 norms widen exactly to F32
            assertThat(floats(f.tensor("blk.0.attn_q_norm.weight").orElseThrow())).containsExactly(hf.values.get("model.layers.0.self_attn.q_norm.weight"));
        }
    }

    @Test
    void bf16WeightsConvertExactlyToF32AndRoundToF16() throws Exception {
        TinyHf hf = new TinyHf();
        Path dir = hf.llamaFamily(tmp.resolve("b"), "LlamaForCausalLM", ScalarType.BF16, false, true);
        Path out32 = tmp.resolve("b32.gguf"), out16 = tmp.resolve("b16.gguf"), outBf = tmp.resolve("bb.gguf");
        GgufConverter.convert(ConvertOptions.of(dir, out32).withOutType(OutType.F32));
        GgufConverter.convert(ConvertOptions.of(dir, out16).withOutType(OutType.F16));
        GgufConverter.convert(ConvertOptions.of(dir, outBf).withOutType(OutType.BF16));
        try (GgufFile a = GgufReader.open(out32); GgufFile b = GgufReader.open(out16); GgufFile c = GgufReader.open(outBf)) {
            float[] x = floats(a.tensor("blk.1.ffn_down.weight").orElseThrow());
            assertThat(x).containsExactly(hf.values.get("model.layers.1.mlp.down_proj.weight"));
            float[] h = floats(b.tensor("blk.1.ffn_down.weight").orElseThrow());
            for (int i = 0; i < x.length; i++) assertThat(h[i]).isEqualTo(FloatFormats.f16ToF32(FloatFormats.f32ToF16(x[i])));
            assertThat(c.tensor("blk.1.ffn_down.weight").orElseThrow().data().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE))
                    .hasSize(x.length * 2);
            assertThat(floats(c.tensor("blk.1.ffn_down.weight").orElseThrow())).containsExactly(x);
        }
    }

    @Test
    void llama3RopeScalingBecomesARopeFreqsTensor() throws Exception {
        TinyHf hf = new TinyHf();
        Path dir = hf.llamaFamily(tmp.resolve("l3"), "LlamaForCausalLM", ScalarType.F32, false, false);
        Files.writeString(dir.resolve("config.json"), Files.readString(dir.resolve("config.json")).replace(
                "\"rope_scaling\": {\"type\": \"linear\", \"factor\": 2.0}",
                "\"rope_scaling\": {\"rope_type\": \"llama3\", \"factor\": 8.0, \"low_freq_factor\": 1.0, "
                        + "\"high_freq_factor\": 4.0, \"original_max_position_embeddings\": 8192}"));
        Path out = tmp.resolve("l3.gguf");
        GgufConverter.convert(ConvertOptions.of(dir, out).withOutType(OutType.Q8_0));
        try (GgufFile f = GgufReader.open(out)) {
            assertThat(f.tensorInfos().getFirst().name()).isEqualTo("rope_freqs.weight");
            assertThat(f.tensorInfos().getFirst().type()).isEqualTo(GgmlType.F32);
            assertThat(f.metadata().contains("llama.rope.scaling.type")).isFalse();
            float[] factors = floats(f.tensor("rope_freqs.weight").orElseThrow());
            // base 500000, head_dim 8: wavelengths 6.3, 167, 4443, 118000 against 8192/4 and 8192/1
            double smooth = (8192 / (2 * Math.PI * Math.pow(500000, 0.5)) - 1) / 3;
            assertThat(factors).hasSize(HEAD_DIM / 2);
            assertThat(factors[0]).isEqualTo(1f);
            assertThat(factors[1]).isEqualTo(1f);
            assertThat((double) factors[2]).isCloseTo(1 / ((1 - smooth) / 8 + smooth), within(1e-5));
            assertThat(factors[3]).isEqualTo(8f);
        }
    }

    @Test
    void shapesThatDisagreeWithTheConfigAreRefused() throws Exception {
        TinyHf hf = new TinyHf();
        Path dir = hf.llamaFamily(tmp.resolve("bad"), "LlamaForCausalLM", ScalarType.F32, false, false);
        Files.writeString(dir.resolve("config.json"), Files.readString(dir.resolve("config.json"))
                .replace("\"num_attention_heads\": 4", "\"num_attention_heads\": 2"));
        Path out = tmp.resolve("bad.gguf");
        assertThatThrownBy(() -> GgufConverter.convert(ConvertOptions.of(dir, out)))
                .isInstanceOf(SquintException.class)
                .hasMessageContaining("model.layers.0.self_attn.k_proj.weight has shape [16, 32], but config.json implies 32 rows");
        assertThat(out).doesNotExist();
    }

    @Test
    void unsupportedArchitectureListsTheSupportedOnes() throws Exception {
        TinyHf hf = new TinyHf();
        Path dir = hf.llamaFamily(tmp.resolve("g"), "LlamaForCausalLM", ScalarType.F32, false, false);
        Files.writeString(dir.resolve("config.json"), Files.readString(dir.resolve("config.json")).replace("LlamaForCausalLM", "GPTNeoXForCausalLM"));
        Path out = tmp.resolve("x.gguf");
        assertThatThrownBy(() -> GgufConverter.convert(ConvertOptions.of(dir, out)))
                .isInstanceOf(SquintException.class)
                .hasMessageContaining("GPTNeoXForCausalLM is not supported")
                .hasMessageContaining("LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM, BertModel");
        assertThat(out).doesNotExist();
    }

    static float[] floats(Tensor t) {
        int n = (int) t.shape().elementCount();
        float[] out = new float[n];
        var seg = t.data();
        for (int i = 0; i < n; i++) {
            out[i] = switch ((ScalarType) t.dtype()) {
                case F32 -> seg.get(SourceTensor.F32_LE, 4L * i);
                case F16 -> FloatFormats.f16ToF32(seg.get(SourceTensor.I16_LE, 2L * i));
                case BF16 -> FloatFormats.bf16ToF32(seg.get(SourceTensor.I16_LE, 2L * i));
                default -> throw new IllegalArgumentException(t.dtype().name());
            };
        }
        return out;
    }

    static float[] row(float[] matrix, int r) {
        return java.util.Arrays.copyOfRange(matrix, r * HIDDEN, (r + 1) * HIDDEN);
    }
}
