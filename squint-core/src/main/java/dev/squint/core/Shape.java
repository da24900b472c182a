package dev.squint.core;

import java.util.Arrays;

/**
 * A tensor shape, outermost dimension first (row-major, as numpy, safetensors and ONNX write it).
 * GGUF stores dimensions innermost first ({@code ne[0]} is the row length); its reader and writer
 * reverse them. For a matrix {@code [rows, cols]}, {@link #rowLength()} is {@code cols}.
 */
public final class Shape {
    private final long[] dims;

    private Shape(long[] dims) {
        this.dims = dims;
    }

    /**
     * @throws IllegalArgumentException if a dimension is negative or the element count overflows
     */
    public static Shape of(long... dims) {
        long[] copy = dims.clone();
        long product = 1;
        for (long d : copy) {
            if (d < 0) throw new IllegalArgumentException("negative dimension in " + Arrays.toString(copy));
            try {
                product = Math.multiplyExact(product, d);
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException("element count of shape " + Arrays.toString(copy) + " overflows a 64-bit integer");
            }
        }
        return new Shape(copy);
    }

    public int rank() { return dims.length; }

    public long dim(int i) { return dims[i]; }

    public long[] dims() { return dims.clone(); }

    /** Dimensions innermost first, as GGUF's {@code ne[]}. */
    public long[] reversed() {
        long[] r = new long[dims.length];
        for (int i = 0; i < dims.length; i++) r[i] = dims[dims.length - 1 - i];
        return r;
    }

    public long elementCount() {
        long p = 1;
        for (long d : dims) p *= d;
        return p;
    }

    /** Length of the innermost dimension (1 for a scalar). */
    public long rowLength() { return dims.length == 0 ? 1 : dims[dims.length - 1]; }

    /** Number of rows: the element count over the row length (0 if empty). */
    public long rowCount() {
        long len = rowLength();
        return len == 0 ? 0 : elementCount() / len;
    }

    @Override public boolean equals(Object o) {
        return o instanceof Shape s && Arrays.equals(dims, s.dims);
    }

    @Override public int hashCode() { return Arrays.hashCode(dims); }

    @Override public String toString() {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < dims.length; i++) {
            if (i > 0) sb.append(", ");
            sb.append(dims[i]);
        }
        return sb.append(']').toString();
    }
}
