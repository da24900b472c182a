package dev.squint.compare;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class PeakMemoryTest {
    @Test
    void peakFollowsATouchedAllocationAndResetLowersIt() {
        assumeTrue(Files.exists(Path.of("/proc/self/status")), "needs Linux /proc");
        // The two figures are read one after the other while the JVM's resident set moves (JIT, GC threads),
        // so comparisons between reads allow a few MiB.
        long slack = 8L << 20;
        long current = PeakMemory.currentBytes().orElseThrow();
        assertThat(PeakMemory.peakBytes().orElseThrow()).isPositive().isGreaterThanOrEqualTo(current - slack);
        // Touch 64 MiB outside the heap so the resident set grows by about that much.
        long size = 64L << 20;
        try (var arena = java.lang.foreign.Arena.ofConfined()) {
            var seg = arena.allocate(size);
            for (long i = 0; i < size; i += 4096) seg.set(java.lang.foreign.ValueLayout.JAVA_BYTE, i, (byte) 1);
            long touched = PeakMemory.currentBytes().orElseThrow();
            assertThat(touched).isGreaterThan(size / 2);
            assertThat(PeakMemory.peakBytes().orElseThrow()).isGreaterThanOrEqualTo(touched - slack);
        }
        assumeTrue(PeakMemory.reset(), "clear_refs not writable here");
        // The 64 MiB were freed before the reset, so the new mark sits near today's resident set, not the old peak.
        long peakAfterReset = PeakMemory.peakBytes().orElseThrow();
        long nowResident = PeakMemory.currentBytes().orElseThrow();
        assertThat(peakAfterReset).isLessThan(nowResident + (32L << 20));
    }
}
