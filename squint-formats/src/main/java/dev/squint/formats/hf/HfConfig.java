package dev.squint.formats.hf;

import com.fasterxml.jackson.databind.JsonNode;
import dev.squint.core.ModelFormatException;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;

/**
 * A transformers {@code config.json}. Every field is optional because architectures differ in
 * what they record; the common GPT-2 style aliases ({@code n_embd}, {@code n_layer}, {@code n_head},
 * {@code n_positions}, {@code n_inner}, {@code layer_norm_epsilon}, {@code d_model}) are read
 * as their long names. Defaults that transformers derives are applied here:
 * {@code num_key_value_heads} defaults to {@code num_attention_heads}, {@code head_dim} to
 * {@code hidden_size / num_attention_heads}. Newer configs nest rope settings in
 * {@code rope_parameters}; those fill {@link #ropeTheta} and {@link #ropeScaling} too.
 *
 * @param eosTokenIds {@code eos_token_id} as a list (a single id becomes a one-item list)
 * @param torchDtype  {@code torch_dtype}, or {@code dtype} as newer transformers write it
 * @param textConfig  the nested {@code text_config} of multimodal models
 * @param raw         every key of the file as plain immutable Java values (see {@link HfJson#toPlain})
 */
public record HfConfig(
        List<String> architectures,
        Optional<String> modelType,
        OptionalInt hiddenSize,
        OptionalInt intermediateSize,
        OptionalInt numHiddenLayers,
        OptionalInt numAttentionHeads,
        OptionalInt numKeyValueHeads,
        OptionalInt headDim,
        OptionalInt vocabSize,
        OptionalInt maxPositionEmbeddings,
        OptionalDouble rmsNormEps,
        OptionalDouble layerNormEps,
        Optional<String> hiddenAct,
        OptionalDouble ropeTheta,
        Optional<RopeScaling> ropeScaling,
        Optional<Boolean> tieWordEmbeddings,
        Optional<String> torchDtype,
        OptionalInt bosTokenId,
        List<Integer> eosTokenIds,
        OptionalInt padTokenId,
        Optional<Boolean> attentionBias,
        Optional<HfConfig> textConfig,
        Map<String, Object> raw) {

    public static final String FILE_NAME = "config.json";

    public HfConfig {
        architectures = List.copyOf(architectures);
        eosTokenIds = List.copyOf(eosTokenIds);
    }

    /** Reads {@code file}; malformed JSON or a mistyped known key is a {@link ModelFormatException}. */
    public static HfConfig read(Path file) {
        JsonNode root = HfJson.read(file);
        if (!root.isObject()) throw new ModelFormatException(file, "top level is " + HfJson.kind(root) + ", not a JSON object");
        return parse(new HfJson.Fields(file, root, ""));
    }

    static HfConfig parse(HfJson.Fields f) {
        OptionalInt hidden = f.optPositive("hidden_size", "n_embd", "d_model");
        OptionalInt heads = f.optPositive("num_attention_heads", "n_head");
        OptionalInt kvHeads = f.optPositive("num_key_value_heads");
        if (kvHeads.isEmpty()) kvHeads = heads;
        OptionalInt headDim = f.optPositive("head_dim");
        if (headDim.isEmpty() && hidden.isPresent() && heads.isPresent()) {
            headDim = OptionalInt.of(hidden.getAsInt() / heads.getAsInt());
        }
        Optional<HfJson.Fields> ropeParameters = f.object("rope_parameters");
        OptionalDouble ropeTheta = f.optDouble("rope_theta");
        if (ropeTheta.isEmpty() && ropeParameters.isPresent()) ropeTheta = ropeParameters.get().optDouble("rope_theta");
        Optional<RopeScaling> rope = f.object("rope_scaling").or(() -> ropeParameters).map(RopeScaling::parse);
        Optional<HfConfig> text = f.object("text_config").map(HfConfig::parse);
        return new HfConfig(
                f.strings("architectures"),
                f.optString("model_type"),
                hidden,
                f.optPositive("intermediate_size", "n_inner"),
                f.optPositive("num_hidden_layers", "n_layer", "num_layers"),
                heads,
                kvHeads,
                headDim,
                f.optPositive("vocab_size"),
                f.optPositive("max_position_embeddings", "n_positions"),
                f.optDouble("rms_norm_eps"),
                f.optDouble("layer_norm_eps", "layer_norm_epsilon"),
                f.optString("hidden_act", "activation_function"),
                ropeTheta,
                rope,
                f.optBool("tie_word_embeddings"),
                f.optString("torch_dtype", "dtype"),
                f.optInt("bos_token_id"),
                f.intOrInts("eos_token_id"),
                f.optInt("pad_token_id"),
                f.optBool("attention_bias"),
                text,
                f.plain());
    }

    /** A key of the file as a plain Java value (String, Long, Double, Boolean, List, Map). */
    public Optional<Object> get(String key) {
        return Optional.ofNullable(raw.get(key));
    }

    /**
     * {@code rope_scaling} (or {@code rope_parameters}): the scaling method and its settings.
     *
     * @param type {@code rope_type}, or the older {@code type} ({@code linear}, {@code dynamic},
     *             {@code yarn}, {@code llama3}, {@code longrope}, {@code default}, ...)
     */
    public record RopeScaling(
            Optional<String> type,
            OptionalDouble factor,
            OptionalInt originalMaxPositionEmbeddings,
            OptionalDouble lowFreqFactor,
            OptionalDouble highFreqFactor,
            OptionalDouble betaFast,
            OptionalDouble betaSlow,
            OptionalDouble attentionFactor,
            OptionalDouble mscale,
            OptionalDouble mscaleAllDim,
            List<Double> shortFactor,
            List<Double> longFactor,
            Map<String, Object> raw) {

        static RopeScaling parse(HfJson.Fields f) {
            return new RopeScaling(
                    f.optString("rope_type", "type"),
                    f.optDouble("factor"),
                    f.optPositive("original_max_position_embeddings"),
                    f.optDouble("low_freq_factor"),
                    f.optDouble("high_freq_factor"),
                    f.optDouble("beta_fast"),
                    f.optDouble("beta_slow"),
                    f.optDouble("attention_factor"),
                    f.optDouble("mscale"),
                    f.optDouble("mscale_all_dim"),
                    f.doubles("short_factor"),
                    f.doubles("long_factor"),
                    f.plain());
        }
    }
}
