package dev.squint.convert;

import dev.squint.core.DType;
import dev.squint.core.ScalarType;
import dev.squint.core.Shape;
import dev.squint.core.SquintException;
import dev.squint.core.Tensor;
import dev.squint.core.codec.FloatFormats;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.function.LongUnaryOperator;

/**
 * A tensor to convert, read one row at a time as float32 so that a conversion never holds more
 * than a few rows of it on the heap. Sources are views of a mapped input: F32, F16 or BF16 bytes,
 * optionally with their rows reordered (the rotary permutation) or transposed (ONNX MatMul weights).
 */
public interface SourceTensor {

    /** The shape as the output stores it, outermost first. */
    Shape shape();

    /** The input dtype (for reports, and for the raw-copy shortcut when nothing changes). */
    DType sourceType();

    /** Reads output row {@code row} (of {@link Shape#rowLength()} values) into {@code dst}. */
    void readRow(long row, float[] dst);

    /** The bytes unchanged, when the output wants them in the source dtype as they are; null otherwise. */
    default MemorySegment rawBytes() { return null; }

    /** The mapped input bytes this tensor reads. */
    MemorySegment data();

    /**
     * Asks the OS to drop this tensor's pages from the process once it has been written: a mapped
     * input otherwise stays resident page by page, and the whole model would count against RSS.
     * The pages stay in the page cache and are read back if the tensor is used again.
     */
    default void release() {
        MemorySegment d = data();
        if (d.isMapped()) d.unload();
    }

    ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** A small F32 tensor computed by the converter (e.g. llama3's rope_freqs), held on the heap. */
    static SourceTensor ofFloats(Shape shape, float[] values) {
        if (shape.elementCount() != values.length) throw new IllegalArgumentException(values.length + " values for shape " + shape);
        float[] copy = values.clone();
        MemorySegment seg = MemorySegment.ofArray(copy);
        int rowLen = (int) shape.rowLength();
        return new SourceTensor() {
            @Override public Shape shape() { return shape; }
            @Override public DType sourceType() { return ScalarType.F32; }
            @Override public void readRow(long row, float[] dst) { System.arraycopy(copy, (int) (row * rowLen), dst, 0, rowLen); }
            @Override public MemorySegment data() { return seg; }
        };
    }

    /** A tensor read as it is stored. */
    static SourceTensor of(Tensor t) {
        return rowMapped(t, null);
    }

    /**
     * A tensor whose output row {@code r} is input row {@code rowMap.applyAsLong(r)} (a permutation of
     * the rows, e.g. llama.cpp's rotary reordering of Q/K weights); {@code rowMap} null keeps the order.
     */
    static SourceTensor rowMapped(Tensor t, LongUnaryOperator rowMap) {
        checkFloat(t);
        Shape shape = t.shape();
        int rowLen = Math.toIntExact(shape.rowLength());
        long rowBytes = (long) rowLen * elementBytes(t.dtype());
        MemorySegment data = t.data();
        return new SourceTensor() {
            @Override public Shape shape() { return shape; }
            @Override public DType sourceType() { return t.dtype(); }
            @Override public void readRow(long row, float[] dst) {
                long from = rowMap == null ? row : rowMap.applyAsLong(row);
                decode(t.dtype(), data, from * rowBytes, dst, rowLen);
            }
            @Override public MemorySegment rawBytes() { return rowMap == null ? data : null; }
            @Override public MemorySegment data() { return data; }
        };
    }

    /** A 1-D tensor (a bias) whose element {@code i} is input element {@code map.applyAsLong(i)}. */
    static SourceTensor elementMapped(Tensor t, LongUnaryOperator map) {
        checkFloat(t);
        Shape shape = t.shape();
        int n = Math.toIntExact(shape.elementCount());
        long eb = elementBytes(t.dtype());
        MemorySegment data = t.data();
        return new SourceTensor() {
            @Override public Shape shape() { return shape; }
            @Override public DType sourceType() { return t.dtype(); }
            @Override public void readRow(long row, float[] dst) {
                for (int i = 0; i < n; i++) dst[i] = decodeOne(t.dtype(), data, map.applyAsLong(i) * eb);
            }
            @Override public MemorySegment data() { return data; }
        };
    }

    /**
     * A 2-D tensor stored {@code [in, out]} read as {@code [out, in]}: ONNX MatMul multiplies by
     * {@code W[in, out]}, while GGUF (like PyTorch's Linear) stores one row per output.
     */
    static SourceTensor transposed(Tensor t) {
        checkFloat(t);
        if (t.shape().rank() != 2) throw new SquintException("tensor '" + t.name() + "' is not a matrix: " + t.shape());
        long in = t.shape().dim(0), out = t.shape().dim(1);
        Shape shape = Shape.of(out, in);
        long eb = elementBytes(t.dtype());
        MemorySegment data = t.data();
        return new SourceTensor() {
            @Override public Shape shape() { return shape; }
            @Override public DType sourceType() { return t.dtype(); }
            @Override public void readRow(long row, float[] dst) {
                for (int i = 0; i < in; i++) dst[i] = decodeOne(t.dtype(), data, (i * out + row) * eb);
            }
            @Override public MemorySegment data() { return data; }
        };
    }

    private static void checkFloat(Tensor t) {
        DType d = t.dtype();
        if (d != ScalarType.F32 && d != ScalarType.F16 && d != ScalarType.BF16) {
            throw new SquintException("tensor '" + t.name() + "' is " + d.name() + "; conversion reads F32, F16 and BF16 weights");
        }
        if (t.shape().rowLength() > Integer.MAX_VALUE - 8) {
            throw new SquintException("tensor '" + t.name() + "': rows of " + t.shape().rowLength() + " values are too long");
        }
    }

    private static long elementBytes(DType d) {
        return d == ScalarType.F32 ? 4 : 2;
    }

    private static void decode(DType d, MemorySegment src, long offset, float[] dst, int n) {
        if (d == ScalarType.F32) {
            MemorySegment.copy(src, F32_LE, offset, dst, 0, n);
        } else if (d == ScalarType.F16) {
            FloatFormats.f16ToF32Row(src, offset, dst, 0, n);
        } else {
            FloatFormats.bf16ToF32Row(src, offset, dst, 0, n);
        }
    }

    private static float decodeOne(DType d, MemorySegment src, long offset) {
        if (d == ScalarType.F32) return src.get(F32_LE, offset);
        short s = src.get(I16_LE, offset);
        return d == ScalarType.F16 ? FloatFormats.f16ToF32(s) : FloatFormats.bf16ToF32(s);
    }
}
