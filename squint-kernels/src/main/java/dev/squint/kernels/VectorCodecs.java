package dev.squint.kernels;

import dev.squint.core.GgmlType;
import dev.squint.core.codec.BlockCodec;
import dev.squint.core.codec.Codecs;

import java.lang.foreign.MemorySegment;
import java.util.EnumMap;
import java.util.Map;

/**
 * The fastest codec squint has for a ggml type: the scalar reference codec ({@link Codecs#of}) with
 * each operation replaced by its Vector API twin where one exists ({@link LegacyQuantKernels},
 * {@link NonLinearKernels}).
 * Results are identical to the scalar codec's, operation by operation (the kernels' tests check it),
 * so callers can use this everywhere the reference codec is specified.
 */
public final class VectorCodecs {
    private VectorCodecs() {}

    private static final Map<GgmlType, BlockCodec> CACHE = new EnumMap<>(GgmlType.class);

    /** The codec of {@code type}; throws {@link IllegalArgumentException} if squint has none. */
    public static synchronized BlockCodec of(GgmlType type) {
        return CACHE.computeIfAbsent(type, t -> {
            BlockCodec scalar = Codecs.of(t);
            boolean any = LegacyQuantKernels.canQuantize(t) || LegacyQuantKernels.canDequantize(t) || LegacyQuantKernels.canDot(t)
                    || iq4Search(t);
            return any ? new Accelerated(scalar) : scalar;
        });
    }

    private static boolean iq4Search(GgmlType t) {
        return NonLinearKernels.AVAILABLE && (t == GgmlType.IQ4_NL || t == GgmlType.IQ4_XS);
    }

    private record Accelerated(BlockCodec scalar) implements BlockCodec {
        @Override public GgmlType type() { return scalar.type(); }

        @Override public GgmlType vecDotType() { return scalar.vecDotType(); }

        @Override public boolean requiresImportance() { return scalar.requiresImportance(); }

        @Override
        public void quantizeRow(float[] src, int srcOffset, int n, MemorySegment dst, long dstOffset, float[] importance) {
            // Q8_0/Q8_1 ignore importance (as ggml), so their vector quantizer serves both cases
            boolean ignoresImportance = type() == GgmlType.Q8_0 || type() == GgmlType.Q8_1;
            if ((importance == null || ignoresImportance) && LegacyQuantKernels.canQuantize(type())) {
                LegacyQuantKernels.quantize(type(), src, srcOffset, n, dst, dstOffset);
            } else if (iq4Search(type())) {
                NonLinearKernels.quantize(type(), src, srcOffset, n, dst, dstOffset, importance);
            } else {
                scalar.quantizeRow(src, srcOffset, n, dst, dstOffset, importance);
            }
        }

        @Override
        public void dequantizeRow(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
            if (LegacyQuantKernels.canDequantize(type())) LegacyQuantKernels.dequantize(type(), src, srcOffset, dst, dstOffset, n);
            else if (iq4Search(type()) && type() == GgmlType.IQ4_XS) NonLinearKernels.dequantizeIq4Xs(src, srcOffset, dst, dstOffset, n);
            else scalar.dequantizeRow(src, srcOffset, dst, dstOffset, n);
        }

        @Override
        public float dot(int n, MemorySegment x, long xOffset, MemorySegment y, long yOffset) {
            if (LegacyQuantKernels.canDot(type())) return LegacyQuantKernels.dot(type(), n, x, xOffset, y, yOffset);
            if (iq4Search(type()) && type() == GgmlType.IQ4_XS) return NonLinearKernels.dotIq4XsQ8K(n, x, xOffset, y, yOffset);
            return scalar.dot(n, x, xOffset, y, yOffset);
        }
    }
}
