package dev.squint.core.codec;

import dev.squint.core.GgmlType;

import java.lang.foreign.MemorySegment;

/**
 * One ggml tensor type's traits, as ggml's {@code type_traits} triplet: a reference quantizer that
 * is bit-exact with ggml's ({@code ggml_quantize_chunk}), a dequantizer, and a dot product against
 * a row of the activation type it pairs with ({@link #vecDotType()}).
 *
 * <p>Quantized bytes live in {@link MemorySegment}s (a mapped file, an off-heap buffer or
 * {@code MemorySegment.ofArray(byte[])}); floats in {@code float[]}. Offsets are in bytes for
 * segments and in elements for arrays. {@code n} is always a multiple of the block size.
 * Implementations are stateless and thread-safe, and allocate nothing per block.
 */
public interface BlockCodec {

    GgmlType type();

    /** The type activations are quantized to for {@link #dot} (e.g. Q8_0 for Q4_0, Q8_K for the K-quants). */
    GgmlType vecDotType();

    /** True if ggml refuses to quantize this type without an importance matrix. */
    default boolean requiresImportance() {
        return false;
    }

    /**
     * Quantizes one row of {@code n} floats exactly as ggml does.
     *
     * @param importance per-column importance weights ({@code n} values from index 0), or null; types
     *                   that ignore importance (Q8_0, TQ1_0, ...) accept and ignore it
     */
    void quantizeRow(float[] src, int srcOffset, int n, MemorySegment dst, long dstOffset, float[] importance);

    /** Dequantizes one row of {@code n} values. */
    void dequantizeRow(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n);

    /** Dot product of {@code n} values: {@code x} is a row of this type, {@code y} a row of {@link #vecDotType()}. */
    float dot(int n, MemorySegment x, long xOffset, MemorySegment y, long yOffset);

    /** Bytes one row of {@code n} values takes. */
    default long rowBytes(long n) {
        return type().bytesFor(n);
    }
}
