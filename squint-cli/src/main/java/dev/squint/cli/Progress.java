package dev.squint.cli;

import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.io.Console;
import java.io.PrintStream;
import java.util.Map;

/**
 * A progress bar with ETA on stderr for long commands, shown only to someone watching a terminal:
 * when output goes to a pipe, a file or CI, it draws nothing, so logs stay clean. Use with
 * try-with-resources; stepping a quiet bar costs a field update.
 *
 * <pre>{@code
 * try (Progress p = Progress.start("quantize", tensors.size())) {
 *     for (...) { ...; p.step(); }
 * }
 * }</pre>
 */
public final class Progress implements AutoCloseable {
    private final ProgressBar bar; // null when quiet
    private long done;

    private Progress(ProgressBar bar) {
        this.bar = bar;
    }

    /** A bar over {@code total} steps, drawn on stderr only when {@link #isInteractive} holds. */
    public static Progress start(String task, long total) {
        if (!isInteractive(System.console(), System.getenv())) return quiet();
        return new Progress(builder(task, total, null, 1).build());
    }

    /** A bar over {@code totalBytes}, counted in MB. */
    public static Progress startBytes(String task, long totalBytes) {
        if (!isInteractive(System.console(), System.getenv())) return quiet();
        return new Progress(builder(task, totalBytes, "MB", 1_000_000).build());
    }

    /** A bar that draws nothing. */
    public static Progress quiet() {
        return new Progress(null);
    }

    /** A bar drawn on {@code stream} with the given width whatever the terminal: for tests. */
    static Progress drawnOn(PrintStream stream, int width, String task, long total) {
        return new Progress(builder(task, total, null, 1).setConsumer(new ConsoleProgressBarConsumer(stream, width)).build());
    }

    /**
     * True when a person is likely watching: a console attached to a terminal and no {@code CI}
     * variable. Since JDK 22 {@link System#console()} returns a console even when redirected, so
     * {@link Console#isTerminal()} is what tells a terminal from a pipe.
     */
    public static boolean isInteractive(Console console, Map<String, String> env) {
        return console != null && console.isTerminal() && !env.containsKey("CI");
    }

    private static ProgressBarBuilder builder(String task, long total, String unit, long unitSize) {
        ProgressBarBuilder b = new ProgressBarBuilder().setTaskName(task).setInitialMax(total)
                .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(200).clearDisplayOnFinish();
        if (unit != null) b.setUnit(" " + unit, unitSize);
        return b;
    }

    /** Whether this bar draws anything. */
    public boolean visible() { return bar != null; }

    public void step() { stepBy(1); }

    public void stepBy(long n) {
        done += n;
        if (bar != null) bar.stepBy(n);
    }

    /** Steps completed so far (counted even when quiet). */
    public long done() { return done; }

    /** A short note shown after the bar, e.g. the tensor being processed. */
    public void message(String text) {
        if (bar != null) bar.setExtraMessage(text);
    }

    @Override public void close() {
        if (bar != null) bar.close();
    }
}
