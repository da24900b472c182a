package dev.squint.kernels;

import dev.squint.kernels.MatrixKernels.Impl;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

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

    @Test
    void everyRowRunsExactlyOnceOverManyBackToBackCallsWithAndWithoutSpinning() {
        // many short calls in a row exercise the hand-off (spinning workers) and, with no spin budget, park/unpark
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            for (long spin : new long[] {0, 20_000, 1_000_000}) {
                for (int threads : new int[] {2, 3, 5}) {
                    try (RowParallel par = new RowParallel(threads, spin)) {
                        SplittableRandom rnd = new SplittableRandom(threads * 31 + spin);
                        for (int call = 0; call < 3000; call++) {
                            int rows = rnd.nextInt(0, 70);
                            AtomicIntegerArray hits = new AtomicIntegerArray(Math.max(rows, 1));
                            par.forRows(rows, (a, b) -> { for (int r = a; r < b; r++) hits.incrementAndGet(r); });
                            for (int r = 0; r < rows; r++) {
                                assertThat(hits.get(r)).as("row %d of %d, %d threads, call %d", r, rows, threads, call).isEqualTo(1);
                            }
                        }
                    }
                }
            }
        });
    }

    @Test
    void rangesAreContiguousNearEqualAndRunOnDistinctThreads() {
        try (RowParallel par = new RowParallel(4)) {
            int[][] seen = new int[4][];
            Thread[] who = new Thread[4];
            par.forRows(10, (a, b) -> {
                int p = a == 0 ? 0 : a == 2 ? 1 : a == 5 ? 2 : 3;
                seen[p] = new int[] {a, b};
                who[p] = Thread.currentThread();
            });
            assertThat(seen).isDeepEqualTo(new int[][] {{0, 2}, {2, 5}, {5, 7}, {7, 10}});
            assertThat(who[0]).isSameAs(Thread.currentThread());
            assertThat(java.util.Set.of(who)).hasSize(4);
        }
    }

    @Test
    void failuresPropagateFromCallerAndWorkersAndThePoolStaysUsable() {
        try (RowParallel par = new RowParallel(3, 0)) {
            assertThatThrownBy(() -> par.forRows(9, (a, b) -> { if (a == 0) throw new IllegalArgumentException("caller"); }))
                    .isInstanceOf(IllegalArgumentException.class).hasMessage("caller");
            assertThatThrownBy(() -> par.forRows(9, (a, b) -> { if (a == 3) throw new AssertionError("worker error"); }))
                    .isInstanceOf(AssertionError.class).hasMessage("worker error");
            // the caller's failure wins, and it still waits for the other ranges to finish
            AtomicInteger finished = new AtomicInteger();
            assertThatThrownBy(() -> par.forRows(9, (a, b) -> {
                if (a == 0) throw new IllegalStateException("first");
                sleep(50);
                finished.incrementAndGet();
                throw new IllegalStateException("later");
            })).hasMessage("first");
            assertThat(finished).hasValue(2);
            AtomicIntegerArray hits = new AtomicIntegerArray(9);
            par.forRows(9, (a, b) -> { for (int r = a; r < b; r++) hits.incrementAndGet(r); });
            for (int r = 0; r < 9; r++) assertThat(hits.get(r)).isEqualTo(1);
        }
    }

    @Test
    void nestedAndConcurrentCallsRunEveryRowOnce() throws Exception {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            try (RowParallel par = new RowParallel(2); ExecutorService callers = Executors.newFixedThreadPool(3)) {
                // nested: a kernel that itself calls forRows on the same pool
                AtomicIntegerArray hits = new AtomicIntegerArray(8 * 8);
                par.forRows(8, (a, b) -> {
                    for (int r = a; r < b; r++) {
                        int outer = r;
                        par.forRows(8, (c, d) -> { for (int s = c; s < d; s++) hits.incrementAndGet(outer * 8 + s); });
                    }
                });
                for (int i = 0; i < 64; i++) assertThat(hits.get(i)).isEqualTo(1);
                // concurrent: three threads share one pool
                CountDownLatch go = new CountDownLatch(1);
                Future<?>[] runs = new Future<?>[3];
                for (int c = 0; c < 3; c++) {
                    runs[c] = callers.submit(() -> {
                        go.await();
                        for (int call = 0; call < 2000; call++) {
                            AtomicIntegerArray h = new AtomicIntegerArray(33);
                            par.forRows(33, (a, b) -> { for (int r = a; r < b; r++) h.incrementAndGet(r); });
                            for (int r = 0; r < 33; r++) assertThat(h.get(r)).isEqualTo(1);
                        }
                        return null;
                    });
                }
                go.countDown();
                for (Future<?> f : runs) f.get(60, TimeUnit.SECONDS);
            }
        });
    }

    @Test
    void closeStopsTheWorkersAndLaterCallsFail() {
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            for (long spin : new long[] {0, 1_000_000_000L}) { // parked workers, and workers spinning for a long time
                RowParallel par = new RowParallel(4, spin);
                par.forRows(40, (a, b) -> { });
                par.close();
                assertThat(par.workersStopped()).isTrue();
                assertThatThrownBy(() -> par.forRows(4, (a, b) -> { })).isInstanceOf(IllegalStateException.class);
                par.close(); // twice is harmless
            }
        });
    }

    @Test
    void anInterruptedCallerStillWaitsForEveryRangeAndKeepsItsInterrupt() {
        try (RowParallel par = new RowParallel(2, 0)) {
            AtomicInteger finished = new AtomicInteger();
            Thread.currentThread().interrupt();
            par.forRows(2, (a, b) -> {
                if (a == 1) {
                    sleep(100);
                    finished.incrementAndGet();
                }
            });
            assertThat(finished).hasValue(1);
            assertThat(Thread.interrupted()).isTrue();
        }
    }

    @Test
    void moreThreadsThanCoresMakeProgress() {
        // far more spinning threads than this machine's cores: bounded spinning must not stall the callers
        int threads = 4 * Runtime.getRuntime().availableProcessors() + 1;
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            try (RowParallel par = new RowParallel(threads)) {
                AtomicInteger sum = new AtomicInteger();
                for (int call = 0; call < 500; call++) par.forRows(threads * 3, (a, b) -> sum.addAndGet(b - a));
                assertThat(sum).hasValue(500 * threads * 3);
            }
        });
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }
}
