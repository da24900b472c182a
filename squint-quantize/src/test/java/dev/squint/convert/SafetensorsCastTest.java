package dev.squint.convert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.squint.core.ScalarType;
import dev.squint.core.SquintException;
import dev.squint.core.Tensor;
import dev.squint.core.codec.FloatFormats;
import dev.squint.formats.safetensors.SafetensorsModel;
import dev.squint.formats.safetensors.SafetensorsReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SafetensorsCastTest {
    @TempDir Path tmp;

    @Test
    void f16AndBf16CastsRoundEveryFloatTensorAndKeepTheShards() throws Exception {
        TinyHf hf = new TinyHf();
        Path in = hf.llamaFamily(tmp.resolve("in"), "LlamaForCausalLM", ScalarType.F32, false, true);
        int inputShards;
        try (SafetensorsModel m = SafetensorsReader.open(in)) { inputShards = m.shardPaths().size(); }
        assertThat(inputShards).isGreaterThan(1);
        for (OutType t : new OutType[] {OutType.F16, OutType.BF16}) {
            Path out = tmp.resolve("out-" + t.cliName());
            ConvertReport r = GgufConverter.convert(ConvertOptions.of(in, out).withOutType(t));
            assertThat(r.format()).isEqualTo("safetensors");
            assertThat(out.resolve("tokenizer.json")).hasSameBinaryContentAs(in.resolve("tokenizer.json"));
            assertThat(out.resolve("tokenizer_config.json")).exists();
            JsonNode config = new ObjectMapper().readTree(out.resolve("config.json").toFile());
            assertThat(config.get("torch_dtype").asText()).isEqualTo(t == OutType.F16 ? "float16" : "bfloat16");
            assertThat(config.get("hidden_size").asInt()).isEqualTo(TinyHf.HIDDEN);
            try (SafetensorsModel m = SafetensorsReader.open(out)) {
                assertThat(m.shardPaths()).hasSize(inputShards);
                assertThat(m.tensors()).hasSize(hf.values.size());
                for (Tensor x : m.tensors()) {
                    assertThat(x.dtype()).isEqualTo(t.safetensorsType());
                    assertThat(x.shape()).isEqualTo(hf.shapes.get(x.name()));
                    float[] got = HfConvertTest.floats(x), want = hf.values.get(x.name());
                    for (int i = 0; i < want.length; i++) {
                        float expected = t == OutType.F16 ? FloatFormats.f16ToF32(FloatFormats.f32ToF16(want[i]))
                                : FloatFormats.bf16ToF32(FloatFormats.f32ToBf16(want[i]));
                        assertThat(got[i]).isEqualTo(expected);
                        assertThat(Math.abs(got[i] - want[i])).isLessThanOrEqualTo(Math.abs(want[i]) * (t == OutType.F16 ? 0x1p-11f : 0x1p-8f) + 1e-7f);
                    }
                }
            }
        }
    }

    @Test
    void fp8CastStoresE4m3WeightsWithPerTensorScales() throws Exception {
        TinyHf hf = new TinyHf();
        Path in = hf.llamaFamily(tmp.resolve("in"), "Qwen3ForCausalLM", ScalarType.BF16, false, false);
        Path out = tmp.resolve("fp8");
        GgufConverter.convert(ConvertOptions.of(in, out).withOutType(OutType.FP8));
        JsonNode config = new ObjectMapper().readTree(out.resolve("config.json").toFile());
        JsonNode q = config.get("quantization_config");
        assertThat(q.get("quant_method").asText()).isEqualTo("fp8");
        assertThat(q.get("activation_scheme").asText()).isEqualTo("dynamic");
        assertThat(q.get("weight_block_size").isNull()).isTrue();
        assertThat(q.get("modules_to_not_convert").get(0).asText()).isEqualTo("lm_head");
        assertThat(config.get("torch_dtype").asText()).isEqualTo("bfloat16");
        try (SafetensorsModel m = SafetensorsReader.open(out)) {
            String w = "model.layers.1.mlp.down_proj.weight";
            Tensor weight = m.tensor(w).orElseThrow();
            Tensor scale = m.tensor(w + "_scale_inv").orElseThrow();
            assertThat(weight.dtype()).isEqualTo(ScalarType.F8_E4M3FN);
            assertThat(scale.dtype()).isEqualTo(ScalarType.F32);
            assertThat(scale.shape().rank()).isZero(); // a scalar, as transformers' per-tensor FP8Linear declares it
            float s = scale.data().get(SourceTensor.F32_LE, 0);
            float[] want = hf.values.get(w);
            float amax = 0;
            for (float v : want) amax = Math.max(amax, Math.abs(v));
            assertThat(s).isEqualTo(amax / 448f);
            byte[] codes = weight.data().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
            boolean hitMax = false;
            for (int i = 0; i < want.length; i++) {
                float got = FloatFormats.e4m3fnToF32(codes[i]) * s;
                // E4M3 keeps 3 mantissa bits: relative error at most 2^-4 for normals, absolute 2^-10 * s below them
                assertThat(Math.abs(got - want[i])).isLessThanOrEqualTo(Math.abs(want[i]) * 0x1p-4f + s * 0x1p-10f);
                hitMax |= Math.abs(FloatFormats.e4m3fnToF32(codes[i])) == 448f;
            }
            assertThat(hitMax).isTrue();
            // embeddings, norms, and the LM head stay in their dtype, with no scale
            assertThat(m.tensor("model.embed_tokens.weight").orElseThrow().dtype()).isEqualTo(ScalarType.BF16);
            assertThat(m.tensor("model.layers.0.input_layernorm.weight").orElseThrow().dtype()).isEqualTo(ScalarType.BF16);
            assertThat(m.tensor("model.layers.0.self_attn.q_norm.weight").orElseThrow().dtype()).isEqualTo(ScalarType.BF16);
            assertThat(m.tensor("lm_head.weight").orElseThrow().dtype()).isEqualTo(ScalarType.BF16);
            assertThat(m.tensor("lm_head.weight_scale_inv")).isEmpty();
            assertThat(m.tensors()).filteredOn(t -> t.dtype() == ScalarType.F8_E4M3FN).hasSize(7 * TinyHf.LAYERS);
        }
    }

    @Test
    void refusesTheInputFolderAndGgufOnlyTypes() throws Exception {
        TinyHf hf = new TinyHf();
        Path in = hf.llamaFamily(tmp.resolve("in"), "LlamaForCausalLM", ScalarType.F32, false, false);
        assertThatThrownBy(() -> GgufConverter.convert(ConvertOptions.of(in, in).withOutType(OutType.F16)))
                .isInstanceOf(SquintException.class).hasMessageContaining("refusing to overwrite an input");
        assertThatThrownBy(() -> GgufConverter.convert(ConvertOptions.of(in, in.resolve("sub")).withOutType(OutType.F16)))
                .isInstanceOf(SquintException.class).hasMessageContaining("inside the input folder");
        assertThatThrownBy(() -> GgufConverter.convert(ConvertOptions.of(in, tmp.resolve("o")).withOutType(OutType.Q8_0)))
                .isInstanceOf(SquintException.class).hasMessageContaining("f16, bf16, fp8");
        assertThatThrownBy(() -> GgufConverter.convert(ConvertOptions.of(in, tmp.resolve("o.gguf")).withOutType(OutType.FP8)))
                .isInstanceOf(SquintException.class).hasMessageContaining("f32, f16, bf16, q8_0");
        assertThat(tmp.resolve("o")).doesNotExist();
        assertThat(tmp.resolve("o.gguf")).doesNotExist();
    }
}
