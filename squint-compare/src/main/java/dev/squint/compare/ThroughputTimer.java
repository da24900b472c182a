package dev.squint.compare;

/**
 * Items per second of a repeated action: one untimed warm-up call (JIT compilation, page faults, caches), then
 * calls until at least {@code minSeconds} have passed and {@code minCalls} calls were made. Wall time, so the
 * figure includes whatever else the machine is doing; the report states the load next to it.
 *
 * <p>Shared by {@code squint compare} and anything else that times a throughput loop.
 */
public final class ThroughputTimer {
    private ThroughputTimer() {}

    /** What a timed loop measured. */
    public record Result(long items, long calls, double seconds) {
        public double itemsPerSecond() { return seconds > 0 ? items / seconds : Double.NaN; }
    }

    /** An action that processes {@code items} items per call. */
    @FunctionalInterface
    public interface Action { void run() throws Exception; }

    public static Result measure(Action action, long itemsPerCall, double minSeconds, int minCalls) {
        if (itemsPerCall < 1) throw new IllegalArgumentException("itemsPerCall must be positive, got " + itemsPerCall);
        call(action);
        long calls = 0;
        long start = System.nanoTime();
        long elapsed;
        do {
            call(action);
            calls++;
            elapsed = System.nanoTime() - start;
        } while (calls < minCalls || elapsed < minSeconds * 1e9);
        return new Result(calls * itemsPerCall, calls, elapsed / 1e9);
    }

    private static void call(Action action) {
        try {
            action.run();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
