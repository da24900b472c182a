package dev.squint.cli;

import dev.squint.core.SquintException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Short names for the models the build brings along: {@code all-minilm-l6-v2} (FP32) and
 * {@code all-minilm-l6-v2-q} (ONNX Runtime int8), unpacked from Maven Central into
 * {@code ${squint.models}/<alias>/<alias>.onnx} (the launcher sets {@code -Dsquint.models}).
 */
public final class ModelAliases {
    public static final List<String> NAMES = List.of("all-minilm-l6-v2", "all-minilm-l6-v2-q");
    static final String HELP = "all-minilm-l6-v2 (all-MiniLM-L6-v2 ONNX, FP32) or all-minilm-l6-v2-q (its int8 ONNX), "
            + "both unpacked from Maven Central by the build.";
    static final String MODELS_PROPERTY = "squint.models";

    private ModelAliases() {}

    /**
     * The path a MODEL argument names: an existing file or folder wins over an alias of the same
     * name; an alias resolves under {@code squint.models}; anything else is taken as a path.
     *
     * @throws SquintException if the argument is blank, or an alias whose model is not unpacked
     */
    public static Path resolve(String argument) {
        return resolve(argument, System.getProperty(MODELS_PROPERTY));
    }

    static Path resolve(String argument, String models) {
        if (argument == null || argument.isBlank()) throw new SquintException("the model argument is empty");
        Path literal = Path.of(argument);
        if (!NAMES.contains(argument) || Files.exists(literal)) return literal;
        if (models == null || models.isBlank()) {
            throw new SquintException("model alias '" + argument + "' needs -D" + MODELS_PROPERTY
                    + "=<folder> (the ./squint launcher sets it); or give the .onnx path");
        }
        Path resolved = Path.of(models, argument, argument + ".onnx");
        if (!Files.isRegularFile(resolved)) {
            throw new SquintException("model alias '" + argument + "': " + resolved
                    + " does not exist; build squint-cli (./squint builds it on first use) to unpack it from Maven Central");
        }
        return resolved;
    }
}
