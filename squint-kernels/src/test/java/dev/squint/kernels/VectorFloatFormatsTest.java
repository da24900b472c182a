package dev.squint.kernels;

import dev.squint.core.codec.FloatFormats;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

class VectorFloatFormatsTest {

    static final int[] SIZES = {0, 1, 2, 3, 7, 8, 15, 16, 17, 31, 33, 47, 63, 64, 65, 100, 257, 1001};
    static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Floats that hit every branch: FP16/BF16 specials, ties, subnormals of both widths, NaN payloads. */
    static float[] trickyFloats(int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] special = {0f, -0f, 1f, -1f, 65504f, 65519.99f, 65520f, -65520f, 0x1p-14f, 0x1p-24f, 0x1p-25f, 0x1.8p-24f,
                Float.MIN_VALUE, -Float.MIN_VALUE, Float.MAX_VALUE, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
                Float.NaN, Float.intBitsToFloat(0x7F80_0001), Float.intBitsToFloat(0xFFBF_FFFF), Float.intBitsToFloat(0x7FC1_2345),
                1f + 0x1p-11f, 1f + 3 * 0x1p-11f, Float.intBitsToFloat(0x3F80_8000), Float.intBitsToFloat(0x3F81_8000),
                Float.intBitsToFloat(0x7F7F_FFFF), Float.intBitsToFloat(0x0000_8000)};
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = switch (rnd.nextInt(4)) {
                case 0 -> special[rnd.nextInt(special.length)];
                case 1 -> Float.intBitsToFloat(rnd.nextInt()); // any bit pattern, NaNs included
                case 2 -> (float) (rnd.nextGaussian() * Math.scalb(1.0, rnd.nextInt(-30, 20)));
                default -> FloatFormats.f16ToF32((short) rnd.nextInt(65536));
            };
        }
        return out;
    }

    @Test
    void encodersMatchScalarTwinsBitForBitAtOddSizesAndOffsets() {
        try (Arena arena = Arena.ofConfined()) {
            for (int n : SIZES) {
                for (int srcOff : new int[] {0, 3}) {
                    for (long dstOff : new long[] {0, 2, 6, 1}) { // 1: an odd byte offset that can never be aligned
                        float[] src = trickyFloats(n + srcOff, n * 31L + srcOff);
                        for (MemorySegment[] pair : new MemorySegment[][] {
                                {MemorySegment.ofArray(new byte[2 * n + 8]), MemorySegment.ofArray(new byte[2 * n + 8])},
                                {arena.allocate(2 * n + 8, 64), arena.allocate(2 * n + 8, 64)}}) {
                            pair[0].fill((byte) 0x55);
                            pair[1].fill((byte) 0x55);
                            FloatFormats.f32ToF16Row(src, srcOff, pair[0], dstOff, n);
                            VectorFloatFormats.f32ToF16Row(src, srcOff, pair[1], dstOff, n);
                            assertThat(pair[1].toArray(ValueLayout.JAVA_BYTE)).as("f16 n=%d off=%d", n, dstOff).isEqualTo(pair[0].toArray(ValueLayout.JAVA_BYTE));
                            FloatFormats.f32ToBf16Row(src, srcOff, pair[0], dstOff, n);
                            VectorFloatFormats.f32ToBf16Row(src, srcOff, pair[1], dstOff, n);
                            assertThat(pair[1].toArray(ValueLayout.JAVA_BYTE)).as("bf16 n=%d off=%d", n, dstOff).isEqualTo(pair[0].toArray(ValueLayout.JAVA_BYTE));
                        }
                    }
                }
            }
        }
    }

    @Test
    void decodersMatchScalarTwinsOnAll65536PatternsAndOddSizes() {
        MemorySegment all = MemorySegment.ofArray(new byte[2 * 65536 + 2]);
        for (int b = 0; b < 65536; b++) all.set(SHORT_LE, 2 + 2L * b, (short) b);
        for (long off : new long[] {2, 3}) { // 3: every value misaligned by a byte
            if (off == 3) {
                MemorySegment shifted = MemorySegment.ofArray(new byte[2 * 65536 + 4]);
                MemorySegment.copy(all, 2, shifted, 3, 2 * 65536);
                checkDecoders(shifted, off, 65536);
            } else {
                checkDecoders(all, off, 65536);
            }
        }
        SplittableRandom rnd = new SplittableRandom(3);
        for (int n : SIZES) {
            MemorySegment seg = MemorySegment.ofArray(new byte[2 * n + 6]);
            for (int i = 0; i < n + 3; i++) seg.set(SHORT_LE, 2L * i, (short) rnd.nextInt(65536));
            checkDecoders(seg, 2, n);
            checkDecoders(seg, 6, n - 2 < 0 ? 0 : n - 2);
        }
    }

    private static void checkDecoders(MemorySegment seg, long off, int n) {
        for (int dstOff : new int[] {0, 5}) {
            float[] a = new float[n + dstOff], b = new float[n + dstOff];
            FloatFormats.f16ToF32Row(seg, off, a, dstOff, n);
            VectorFloatFormats.f16ToF32Row(seg, off, b, dstOff, n);
            for (int i = 0; i < a.length; i++) assertThat(Float.floatToRawIntBits(b[i])).as("f16 element %d of %d", i, n).isEqualTo(Float.floatToRawIntBits(a[i]));
            FloatFormats.bf16ToF32Row(seg, off, a, dstOff, n);
            VectorFloatFormats.bf16ToF32Row(seg, off, b, dstOff, n);
            for (int i = 0; i < a.length; i++) assertThat(Float.floatToRawIntBits(b[i])).as("bf16 element %d of %d", i, n).isEqualTo(Float.floatToRawIntBits(a[i]));
        }
    }

    @Test
    void headAlignsNativeSegmentsAndSkipsOddAddresses() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(1024, 64);
            int vbytes = Species.S.vectorByteSize();
            assertThat(VectorFloatFormats.head(seg, 0, 100)).isZero();
            assertThat(VectorFloatFormats.head(seg, 2, 100)).isEqualTo(Math.min(100, (vbytes - 2) / 2));
            assertThat(VectorFloatFormats.head(seg, 2, 1)).isEqualTo(1);
            assertThat(VectorFloatFormats.head(seg, 3, 100)).isZero();
        }
    }
}
