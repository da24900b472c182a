package dev.squint.core.codec;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

class FloatFormatsTest {

    /**
     * Independent reference: the value (as a double) that round-to-nearest-even gives in a binary
     * format with {@code manBits} stored mantissa bits and smallest normal exponent {@code minExp},
     * computed in double from the definition (quantum of the binade, rint of the exact quotient).
     * Past {@code max}: +Inf when {@code saturate} is false, else {@code max}.
     */
    static double referenceRound(float x, int manBits, int minExp, double max, boolean saturate) {
        double a = Math.abs((double) x);
        double r;
        if (a == 0) {
            r = 0;
        } else {
            int e = Math.max(Math.getExponent(a), minExp);
            double quantum = Math.scalb(1.0, e - manBits);
            r = Math.rint(a / quantum) * quantum; // a / quantum is exact: a has 24 significant bits
            if (r > max) r = saturate ? max : Double.POSITIVE_INFINITY;
        }
        if (Double.isInfinite(a)) r = saturate ? max : Double.POSITIVE_INFINITY;
        return Math.copySign(r, x);
    }

    private static void assertSameValue(float actual, double expected, float input) {
        assertThat(Double.doubleToRawLongBits(actual))
                .as("input %s (0x%08x): got %s, expected %s", input, Float.floatToRawIntBits(input), actual, expected)
                .isEqualTo(Double.doubleToRawLongBits(expected));
    }

    // ---------------------------------------------------------------- FP16

    @Test
    void f16DecodeMatchesJdkForAll65536Patterns() {
        for (int b = 0; b < 65536; b++) {
            float ours = FloatFormats.f16ToF32((short) b);
            float jdk = Float.float16ToFloat((short) b);
            assertThat(Float.floatToRawIntBits(ours)).as("0x%04x", b).isEqualTo(Float.floatToRawIntBits(jdk));
        }
        assertThat(FloatFormats.f16ToF32((short) 0x7BFF)).isEqualTo(65504f);
        assertThat(FloatFormats.f16ToF32((short) 0x0001)).isEqualTo(0x1p-24f);
        assertThat(FloatFormats.f16ToF32((short) 0x0400)).isEqualTo(0x1p-14f);
        assertThat(Float.floatToRawIntBits(FloatFormats.f16ToF32((short) 0x8000))).isEqualTo(0x8000_0000);
        assertThat(FloatFormats.f16ToF32((short) 0xFC00)).isEqualTo(Float.NEGATIVE_INFINITY);
    }

    @Test
    void f16DecodeThenEncodeRoundTripsAll65536Patterns() {
        int nans = 0;
        for (int b = 0; b < 65536; b++) {
            short h = (short) b;
            float f = FloatFormats.f16ToF32(h);
            short back = FloatFormats.f32ToF16(f);
            if ((b & 0x7C00) == 0x7C00 && (b & 0x3FF) != 0) {
                nans++;
                assertThat(Float.isNaN(f)).isTrue();
                assertThat(back & 0xFFFF).as("NaN 0x%04x", b).isEqualTo((b & 0x8000) | 0x7E00);
            } else {
                assertThat(back & 0xFFFF).as("0x%04x", b).isEqualTo(b);
            }
        }
        assertThat(nans).isEqualTo(2 * 1023);
    }

    @Test
    void f16EncodeMatchesReferenceOnEveryFloatAcrossSubnormalBoundaryAndOverflow() {
        // every float32 with magnitude in [2^-26, 2^-23) (underflow to zero and the smallest subnormals),
        // in [2^-16, 2^-13) (subnormal to normal), and in [60000, 70000) (the overflow threshold 65520)
        checkF16Range(Float.floatToRawIntBits(0x1p-26f), Float.floatToRawIntBits(0x1p-23f));
        checkF16Range(Float.floatToRawIntBits(0x1p-16f), Float.floatToRawIntBits(0x1p-13f));
        checkF16Range(Float.floatToRawIntBits(60000f), Float.floatToRawIntBits(70000f));
    }

    private static void checkF16Range(int fromBits, int toBits) {
        for (int bits = fromBits; bits < toBits; bits++) {
            for (int sign : new int[] {0, 0x8000_0000}) {
                float x = Float.intBitsToFloat(bits | sign);
                double want = referenceRound(x, 10, -14, 65504, false);
                float got = FloatFormats.f16ToF32(FloatFormats.f32ToF16(x));
                if (Double.doubleToRawLongBits(got) != Double.doubleToRawLongBits(want)) assertSameValue(got, want, x);
            }
        }
    }

    @Test
    void f16EncodeMatchesJdkOnAStridedSweepOfAllFloats() {
        // JDK 20+ Float.floatToFloat16 is IEEE round-to-nearest-even; only its NaN payload handling differs.
        for (long bits = 0; bits <= 0xFFFF_FFFFL; bits += 4099) {
            float x = Float.intBitsToFloat((int) bits);
            short ours = FloatFormats.f32ToF16(x);
            if (Float.isNaN(x)) {
                assertThat(ours & 0x7FFF).isEqualTo(0x7E00);
            } else {
                assertThat(ours).as("0x%08x", bits).isEqualTo(Float.floatToFloat16(x));
            }
        }
    }

    @Test
    void f16TiesRoundToEvenAndSpecialsAreRight() {
        // 1 + 2^-11 is halfway between 1 and 1+2^-10: ties to 1 (even); 1 + 3*2^-11 ties up to 1+2^-9
        assertThat(FloatFormats.f32ToF16(1f + 0x1p-11f)).isEqualTo((short) 0x3C00);
        assertThat(FloatFormats.f32ToF16(1f + 3 * 0x1p-11f)).isEqualTo((short) 0x3C02);
        // half the smallest subnormal ties to zero; a bit more rounds up to it
        assertThat(FloatFormats.f32ToF16(0x1p-25f)).isEqualTo((short) 0);
        assertThat(FloatFormats.f32ToF16(Math.nextUp(0x1p-25f))).isEqualTo((short) 1);
        assertThat(FloatFormats.f32ToF16(-0f)).isEqualTo((short) 0x8000);
        assertThat(FloatFormats.f32ToF16(65519.99f)).isEqualTo((short) 0x7BFF);
        assertThat(FloatFormats.f32ToF16(65520f)).isEqualTo((short) 0x7C00);
        assertThat(FloatFormats.f32ToF16(Float.NEGATIVE_INFINITY)).isEqualTo((short) 0xFC00);
        assertThat(FloatFormats.f32ToF16(Float.intBitsToFloat(0xFF80_0001))).isEqualTo((short) 0xFE00);
    }

    // ---------------------------------------------------------------- BF16

    @Test
    void bf16DecodeThenEncodeRoundTripsAll65536Patterns() {
        for (int b = 0; b < 65536; b++) {
            float f = FloatFormats.bf16ToF32((short) b);
            assertThat(Float.floatToRawIntBits(f)).isEqualTo(b << 16);
            int back = FloatFormats.f32ToBf16(f) & 0xFFFF;
            boolean nan = (b & 0x7F80) == 0x7F80 && (b & 0x7F) != 0;
            if (nan) {
                assertThat(back).as("NaN 0x%04x is kept and made quiet", b).isEqualTo(b | 0x40);
            } else {
                assertThat(back).as("0x%04x", b).isEqualTo(b);
            }
        }
    }

    @Test
    void bf16EncodeMatchesReferenceOnDenseRangesAndAStridedSweep() {
        // every float in [0.75, 3): several binades, all tie patterns; every float below 2^-124: FP32
        // subnormals, which BF16 keeps (no flush) and rounds; and a strided sweep of all bit patterns.
        checkBf16(Float.floatToRawIntBits(0.75f), Float.floatToRawIntBits(3f), 1);
        checkBf16(0, Float.floatToRawIntBits(0x1p-124f), 1);
        checkBf16(Float.floatToRawIntBits(0x1.fcp127f), 0x7F80_0001, 1); // the overflow threshold up to +Inf
        checkBf16(0, 0x7F80_0001, 3001);
    }

    private static void checkBf16(int fromBits, int toBits, int stride) {
        for (long bits = fromBits; bits < toBits; bits += stride) {
            for (int sign : new int[] {0, 0x8000_0000}) {
                float x = Float.intBitsToFloat((int) bits | sign);
                double want = referenceRound(x, 7, -126, 0x1.fep127, false);
                float got = FloatFormats.bf16ToF32(FloatFormats.f32ToBf16(x));
                if (Double.doubleToRawLongBits(got) != Double.doubleToRawLongBits(want)) assertSameValue(got, want, x);
            }
        }
    }

    @Test
    void bf16MatchesGgmlOnNanAndTies() {
        assertThat(FloatFormats.f32ToBf16(Float.intBitsToFloat(0x7F80_0001))).isEqualTo((short) 0x7FC0);
        assertThat(FloatFormats.f32ToBf16(Float.intBitsToFloat(0xFFA1_2345))).isEqualTo((short) 0xFFE1);
        assertThat(FloatFormats.f32ToBf16(Float.intBitsToFloat(0x3F80_8000))).isEqualTo((short) 0x3F80); // tie, even
        assertThat(FloatFormats.f32ToBf16(Float.intBitsToFloat(0x3F81_8000))).isEqualTo((short) 0x3F82); // tie, up to even
        assertThat(FloatFormats.f32ToBf16(Float.MAX_VALUE)).isEqualTo((short) 0x7F80);
        assertThat(FloatFormats.f32ToBf16(Float.MIN_VALUE)).isEqualTo((short) 0);
        assertThat(FloatFormats.f32ToBf16(Float.intBitsToFloat(0x0000_8001))).isEqualTo((short) 1);
    }

    // ---------------------------------------------------------------- FP8

    @Test
    void e4m3fnDecodesAll256CodesPerTheOcpSpec() {
        int nans = 0;
        for (int c = 0; c < 256; c++) {
            float v = FloatFormats.e4m3fnToF32((byte) c);
            int e = (c >>> 3) & 0xF, m = c & 7;
            if (e == 15 && m == 7) { nans++; assertThat(v).isNaN(); continue; }
            double expect = e == 0 ? m * 0x1p-9 : (1 + m / 8.0) * Math.scalb(1.0, e - 7);
            assertThat((double) v).as("0x%02x", c).isEqualTo((c & 0x80) != 0 ? -expect : expect);
            assertThat(Float.isInfinite(v)).isFalse();
        }
        assertThat(nans).isEqualTo(2);
        assertThat(FloatFormats.e4m3fnToF32((byte) 0x7E)).isEqualTo(448f);
        assertThat(FloatFormats.e4m3fnToF32((byte) 0x08)).isEqualTo(0x1p-6f);
        assertThat(FloatFormats.e4m3fnToF32((byte) 0x01)).isEqualTo(0x1p-9f);
        assertThat(Float.floatToRawIntBits(FloatFormats.e4m3fnToF32((byte) 0x80))).isEqualTo(0x8000_0000);
    }

    @Test
    void e5m2DecodesAll256CodesPerTheOcpSpec() {
        int nans = 0;
        for (int c = 0; c < 256; c++) {
            float v = FloatFormats.e5m2ToF32((byte) c);
            int e = (c >>> 2) & 0x1F, m = c & 3;
            if (e == 31) {
                if (m == 0) assertThat(v).isEqualTo((c & 0x80) != 0 ? Float.NEGATIVE_INFINITY : Float.POSITIVE_INFINITY);
                else { nans++; assertThat(v).isNaN(); }
                continue;
            }
            double expect = e == 0 ? m * 0x1p-16 : (1 + m / 4.0) * Math.scalb(1.0, e - 15);
            assertThat((double) v).as("0x%02x", c).isEqualTo((c & 0x80) != 0 ? -expect : expect);
            // E5M2 is the top byte of an FP16: same value
            assertThat(v).isEqualTo(FloatFormats.f16ToF32((short) (c << 8)));
        }
        assertThat(nans).isEqualTo(6);
        assertThat(FloatFormats.e5m2ToF32((byte) 0x7B)).isEqualTo(57344f);
    }

    @Test
    void fp8DecodeThenEncodeRoundTripsEveryFiniteCode() {
        for (int c = 0; c < 256; c++) {
            float v = FloatFormats.e4m3fnToF32((byte) c);
            if (Float.isNaN(v)) assertThat(FloatFormats.f32ToE4m3fn(v) & 0x7F).isEqualTo(0x7F);
            else assertThat(FloatFormats.f32ToE4m3fn(v) & 0xFF).as("e4m3 0x%02x", c).isEqualTo(c);
            float w = FloatFormats.e5m2ToF32((byte) c);
            if (Float.isNaN(w)) assertThat(FloatFormats.f32ToE5m2(w) & 0x7F).isEqualTo(0x7E);
            else if (Float.isInfinite(w)) assertThat(FloatFormats.f32ToE5m2(w) & 0xFF).isEqualTo((c & 0x80) | 0x7B); // saturates
            else assertThat(FloatFormats.f32ToE5m2(w) & 0xFF).as("e5m2 0x%02x", c).isEqualTo(c);
        }
    }

    @Test
    void fp8EncodeMatchesReferenceOnEveryFloatInRange() {
        // every float32 in [2^-11, 2^-5) (E4M3 underflow, subnormals, first normals), [2^-18, 2^-13)
        // (the same for E5M2), [256, 512) and [2^15, 2^17) (the tops of E4M3 and E5M2 and saturation)
        int[][] ranges = {
                {Float.floatToRawIntBits(0x1p-11f), Float.floatToRawIntBits(0x1p-5f)},
                {Float.floatToRawIntBits(0x1p-18f), Float.floatToRawIntBits(0x1p-13f)},
                {Float.floatToRawIntBits(256f), Float.floatToRawIntBits(512f)},
                {Float.floatToRawIntBits(0x1p15f), Float.floatToRawIntBits(0x1p17f)}};
        for (int[] r : ranges) {
            for (int bits = r[0]; bits < r[1]; bits++) checkFp8(Float.intBitsToFloat(bits));
        }
        for (long bits = 0; bits <= 0xFFFF_FFFFL; bits += 977) checkFp8(Float.intBitsToFloat((int) bits));
    }

    private static void checkFp8(float x) {
        if (Float.isNaN(x)) {
            assertThat(FloatFormats.e4m3fnToF32(FloatFormats.f32ToE4m3fn(x))).isNaN();
            assertThat(FloatFormats.e5m2ToF32(FloatFormats.f32ToE5m2(x))).isNaN();
            return;
        }
        double want4 = referenceRound(x, 3, -6, 448, true);
        float got4 = FloatFormats.e4m3fnToF32(FloatFormats.f32ToE4m3fn(x));
        if (got4 != want4 || Math.copySign(1.0, got4) != Math.copySign(1.0, want4)) assertSameValue(got4, want4, x);
        double want5 = referenceRound(x, 2, -14, 57344, true);
        float got5 = FloatFormats.e5m2ToF32(FloatFormats.f32ToE5m2(x));
        if (got5 != want5 || Math.copySign(1.0, got5) != Math.copySign(1.0, want5)) assertSameValue(got5, want5, x);
    }

    @Test
    void fp8TiesSaturationAndSpecials() {
        // E4M3: between 1 (0x38) and 1.125 (0x39) the tie 1.0625 goes to even 0x38; 1.1875 ties up to 1.25 (0x3A)
        assertThat(FloatFormats.f32ToE4m3fn(1.0625f)).isEqualTo((byte) 0x38);
        assertThat(FloatFormats.f32ToE4m3fn(Math.nextUp(1.0625f))).isEqualTo((byte) 0x39);
        assertThat(FloatFormats.f32ToE4m3fn(1.1875f)).isEqualTo((byte) 0x3A);
        // subnormal ties: 2^-10 is half of the smallest subnormal: to zero; 3*2^-10 ties to 2*2^-9 (even)
        assertThat(FloatFormats.f32ToE4m3fn(0x1p-10f)).isEqualTo((byte) 0x00);
        assertThat(FloatFormats.f32ToE4m3fn(-0x1p-10f)).isEqualTo((byte) 0x80);
        assertThat(FloatFormats.f32ToE4m3fn(3 * 0x1p-10f)).isEqualTo((byte) 0x02);
        // largest subnormal 7*2^-9 and min normal 2^-6 = 8*2^-9: tie 7.5*2^-9 goes to the even code 0x08
        assertThat(FloatFormats.f32ToE4m3fn(7.5f * 0x1p-9f)).isEqualTo((byte) 0x08);
        // saturation: 448 < x, including values that would round to 480 and Inf, give 448; NaN stays NaN
        for (float big : new float[] {448f, 449f, 464f, 479.9f, 480f, 1e6f, Float.MAX_VALUE, Float.POSITIVE_INFINITY}) {
            assertThat(FloatFormats.f32ToE4m3fn(big)).as("%s", big).isEqualTo((byte) 0x7E);
            assertThat(FloatFormats.f32ToE4m3fn(-big)).isEqualTo((byte) 0xFE);
        }
        assertThat(FloatFormats.f32ToE4m3fn(Float.NaN)).isEqualTo((byte) 0x7F);
        assertThat(FloatFormats.f32ToE4m3fn(Float.intBitsToFloat(0xFFC0_0000))).isEqualTo((byte) 0xFF);
        assertThat(FloatFormats.f32ToE4m3fn(432f)).isEqualTo((byte) 0x7E); // tie 416..448 -> even 448
        assertThat(FloatFormats.f32ToE4m3fn(400f)).isEqualTo((byte) 0x7C); // tie 384..416 -> even 384

        // E5M2: 57344 is max; 61440 would be the tie towards Inf; saturates instead
        for (float big : new float[] {57344f, 60000f, 61440f, 1e9f, Float.POSITIVE_INFINITY}) {
            assertThat(FloatFormats.f32ToE5m2(big)).as("%s", big).isEqualTo((byte) 0x7B);
            assertThat(FloatFormats.f32ToE5m2(-big)).isEqualTo((byte) 0xFB);
        }
        assertThat(FloatFormats.f32ToE5m2(Float.NaN)).isEqualTo((byte) 0x7E);
        assertThat(FloatFormats.f32ToE5m2(Float.intBitsToFloat(0xFFC0_0000))).isEqualTo((byte) 0xFE);
        assertThat(FloatFormats.f32ToE5m2(1.125f)).isEqualTo((byte) 0x3C); // tie 1..1.25 -> even 1.0
        assertThat(FloatFormats.f32ToE5m2(1.375f)).isEqualTo((byte) 0x3E); // tie 1.25..1.5 -> even 1.5
        assertThat(FloatFormats.f32ToE5m2(0x1p-17f)).isEqualTo((byte) 0x00);
        assertThat(FloatFormats.f32ToE5m2(0x1.8p-16f)).isEqualTo((byte) 0x02); // 1.5 quanta -> 2
    }

    @Test
    void randomValuesAgreeWithReferenceInEveryFormat() {
        SplittableRandom rnd = new SplittableRandom(42);
        for (int i = 0; i < 200_000; i++) {
            float x = (float) (rnd.nextGaussian() * Math.scalb(1.0, rnd.nextInt(-30, 30)));
            assertSameValue(FloatFormats.f16ToF32(FloatFormats.f32ToF16(x)), referenceRound(x, 10, -14, 65504, false), x);
            assertSameValue(FloatFormats.bf16ToF32(FloatFormats.f32ToBf16(x)), referenceRound(x, 7, -126, 0x1.fep127, false), x);
            checkFp8(x);
        }
    }
}
