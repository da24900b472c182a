package dev.squint.core;

import java.util.Objects;

/**
 * What a container says about one tensor: name, element type, shape and the bytes it takes.
 */
public record TensorInfo(String name, DType dtype, Shape shape, long byteSize) {
    public TensorInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(shape, "shape");
        if (byteSize < 0) throw new IllegalArgumentException("negative byte size for " + name);
    }

    /** Computes the byte size from dtype and shape (rows must hold whole blocks for ggml types). */
    public static TensorInfo of(String name, DType dtype, Shape shape) {
        if (dtype.isQuantizedBlock() && shape.rowLength() % dtype.blockSize() != 0) {
            throw new IllegalArgumentException("tensor " + name + ": row length " + shape.rowLength()
                    + " is not a multiple of " + dtype.name() + "'s block size " + dtype.blockSize());
        }
        return new TensorInfo(name, dtype, shape, dtype.bytesFor(shape.elementCount()));
    }

    public long elementCount() { return shape.elementCount(); }
}
