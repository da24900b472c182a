package dev.squint.core.codec;

import dev.squint.core.GgmlType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.List;

/**
 * ggml's grid-based i-quants: {@link Iq2Codecs} (IQ2_XXS, IQ2_XS, IQ2_S), {@link Iq3Codecs}
 * (IQ3_XXS, IQ3_S) and {@link Iq1Codecs} (IQ1_S, IQ1_M), plus the small pieces they share.
 * Each block stores, per group of 8 (or 4) values, an index into a fixed codebook of points
 * ({@link IqGrids}); quantizing searches the codebook near the rounded point
 * ({@link IqGrids.Search}). All pair with Q8_K activations for the dot product.
 *
 * <h2>Numerics and verification</h2>
 * Every float operation is written in ggml's order with ggml's operand types (C float arithmetic,
 * no fused multiply-add, {@code FLT_EVAL_METHOD == 0}), and F16 scales use IEEE round-to-nearest-even
 * ({@link Float#floatToFloat16}) as {@code GGML_FP32_TO_FP16}. ggml sorts with {@code qsort}, which
 * glibc implements as a (stable) merge sort for these sizes; the sorts here are stable too.
 * <p>The shared bit-exact vectors in {@code testdata/ggml} do not cover these types. The tests check
 * them against vectors made by compiling ggml's own {@code ggml-quants.c} and generic dot kernels
 * (the copy bundled in the llama.rn 0.12.9 npm package, llama.cpp build 10256, commit 6c8dcaa) on the
 * dev machine; see {@code src/test/resources/ggml-iq/README.md}. They are not checked against an
 * official llama.cpp build's output.
 *
 * <h2>Bad input</h2>
 * A row length that is not a multiple of 256, NaN or infinity among the values or the importance
 * weights, a missing importance matrix where ggml asserts one, or a grid search whose errors are all
 * non-finite (values near the float limit, negative importance weights; ggml aborts there):
 * {@link IllegalArgumentException}. Where ggml's {@code nearest_int} would fail its debug assertion
 * (|x| > 4194303, e.g. with many zero importance weights) the codecs return the bit trick's result,
 * as ggml's release builds do.
 */
final class GridCodecs {
    private GridCodecs() {}

    static List<BlockCodec> all() {
        return List.of(Iq2Codecs.IQ2_XXS, Iq2Codecs.IQ2_XS, Iq2Codecs.IQ2_S,
                Iq3Codecs.IQ3_XXS, Iq3Codecs.IQ3_S,
                Iq1Codecs.IQ1_S, Iq1Codecs.IQ1_M);
    }

    static final int QK_K = 256;

    static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt LE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat LE_FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /*
     * Q8_K, the activation type of every grid codec (292 bytes per 256 values):
     *   [0, 4)     float d        scale
     *   [4, 260)   int8 qs[256]   values (value = d * qs[i])
     *   [260, 292) int16 bsums[16] sums of qs over each group of 16 (little-endian)
     */
    static final int Q8K_BYTES = 292;
    static final int Q8K_QS = 4;
    static final int Q8K_BSUMS = 260;

    static float q8kScale(MemorySegment y, long block) {
        return y.get(LE_FLOAT, block);
    }

    static int q8kValue(MemorySegment y, long block, int i) {
        return y.get(ValueLayout.JAVA_BYTE, block + Q8K_QS + i);
    }

    static int q8kBsum(MemorySegment y, long block, int i) {
        return y.get(LE_SHORT, block + Q8K_BSUMS + 2L * i);
    }

    static float half(MemorySegment s, long offset) {
        return Float.float16ToFloat(s.get(LE_SHORT, offset));
    }

    static int u8(MemorySegment s, long offset) {
        return s.get(ValueLayout.JAVA_BYTE, offset) & 0xFF;
    }

    static int u16(MemorySegment s, long offset) {
        return s.get(LE_SHORT, offset) & 0xFFFF;
    }

    static int u16(byte[] b, int offset) {
        return (b[offset] & 0xFF) | (b[offset + 1] & 0xFF) << 8;
    }

    static void putU16(byte[] b, int offset, int v) {
        b[offset] = (byte) v;
        b[offset + 1] = (byte) (v >>> 8);
    }

    static void putU32(byte[] b, int offset, int v) {
        b[offset] = (byte) v;
        b[offset + 1] = (byte) (v >>> 8);
        b[offset + 2] = (byte) (v >>> 16);
        b[offset + 3] = (byte) (v >>> 24);
    }

    /** C's {@code MAX(a, b)} macro ({@code a > b ? a : b}), which differs from Math.max on -0.0. */
    static float cmax(float a, float b) {
        return a > b ? a : b;
    }

    static void checkRowLength(GgmlType type, long n) {
        if (n < 0 || n % QK_K != 0) {
            throw new IllegalArgumentException(type + ": row length " + n + " is not a multiple of the block size " + QK_K);
        }
    }

    /** Validates a quantizeRow call: row length, finite values, importance presence, length and finiteness. */
    static void checkQuantizeInput(BlockCodec codec, float[] src, int srcOffset, int n, float[] importance) {
        GgmlType type = codec.type();
        checkRowLength(type, n);
        if (srcOffset < 0 || srcOffset > src.length - n) {
            throw new IllegalArgumentException(type + ": row [" + srcOffset + ", " + ((long) srcOffset + n) + ") outside the source of " + src.length + " floats");
        }
        for (int i = 0; i < n; i++) {
            float v = src[srcOffset + i];
            if (!Float.isFinite(v)) {
                throw new IllegalArgumentException(type + ": cannot quantize " + v + " at element " + i + " of the row");
            }
        }
        if (importance == null) {
            if (codec.requiresImportance()) {
                throw new IllegalArgumentException(type + " needs an importance matrix (ggml asserts one)");
            }
            return;
        }
        if (importance.length < n) {
            throw new IllegalArgumentException(type + ": importance has " + importance.length + " weights, the row has " + n + " values");
        }
        for (int i = 0; i < n; i++) {
            if (!Float.isFinite(importance[i])) {
                throw new IllegalArgumentException(type + ": importance weight " + i + " is " + importance[i]);
            }
        }
    }

    /** Per-row working storage of a quantizer; {@link #block} is the block being built. */
    abstract static class Scratch {
        final byte[] block;

        Scratch(int blockBytes) {
            block = new byte[blockBytes];
        }
    }

    /**
     * The per-row working arrays of the IQ2 and IQ3 searches (ggml keeps them on the stack) over 32-value
     * groups; the families differ in how many scales and on-grid flags a block has.
     */
    static class GroupSearchScratch extends Scratch {
        final float[] weight = new float[32];
        final float[] waux = new float[32];
        final float[] xval = new float[32];
        final byte[] L = new byte[32];
        final byte[] Laux = new byte[32];
        final float[] scales;
        final int[] blockSigns = new int[4];
        final boolean[] onGrid;
        final boolean[] onGridAux;
        final float[] sums = new float[2];

        GroupSearchScratch(int blockBytes, int scaleCount, int onGridCount) {
            super(blockBytes);
            scales = new float[scaleCount];
            onGrid = new boolean[onGridCount];
            onGridAux = new boolean[onGridCount];
        }
    }

    /**
     * The row loops every grid codec shares: validation, one scratch per row, blocks built in a
     * zeroed byte array and copied out; subclasses supply the per-block work.
     */
    abstract static class GridCodec<S extends Scratch> implements BlockCodec {
        @Override public GgmlType vecDotType() { return GgmlType.Q8_K; }

        abstract S newScratch();

        /** Quantizes the 256 values {@code x[xo..]} into {@code s.block} (zeroed on entry); {@code qw} may be null. */
        abstract void quantizeBlock(float[] x, int xo, float[] qw, int qwo, S s);

        abstract void dequantizeBlock(MemorySegment x, long b, float[] y, int yo);

        @Override
        public void quantizeRow(float[] src, int srcOffset, int n, MemorySegment dst, long dstOffset, float[] importance) {
            checkQuantizeInput(this, src, srcOffset, n, importance);
            int bpb = type().bytesPerBlock();
            S s = newScratch();
            for (int ibl = 0; ibl < n / QK_K; ibl++) {
                java.util.Arrays.fill(s.block, (byte) 0);
                quantizeBlock(src, srcOffset + QK_K * ibl, importance, QK_K * ibl, s);
                MemorySegment.copy(s.block, 0, dst, ValueLayout.JAVA_BYTE, dstOffset + (long) bpb * ibl, bpb);
            }
        }

        @Override
        public void dequantizeRow(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
            checkRowLength(type(), n);
            int bpb = type().bytesPerBlock();
            for (int i = 0; i < n / QK_K; i++) dequantizeBlock(src, srcOffset + (long) bpb * i, dst, dstOffset + QK_K * i);
        }

        /**
         * The row sum of ggml's generic IQ2/IQ3 dot kernels against Q8_K: per block, the block's fp16 scale times
         * the Q8_K block's f32 scale times their integer dot, summed in float in block order (callers apply the final factor).
         */
        float sumScaledBlockDots(int n, MemorySegment x, long xOffset, MemorySegment y, long yOffset, BlockDot blockDot) {
            checkRowLength(type(), n);
            int bpb = type().bytesPerBlock();
            float sumf = 0.f;
            for (int i = 0; i < n / QK_K; i++) {
                long xb = xOffset + (long) bpb * i;
                long yb = yOffset + (long) Q8K_BYTES * i;
                float d = half(x, xb) * q8kScale(y, yb);
                sumf += d * blockDot.of(x, xb, y, yb);
            }
            return sumf;
        }
    }

    /** The integer dot of one quantized block at {@code xb} with the Q8_K block at {@code yb}. */
    @FunctionalInterface
    interface BlockDot {
        int of(MemorySegment x, long xb, MemorySegment y, long yb);
    }

    static IllegalArgumentException searchFailed(GgmlType type) {
        return new IllegalArgumentException(type + ": no grid point found (the search error is not finite: values too large"
                + " for float arithmetic, or negative importance weights; ggml aborts here)");
    }
}
