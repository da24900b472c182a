package dev.squint.quantize;

import dev.squint.core.GgmlType;
import dev.squint.core.SquintException;
import dev.squint.core.codec.BlockCodec;
import dev.squint.core.codec.Codecs;
import dev.squint.kernels.KQuantVectorKernels;
import dev.squint.kernels.Q6KVectorQuantizer;
import dev.squint.kernels.ScaleMinKVectorQuantizer;
import dev.squint.kernels.VectorCodecs;
import dev.squint.kernels.VectorFloatFormats;

import java.lang.foreign.MemorySegment;

/**
 * The fastest row kernels squint has for each type, all byte-identical to the scalar codecs
 * ({@link Codecs}): Vector API quantizers for the K-quants that dominate the mixes, vector float
 * conversions, {@link VectorCodecs} for the rest.
 */
final class RowKernels {
    private RowKernels() {}

    @FunctionalInterface
    interface Quantize {
        void row(float[] src, int srcOffset, int n, MemorySegment dst, long dstOffset, float[] importance);
    }

    @FunctionalInterface
    interface Dequantize {
        void row(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n);
    }

    static Quantize quantizer(GgmlType type) {
        return switch (type) {
            case Q4_K -> ScaleMinKVectorQuantizer::quantizeQ4K;
            case Q5_K -> ScaleMinKVectorQuantizer::quantizeQ5K;
            case Q6_K -> Q6KVectorQuantizer::quantize;
            case F16 -> (s, so, n, d, dof, imp) -> VectorFloatFormats.f32ToF16Row(s, so, d, dof, n);
            case BF16 -> (s, so, n, d, dof, imp) -> VectorFloatFormats.f32ToBf16Row(s, so, d, dof, n);
            default -> {
                BlockCodec c = codec(type);
                yield c::quantizeRow;
            }
        };
    }

    static Dequantize dequantizer(GgmlType type) {
        return switch (type) {
            case Q4_K -> KQuantVectorKernels::dequantizeQ4K;
            case Q6_K -> KQuantVectorKernels::dequantizeQ6K;
            case F16 -> VectorFloatFormats::f16ToF32Row;
            case BF16 -> VectorFloatFormats::bf16ToF32Row;
            default -> {
                BlockCodec c = codec(type);
                yield c::dequantizeRow;
            }
        };
    }

    private static BlockCodec codec(GgmlType type) {
        if (Codecs.find(type).isEmpty()) {
            throw new SquintException("no codec for tensor type " + type);
        }
        return VectorCodecs.of(type);
    }
}
