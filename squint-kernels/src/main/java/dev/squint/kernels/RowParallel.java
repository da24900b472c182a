package dev.squint.kernels;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * Runs a row kernel over {@code rows} rows on a fixed number of threads. Rows are split into
 * contiguous, near-equal ranges, one per thread (the caller's thread takes the first). Each row is
 * computed by the same code whatever range it falls in and writes only its own outputs, so results
 * are identical at any thread count.
 *
 * <p><b>Hand-off.</b> Token-by-token decoding dispatches ~150 small jobs per token, a few hundred
 * microseconds each; waking a parked thread costs tens of microseconds (more in a VM), paid twice per
 * job (the worker waking, then the caller waking when the worker is done). So each worker owns a slot:
 * the caller writes the range into it and publishes it with a volatile sequence number; the worker
 * spins briefly ({@link Thread#onSpinWait}) for the next sequence number before it parks, and the
 * caller likewise spins briefly for the workers' "done" numbers before it parks. Spinning is bounded by
 * {@link #spinNanos} per wait, so an idle pool costs nothing and an overloaded machine (more threads
 * than free cores) loses at most that much per wait; a thread that parked is unparked by the other side.
 * The budget adapts per waiting side: a wait that outlasts it halves the next one (down to 1/64), a
 * wait that ends while spinning doubles it (up to {@link #spinNanos}), so on a machine where the other
 * thread is often descheduled the spinning fades out instead of burning a core others need, and on a
 * quiet one it is back at full length after a few calls. Nothing is allocated per call.
 *
 * <p>One call at a time owns the workers: a call made while another is running (from a second thread,
 * or from inside a row kernel) runs all its rows on its own thread, which gives the same results.
 */
public final class RowParallel implements AutoCloseable {

    /** A kernel over rows {@code [fromRow, toRow)}. */
    @FunctionalInterface
    public interface RowRange {
        void run(int fromRow, int toRow);
    }

    /**
     * How long a waiting thread spins before it parks, in microseconds (system property
     * {@code squint.spinMicros}, default 300; 0 parks at once). Measured on the ~1B decoder, Q8_0, 2 threads
     * (SCHED_FIFO, so other processes did not interfere): 100 µs still parked often enough to cost 8 %
     * (11.0 vs 12.1 tok/s); 300, 1000 and 3000 µs were alike.
     */
    static final long DEFAULT_SPIN_NANOS = TimeUnit.MICROSECONDS.toNanos(Long.getLong("squint.spinMicros", 300));

    private final int threads;
    private final long spinNanos;
    private final Worker[] workers;
    private final AtomicBoolean busy = new AtomicBoolean();
    private volatile boolean closed;
    /** The thread inside {@link #forRows} when it parked waiting for workers, else null. */
    private volatile Thread waiter;
    private int sequence;
    /** The caller's current spin budget (adaptive, see the class comment); only touched by the call owning the workers. */
    private long callerSpin;

    public RowParallel(int threads) {
        this(threads, DEFAULT_SPIN_NANOS);
    }

    /** @param spinNanos how long a waiting thread spins before it parks (0: park at once) */
    public RowParallel(int threads, long spinNanos) {
        if (threads < 1) throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        if (spinNanos < 0) throw new IllegalArgumentException("negative spin time " + spinNanos);
        this.threads = threads;
        this.spinNanos = spinNanos;
        this.callerSpin = spinNanos;
        this.workers = new Worker[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker();
            Thread t = new Thread(workers[i], "squint-rows-" + (i + 1));
            t.setDaemon(true);
            workers[i].thread = t;
            t.start();
        }
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
        if (closed) throw new IllegalStateException("this RowParallel is closed");
        int parts = Math.min(threads, rows);
        if (parts <= 1 || !busy.compareAndSet(false, true)) {
            if (rows > 0) body.run(0, rows);
            return;
        }
        try {
            int seq = ++sequence;
            for (int p = 1; p < parts; p++) {
                Worker w = workers[p - 1];
                w.body = body;
                w.from = split(rows, parts, p);
                w.to = split(rows, parts, p + 1);
                w.failure = null;
                w.job = seq; // publishes the fields above
                if (w.parked) LockSupport.unpark(w.thread);
            }
            Throwable failure = null;
            try {
                body.run(0, split(rows, parts, 1));
            } catch (Throwable e) {
                failure = e;
            }
            boolean interrupted = false;
            for (int p = 1; p < parts; p++) {
                Worker w = workers[p - 1];
                interrupted |= awaitDone(w, seq);
                if (failure == null) failure = w.failure;
                w.body = null;
                w.failure = null;
            }
            if (interrupted) Thread.currentThread().interrupt();
            if (failure instanceof RuntimeException re) throw re;
            if (failure instanceof Error err) throw err;
            if (failure != null) throw new IllegalStateException(failure);
        } finally {
            busy.set(false);
        }
    }

    /** Waits until {@code w} finished job {@code seq}: spins, then parks. Returns whether the thread was interrupted meanwhile. */
    private boolean awaitDone(Worker w, int seq) {
        if (w.done == seq) return false;
        long deadline = System.nanoTime() + callerSpin;
        for (int i = 0; w.done != seq; i++) {
            Thread.onSpinWait();
            if ((i & 63) == 63 && System.nanoTime() - deadline > 0) break;
        }
        callerSpin = adapt(callerSpin, w.done == seq);
        boolean interrupted = false;
        if (w.done != seq) {
            waiter = Thread.currentThread();
            while (w.done != seq) {
                LockSupport.park(this);
                // keep waiting: the worker writes into the caller's buffers; the flag is restored after
                if (Thread.interrupted()) interrupted = true;
            }
            waiter = null;
        }
        return interrupted;
    }

    /** The next spin budget after a wait that ended while spinning ({@code hit}) or outlasted the budget. */
    private long adapt(long budget, boolean hit) {
        return hit ? Math.min(budget << 1, spinNanos) : Math.max(budget >> 1, spinNanos >> 6);
    }

    /** Start row of part {@code p} of {@code parts}. */
    static int split(int rows, int parts, int p) {
        return (int) ((long) rows * p / parts);
    }

    /** Stops the worker threads (waits briefly for them to end). Further calls to {@link #forRows} fail. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        for (Worker w : workers) LockSupport.unpark(w.thread);
        for (Worker w : workers) {
            try {
                w.thread.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Whether every worker thread has ended (after {@link #close}). */
    boolean workersStopped() {
        for (Worker w : workers) if (w.thread.isAlive()) return false;
        return true;
    }

    /** One worker's slot: the range it runs next, published by {@link #job}, acknowledged by {@link #done}. */
    private final class Worker implements Runnable {
        Thread thread;
        RowRange body;
        int from, to;
        Throwable failure;
        volatile int job;
        volatile int done;
        volatile boolean parked;
        /** This worker's current spin budget (adaptive); only touched by the worker. */
        long spin = spinNanos;

        @Override
        public void run() {
            int seen = 0;
            while (true) {
                int next = awaitJob(seen);
                if (next == seen) return; // closed
                seen = next;
                try {
                    body.run(from, to);
                } catch (Throwable e) {
                    failure = e;
                }
                done = next; // publishes failure
                Thread caller = waiter;
                if (caller != null) LockSupport.unpark(caller);
            }
        }

        /** The next job's sequence number, or {@code seen} once the pool is closed. */
        private int awaitJob(int seen) {
            long deadline = System.nanoTime() + spin;
            for (int i = 0; job == seen; i++) {
                if (closed) return seen;
                Thread.onSpinWait();
                if ((i & 63) == 63 && System.nanoTime() - deadline > 0) break;
            }
            spin = adapt(spin, job != seen);
            while (job == seen) {
                parked = true; // volatile write, then volatile read of job: the caller's unpark cannot be missed
                if (job == seen && !closed) LockSupport.park(RowParallel.this);
                parked = false;
                if (closed && job == seen) return seen;
            }
            return job;
        }
    }
}
