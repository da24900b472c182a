package dev.squint.core.codec;

import dev.squint.core.GgmlType;

import java.lang.foreign.MemorySegment;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Finds the codec of a ggml type, and quantizes whole chunks as {@code ggml_quantize_chunk} does. */
public final class Codecs {
    private static final Map<GgmlType, BlockCodec> BY_TYPE = new EnumMap<>(GgmlType.class);
    static {
        for (List<BlockCodec> family : List.of(FloatCodecs.all(), GgmlBlockCodecs.all(), KQuantCodecs.all(), GridCodecs.all())) {
            for (BlockCodec c : family) BY_TYPE.put(c.type(), c);
        }
    }

    private Codecs() {}

    public static Optional<BlockCodec> find(GgmlType type) {
        return Optional.ofNullable(BY_TYPE.get(type));
    }

    public static BlockCodec of(GgmlType type) {
        BlockCodec c = BY_TYPE.get(type);
        if (c == null) throw new IllegalArgumentException("no codec for ggml type " + type + "; supported: " + BY_TYPE.keySet());
        return c;
    }

    /**
     * Quantizes {@code rows} rows of {@code nPerRow} floats into {@code dst}, as
     * {@code ggml_quantize_chunk(type, src, dst, 0, rows, nPerRow, importance)}.
     *
     * @return bytes written
     */
    public static long quantizeChunk(GgmlType type, float[] src, int srcOffset, int rows, int nPerRow,
                                     MemorySegment dst, long dstOffset, float[] importance) {
        BlockCodec c = of(type);
        if (nPerRow % type.blockSize() != 0) {
            throw new IllegalArgumentException(type + ": row length " + nPerRow + " is not a multiple of the block size " + type.blockSize());
        }
        if (c.requiresImportance() && importance == null) {
            throw new IllegalArgumentException(type + " needs an importance matrix (as in llama.cpp)");
        }
        long rowBytes = c.rowBytes(nPerRow);
        for (int r = 0; r < rows; r++) {
            c.quantizeRow(src, srcOffset + r * nPerRow, nPerRow, dst, dstOffset + r * rowBytes, importance);
        }
        return rows * rowBytes;
    }
}
