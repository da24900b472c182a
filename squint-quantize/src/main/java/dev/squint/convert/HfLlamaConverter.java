package dev.squint.convert;

import dev.squint.core.Metadata;
import dev.squint.core.SquintException;
import dev.squint.core.Tensor;
import dev.squint.formats.hf.HfConfig;
import dev.squint.formats.safetensors.SafetensorsModel;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.LongUnaryOperator;

/**
 * Hugging Face llama-family folders ({@code LlamaForCausalLM}, {@code MistralForCausalLM} → GGUF
 * architecture {@code llama}; {@code Qwen2ForCausalLM} → {@code qwen2}; {@code Qwen3ForCausalLM} →
 * {@code qwen3}) to GGUF, with the metadata, names and types of llama.cpp's convert_hf_to_gguf.py.
 *
 * <p><b>Rotary permutation.</b> Hugging Face's llama checkpoints rotate the two halves of each
 * head ({@code rotate_half}); ggml's "normal" RoPE rotates adjacent pairs. llama.cpp's
 * {@code LlamaModel.permute} therefore reorders the rows of {@code q_proj} (by head count) and
 * {@code k_proj} (by KV head count) within each head of size {@code d}: output row
 * {@code h·d + 2i + t} is input row {@code h·d + t·d/2 + i} ({@code t} ∈ {0,1}, {@code i} < d/2).
 * Qwen2 and Qwen3 use NEOX-style RoPE in llama.cpp and are not permuted.
 *
 * <p><b>llama3 rope scaling</b> (Llama 3.1 and later) is written as llama.cpp writes it: no scaling
 * keys, and a computed F32 tensor {@code rope_freqs.weight} of {@code head_dim/2} frequency factors,
 * placed first (see {@link #llama3RopeFactors}).
 *
 * <p>Not converted (refused with a message): mixture-of-experts variants, rope scaling types other
 * than linear, yarn and llama3.
 */
final class HfLlamaConverter {
    private static final Map<String, String> LAYER_NAMES = new LinkedHashMap<>();
    static {
        LAYER_NAMES.put("self_attn.q_proj", "attn_q");
        LAYER_NAMES.put("self_attn.k_proj", "attn_k");
        LAYER_NAMES.put("self_attn.v_proj", "attn_v");
        LAYER_NAMES.put("self_attn.o_proj", "attn_output");
        LAYER_NAMES.put("self_attn.q_norm", "attn_q_norm");
        LAYER_NAMES.put("self_attn.k_norm", "attn_k_norm");
        LAYER_NAMES.put("mlp.gate_proj", "ffn_gate");
        LAYER_NAMES.put("mlp.up_proj", "ffn_up");
        LAYER_NAMES.put("mlp.down_proj", "ffn_down");
        LAYER_NAMES.put("input_layernorm", "attn_norm");
        LAYER_NAMES.put("post_attention_layernorm", "ffn_norm");
    }

    private HfLlamaConverter() {}

    static String ggufArch(String hfArch) {
        return switch (hfArch) {
            case "LlamaForCausalLM", "MistralForCausalLM" -> "llama";
            case "Qwen2ForCausalLM" -> "qwen2";
            case "Qwen3ForCausalLM" -> "qwen3";
            default -> throw new SquintException("architecture " + hfArch + " is not a llama-family model squint converts");
        };
    }

    static GgufTensorPlan plan(SafetensorsModel model, String hfArch, OutType outType) {
        HfConfig c = model.config().orElseThrow();
        String arch = ggufArch(hfArch);
        int heads = need(c.numAttentionHeads(), "num_attention_heads", model);
        int kvHeads = c.numKeyValueHeads().orElse(heads);
        int hidden = need(c.hiddenSize(), "hidden_size", model);
        int layers = need(c.numHiddenLayers(), "num_hidden_layers", model);
        int headDim = c.headDim().orElse(hidden / heads);
        if (headDim <= 0 || headDim % 2 != 0) throw new SquintException(model.path() + ": head_dim " + headDim + " is not a positive even number");
        if (heads % kvHeads != 0) throw new SquintException(model.path() + ": num_attention_heads " + heads
                + " is not a multiple of num_key_value_heads " + kvHeads);
        if (c.raw().containsKey("num_local_experts") || c.raw().containsKey("num_experts")) {
            throw new SquintException(model.path() + ": mixture-of-experts models are not supported by squint convert");
        }

        Metadata.Builder m = Metadata.builder()
                .putString("general.architecture", arch)
                .putString("general.type", "model")
                .putString("general.name", model.path().toAbsolutePath().getFileName().toString())
                .putU32(arch + ".block_count", layers);
        c.maxPositionEmbeddings().ifPresent(n -> m.putU32(arch + ".context_length", n));
        m.putU32(arch + ".embedding_length", hidden);
        c.intermediateSize().ifPresent(n -> m.putU32(arch + ".feed_forward_length", n));
        m.putU32(arch + ".attention.head_count", heads);
        m.putU32(arch + ".attention.head_count_kv", kvHeads);
        c.ropeTheta().ifPresent(t -> m.putF32(arch + ".rope.freq_base", (float) t));
        c.rmsNormEps().ifPresent(e -> m.putF32(arch + ".attention.layer_norm_rms_epsilon", (float) e));
        if (c.raw().containsKey("head_dim")) {
            m.putU32(arch + ".attention.key_length", headDim);
            m.putU32(arch + ".attention.value_length", headDim);
        }
        m.putU32("general.file_type", fileType(outType));
        if (arch.equals("llama")) {
            c.vocabSize().ifPresent(v -> m.putU32("llama.vocab_size", v));
            m.putU32("llama.rope.dimension_count", headDim);
        }
        c.ropeScaling().ifPresent(rs -> {
            String type = rs.type().orElse("default");
            switch (type) {
                case "default" -> { }
                case "linear" -> {
                    m.putString(arch + ".rope.scaling.type", "linear");
                    rs.factor().ifPresent(f -> m.putF32(arch + ".rope.scaling.factor", (float) f));
                }
                case "yarn" -> {
                    m.putString(arch + ".rope.scaling.type", "yarn");
                    rs.factor().ifPresent(f -> m.putF32(arch + ".rope.scaling.factor", (float) f));
                    rs.originalMaxPositionEmbeddings().ifPresent(n -> m.putU32(arch + ".rope.scaling.original_context_length", n));
                }
                case "llama3" -> { } // a rope_freqs tensor, below
                default -> throw new SquintException(model.path() + ": rope_scaling type '" + type
                        + "' is not supported by squint convert (linear, yarn and llama3 are)");
            }
        });
        HfVocab.add(m, model.hf(), c, arch, false);
        m.putU32("general.quantization_version", 2);

        GgufTensorPlan plan = new GgufTensorPlan();
        plan.metadata(m.build());
        if (arch.equals("llama") && c.ropeScaling().flatMap(HfConfig.RopeScaling::type).orElse("").equalsIgnoreCase("llama3")) {
            HfConfig.RopeScaling rs = c.ropeScaling().get();
            float[] factors = llama3RopeFactors(c.ropeTheta().orElse(10000.0), headDim, rs.factor().orElse(8.0),
                    rs.lowFreqFactor().orElse(1.0), rs.highFreqFactor().orElse(4.0), rs.originalMaxPositionEmbeddings().orElse(8192));
            plan.add("rope_freqs.weight", "(computed from rope_scaling)", dev.squint.core.GgmlType.F32,
                    SourceTensor.ofFloats(dev.squint.core.Shape.of(factors.length), factors));
        }
        boolean permute = arch.equals("llama");
        Set<String> used = new HashSet<>();
        addIf(plan, model, "model.embed_tokens.weight", "token_embd.weight", null, outType, used);
        for (int i = 0; i < layers; i++) {
            for (Map.Entry<String, String> e : LAYER_NAMES.entrySet()) {
                for (String suffix : List.of("weight", "bias")) {
                    String src = "model.layers." + i + "." + e.getKey() + "." + suffix;
                    LongUnaryOperator rows = null;
                    if (e.getValue().equals("attn_q")) checkRows(model, src, (long) heads * headDim, "num_attention_heads × head_dim");
                    if (e.getValue().equals("attn_k") || e.getValue().equals("attn_v")) {
                        checkRows(model, src, (long) kvHeads * headDim, "num_key_value_heads × head_dim");
                    }
                    if (permute && e.getValue().equals("attn_q")) rows = rotaryRows(heads, headDim);
                    if (permute && e.getValue().equals("attn_k")) rows = rotaryRows(kvHeads, headDim);
                    addIf(plan, model, src, "blk." + i + "." + e.getValue() + "." + suffix, rows, outType, used);
                }
            }
        }
        addIf(plan, model, "model.norm.weight", "output_norm.weight", null, outType, used);
        boolean tied = c.tieWordEmbeddings().orElse(false);
        if (!tied) addIf(plan, model, "lm_head.weight", "output.weight", null, outType, used);
        else used.add("lm_head.weight");

        List<String> unknown = new ArrayList<>();
        for (Tensor t : model.tensors()) {
            if (used.contains(t.name()) || t.name().endsWith("rotary_emb.inv_freq")) continue;
            unknown.add(t.name());
        }
        if (!unknown.isEmpty()) {
            throw new SquintException(model.path() + ": " + unknown.size() + " tensors have no llama.cpp name for " + hfArch
                    + " (first: " + unknown.getFirst() + "); nothing was written");
        }
        if (!used.contains("model.embed_tokens.weight")) throw new SquintException(model.path() + ": has no model.embed_tokens.weight");
        return plan;
    }

    /**
     * llama.cpp's {@code LlamaModel.permute} as a row map: rows of each head of {@code headDim}
     * are read as {@code [2, headDim/2]} and written as {@code [headDim/2, 2]}.
     */
    static LongUnaryOperator rotaryRows(int headCount, int headDim) {
        int half = headDim / 2;
        return out -> {
            long head = out / headDim;
            int within = (int) (out % headDim);
            int i = within / 2, t = within % 2;
            return head * headDim + (long) t * half + i;
        };
    }

    /**
     * llama.cpp's llama3 rope factors ({@code LlamaModel.generate_extra_tensors}): for each rotary
     * frequency {@code f = base^(-2i/dim)} with wavelength {@code 2π/f}, 1 when the wavelength is below
     * {@code original/high_freq_factor}, {@code factor} above {@code original/low_freq_factor}, and in
     * between {@code 1 / ((1 - s)/factor + s)} with {@code s = (original/wavelength - low)/(high - low)}.
     * Computed in float32 as torch does; {@code base^x} comes from a double power rounded to float, which
     * may differ from torch's float32 power in the last bit.
     */
    static float[] llama3RopeFactors(double base, int dim, double factor, double low, double high, int original) {
        float[] out = new float[dim / 2];
        float lowWavelen = (float) (original / low), highWavelen = (float) (original / high);
        for (int i = 0; i < out.length; i++) {
            float exponent = (float) (2 * i) / dim;
            float freq = 1f / (float) Math.pow(base, exponent);
            float wavelen = (float) (2 * Math.PI) / freq;
            if (wavelen < highWavelen) out[i] = 1f;
            else if (wavelen > lowWavelen) out[i] = (float) factor;
            else {
                float smooth = (float) ((original / wavelen - low) / (high - low));
                out[i] = 1f / ((1 - smooth) / (float) factor + smooth);
            }
        }
        return out;
    }

    /** The rotary permutation and llama.cpp both assume these row counts; a folder that disagrees with its config is refused. */
    private static void checkRows(SafetensorsModel model, String name, long expected, String what) {
        model.tensor(name).ifPresent(t -> {
            if (t.shape().rank() == 0 || t.shape().dim(0) != expected) {
                throw new SquintException(model.path() + ": tensor " + name + " has shape " + t.shape() + ", but config.json implies "
                        + expected + " rows (" + what + ")");
            }
        });
    }

    static int fileType(OutType t) {
        return switch (t) {
            case F32 -> 0;
            case F16 -> 1;
            case Q8_0 -> 7;
            case BF16 -> 32;
            case FP8 -> throw new SquintException("fp8 is a safetensors cast type, not a GGUF one");
        };
    }

    private static void addIf(GgufTensorPlan plan, SafetensorsModel model, String src, String dst, LongUnaryOperator rows,
                              OutType outType, Set<String> used) {
        Optional<Tensor> t = model.tensor(src);
        if (t.isEmpty()) return;
        used.add(src);
        SourceTensor source = rows != null && t.get().shape().rank() == 1
                ? SourceTensor.elementMapped(t.get(), rows) : SourceTensor.rowMapped(t.get(), rows);
        plan.addTyped(dst, src, source, outType, false);
    }

    private static int need(java.util.OptionalInt v, String key, SafetensorsModel model) {
        if (v.isEmpty()) throw new SquintException(model.path() + ": config.json has no " + key);
        return v.getAsInt();
    }
}
