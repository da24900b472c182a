package dev.squint.formats.safetensors;

import dev.squint.core.Model;
import java.nio.file.Path;

/** Placeholder until the reader lands: replaced by the real reader. */
public final class SafetensorsReader {
    private SafetensorsReader() {}

    public static Model open(Path path) {
        throw new UnsupportedOperationException("SafetensorsReader is not written yet");
    }
}
