package dev.squint.formats.onnx;

import dev.squint.core.DType;
import dev.squint.core.ScalarType;
import dev.squint.core.Shape;
import dev.squint.core.TensorInfo;
import dev.squint.formats.onnx.proto.StringStringEntryProto;
import dev.squint.formats.onnx.proto.TensorProto;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Where a TensorProto keeps its values, and the checks that go with it. ONNX allows exactly one of:
 * {@code raw_data} (fixed-width little-endian), external data, or the typed lists
 * ({@code float_data}, {@code int32_data}, {@code int64_data}, {@code double_data},
 * {@code uint64_data}; {@code string_data} for strings).
 *
 * <p>Typed lists: {@code int32_data} carries one element per entry for 8-, 16- and 32-bit types
 * (float16/bfloat16/float8 as their bit patterns) and one <em>byte</em> per entry for the packed
 * 4- and 2-bit types; {@code uint64_data} carries uint32 and uint64; complex types take two floats or
 * doubles per element.
 */
final class OnnxTensorData {
    private OnnxTensorData() {}

    // ONNX stores every fixed-width value little-endian, whatever the machine.
    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64_LE = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt I32_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** How the values are stored. */
    enum Storage { RAW_REF, RAW_INLINE, EXTERNAL, TYPED, STRINGS, EMPTY }

    /** A tensor's checked description. */
    record Layout(TensorInfo info, Storage storage) {}

    /** Name, dtype, shape and byte size of {@code t}; throws IllegalArgumentException with a one-line fault. */
    static TensorInfo info(TensorProto t) {
        if (!t.hasDataType() || t.getDataType() == 0) throw new IllegalArgumentException("has no data type");
        ScalarType dtype = ScalarType.fromOnnx(t.getDataType())
                .orElseThrow(() -> new IllegalArgumentException("has unknown data type " + t.getDataType()));
        long[] dims = new long[t.getDimsCount()];
        for (int i = 0; i < dims.length; i++) {
            dims[i] = t.getDims(i);
            if (dims[i] < 0) throw new IllegalArgumentException("has negative dimension " + dims[i] + " in " + t.getDimsList());
        }
        try {
            Shape shape = Shape.of(dims);
            return new TensorInfo(name(t), dtype, shape, dtype.bytesFor(shape.elementCount()));
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new IllegalArgumentException("shape " + Arrays.toString(dims) + " of " + dtype + " overflows a 64-bit size");
        }
    }

    /** Describes {@code t} and where its values are, or throws IllegalArgumentException with a one-line fault (without the tensor's place). */
    static Layout layout(TensorProto t) {
        TensorInfo described = info(t);
        ScalarType dtype = (ScalarType) described.dtype();
        Shape shape = described.shape();
        long bytes = described.byteSize();
        if (t.hasSegment()) throw new IllegalArgumentException("is split into segments, which squint does not join");
        boolean external = t.hasDataLocation() && t.getDataLocation() == TensorProto.DataLocation.EXTERNAL;
        boolean rawRef = t.getUnknownFields().hasField(OnnxWire.PAYLOAD_REF_FIELD);
        boolean rawInline = t.hasRawData();
        int typedFields = (t.getFloatDataCount() > 0 ? 1 : 0) + (t.getInt32DataCount() > 0 ? 1 : 0)
                + (t.getInt64DataCount() > 0 ? 1 : 0) + (t.getDoubleDataCount() > 0 ? 1 : 0)
                + (t.getUint64DataCount() > 0 ? 1 : 0);
        boolean strings = t.getStringDataCount() > 0;
        int sources = (external ? 1 : 0) + (rawRef || rawInline ? 1 : 0) + typedFields + (strings ? 1 : 0);
        if (sources > 1) throw new IllegalArgumentException("holds its values in more than one place (raw_data, external data, typed lists)");
        if (dtype == ScalarType.STRING) {
            if (external || rawRef || rawInline || typedFields > 0) throw new IllegalArgumentException("is a string tensor with non-string data");
            if (t.getStringDataCount() != shape.elementCount()) {
                throw new IllegalArgumentException("holds " + t.getStringDataCount() + " strings, its shape " + shape + " needs " + shape.elementCount());
            }
            return new Layout(new TensorInfo(name(t), dtype, shape, 0), Storage.STRINGS);
        }
        TensorInfo info = new TensorInfo(name(t), dtype, shape, bytes);
        if (strings) throw new IllegalArgumentException("holds string_data but has data type " + dtype);
        if (external) return new Layout(info, Storage.EXTERNAL);
        if (rawRef) return new Layout(info, Storage.RAW_REF);
        if (rawInline) {
            if (t.getRawData().size() != bytes) throw rawLengthMismatch(t.getRawData().size(), info);
            return new Layout(info, Storage.RAW_INLINE);
        }
        if (typedFields == 0) {
            if (bytes != 0) throw new IllegalArgumentException("has no data for its " + shape.elementCount() + " elements");
            return new Layout(info, Storage.EMPTY);
        }
        long expected = typedCount(dtype, shape.elementCount(), bytes);
        long actual = switch (typedField(dtype)) {
            case 4 -> t.getFloatDataCount();
            case 5 -> t.getInt32DataCount();
            case 7 -> t.getInt64DataCount();
            case 10 -> t.getDoubleDataCount();
            default -> t.getUint64DataCount();
        };
        if (actual == 0) throw new IllegalArgumentException("stores " + dtype + " values in a typed list that does not fit the type");
        if (actual != expected) {
            throw new IllegalArgumentException("holds " + actual + " typed values, its shape " + shape + " of " + dtype + " needs " + expected);
        }
        return new Layout(info, Storage.TYPED);
    }

    static IllegalArgumentException rawLengthMismatch(long actual, TensorInfo info) {
        return new IllegalArgumentException("raw_data holds " + actual + " bytes, its shape " + info.shape() + " of "
                + info.dtype() + " needs " + info.byteSize());
    }

    static String name(TensorProto t) { return t.getName(); }

    /** The field number of the typed list that carries {@code dtype}. */
    static int typedField(ScalarType dtype) {
        return switch (dtype) {
            case F32, C64 -> 4;
            case F64, C128 -> 10;
            case I64 -> 7;
            case U32, U64 -> 11;
            default -> 5;
        };
    }

    /** Entries the typed list must hold for {@code elements} values taking {@code bytes} bytes. */
    private static long typedCount(ScalarType dtype, long elements, long bytes) {
        return switch (dtype) {
            case C64, C128 -> 2 * elements;
            case F32, F64, I64, U32, U64 -> elements;
            default -> dtype.blockSize() > 1 ? bytes : elements; // packed sub-byte types: one byte per entry
        };
    }

    /** Bytes each int32_data entry contributes for {@code dtype}. */
    private static int int32Width(ScalarType dtype) {
        return dtype.blockSize() > 1 ? 1 : dtype.bytesPerBlock();
    }

    /**
     * Converts typed lists into {@code info.byteSize()} little-endian bytes allocated in {@code arena}.
     * Only small tensors are stored this way in practice (exporters use raw_data for weights).
     */
    static MemorySegment convertTyped(TensorProto t, TensorInfo info, Arena arena) {
        ScalarType dtype = (ScalarType) info.dtype();
        MemorySegment out = arena.allocate(Math.max(1, info.byteSize()), 8).asSlice(0, info.byteSize());
        switch (typedField(dtype)) {
            case 4 -> { for (int i = 0; i < t.getFloatDataCount(); i++) out.set(F32_LE, 4L * i, t.getFloatData(i)); }
            case 10 -> { for (int i = 0; i < t.getDoubleDataCount(); i++) out.set(F64_LE, 8L * i, t.getDoubleData(i)); }
            case 7 -> { for (int i = 0; i < t.getInt64DataCount(); i++) out.set(I64_LE, 8L * i, t.getInt64Data(i)); }
            case 11 -> {
                for (int i = 0; i < t.getUint64DataCount(); i++) {
                    if (dtype == ScalarType.U32) out.set(I32_LE, 4L * i, (int) t.getUint64Data(i));
                    else out.set(I64_LE, 8L * i, t.getUint64Data(i));
                }
            }
            default -> {
                int w = int32Width(dtype);
                for (int i = 0; i < t.getInt32DataCount(); i++) {
                    int v = t.getInt32Data(i);
                    switch (w) {
                        case 1 -> out.set(ValueLayout.JAVA_BYTE, i, (byte) v);
                        case 2 -> out.set(I16_LE, 2L * i, (short) v);
                        default -> out.set(I32_LE, 4L * i, v);
                    }
                }
            }
        }
        return out;
    }

    /** The value of {@code key} in a tensor's external_data, or null. */
    static String externalValue(TensorProto t, String key) {
        String found = null;
        for (StringStringEntryProto e : t.getExternalDataList()) if (e.getKey().equals(key)) found = e.getValue();
        return found;
    }

    /** True if the element type is one squint can describe with a fixed byte size. */
    static boolean isDense(DType dtype) {
        return dtype != ScalarType.STRING;
    }
}
