package dev.squint.kernels;

import dev.squint.core.codec.Int8Rows;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

import static dev.squint.kernels.Species.B;
import static dev.squint.kernels.Species.F;
import static dev.squint.kernels.Species.LANES;

/**
 * Vector API twin of {@link Int8Rows} (INT8 per-row symmetric quantization), bit-identical to it:
 * the absmax is a max (order-free), the scale comes from the same scalar function, and rounding
 * uses the 1.5·2^23 trick, which is exactly {@code Math.rint} for the clamped range |y| <= 127.
 * Each pass runs a scalar head up to the first vector-aligned element of the destination/source
 * array, a vector body and a scalar tail.
 */
public final class VectorInt8Rows {
    private VectorInt8Rows() {}

    /** Adding then subtracting 1.5 * 2^23 rounds a float of magnitude < 2^22 to an integer, ties to even. */
    private static final float ROUNDING_MAGIC = 12_582_912f;

    /** Heap arrays have no stable address; the head aligns the array index to the lane count instead. */
    static int head(int offset, int n) {
        int mis = Math.floorMod(offset, LANES);
        return mis == 0 ? 0 : Math.min(n, LANES - mis);
    }

    /** Largest magnitude in {@code src[off, off + n)}: scalar over the first {@code h}, then vectors, then a scalar tail. */
    private static float absMax(float[] src, int off, int n, int h) {
        float absmax = 0f;
        int i = 0;
        for (; i < h; i++) absmax = Math.max(absmax, Math.abs(src[off + i]));
        if (n - i >= LANES) {
            FloatVector acc = FloatVector.zero(F);
            for (; i <= n - LANES; i += LANES) acc = acc.max(FloatVector.fromArray(F, src, off + i).abs());
            absmax = Math.max(absmax, acc.reduceLanes(VectorOperators.MAX));
        }
        for (; i < n; i++) absmax = Math.max(absmax, Math.abs(src[off + i]));
        return absmax;
    }

    public static float quantizeRow(float[] src, int srcOffset, int n, byte[] dst, int dstOffset) {
        int h = head(srcOffset, n), i;
        float scale = Int8Rows.scaleFor(absMax(src, srcOffset, n, h));
        float inv = Int8Rows.inverse(scale);
        int q = Int8Rows.QMAX;
        for (i = 0; i < h; i++) dst[dstOffset + i] = (byte) (int) Math.rint(Math.min(q, Math.max(-q, src[srcOffset + i] * inv)));
        for (; i <= n - LANES; i += LANES) {
            FloatVector y = FloatVector.fromArray(F, src, srcOffset + i).mul(inv).max(-q).min(q);
            FloatVector r = y.add(ROUNDING_MAGIC).sub(ROUNDING_MAGIC);
            ((ByteVector) r.convertShape(VectorOperators.F2B, B, 0)).intoArray(dst, dstOffset + i);
        }
        for (; i < n; i++) dst[dstOffset + i] = (byte) (int) Math.rint(Math.min(q, Math.max(-q, src[srcOffset + i] * inv)));
        return scale;
    }

    /**
     * {@link #quantizeRow} with the codes written as floats ({@code -127.0 .. 127.0}) instead of bytes: the same
     * scale and the same codes, for kernels that multiply codes in float ({@link FloatGemm#multiplyInt8}).
     */
    public static float quantizeRowToFloats(float[] src, int srcOffset, int n, float[] dst, int dstOffset) {
        int h = head(srcOffset, n), i;
        float scale = Int8Rows.scaleFor(absMax(src, srcOffset, n, h));
        float inv = Int8Rows.inverse(scale);
        int q = Int8Rows.QMAX;
        for (i = 0; i < h; i++) dst[dstOffset + i] = (float) (int) Math.rint(Math.min(q, Math.max(-q, src[srcOffset + i] * inv)));
        for (; i <= n - LANES; i += LANES) {
            FloatVector y = FloatVector.fromArray(F, src, srcOffset + i).mul(inv).max(-q).min(q);
            y.add(ROUNDING_MAGIC).sub(ROUNDING_MAGIC).intoArray(dst, dstOffset + i);
        }
        for (; i < n; i++) dst[dstOffset + i] = (float) (int) Math.rint(Math.min(q, Math.max(-q, src[srcOffset + i] * inv)));
        return scale;
    }

    public static void dequantizeRow(byte[] src, int srcOffset, int n, float scale, float[] dst, int dstOffset) {
        int i = head(dstOffset, n);
        Int8Rows.dequantizeRow(src, srcOffset, i, scale, dst, dstOffset);
        for (; i <= n - LANES; i += LANES) {
            FloatVector v = (FloatVector) ByteVector.fromArray(B, src, srcOffset + i).convertShape(VectorOperators.B2F, F, 0);
            v.mul(scale).intoArray(dst, dstOffset + i);
        }
        Int8Rows.dequantizeRow(src, srcOffset + i, n - i, scale, dst, dstOffset + i);
    }
}
