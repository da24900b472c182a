package dev.squint.formats.safetensors;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.squint.core.ModelFormatException;
import dev.squint.core.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;

/**
 * Jazzer over the single-file reader: whatever the bytes, the reader either returns tensors whose
 * views lie inside the file or throws {@link ModelFormatException}; any other throwable (and any
 * OOM or hang, which Jazzer reports) is a bug. Seeds live in
 * {@code SafetensorsFuzzTestInputs/readerOnlyThrowsFormatFaults}; without {@code JAZZER_FUZZ=1}
 * the test replays them only (the pom's fuzz-safetensors execution fuzzes for squint.fuzz.seconds).
 */
class SafetensorsFuzzTest {
    private static final Path NAME = Path.of("fuzz.safetensors");

    // A literal (Jazzer does not substitute properties); the fuzz-safetensors execution sets jazzer.max_duration.
    @FuzzTest(maxDuration = "20s")
    void readerOnlyThrowsFormatFaults(byte[] data) {
        SafetensorsFuzzing.check(data);
    }

    /** Shared by the Jazzer target and the plain-JUnit mutation fuzzer. */
    static final class SafetensorsFuzzing {
        private SafetensorsFuzzing() {}

        /** @return the fault the reader reported, or null if it accepted the bytes */
        static String check(byte[] data) {
            MemorySegment file = MemorySegment.ofArray(data);
            try {
                for (Tensor t : SafetensorsReader.tensorsOf(NAME, file)) {
                    if (t.byteSize() > 0) {
                        t.data().get(ValueLayout.JAVA_BYTE, 0);
                        t.data().get(ValueLayout.JAVA_BYTE, t.byteSize() - 1);
                    }
                }
                return null;
            } catch (ModelFormatException e) {
                if (e.getMessage().indexOf('\n') >= 0) throw new AssertionError("multi-line fault: " + e.getMessage());
                return e.fault();
            }
        }
    }
}
