package dev.squint.core.codec;

import dev.squint.core.GgmlType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.List;

/**
 * ggml's block types outside the K-quant and grid families: the legacy 32-element quants
 * ({@link LegacyQuantCodecs}: Q4_0, Q4_1, Q5_0, Q5_1; {@link Q8Codecs}: Q8_0, Q8_1), the non-linear
 * 4-bit quants ({@link NonLinearCodecs}: IQ4_NL, IQ4_XS) and the ternary quants
 * ({@link TernaryCodecs}: TQ1_0, TQ2_0), plus the small pieces of ggml arithmetic they share.
 *
 * <h2>Numerics</h2>
 * Every float operation is written in ggml's order with ggml's operand types (C float arithmetic,
 * no fused multiply-add), so results are bit-identical to a llama.cpp build without {@code -march}.
 * F16 scales use IEEE round-to-nearest-even ({@link Float#floatToFloat16}), as {@code GGML_FP32_TO_FP16}.
 *
 * <h2>Bad input (shared by every codec of this family)</h2>
 * <ul>
 *   <li>A row length that is not a multiple of the block size: {@link IllegalArgumentException}. ggml
 *       only {@code assert}s this (compiled out in release builds) and llama-quantize refuses such tensors
 *       before quantizing ("not divisible by"), so there is no llama.cpp output to match.</li>
 *   <li>NaN or infinity in the values to quantize, or in the importance weights:
 *       {@link IllegalArgumentException} naming the element. In ggml the outcome depends on the type:
 *       an infinity makes the block scale infinite and llama-quantize then stops with "quantized data
 *       validation failed" ({@code ggml_validate_row_data}); a NaN is usually skipped by the max search
 *       and converted to an arbitrary code by undefined float-to-int behaviour. Refusing up front gives
 *       the same verdict as llama-quantize for infinities and a defined one for NaN.</li>
 *   <li>Dequantizing or dotting blocks whose F16 scale is NaN/infinite propagates it, as ggml does;
 *       {@link #validateRowData} is the check ggml's loader applies to such data.</li>
 * </ul>
 */
final class GgmlBlockCodecs {
    private GgmlBlockCodecs() {}

    static List<BlockCodec> all() {
        return List.of(
                LegacyQuantCodecs.Q4_0, LegacyQuantCodecs.Q4_1, LegacyQuantCodecs.Q5_0, LegacyQuantCodecs.Q5_1,
                Q8Codecs.Q8_0, Q8Codecs.Q8_1,
                NonLinearCodecs.IQ4_NL, NonLinearCodecs.IQ4_XS,
                TernaryCodecs.TQ1_0, TernaryCodecs.TQ2_0);
    }

    static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt LE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat LE_FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Reads an F16 field (little-endian) as float. */
    static float half(MemorySegment s, long offset) {
        return Float.float16ToFloat(s.get(LE_SHORT, offset));
    }

    /** Writes a float as an F16 field, rounding to nearest even as GGML_FP32_TO_FP16. */
    static void putHalf(MemorySegment s, long offset, float v) {
        s.set(LE_SHORT, offset, Float.floatToFloat16(v));
    }

    static int u8(MemorySegment s, long offset) {
        return s.get(ValueLayout.JAVA_BYTE, offset) & 0xFF;
    }

    static int s8(MemorySegment s, long offset) {
        return s.get(ValueLayout.JAVA_BYTE, offset);
    }

    static void put8(MemorySegment s, long offset, int v) {
        s.set(ValueLayout.JAVA_BYTE, offset, (byte) v);
    }

    /** C's {@code roundf}/{@code lroundf}: halves away from zero (computed in double, exact for floats). */
    static int roundHalfAway(float x) {
        return (int) Math.copySign(Math.floor(Math.abs((double) x) + 0.5), x);
    }

    static void checkRowLength(GgmlType type, long n) {
        if (n < 0 || n % type.blockSize() != 0) {
            throw new IllegalArgumentException(type + ": row length " + n + " is not a multiple of the block size " + type.blockSize());
        }
    }

    /** Validates a quantizeRow call: row length, finite values, importance length and finiteness. */
    static void checkQuantizeInput(GgmlType type, float[] src, int srcOffset, int n, float[] importance) {
        checkRowLength(type, n);
        if (srcOffset < 0 || srcOffset > src.length - n) {
            throw new IllegalArgumentException(type + ": row [" + srcOffset + ", " + ((long) srcOffset + n) + ") outside the source of " + src.length + " floats");
        }
        for (int i = 0; i < n; i++) {
            float v = src[srcOffset + i];
            if (!Float.isFinite(v)) {
                throw new IllegalArgumentException(type + ": cannot quantize " + v + " at element " + i + " of the row (ggml's output would be invalid)");
            }
        }
        if (importance != null) {
            if (importance.length < n) {
                throw new IllegalArgumentException(type + ": importance has " + importance.length + " weights, the row has " + n + " values");
            }
            for (int i = 0; i < n; i++) {
                if (!Float.isFinite(importance[i])) {
                    throw new IllegalArgumentException(type + ": importance weight " + i + " is " + importance[i]);
                }
            }
        }
    }

    /**
     * ggml's {@code ggml_validate_row_data} for this family: every F16 scale field (and Q4_1/Q5_1's min)
     * must be finite. ggml has no case for Q8_1 (never stored in files; it answers "invalid type");
     * here Q8_1's d and s are checked the same way. {@code bytes} must be a whole number of blocks.
     *
     * @return the index of the first block holding a NaN/infinite scale, or -1 if the data is valid
     */
    static long validateRowData(GgmlType type, MemorySegment data, long offset, long bytes) {
        int bpb = type.bytesPerBlock();
        if (bytes % bpb != 0) {
            throw new IllegalArgumentException(type + ": " + bytes + " bytes is not a whole number of " + bpb + "-byte blocks");
        }
        int[] halfFields = switch (type) {
            case Q4_0, Q5_0, Q8_0, IQ4_NL, IQ4_XS -> new int[] {0};
            case Q4_1, Q5_1, Q8_1 -> new int[] {0, 2};
            case TQ1_0 -> new int[] {52};
            case TQ2_0 -> new int[] {64};
            default -> throw new IllegalArgumentException("not a type of this family: " + type);
        };
        long blocks = bytes / bpb;
        for (long b = 0; b < blocks; b++) {
            for (int f : halfFields) {
                short h = data.get(LE_SHORT, offset + b * bpb + f);
                if ((h & 0x7c00) == 0x7c00) return b;
            }
        }
        return -1;
    }
}
