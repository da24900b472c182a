package dev.squint.core;

/**
 * The element type of a tensor, whatever container it came from.
 *
 * <p>Two families: {@link ScalarType} (one value per element, or a few packed per byte) and the
 * ggml block types of {@link GgmlType}. A tensor's dtype is always canonical: a GGUF tensor of ggml
 * type F32 carries {@link ScalarType#F32}, not {@link GgmlType#F32}; only the block-quantized ggml
 * types appear as {@code GgmlType}. {@link GgmlType#of(DType)} maps back for writing.
 */
public sealed interface DType permits ScalarType, GgmlType {

    /** The canonical name, e.g. {@code F32}, {@code Q4_K}. */
    String name();

    /** Elements in one block: 1 for scalars, 2 for 4-bit packed scalars, 32 or 256 for ggml blocks. */
    int blockSize();

    /** Bytes in one block. */
    int bytesPerBlock();

    /** True for the ggml block-quantized types. */
    default boolean isQuantizedBlock() {
        return this instanceof GgmlType;
    }

    /** Bits per element, block scales included. */
    default double bitsPerElement() {
        return 8.0 * bytesPerBlock() / blockSize();
    }

    /**
     * Bytes taken by {@code elements} values of this type.
     *
     * @throws ArithmeticException if the count is not a whole number of blocks or the size overflows
     */
    default long bytesFor(long elements) {
        if (elements < 0) throw new ArithmeticException("negative element count " + elements);
        int bs = blockSize();
        if (elements % bs != 0) {
            if (this instanceof ScalarType) { // sub-byte scalars pad the last byte, as ONNX does
                return Math.multiplyExact((elements + bs - 1) / bs, (long) bytesPerBlock());
            }
            throw new ArithmeticException(elements + " elements are not a multiple of the block size " + bs + " of " + name());
        }
        return Math.multiplyExact(elements / bs, (long) bytesPerBlock());
    }
}
