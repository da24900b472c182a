package dev.squint.engine.llama;

import dev.squint.core.Metadata;
import dev.squint.core.Model;
import dev.squint.core.SquintException;
import dev.squint.formats.hf.HfConfig;
import dev.squint.formats.safetensors.SafetensorsModel;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The shape and numerics of a llama-family decoder, read from GGUF metadata ({@code <arch>.*} keys;
 * llama2.c checkpoints expose the same keys) or from a Hugging Face {@code config.json}.
 *
 * <p><b>RoPE mode.</b> llama.cpp's GGUF converter permutes the Q and K rows of llama models so that
 * rotating adjacent pairs ({@link RopeMode#NORMAL}) gives the original model's result; Hugging Face
 * checkpoints keep the rows in the order transformers uses, which rotates the two halves of each head
 * ({@link RopeMode#NEOX}). So a HF folder always runs NeoX-style, a GGUF {@code llama} model normal, and
 * GGUF {@code qwen2}/{@code qwen3} NeoX (their converter does not permute). llama2.c checkpoints were
 * exported from Meta's unpermuted weights and rotate adjacent pairs, as run.c does: normal.
 *
 * @param ropeDim        leading dimensions of each head that are rotated
 * @param ropeScaling    {@code none}, {@code linear}, {@code yarn} or {@code llama3}
 * @param ropeFactor     context-extension factor (freq_scale = 1 / factor)
 * @param ropeOrigCtx    training context before extension (YaRN, llama3)
 */
public record LlamaConfig(
        String architecture,
        int dim,
        int layers,
        int heads,
        int kvHeads,
        int headDim,
        int ffnDim,
        int vocab,
        int contextLength,
        float normEps,
        float ropeTheta,
        int ropeDim,
        RopeMode ropeMode,
        String ropeScaling,
        float ropeFactor,
        int ropeOrigCtx,
        float yarnBetaFast,
        float yarnBetaSlow,
        float yarnAttnFactor,
        float llama3LowFreqFactor,
        float llama3HighFreqFactor,
        boolean hfNames) {

    /** How RoPE pairs the dimensions of a head. */
    public enum RopeMode { NORMAL, NEOX }

    /** Architectures this engine runs (GGUF names; HF classes map onto them). */
    public static final List<String> SUPPORTED = List.of("llama", "mistral", "qwen2", "qwen3");

    public LlamaConfig {
        if (dim <= 0 || layers <= 0 || heads <= 0 || kvHeads <= 0 || headDim <= 0 || ffnDim <= 0 || vocab <= 0) {
            throw new SquintException("model config: dimensions must be positive (dim " + dim + ", layers " + layers
                    + ", heads " + heads + ", kv heads " + kvHeads + ", head dim " + headDim + ", ffn " + ffnDim + ", vocab " + vocab + ")");
        }
        if (heads % kvHeads != 0) {
            throw new SquintException("model config: " + heads + " attention heads is not a multiple of " + kvHeads + " KV heads");
        }
        if (ropeDim <= 0 || ropeDim > headDim || ropeDim % 2 != 0) {
            throw new SquintException("model config: rope dimension " + ropeDim + " must be even and at most the head dim " + headDim);
        }
    }

    public int qDim() { return heads * headDim; }

    public int kvDim() { return kvHeads * headDim; }

    /** Reads the config of an opened model: GGUF/llama2.c metadata or the HF config.json beside safetensors. */
    public static LlamaConfig of(Model model) {
        if (model instanceof SafetensorsModel st) {
            HfConfig c = st.config().orElseThrow(() -> new SquintException(
                    model.path() + ": safetensors weights without a config.json beside them; a decoder needs its config"));
            return fromHf(c);
        }
        return fromMetadata(model.metadata(), model.architecture().orElse(""));
    }

    static LlamaConfig fromMetadata(Metadata m, String arch) {
        if (!SUPPORTED.contains(arch)) {
            throw new SquintException("architecture '" + arch + "' is not supported by the decoder engine; supported: " + SUPPORTED);
        }
        String p = arch + ".";
        int dim = requiredInt(m, p + "embedding_length");
        int heads = requiredInt(m, p + "attention.head_count");
        int kvHeads = m.integer(p + "attention.head_count_kv").map(Long::intValue).orElse(heads);
        int headDim = m.integer(p + "attention.key_length").map(Long::intValue).orElse(dim / heads);
        int vocab = m.integer(p + "vocab_size").map(Long::intValue)
                .or(() -> m.array("tokenizer.ggml.tokens").map(a -> a.size())).orElse(0);
        String scaling = m.string(p + "rope.scaling.type").orElse("none").toLowerCase(Locale.ROOT);
        float factor = m.number(p + "rope.scaling.factor").map(Double::floatValue).orElse(1f);
        int ctx = requiredInt(m, p + "context_length");
        return new LlamaConfig(arch, dim, requiredInt(m, p + "block_count"), heads, kvHeads, headDim,
                requiredInt(m, p + "feed_forward_length"), vocab, ctx,
                m.number(p + "attention.layer_norm_rms_epsilon").map(Double::floatValue).orElse(1e-5f),
                m.number(p + "rope.freq_base").map(Double::floatValue).orElse(10000f),
                m.integer(p + "rope.dimension_count").map(Long::intValue).orElse(headDim),
                arch.equals("llama") || arch.equals("mistral") ? RopeMode.NORMAL : RopeMode.NEOX,
                scaling.equals("none") && factor != 1f ? "linear" : scaling, factor,
                m.integer(p + "rope.scaling.original_context_length").map(Long::intValue).orElse(ctx),
                m.number(p + "rope.scaling.yarn_beta_fast").map(Double::floatValue).orElse(32f),
                m.number(p + "rope.scaling.yarn_beta_slow").map(Double::floatValue).orElse(1f),
                m.number(p + "rope.scaling.attn_factor").map(Double::floatValue).orElse(1f),
                1f, 4f, false);
    }

    static LlamaConfig fromHf(HfConfig c) {
        String cls = c.architectures().isEmpty() ? c.modelType().orElse("") : c.architectures().getFirst();
        String arch = switch (cls) {
            case "LlamaForCausalLM", "llama" -> "llama";
            case "MistralForCausalLM", "mistral" -> "mistral";
            case "Qwen2ForCausalLM", "qwen2" -> "qwen2";
            case "Qwen3ForCausalLM", "qwen3" -> "qwen3";
            default -> throw new SquintException("architecture '" + cls + "' is not supported by the decoder engine; supported: "
                    + "LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM");
        };
        int dim = need(c.hiddenSize().orElse(0), "hidden_size");
        int heads = need(c.numAttentionHeads().orElse(0), "num_attention_heads");
        int headDim = c.headDim().orElse(dim / heads);
        Optional<HfConfig.RopeScaling> rs = c.ropeScaling();
        String scaling = rs.flatMap(HfConfig.RopeScaling::type).orElse("none").toLowerCase(Locale.ROOT);
        if (scaling.equals("default")) scaling = "none";
        if (!List.of("none", "linear", "yarn", "llama3").contains(scaling)) {
            throw new SquintException("rope_scaling type '" + scaling + "' is not supported; supported: none, linear, yarn, llama3");
        }
        int ctx = c.maxPositionEmbeddings().orElse(2048);
        return new LlamaConfig(arch, dim, need(c.numHiddenLayers().orElse(0), "num_hidden_layers"), heads,
                c.numKeyValueHeads().orElse(heads), headDim, need(c.intermediateSize().orElse(0), "intermediate_size"),
                need(c.vocabSize().orElse(0), "vocab_size"), ctx,
                (float) c.rmsNormEps().orElse(1e-6), (float) c.ropeTheta().orElse(10000.0), headDim, RopeMode.NEOX,
                scaling, rs.flatMap(r -> box(r.factor())).orElse(1.0).floatValue(),
                rs.flatMap(r -> r.originalMaxPositionEmbeddings().isPresent()
                        ? Optional.of(r.originalMaxPositionEmbeddings().getAsInt()) : Optional.empty()).orElse(ctx),
                rs.flatMap(r -> box(r.betaFast())).orElse(32.0).floatValue(),
                rs.flatMap(r -> box(r.betaSlow())).orElse(1.0).floatValue(),
                rs.flatMap(r -> box(r.attentionFactor())).orElse(1.0).floatValue(),
                rs.flatMap(r -> box(r.lowFreqFactor())).orElse(1.0).floatValue(),
                rs.flatMap(r -> box(r.highFreqFactor())).orElse(4.0).floatValue(),
                true);
    }

    private static Optional<Double> box(java.util.OptionalDouble d) {
        return d.isPresent() ? Optional.of(d.getAsDouble()) : Optional.empty();
    }

    private static int need(int v, String key) {
        if (v <= 0) throw new SquintException("config.json: '" + key + "' is missing; a decoder needs it");
        return v;
    }

    private static int requiredInt(Metadata m, String key) {
        long v = m.integer(key).orElseThrow(() -> new SquintException("metadata key '" + key + "' is missing; a decoder needs it"));
        if (v <= 0 || v > Integer.MAX_VALUE) throw new SquintException("metadata key '" + key + "' = " + v + " is out of range");
        return (int) v;
    }
}
