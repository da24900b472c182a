package dev.squint.kernels;

import dev.squint.core.codec.FloatFormats;
import dev.squint.core.codec.Int8Rows;

import java.lang.foreign.MemorySegment;

/**
 * Whole-matrix (row-major {@code [rows, cols]}) forms of the row kernels, split across threads by
 * {@link RowParallel}, with either the Vector API kernel or its scalar twin. Results are identical
 * whichever kernel and however many threads. Kernels are called once per row, not once per range:
 * a kernel entered a handful of times with a huge count only gets an on-stack-replacement compile,
 * in which C2 may leave Vector API calls un-intrinsified (measured 10-100x slower).
 */
public final class MatrixKernels {
    private MatrixKernels() {}

    /** Which implementation to run: the scalar reference in squint-core or its Vector API twin. */
    public enum Impl { SCALAR, VECTOR }

    public static void f32ToF16(Impl impl, float[] src, int rows, int cols, MemorySegment dst, RowParallel par) {
        check(src, rows, cols);
        par.forRows(rows, (a, b) -> {
            for (int r = a; r < b; r++) {
                if (impl == Impl.VECTOR) VectorFloatFormats.f32ToF16Row(src, r * cols, dst, 2L * r * cols, cols);
                else FloatFormats.f32ToF16Row(src, r * cols, dst, 2L * r * cols, cols);
            }
        });
    }

    public static void f16ToF32(Impl impl, MemorySegment src, int rows, int cols, float[] dst, RowParallel par) {
        check(dst, rows, cols);
        par.forRows(rows, (a, b) -> {
            for (int r = a; r < b; r++) {
                if (impl == Impl.VECTOR) VectorFloatFormats.f16ToF32Row(src, 2L * r * cols, dst, r * cols, cols);
                else FloatFormats.f16ToF32Row(src, 2L * r * cols, dst, r * cols, cols);
            }
        });
    }

    public static void f32ToBf16(Impl impl, float[] src, int rows, int cols, MemorySegment dst, RowParallel par) {
        check(src, rows, cols);
        par.forRows(rows, (a, b) -> {
            for (int r = a; r < b; r++) {
                if (impl == Impl.VECTOR) VectorFloatFormats.f32ToBf16Row(src, r * cols, dst, 2L * r * cols, cols);
                else FloatFormats.f32ToBf16Row(src, r * cols, dst, 2L * r * cols, cols);
            }
        });
    }

    public static void bf16ToF32(Impl impl, MemorySegment src, int rows, int cols, float[] dst, RowParallel par) {
        check(dst, rows, cols);
        par.forRows(rows, (a, b) -> {
            for (int r = a; r < b; r++) {
                if (impl == Impl.VECTOR) VectorFloatFormats.bf16ToF32Row(src, 2L * r * cols, dst, r * cols, cols);
                else FloatFormats.bf16ToF32Row(src, 2L * r * cols, dst, r * cols, cols);
            }
        });
    }

    /** INT8 per-row symmetric: codes {@code [rows * cols]}, one scale per row. */
    public static void quantizeInt8(Impl impl, float[] src, int rows, int cols, byte[] codes, float[] scales, RowParallel par) {
        check(src, rows, cols);
        if (codes.length != src.length || scales.length != rows) throw new IllegalArgumentException("need " + src.length + " codes and " + rows + " scales");
        par.forRows(rows, (a, b) -> {
            for (int r = a; r < b; r++) {
                scales[r] = impl == Impl.VECTOR
                        ? VectorInt8Rows.quantizeRow(src, r * cols, cols, codes, r * cols)
                        : Int8Rows.quantizeRow(src, r * cols, cols, codes, r * cols);
            }
        });
    }

    public static void dequantizeInt8(Impl impl, byte[] codes, float[] scales, int rows, int cols, float[] dst, RowParallel par) {
        check(dst, rows, cols);
        if (codes.length != dst.length || scales.length != rows) throw new IllegalArgumentException("need " + dst.length + " codes and " + rows + " scales");
        par.forRows(rows, (a, b) -> {
            for (int r = a; r < b; r++) {
                if (impl == Impl.VECTOR) VectorInt8Rows.dequantizeRow(codes, r * cols, cols, scales[r], dst, r * cols);
                else Int8Rows.dequantizeRow(codes, r * cols, cols, scales[r], dst, r * cols);
            }
        });
    }

    private static void check(float[] floats, int rows, int cols) {
        if (rows < 0 || cols < 0 || (long) rows * cols != floats.length) {
            throw new IllegalArgumentException("array of " + floats.length + " floats is not [" + rows + ", " + cols + "]");
        }
    }
}
