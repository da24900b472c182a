package dev.squint.core.codec;

import dev.squint.core.GgmlType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * What the K-quant codecs share: super-blocks of {@link #QK_K} = 256 values, argument checks,
 * and little-endian field access.
 *
 * <p>Input rules (the same for every K-quant): {@code n} must be a non-negative multiple of 256,
 * else {@link IllegalArgumentException} (ggml only asserts this, and llama-quantize falls back to
 * another type for such rows). Quantizing NaN or ±Inf is refused with an
 * {@link IllegalArgumentException} naming the index: ggml has no defined result for them (its
 * {@code nearest_int} trick silently turns them into arbitrary levels), so no byte-exact behaviour
 * exists to match. Importance weights must be finite too. Finite inputs large enough to overflow
 * ggml's float sums (|x| above ~1e19) give whatever ggml's float arithmetic gives.
 */
abstract class KQuantCodec implements BlockCodec {
    static final int QK_K = 256;

    static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat LE_FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final GgmlType type;

    KQuantCodec(GgmlType type) {
        this.type = type;
    }

    @Override
    public final GgmlType type() {
        return type;
    }

    @Override
    public GgmlType vecDotType() {
        return GgmlType.Q8_K;
    }

    /** Checks {@code n} and returns the number of super-blocks. */
    final int blocks(int n) {
        if (n < 0 || n % QK_K != 0) {
            throw new IllegalArgumentException(type + ": row length " + n + " is not a multiple of " + QK_K);
        }
        return n / QK_K;
    }

    /** Checks a quantizer's arguments: length, bounds, finiteness. Returns the number of super-blocks. */
    final int checkQuantizeArgs(float[] src, int srcOffset, int n, float[] importance) {
        int nb = blocks(n);
        java.util.Objects.checkFromIndexSize(srcOffset, n, src.length);
        for (int i = 0; i < n; i++) {
            if (!Float.isFinite(src[srcOffset + i])) {
                throw new IllegalArgumentException(type + ": cannot quantize non-finite value " + src[srcOffset + i] + " at index " + i);
            }
        }
        if (importance != null) {
            if (importance.length < n) {
                throw new IllegalArgumentException(type + ": importance has " + importance.length + " weights, row has " + n + " values");
            }
            for (int i = 0; i < n; i++) {
                if (!Float.isFinite(importance[i])) {
                    throw new IllegalArgumentException(type + ": non-finite importance weight " + importance[i] + " at column " + i);
                }
            }
        }
        return nb;
    }

    static float fp16At(MemorySegment s, long off) {
        return Float.float16ToFloat(s.get(LE_SHORT, off));
    }

    static int u8(MemorySegment s, long off) {
        return s.get(ValueLayout.JAVA_BYTE, off) & 0xFF;
    }

    static int s8(MemorySegment s, long off) {
        return s.get(ValueLayout.JAVA_BYTE, off);
    }

    static void putFp16(byte[] b, int off, float v) {
        short h = Float.floatToFloat16(v);
        b[off] = (byte) h;
        b[off + 1] = (byte) (h >> 8);
    }

    static float fp16At(byte[] b, int off) {
        return Float.float16ToFloat((short) ((b[off] & 0xFF) | (b[off + 1] << 8)));
    }

    /** Reads one block (or any byte range) from a segment into a scratch array. */
    static void load(MemorySegment src, long srcOffset, byte[] block) {
        MemorySegment.copy(src, ValueLayout.JAVA_BYTE, srcOffset, block, 0, block.length);
    }

    static float leFloat(byte[] b, int off) {
        return Float.intBitsToFloat((b[off] & 0xFF) | (b[off + 1] & 0xFF) << 8 | (b[off + 2] & 0xFF) << 16 | b[off + 3] << 24);
    }

    static int leShort(byte[] b, int off) {
        return (short) ((b[off] & 0xFF) | (b[off + 1] << 8));
    }

    /** Writes one finished block from the scratch array into the destination segment. */
    static void store(byte[] block, MemorySegment dst, long dstOffset) {
        MemorySegment.copy(block, 0, dst, ValueLayout.JAVA_BYTE, dstOffset, block.length);
    }
}
