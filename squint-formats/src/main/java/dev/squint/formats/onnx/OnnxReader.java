package dev.squint.formats.onnx;

import dev.squint.core.Model;
import java.nio.file.Path;

/** Placeholder until the reader lands: replaced by the real reader. */
public final class OnnxReader {
    private OnnxReader() {}

    public static Model open(Path path) {
        throw new UnsupportedOperationException("OnnxReader is not written yet");
    }
}
