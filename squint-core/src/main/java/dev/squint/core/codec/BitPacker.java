package dev.squint.core.codec;

/**
 * Packs unsigned codes of 1 to 8 bits into a little-endian bit stream: code {@code i} occupies
 * stream bits {@code [i*bits, (i+1)*bits)}, and stream bit {@code k} is bit {@code k % 8} of byte
 * {@code k / 8}. So 4-bit codes put element 0 in the low nibble, 8-bit codes are plain bytes, and
 * 3-bit codes straddle byte boundaries. {@code count} codes take {@code ceil(count * bits / 8)} bytes;
 * the unused high bits of the last byte are zero.
 */
public final class BitPacker {
    private BitPacker() {}

    /** Bytes needed for {@code count} codes of {@code bits} bits. */
    public static long packedBytes(long count, int bits) {
        checkBits(bits);
        return Math.ceilDiv(Math.multiplyExact(count, (long) bits), 8L);
    }

    /** Writes code {@code value} (only its low {@code bits} bits) at index {@code i}; {@code dst} must start zeroed there. */
    public static void put(byte[] dst, long i, int bits, int value) {
        long bit = i * bits;
        int idx = (int) (bit >>> 3);
        int shift = (int) (bit & 7);
        int v = (value & ((1 << bits) - 1)) << shift; // at most 15 bits wide
        dst[idx] |= (byte) v;
        if (shift + bits > 8) dst[idx + 1] |= (byte) (v >>> 8);
    }

    /** Reads the code at index {@code i}. */
    public static int get(byte[] src, long i, int bits) {
        long bit = i * bits;
        int idx = (int) (bit >>> 3);
        int shift = (int) (bit & 7);
        int v = (src[idx] & 0xFF) >>> shift;
        if (shift + bits > 8) v |= (src[idx + 1] & 0xFF) << (8 - shift);
        return v & ((1 << bits) - 1);
    }

    /** Packs {@code codes} (each in {@code [0, 2^bits)}) into a new array. */
    public static byte[] pack(int[] codes, int bits) {
        byte[] out = new byte[Math.toIntExact(packedBytes(codes.length, bits))];
        for (int i = 0; i < codes.length; i++) {
            if (codes[i] >>> bits != 0) throw new IllegalArgumentException("code " + codes[i] + " at " + i + " does not fit in " + bits + " bits");
            put(out, i, bits, codes[i]);
        }
        return out;
    }

    /** Unpacks {@code count} codes. */
    public static int[] unpack(byte[] packed, int count, int bits) {
        checkBits(bits);
        if (packed.length < packedBytes(count, bits)) throw new IllegalArgumentException(count + " codes of " + bits + " bits need " + packedBytes(count, bits) + " bytes, got " + packed.length);
        int[] out = new int[count];
        for (int i = 0; i < count; i++) out[i] = get(packed, i, bits);
        return out;
    }

    private static void checkBits(int bits) {
        if (bits < 1 || bits > 8) throw new IllegalArgumentException("code width must be 1..8 bits, got " + bits);
    }
}
