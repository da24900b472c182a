package dev.squint.formats.gguf;

import dev.squint.core.DType;
import dev.squint.core.GgmlType;
import dev.squint.core.Shape;
import dev.squint.core.TensorInfo;

import java.util.Arrays;
import java.util.Objects;

/**
 * One GGUF tensor-info entry as the file stores it: name, ggml type, dimensions innermost first
 * ({@code ne[0]} is the row length, as ggml writes them) and the data offset relative to the start
 * of the data section. The number of dimensions is kept as written (ggml drops trailing 1s, other
 * writers may not) so a file can be written back byte for byte.
 *
 * <p>Instances are validated by the reader or by {@link GgufPlan}: the constructor only checks
 * what keeps the record itself consistent.
 */
public record GgufTensorInfo(String name, GgmlType type, long[] ne, long offset) {

    public GgufTensorInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        ne = ne.clone();
        if (offset < 0) throw new IllegalArgumentException("tensor " + name + ": negative offset " + offset);
    }

    /** Dimensions innermost first (a copy). */
    @Override public long[] ne() { return ne.clone(); }

    public int nDims() { return ne.length; }

    /** Shape outermost first (the reverse of {@link #ne()}). */
    public Shape shape() {
        long[] dims = new long[ne.length];
        for (int i = 0; i < ne.length; i++) dims[i] = ne[ne.length - 1 - i];
        return Shape.of(dims);
    }

    /** The canonical dtype ({@link GgmlType#toDType()}): F32 tensors are {@code ScalarType.F32}. */
    public DType dtype() { return type.toDType(); }

    public long elementCount() {
        long n = 1;
        for (long d : ne) n = Math.multiplyExact(n, d);
        return n;
    }

    /** Bytes of tensor data: whole blocks of the ggml type. */
    public long byteSize() {
        return Math.multiplyExact(elementCount() / type.blockSize(), (long) type.bytesPerBlock());
    }

    /** End of the tensor's data relative to the data section. */
    public long end() { return offset + byteSize(); }

    public TensorInfo toTensorInfo() { return new TensorInfo(name, dtype(), shape(), byteSize()); }

    /** The same tensor placed at another offset. */
    public GgufTensorInfo withOffset(long newOffset) { return new GgufTensorInfo(name, type, ne, newOffset); }

    @Override public boolean equals(Object o) {
        return o instanceof GgufTensorInfo t && name.equals(t.name) && type == t.type
                && Arrays.equals(ne, t.ne) && offset == t.offset;
    }

    @Override public int hashCode() { return Objects.hash(name, type, Arrays.hashCode(ne), offset); }

    @Override public String toString() {
        return name + " " + type + " ne=" + Arrays.toString(ne) + " @" + offset;
    }
}
