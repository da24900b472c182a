package dev.squint.core;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Scalar element types: every safetensors dtype, every ONNX {@code TensorProto.DataType} and the
 * non-block ggml types. Each knows its name in each container (or none where the container lacks it).
 */
public enum ScalarType implements DType {
    //       bits  safetensors  onnx  ggml
    F64(       64, "F64",        11,   28),
    F32(       32, "F32",         1,    0),
    F16(       16, "F16",        10,    1),
    BF16(      16, "BF16",       16,   30),
    F8_E4M3FN(  8, "F8_E4M3",    17,   -1),
    F8_E4M3FNUZ(8, null,         18,   -1),
    F8_E5M2(    8, "F8_E5M2",    19,   -1),
    F8_E5M2FNUZ(8, null,         20,   -1),
    F8_E8M0(    8, "F8_E8M0",    24,   -1),
    F4_E2M1(    4, "F4",         23,   -1),
    I64(       64, "I64",         7,   27),
    I32(       32, "I32",         6,   26),
    I16(       16, "I16",         5,   25),
    I8(         8, "I8",          3,   24),
    U64(       64, "U64",        13,   -1),
    U32(       32, "U32",        12,   -1),
    U16(       16, "U16",         4,   -1),
    U8(         8, "U8",          2,   -1),
    I4(         4, null,         22,   -1),
    U4(         4, null,         21,   -1),
    I2(         2, null,         26,   -1),
    U2(         2, null,         25,   -1),
    BOOL(       8, "BOOL",        9,   -1),
    C64(       64, "C64",        14,   -1),
    C128(     128, null,         15,   -1),
    /** ONNX strings: variable length, no fixed byte size. */
    STRING(     0, null,          8,   -1);

    private final int bits;
    private final String safetensorsName;
    private final int onnxId;
    private final int ggmlId;

    ScalarType(int bits, String safetensorsName, int onnxId, int ggmlId) {
        this.bits = bits;
        this.safetensorsName = safetensorsName;
        this.onnxId = onnxId;
        this.ggmlId = ggmlId;
    }

    public int bits() { return bits; }

    @Override public int blockSize() { return bits == 0 || bits >= 8 ? 1 : 8 / bits; }

    @Override public int bytesPerBlock() { return bits == 0 ? 0 : Math.max(1, bits / 8); }

    @Override public double bitsPerElement() { return bits; }

    public boolean isFloatingPoint() {
        return switch (this) {
            case F64, F32, F16, BF16, F8_E4M3FN, F8_E4M3FNUZ, F8_E5M2, F8_E5M2FNUZ, F8_E8M0, F4_E2M1 -> true;
            default -> false;
        };
    }

    /** The safetensors dtype string, if safetensors has this type. */
    public Optional<String> safetensorsName() { return Optional.ofNullable(safetensorsName); }

    /** The ONNX {@code TensorProto.DataType} number. */
    public int onnxId() { return onnxId; }

    /** The ggml type id, or -1 if ggml has no such scalar type. */
    public int ggmlId() { return ggmlId; }

    private static final Map<String, ScalarType> BY_SAFETENSORS = new HashMap<>();
    private static final Map<Integer, ScalarType> BY_ONNX = new HashMap<>();
    static {
        for (ScalarType t : values()) {
            if (t.safetensorsName != null) BY_SAFETENSORS.put(t.safetensorsName, t);
            BY_ONNX.put(t.onnxId, t);
        }
    }

    public static Optional<ScalarType> fromSafetensors(String name) {
        return Optional.ofNullable(BY_SAFETENSORS.get(name));
    }

    public static Optional<ScalarType> fromOnnx(int dataType) {
        return Optional.ofNullable(BY_ONNX.get(dataType));
    }
}
