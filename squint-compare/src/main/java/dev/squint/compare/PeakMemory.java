package dev.squint.compare;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * Peak resident memory of this process, read from Linux's {@code /proc/self/status} (VmHWM, the high-water mark
 * of the resident set — Java heap, native memory of ONNX Runtime and mapped model pages alike).
 *
 * <p>To measure one row of a comparison, {@link #reset()} the mark first: writing {@code 5} to
 * {@code /proc/self/clear_refs} sets VmHWM back to the current RSS (Linux 4.0 and later). Where either file is
 * missing or not writable (not Linux, a locked-down container), the methods answer empty / false and callers report
 * the memory as not measured rather than guessing.
 */
public final class PeakMemory {
    private static final Path STATUS = Path.of("/proc/self/status");
    private static final Path CLEAR_REFS = Path.of("/proc/self/clear_refs");

    private PeakMemory() {}

    /** Resets the high-water mark to the current resident set; false when this system does not allow it. */
    public static boolean reset() {
        try {
            Files.writeString(CLEAR_REFS, "5");
            return true;
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return false;
        }
    }

    /** The peak resident set since start or the last {@link #reset()}, in bytes. */
    public static OptionalLong peakBytes() { return field("VmHWM:"); }

    /** The current resident set, in bytes. */
    public static OptionalLong currentBytes() { return field("VmRSS:"); }

    private static OptionalLong field(String name) {
        try {
            for (String line : Files.readAllLines(STATUS)) {
                if (line.startsWith(name)) {
                    String[] parts = line.substring(name.length()).trim().split("\\s+");
                    long kib = Long.parseLong(parts[0]);
                    return OptionalLong.of(kib * 1024);
                }
            }
        } catch (IOException | NumberFormatException | SecurityException e) {
            // fall through: not measured
        }
        return OptionalLong.empty();
    }
}
