package dev.squint.core.codec;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Scalar reference conversions between float32 and the narrow float formats: IEEE binary16 (FP16),
 * bfloat16 (BF16) and the two OCP 8-bit formats E4M3FN and E5M2. Each has a Vector API twin in
 * squint-kernels that must agree with it bit for bit, which is why the encoders here are written as
 * integer bit arithmetic rather than through a library call.
 *
 * <h2>Bit layouts (sign | exponent | mantissa, bias)</h2>
 * <pre>
 *   FP32    1 | 8 | 23   bias 127
 *   FP16    1 | 5 | 10   bias 15   max 65504,  min normal 2^-14, min subnormal 2^-24, Inf/NaN at exponent 31
 *   BF16    1 | 8 |  7   bias 127  the upper half of an FP32
 *   E4M3FN  1 | 4 |  3   bias 7    max 448,    min normal 2^-6,  min subnormal 2^-9,  no Inf, NaN = S.1111.111
 *   E5M2    1 | 5 |  2   bias 15   max 57344,  min normal 2^-14, min subnormal 2^-16, Inf = S.11111.00, NaN = S.11111.{01,10,11}
 * </pre>
 *
 * <h2>Rounding and specials</h2>
 * <ul>
 *   <li>Every encoder rounds to nearest, ties to even, with gradual underflow (no flush to zero), and
 *       keeps the sign of zero.</li>
 *   <li>FP16: values that round past 65504 become ±Inf (IEEE). NaN becomes {@code sign | 0x7E00}, the
 *       canonical quiet NaN that ggml's {@code ggml_compute_fp32_to_fp16} produces (the payload is dropped).</li>
 *   <li>BF16: exactly ggml's {@code ggml_compute_fp32_to_bf16}: NaN keeps its upper 16 bits and is forced
 *       quiet ({@code (u >>> 16) | 0x40}); everything else is the upper half rounded to nearest even, so
 *       values past the largest BF16 become ±Inf.</li>
 *   <li>FP8 (both): <em>saturating</em> ("satfinite") conversion. A finite value whose magnitude is at
 *       least the largest finite value, and ±Inf, become ±max finite (448 for E4M3FN, 57344 for E5M2);
 *       E5M2 therefore never produces Inf from an encode. NaN stays NaN: {@code sign | 0x7F} for E4M3FN,
 *       {@code sign | 0x7E} for E5M2.</li>
 *   <li>Decoders are exact. The FP16 decoder keeps a NaN's payload and sets its quiet bit (as x86 F16C,
 *       ggml's table and {@code Float.float16ToFloat} do); the BF16 decoder is a plain 16-bit shift.</li>
 * </ul>
 */
public final class FloatFormats {
    private FloatFormats() {}

    static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Largest finite E4M3FN value. */
    public static final float E4M3FN_MAX = 448f;
    /** Largest finite E5M2 value. */
    public static final float E5M2_MAX = 57344f;

    // ---------------------------------------------------------------- FP16

    /** FP16 bits of {@code f}, rounded to nearest even; NaN becomes {@code sign | 0x7E00}. */
    public static short f32ToF16(float f) {
        int x = Float.floatToRawIntBits(f);
        int sign = (x >>> 16) & 0x8000;
        int a = x & 0x7FFF_FFFF;
        int h;
        if (a > 0x7F80_0000) {
            h = 0x7E00;
        } else if (a >= 0x477F_F000) { // >= 65520 = 65504 + half an ulp: the tie goes to the even neighbour, Inf
            h = 0x7C00;
        } else if (a >= 0x3880_0000) { // >= 2^-14: FP16 normal. Rebias the exponent, round the 13 dropped bits.
            h = ((a - (112 << 23)) + 0xFFF + ((a >>> 13) & 1)) >>> 13;
        } else {
            // FP16 subnormal: adding 0.5 (whose ulp is 2^-24, FP16's subnormal step) makes the FPU round
            // |f| to a multiple of 2^-24 with ties to even; the low bits are then the FP16 mantissa
            // (a carry to 0x400 is exactly the smallest normal's encoding).
            h = Float.floatToRawIntBits(Float.intBitsToFloat(a) + 0.5f) - 0x3F00_0000;
        }
        return (short) (sign | h);
    }

    /** The float32 value of FP16 bits {@code h} (exact; NaN payload kept). */
    public static float f16ToF32(short h) {
        int bits = h & 0xFFFF;
        int sign = (bits & 0x8000) << 16;
        int exp = bits & 0x7C00;
        int mag;
        if (exp == 0) {
            // subnormal or zero: mantissa * 2^-24 is exact in float32
            mag = Float.floatToRawIntBits((bits & 0x3FF) * 0x1p-24f);
        } else {
            mag = ((bits & 0x7FFF) << 13) + (112 << 23);
            if (exp == 0x7C00) {
                mag += 112 << 23; // Inf/NaN: exponent 31 (143 after rebiasing) -> 255
                if ((bits & 0x3FF) != 0) mag |= 0x0040_0000; // NaN: payload kept, made quiet (as F16C and the JDK do)
            }
        }
        return Float.intBitsToFloat(sign | mag);
    }

    // ---------------------------------------------------------------- BF16

    /** BF16 bits of {@code f}, as ggml's {@code ggml_compute_fp32_to_bf16}. */
    public static short f32ToBf16(float f) {
        int u = Float.floatToRawIntBits(f);
        if ((u & 0x7FFF_FFFF) > 0x7F80_0000) return (short) ((u >>> 16) | 0x40);
        return (short) ((u + 0x7FFF + ((u >>> 16) & 1)) >>> 16);
    }

    /** The float32 value of BF16 bits {@code b} (exact). */
    public static float bf16ToF32(short b) {
        return Float.intBitsToFloat((b & 0xFFFF) << 16);
    }

    // ---------------------------------------------------------------- FP8

    /** E4M3FN bits of {@code f}: nearest even, saturating to ±448 (±Inf too), NaN to {@code sign | 0x7F}. */
    public static byte f32ToE4m3fn(float f) {
        return f32ToFp8(f, 3, 7, 0x7E, 0x7F, E4M3FN_MAX);
    }

    /** E5M2 bits of {@code f}: nearest even, saturating to ±57344 (±Inf too), NaN to {@code sign | 0x7E}. */
    public static byte f32ToE5m2(float f) {
        return f32ToFp8(f, 2, 15, 0x7B, 0x7E, E5M2_MAX);
    }

    private static final float[] E4M3FN_VALUES = new float[256];
    private static final float[] E5M2_VALUES = new float[256];
    static {
        for (int c = 0; c < 256; c++) {
            E4M3FN_VALUES[c] = decodeFp8(c, 4, 3, 7, false);
            E5M2_VALUES[c] = decodeFp8(c, 5, 2, 15, true);
        }
    }

    /** The float32 value of E4M3FN bits (exact). */
    public static float e4m3fnToF32(byte b) {
        return E4M3FN_VALUES[b & 0xFF];
    }

    /** The float32 value of E5M2 bits (exact). */
    public static float e5m2ToF32(byte b) {
        return E5M2_VALUES[b & 0xFF];
    }

    private static byte f32ToFp8(float f, int manBits, int bias, int maxCode, int nanCode, float max) {
        int x = Float.floatToRawIntBits(f);
        int sign = (x >>> 24) & 0x80;
        int a = x & 0x7FFF_FFFF;
        if (a > 0x7F80_0000) return (byte) (sign | nanCode);
        float mag = Float.intBitsToFloat(a);
        if (mag >= max) return (byte) (sign | maxCode); // saturate: anything below max rounds to at most max
        int minNormalExp = 1 - bias;
        int code;
        if (a >= (minNormalExp + 127) << 23) {
            int drop = 23 - manBits;
            int rebased = a - ((127 - bias) << 23);
            code = (rebased + ((1 << (drop - 1)) - 1) + ((a >>> drop) & 1)) >>> drop;
        } else {
            // subnormal: multiples of 2^(minNormalExp - manBits); scaling by a power of two is exact
            code = (int) Math.rint(Math.scalb(mag, manBits - minNormalExp));
        }
        return (byte) (sign | code);
    }

    private static float decodeFp8(int c, int expBits, int manBits, int bias, boolean ieeeSpecials) {
        boolean negative = (c & 0x80) != 0;
        int e = (c >>> manBits) & ((1 << expBits) - 1);
        int m = c & ((1 << manBits) - 1);
        int eMax = (1 << expBits) - 1;
        float v;
        if (ieeeSpecials && e == eMax) {
            v = m == 0 ? Float.POSITIVE_INFINITY : Float.NaN;
        } else if (!ieeeSpecials && e == eMax && m == (1 << manBits) - 1) {
            v = Float.NaN;
        } else if (e == 0) {
            v = Math.scalb((float) m, 1 - bias - manBits);
        } else {
            v = Math.scalb((float) ((1 << manBits) + m), e - bias - manBits);
        }
        return negative ? -v : v;
    }

    // ---------------------------------------------------------------- rows (little-endian segments)

    /** Encodes {@code n} floats to FP16 at {@code dst + dstOffset} (bytes), little-endian. */
    public static void f32ToF16Row(float[] src, int srcOffset, MemorySegment dst, long dstOffset, int n) {
        for (int i = 0; i < n; i++) dst.set(SHORT_LE, dstOffset + 2L * i, f32ToF16(src[srcOffset + i]));
    }

    /** Decodes {@code n} little-endian FP16 values. */
    public static void f16ToF32Row(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
        for (int i = 0; i < n; i++) dst[dstOffset + i] = f16ToF32(src.get(SHORT_LE, srcOffset + 2L * i));
    }

    /** Encodes {@code n} floats to BF16 at {@code dst + dstOffset} (bytes), little-endian. */
    public static void f32ToBf16Row(float[] src, int srcOffset, MemorySegment dst, long dstOffset, int n) {
        for (int i = 0; i < n; i++) dst.set(SHORT_LE, dstOffset + 2L * i, f32ToBf16(src[srcOffset + i]));
    }

    /** Decodes {@code n} little-endian BF16 values. */
    public static void bf16ToF32Row(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
        for (int i = 0; i < n; i++) dst[dstOffset + i] = bf16ToF32(src.get(SHORT_LE, srcOffset + 2L * i));
    }
}
