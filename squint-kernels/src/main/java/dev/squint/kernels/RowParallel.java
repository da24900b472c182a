package dev.squint.kernels;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Runs a row kernel over {@code rows} rows on a fixed number of threads. Rows are split into
 * contiguous, near-equal ranges, one per thread (the caller's thread takes the first). Each row is
 * computed by the same code whatever range it falls in and writes only its own outputs, so results
 * are identical at any thread count.
 */
public final class RowParallel implements AutoCloseable {

    /** A kernel over rows {@code [fromRow, toRow)}. */
    @FunctionalInterface
    public interface RowRange {
        void run(int fromRow, int toRow);
    }

    private final int threads;
    private final ExecutorService pool;

    public RowParallel(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        this.threads = threads;
        this.pool = threads == 1 ? null : Executors.newFixedThreadPool(threads - 1, r -> {
            Thread t = new Thread(r, "squint-rows");
            t.setDaemon(true);
            return t;
        });
    }

    /** One thread per available processor. */
    public static RowParallel allProcessors() {
        return new RowParallel(Runtime.getRuntime().availableProcessors());
    }

    public int threads() {
        return threads;
    }

    /** Runs {@code body} over {@code [0, rows)} and returns when every range is done; rethrows the first failure. */
    public void forRows(int rows, RowRange body) {
        if (rows < 0) throw new IllegalArgumentException("negative row count " + rows);
        int parts = Math.min(threads, rows);
        if (parts <= 1) {
            if (rows > 0) body.run(0, rows);
            return;
        }
        List<Future<?>> futures = new ArrayList<>(parts - 1);
        for (int p = 1; p < parts; p++) {
            int from = split(rows, parts, p), to = split(rows, parts, p + 1);
            futures.add(pool.submit(() -> body.run(from, to)));
        }
        RuntimeException failure = null;
        try {
            body.run(0, split(rows, parts, 1));
        } catch (RuntimeException e) {
            failure = e;
        }
        for (Future<?> f : futures) {
            try {
                f.get();
            } catch (ExecutionException e) {
                if (failure == null) failure = e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                if (failure == null) failure = new IllegalStateException("interrupted while waiting for row ranges", e);
            }
        }
        if (failure != null) throw failure;
    }

    /** Start row of part {@code p} of {@code parts}. */
    static int split(int rows, int parts, int p) {
        return (int) ((long) rows * p / parts);
    }

    @Override
    public void close() {
        if (pool != null) pool.shutdownNow();
    }
}
