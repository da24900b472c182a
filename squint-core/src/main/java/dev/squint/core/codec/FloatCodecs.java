package dev.squint.core.codec;

import dev.squint.core.GgmlType;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * The ggml float "block" codecs F32, F16 and BF16 (block size 1). Keys are {@link GgmlType}s as for
 * every codec, although tensors of these types carry a {@code ScalarType} (see {@code DType}).
 *
 * <h2>Layouts</h2>
 * <pre>
 *   F32   4 bytes per value, IEEE binary32 little-endian
 *   F16   2 bytes per value, IEEE binary16 little-endian
 *   BF16  2 bytes per value, the upper half of a binary32, little-endian
 * </pre>
 * Quantizing is conversion ({@link FloatFormats}: ggml's {@code ggml_fp32_to_fp16_row} and
 * {@code ggml_fp32_to_bf16_row_ref}, round to nearest even); importance weights are ignored, as in ggml.
 *
 * <h2>Dot products</h2>
 * Each type pairs with itself ({@code vec_dot_type} F32/F16/BF16). The dot is ggml's scalar
 * {@code ggml_vec_dot_f32/_f16/_bf16}: each product is taken in float32 (exact for F16 and BF16,
 * whose 11- and 8-bit significands multiply into at most 22 bits), widened to double
 * ({@code ggml_float}), summed in index order, and the sum is rounded to float once at the end.
 */
final class FloatCodecs {
    private FloatCodecs() {}

    static List<BlockCodec> all() {
        return List.of(new F32Codec(), new F16Codec(), new Bf16Codec());
    }

    private static final class F32Codec implements BlockCodec {
        @Override public GgmlType type() { return GgmlType.F32; }
        @Override public GgmlType vecDotType() { return GgmlType.F32; }

        @Override
        public void quantizeRow(float[] src, int srcOffset, int n, MemorySegment dst, long dstOffset, float[] importance) {
            MemorySegment.copy(src, srcOffset, dst, FloatFormats.FLOAT_LE, dstOffset, n);
        }

        @Override
        public void dequantizeRow(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
            MemorySegment.copy(src, FloatFormats.FLOAT_LE, srcOffset, dst, dstOffset, n);
        }

        @Override
        public float dot(int n, MemorySegment x, long xOffset, MemorySegment y, long yOffset) {
            double sum = 0;
            for (int i = 0; i < n; i++) {
                float p = x.get(FloatFormats.FLOAT_LE, xOffset + 4L * i) * y.get(FloatFormats.FLOAT_LE, yOffset + 4L * i);
                sum += p;
            }
            return (float) sum;
        }
    }

    private static final class F16Codec implements BlockCodec {
        @Override public GgmlType type() { return GgmlType.F16; }
        @Override public GgmlType vecDotType() { return GgmlType.F16; }

        @Override
        public void quantizeRow(float[] src, int srcOffset, int n, MemorySegment dst, long dstOffset, float[] importance) {
            FloatFormats.f32ToF16Row(src, srcOffset, dst, dstOffset, n);
        }

        @Override
        public void dequantizeRow(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
            FloatFormats.f16ToF32Row(src, srcOffset, dst, dstOffset, n);
        }

        @Override
        public float dot(int n, MemorySegment x, long xOffset, MemorySegment y, long yOffset) {
            double sum = 0;
            for (int i = 0; i < n; i++) {
                float p = FloatFormats.f16ToF32(x.get(FloatFormats.SHORT_LE, xOffset + 2L * i))
                        * FloatFormats.f16ToF32(y.get(FloatFormats.SHORT_LE, yOffset + 2L * i));
                sum += p;
            }
            return (float) sum;
        }
    }

    private static final class Bf16Codec implements BlockCodec {
        @Override public GgmlType type() { return GgmlType.BF16; }
        @Override public GgmlType vecDotType() { return GgmlType.BF16; }

        @Override
        public void quantizeRow(float[] src, int srcOffset, int n, MemorySegment dst, long dstOffset, float[] importance) {
            FloatFormats.f32ToBf16Row(src, srcOffset, dst, dstOffset, n);
        }

        @Override
        public void dequantizeRow(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
            FloatFormats.bf16ToF32Row(src, srcOffset, dst, dstOffset, n);
        }

        @Override
        public float dot(int n, MemorySegment x, long xOffset, MemorySegment y, long yOffset) {
            double sum = 0;
            for (int i = 0; i < n; i++) {
                float p = FloatFormats.bf16ToF32(x.get(FloatFormats.SHORT_LE, xOffset + 2L * i))
                        * FloatFormats.bf16ToF32(y.get(FloatFormats.SHORT_LE, yOffset + 2L * i));
                sum += p;
            }
            return (float) sum;
        }
    }
}
