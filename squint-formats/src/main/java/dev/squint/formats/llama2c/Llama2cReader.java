package dev.squint.formats.llama2c;

import dev.squint.core.Model;
import java.nio.file.Path;

/** Placeholder until the reader lands: replaced by the real reader. */
public final class Llama2cReader {
    private Llama2cReader() {}

    public static Model open(Path path) {
        throw new UnsupportedOperationException("Llama2cReader is not written yet");
    }
}
