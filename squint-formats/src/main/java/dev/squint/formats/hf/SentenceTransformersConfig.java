package dev.squint.formats.hf;

import com.fasterxml.jackson.databind.JsonNode;
import dev.squint.core.ModelFormatException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * The sentence-transformers files of an embedding model: {@code modules.json} (the pipeline:
 * Transformer, Pooling, Normalize, ...) and the Pooling module's {@code config.json}
 * (conventionally {@code 1_Pooling/config.json}).
 *
 * @param normalize true if the pipeline ends in a Normalize module (unit-length embeddings)
 */
public record SentenceTransformersConfig(List<Module> modules, Optional<Pooling> pooling, boolean normalize) {

    public static final String MODULES_FILE_NAME = "modules.json";

    public SentenceTransformersConfig {
        modules = List.copyOf(modules);
    }

    /** One entry of modules.json. @param type the Python class, e.g. {@code sentence_transformers.models.Pooling} */
    public record Module(int idx, String name, String path, String type) {}

    /** How token embeddings become one sentence embedding. */
    public enum PoolingMode { CLS_TOKEN, MEAN_TOKENS, MAX_TOKENS, MEAN_SQRT_LEN_TOKENS, WEIGHTEDMEAN_TOKENS, LASTTOKEN }

    /** A Pooling module's config.json. */
    public record Pooling(OptionalInt wordEmbeddingDimension, Set<PoolingMode> modes, Optional<Boolean> includePrompt) {
        public Pooling {
            modes = modes.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(modes));
        }

        public static Pooling read(Path file) {
            JsonNode root = HfJson.read(file);
            if (!root.isObject()) throw new ModelFormatException(file, "top level is " + HfJson.kind(root) + ", not a JSON object");
            HfJson.Fields f = new HfJson.Fields(file, root, "");
            Set<PoolingMode> modes = EnumSet.noneOf(PoolingMode.class);
            for (PoolingMode m : PoolingMode.values()) {
                if (f.optBool("pooling_mode_" + m.name().toLowerCase()).orElse(false)) modes.add(m);
            }
            return new Pooling(f.optPositive("word_embedding_dimension"), modes, f.optBool("include_prompt"));
        }
    }

    /** Reads modules.json in {@code dir} and the Pooling config it points to; empty if there is no modules.json. */
    public static Optional<SentenceTransformersConfig> read(Path dir) {
        Path modulesFile = dir.resolve(MODULES_FILE_NAME);
        if (!Files.exists(modulesFile)) return Optional.empty();
        JsonNode root = HfJson.read(modulesFile);
        if (!root.isArray()) throw new ModelFormatException(modulesFile, "top level is " + HfJson.kind(root) + ", not a list of modules");
        List<Module> modules = new ArrayList<>();
        int i = 0;
        for (JsonNode item : root) {
            if (!item.isObject()) throw new ModelFormatException(modulesFile, "entry " + i + " is " + HfJson.kind(item) + ", not an object");
            HfJson.Fields f = new HfJson.Fields(modulesFile, item, "[" + i + "].");
            modules.add(new Module(f.optInt("idx").orElse(i), f.optString("name").orElse(""),
                    f.optString("path").orElse(""), f.optString("type").orElseThrow(() -> f.fault("type", "missing"))));
            i++;
        }
        Optional<Pooling> pooling = Optional.empty();
        for (Module m : modules) {
            if (!m.type().endsWith(".Pooling")) continue;
            Path base = dir.toAbsolutePath().normalize();
            Path config;
            try {
                config = base.resolve(m.path()).resolve("config.json").normalize();
            } catch (java.nio.file.InvalidPathException e) {
                throw new ModelFormatException(modulesFile, "Pooling module path '" + m.path() + "' is not a valid path");
            }
            if (!config.startsWith(base)) throw new ModelFormatException(modulesFile, "Pooling module path '" + m.path() + "' is outside the model folder");
            if (Files.exists(config)) pooling = Optional.of(Pooling.read(config));
        }
        boolean normalize = modules.stream().anyMatch(m -> m.type().endsWith(".Normalize"));
        return Optional.of(new SentenceTransformersConfig(modules, pooling, normalize));
    }
}
