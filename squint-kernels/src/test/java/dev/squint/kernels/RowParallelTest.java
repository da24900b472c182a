package dev.squint.kernels;

import dev.squint.kernels.MatrixKernels.Impl;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RowParallelTest {

    static float[] matrix(int rows, int cols, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) w[i] = (float) (rnd.nextGaussian() * (1 + i % 7));
        return w;
    }

    @Test
    void everyRowRunsExactlyOnceForAnyThreadCount() {
        for (int threads : new int[] {1, 2, 3, 4, 8}) {
            try (RowParallel par = new RowParallel(threads)) {
                for (int rows : new int[] {0, 1, 2, 3, 5, 37, 100}) {
                    AtomicIntegerArray hits = new AtomicIntegerArray(Math.max(rows, 1));
                    par.forRows(rows, (a, b) -> { for (int r = a; r < b; r++) hits.incrementAndGet(r); });
                    for (int r = 0; r < rows; r++) assertThat(hits.get(r)).as("row %d, %d threads", r, threads).isEqualTo(1);
                }
            }
        }
    }

    @Test
    void oneAndFourThreadsGiveByteIdenticalResults() {
        int rows = 37, cols = 203; // odd: every range has vector bodies and tails
        float[] w = matrix(rows, cols, 5);
        try (RowParallel one = new RowParallel(1); RowParallel four = new RowParallel(4)) {
            for (Impl impl : Impl.values()) {
                byte[] c1 = new byte[w.length], c4 = new byte[w.length];
                float[] s1 = new float[rows], s4 = new float[rows];
                MatrixKernels.quantizeInt8(impl, w, rows, cols, c1, s1, one);
                MatrixKernels.quantizeInt8(impl, w, rows, cols, c4, s4, four);
                assertThat(c4).isEqualTo(c1);
                assertThat(s4).isEqualTo(s1);
                float[] d1 = new float[w.length], d4 = new float[w.length];
                MatrixKernels.dequantizeInt8(impl, c1, s1, rows, cols, d1, one);
                MatrixKernels.dequantizeInt8(impl, c4, s4, rows, cols, d4, four);
                assertThat(d4).isEqualTo(d1);

                byte[] h1 = new byte[2 * w.length], h4 = new byte[2 * w.length];
                MatrixKernels.f32ToF16(impl, w, rows, cols, MemorySegment.ofArray(h1), one);
                MatrixKernels.f32ToF16(impl, w, rows, cols, MemorySegment.ofArray(h4), four);
                assertThat(h4).isEqualTo(h1);
                MatrixKernels.f16ToF32(impl, MemorySegment.ofArray(h1), rows, cols, d1, one);
                MatrixKernels.f16ToF32(impl, MemorySegment.ofArray(h4), rows, cols, d4, four);
                assertThat(d4).isEqualTo(d1);
                MatrixKernels.f32ToBf16(impl, w, rows, cols, MemorySegment.ofArray(h1), one);
                MatrixKernels.f32ToBf16(impl, w, rows, cols, MemorySegment.ofArray(h4), four);
                assertThat(h4).isEqualTo(h1);
                MatrixKernels.bf16ToF32(impl, MemorySegment.ofArray(h1), rows, cols, d1, one);
                MatrixKernels.bf16ToF32(impl, MemorySegment.ofArray(h4), rows, cols, d4, four);
                assertThat(d4).isEqualTo(d1);
            }
            // and the vector kernels agree with the scalar ones on the whole matrix
            byte[] cs = new byte[w.length], cv = new byte[w.length];
            float[] ss = new float[rows], sv = new float[rows];
            MatrixKernels.quantizeInt8(Impl.SCALAR, w, rows, cols, cs, ss, one);
            MatrixKernels.quantizeInt8(Impl.VECTOR, w, rows, cols, cv, sv, four);
            assertThat(cv).isEqualTo(cs);
            assertThat(sv).isEqualTo(ss);
        }
    }

    @Test
    void failuresInAnyRangePropagate() {
        try (RowParallel par = new RowParallel(3)) {
            assertThatThrownBy(() -> par.forRows(9, (a, b) -> { if (a >= 6) throw new IllegalStateException("row " + a); }))
                    .isInstanceOf(IllegalStateException.class).hasMessage("row 6");
        }
        assertThatThrownBy(() -> new RowParallel(0)).isInstanceOf(IllegalArgumentException.class);
    }
}
