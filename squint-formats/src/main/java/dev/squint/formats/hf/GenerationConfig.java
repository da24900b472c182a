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
 * A transformers {@code generation_config.json}: special token ids and default sampling settings.
 *
 * @param eosTokenIds {@code eos_token_id} as a list (a single id becomes a one-item list)
 * @param raw         every key as plain immutable Java values
 */
public record GenerationConfig(
        OptionalInt bosTokenId,
        List<Integer> eosTokenIds,
        OptionalInt padTokenId,
        OptionalInt decoderStartTokenId,
        Optional<Boolean> doSample,
        OptionalDouble temperature,
        OptionalDouble topP,
        OptionalInt topK,
        OptionalDouble minP,
        OptionalDouble repetitionPenalty,
        OptionalInt maxLength,
        OptionalInt maxNewTokens,
        Map<String, Object> raw) {

    public static final String FILE_NAME = "generation_config.json";

    public GenerationConfig {
        eosTokenIds = List.copyOf(eosTokenIds);
    }

    public static GenerationConfig read(Path file) {
        JsonNode root = HfJson.read(file);
        if (!root.isObject()) throw new ModelFormatException(file, "top level is " + HfJson.kind(root) + ", not a JSON object");
        HfJson.Fields f = new HfJson.Fields(file, root, "");
        return new GenerationConfig(
                f.optInt("bos_token_id"),
                f.intOrInts("eos_token_id"),
                f.optInt("pad_token_id"),
                f.optInt("decoder_start_token_id"),
                f.optBool("do_sample"),
                f.optDouble("temperature"),
                f.optDouble("top_p"),
                f.optInt("top_k"),
                f.optDouble("min_p"),
                f.optDouble("repetition_penalty"),
                f.optInt("max_length"),
                f.optInt("max_new_tokens"),
                f.plain());
    }
}
