package dev.squint.cli;

import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.io.Console;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
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
        if (!isInteractive(stderrIsTerminal(), System.getenv())) return quiet();
        return new Progress(builder(task, total, null, 1).build());
    }

    /** A bar over {@code totalBytes}, counted in MB. */
    public static Progress startBytes(String task, long totalBytes) {
        if (!isInteractive(stderrIsTerminal(), System.getenv())) return quiet();
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

    /** True when a person is likely watching: stderr is a terminal and no {@code CI} variable is set. */
    public static boolean isInteractive(boolean stderrTerminal, Map<String, String> env) {
        return stderrTerminal && !env.containsKey("CI");
    }

    /**
     * Whether stderr is a terminal. Java has no isatty; on Linux {@code /proc/self/fd/2} names the
     * device (a pipe or file otherwise). Elsewhere fall back to the console: since JDK 22
     * {@link System#console()} is non-null even when redirected, so {@link Console#isTerminal()}
     * decides (it looks at stdin/stdout, the best available).
     */
    public static boolean stderrIsTerminal() {
        Path fd = Path.of("/proc/self/fd/2");
        if (Files.isSymbolicLink(fd)) {
            try {
                String target = Files.readSymbolicLink(fd).toString();
                return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty") || target.equals("/dev/console");
            } catch (IOException | UnsupportedOperationException e) {
                return false;
            }
        }
        Console console = System.console();
        return console != null && console.isTerminal();
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
