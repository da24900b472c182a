package dev.squint.core;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * An opened model file (or folder of shards), independent of its container: named tensors whose
 * bytes are views into mapped files, plus typed metadata. Closing it unmaps the files; tensor
 * views must not be used afterwards.
 */
public interface Model extends AutoCloseable {

    Container container();

    /** The path the model was opened from (a file, or a folder for sharded safetensors). */
    Path path();

    Metadata metadata();

    /** Tensors in the order the container lists them. */
    List<Tensor> tensors();

    default Optional<Tensor> tensor(String name) {
        for (Tensor t : tensors()) if (t.name().equals(name)) return Optional.of(t);
        return Optional.empty();
    }

    /** Total bytes of the files that make up the model. */
    long fileSize();

    /** The architecture name (e.g. {@code llama}, {@code bert}), if the container says. */
    Optional<String> architecture();

    default long parameterCount() {
        long n = 0;
        for (Tensor t : tensors()) n += t.info().elementCount();
        return n;
    }

    default long tensorBytes() {
        long n = 0;
        for (Tensor t : tensors()) n += t.byteSize();
        return n;
    }

    /** Bits per weight over the tensor data (container overhead not counted). */
    default double bitsPerWeight() {
        long params = parameterCount();
        return params == 0 ? 0 : 8.0 * tensorBytes() / params;
    }

    @Override void close();
}
