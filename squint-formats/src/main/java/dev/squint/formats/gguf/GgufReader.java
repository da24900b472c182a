package dev.squint.formats.gguf;

import dev.squint.core.Model;
import java.nio.file.Path;

/** Placeholder until the reader lands: replaced by the real reader. */
public final class GgufReader {
    private GgufReader() {}

    public static Model open(Path path) {
        throw new UnsupportedOperationException("GgufReader is not written yet");
    }
}
