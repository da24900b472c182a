package dev.squint.core;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * A tensor: its description and a view of its bytes. For a mapped file the view is a slice of
 * the file's one mapping, so nothing is read until the bytes are touched. The view is valid only
 * while the {@link Model} that owns the mapping is open.
 */
public record Tensor(TensorInfo info, MemorySegment data) {
    public Tensor {
        Objects.requireNonNull(info, "info");
        Objects.requireNonNull(data, "data");
        if (data.byteSize() != info.byteSize()) {
            throw new IllegalArgumentException("tensor " + info.name() + ": view holds " + data.byteSize()
                    + " bytes, its type and shape need " + info.byteSize());
        }
    }

    public String name() { return info.name(); }

    public DType dtype() { return info.dtype(); }

    public Shape shape() { return info.shape(); }

    public long byteSize() { return info.byteSize(); }
}
