package dev.squint.formats.safetensors;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalLong;

/**
 * A {@code model.safetensors.index.json}: which shard file holds each tensor, plus the
 * {@code metadata.total_size} transformers records (tensor bytes over all shards).
 *
 * @param weightMap tensor name to shard file name, in file order
 */
public record SafetensorsIndex(OptionalLong totalSize, Map<String, String> weightMap) {
    public static final String FILE_NAME = "model.safetensors.index.json";

    public SafetensorsIndex {
        weightMap = Collections.unmodifiableMap(new LinkedHashMap<>(weightMap));
    }
}
