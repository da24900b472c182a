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
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Row kernels for each type, all byte-identical to the scalar codecs ({@link Codecs}): the Vector
 * API ones (K-quant quantizers, {@link VectorCodecs}) or the scalar codecs themselves.
 *
 * <p>Which is faster depends on how many weights a run gives the kernel. A Vector API kernel runs
 * 20–100 times slower than its steady state until C2 has compiled it (every vector operation is a
 * Java fallback that allocates), and compiling it costs C2 time too: about a second of CPU per
 * kernel on this machine's class, measured, against 0.1–0.3 s for a scalar codec, which C2 compiles
 * quickly and partly auto-vectorizes. So a whole-model run uses the vector kernel of a type only
 * when the plan gives that type at least {@link #VECTOR_MIN_WEIGHTS} weights; a type that covers
 * one or two small tensors (Q4_0's Q6_K output tensor, say) uses the scalar codec. FP16 and BF16
 * decoding are scalar loops over {@link Float#float16ToFloat}, an intrinsic that C2 auto-vectorizes
 * with no warm-up worth mentioning, and as fast as the Vector API version once both are compiled.
 */
final class RowKernels {
    private RowKernels() {}

    /** Weights of one type in a run from which its Vector API kernels repay their JIT warm-up. */
    static final long VECTOR_MIN_WEIGHTS = 64L << 20;

    private static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @FunctionalInterface
    interface Quantize {
        void row(float[] src, int srcOffset, int n, MemorySegment dst, long dstOffset, float[] importance);
    }

    @FunctionalInterface
    interface Dequantize {
        void row(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n);
    }

    /** The quantizer for {@code type}: its Vector API kernel when {@code vector} and one exists, else the scalar codec. */
    static Quantize quantizer(GgmlType type, boolean vector) {
        if (!vector) return scalar(type)::quantizeRow;
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

    /** The dequantizer for {@code type}: as {@link #quantizer}; FP16 and BF16 always decode with scalar loops (see above). */
    static Dequantize dequantizer(GgmlType type, boolean vector) {
        if (type == GgmlType.F16) return RowKernels::f16ToF32;
        if (type == GgmlType.BF16) return RowKernels::bf16ToF32;
        if (!vector) return scalar(type)::dequantizeRow;
        return switch (type) {
            case Q4_K -> KQuantVectorKernels::dequantizeQ4K;
            case Q6_K -> KQuantVectorKernels::dequantizeQ6K;
            default -> {
                BlockCodec c = codec(type);
                yield c::dequantizeRow;
            }
        };
    }

    /** FP16 to float32 (bit-exact with {@code FloatFormats}, NaNs made quiet as F16C does); C2 vectorizes the loop. */
    static void f16ToF32(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
        for (int i = 0; i < n; i++) dst[dstOffset + i] = Float.float16ToFloat(src.get(SHORT_LE, srcOffset + 2L * i));
    }

    static void bf16ToF32(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
        for (int i = 0; i < n; i++) dst[dstOffset + i] = Float.intBitsToFloat((src.get(SHORT_LE, srcOffset + 2L * i) & 0xFFFF) << 16);
    }

    private static BlockCodec scalar(GgmlType type) {
        return Codecs.find(type).orElseThrow(() -> new SquintException("no codec for tensor type " + type));
    }

    private static BlockCodec codec(GgmlType type) {
        if (Codecs.find(type).isEmpty()) {
            throw new SquintException("no codec for tensor type " + type);
        }
        return VectorCodecs.of(type);
    }
}
