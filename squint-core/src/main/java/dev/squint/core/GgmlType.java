package dev.squint.core;

import java.util.Optional;

/**
 * The ggml tensor types. <b>The ordinal of each constant is its GGUF type id</b>, so the order
 * here is fixed by ggml.h and must never change; ids that ggml retired keep a placeholder
 * ({@link #isRetired()}) so later ordinals stay right.
 *
 * <p>Block size is elements per block; bytes per block includes the block's scales.
 */
public enum GgmlType implements DType {
    F32(1, 4),          // 0
    F16(1, 2),          // 1
    Q4_0(32, 18),       // 2
    Q4_1(32, 20),       // 3
    RETIRED_Q4_2(0, 0), // 4
    RETIRED_Q4_3(0, 0), // 5
    Q5_0(32, 22),       // 6
    Q5_1(32, 24),       // 7
    Q8_0(32, 34),       // 8
    Q8_1(32, 36),       // 9
    Q2_K(256, 84),      // 10
    Q3_K(256, 110),     // 11
    Q4_K(256, 144),     // 12
    Q5_K(256, 176),     // 13
    Q6_K(256, 210),     // 14
    Q8_K(256, 292),     // 15
    IQ2_XXS(256, 66),   // 16
    IQ2_XS(256, 74),    // 17
    IQ3_XXS(256, 98),   // 18
    IQ1_S(256, 50),     // 19
    IQ4_NL(32, 18),     // 20
    IQ3_S(256, 110),    // 21
    IQ2_S(256, 82),     // 22
    IQ4_XS(256, 136),   // 23
    I8(1, 1),           // 24
    I16(1, 2),          // 25
    I32(1, 4),          // 26
    I64(1, 8),          // 27
    F64(1, 8),          // 28
    IQ1_M(256, 56),     // 29
    BF16(1, 2),         // 30
    RETIRED_Q4_0_4_4(0, 0),   // 31
    RETIRED_Q4_0_4_8(0, 0),   // 32
    RETIRED_Q4_0_8_8(0, 0),   // 33
    TQ1_0(256, 54),     // 34
    TQ2_0(256, 66),     // 35
    RETIRED_IQ4_NL_4_4(0, 0), // 36
    RETIRED_IQ4_NL_4_8(0, 0), // 37
    RETIRED_IQ4_NL_8_8(0, 0), // 38
    MXFP4(32, 17);      // 39

    private final int blockSize;
    private final int bytesPerBlock;

    GgmlType(int blockSize, int bytesPerBlock) {
        this.blockSize = blockSize;
        this.bytesPerBlock = bytesPerBlock;
    }

    /** The GGUF type id. */
    public int id() { return ordinal(); }

    @Override public int blockSize() { return blockSize; }

    @Override public int bytesPerBlock() { return bytesPerBlock; }

    /** Ids ggml no longer defines (files holding them are refused). */
    public boolean isRetired() { return blockSize == 0; }

    /** F32, F16, BF16, F64 and the integer types: one element per "block". */
    public boolean isScalar() { return blockSize == 1; }

    /** The canonical dtype of a tensor stored with this ggml type (see {@link DType}). */
    public DType toDType() {
        return switch (this) {
            case F32 -> ScalarType.F32;
            case F16 -> ScalarType.F16;
            case BF16 -> ScalarType.BF16;
            case F64 -> ScalarType.F64;
            case I8 -> ScalarType.I8;
            case I16 -> ScalarType.I16;
            case I32 -> ScalarType.I32;
            case I64 -> ScalarType.I64;
            default -> this;
        };
    }

    /** The ggml type that stores a dtype in GGUF, if GGUF can hold it. */
    public static Optional<GgmlType> of(DType dtype) {
        if (dtype instanceof GgmlType g) return g.isRetired() ? Optional.empty() : Optional.of(g);
        ScalarType s = (ScalarType) dtype;
        return s.ggmlId() < 0 ? Optional.empty() : Optional.of(values()[s.ggmlId()]);
    }

    /** The type with this GGUF id, if it is a current ggml type. */
    public static Optional<GgmlType> fromId(long id) {
        if (id < 0 || id >= values().length) return Optional.empty();
        GgmlType t = values()[(int) id];
        return t.isRetired() ? Optional.empty() : Optional.of(t);
    }

    /** Looks a type up by name, case-insensitively ({@code q4_k} works). */
    public static Optional<GgmlType> fromName(String name) {
        for (GgmlType t : values()) {
            if (!t.isRetired() && t.name().equalsIgnoreCase(name)) return Optional.of(t);
        }
        return Optional.empty();
    }
}
