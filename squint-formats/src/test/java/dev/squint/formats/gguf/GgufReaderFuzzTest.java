package dev.squint.formats.gguf;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.squint.core.MetaValue;
import dev.squint.core.ModelFormatException;
import dev.squint.core.Tensor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Arbitrary bytes as a GGUF file: the reader may refuse them only with {@link ModelFormatException};
 * anything else (an index error, an OOM, a hang caught by the time limit) is a finding. What it
 * accepts must be usable: every tensor view and metadata value is touched.
 *
 * <p>Without JAZZER_FUZZ this replays the seeds in {@code GgufReaderFuzzTestInputs/}; the
 * {@code fuzz-gguf} surefire execution fuzzes for {@code squint.fuzz.seconds}.
 */
class GgufReaderFuzzTest {
    private static final Path FILE;
    static {
        try {
            Path dir = Files.createTempDirectory("squint-gguf-fuzz");
            dir.toFile().deleteOnExit();
            FILE = dir.resolve("input.gguf");
            FILE.toFile().deleteOnExit();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @FuzzTest(maxDuration = "30s")
    void openArbitraryBytes(byte[] data) throws IOException {
        Files.write(FILE, data);
        try (GgufFile g = GgufReader.open(FILE)) {
            for (Tensor t : g.tensors()) {
                if (t.byteSize() > 0) {
                    t.data().get(ValueLayout.JAVA_BYTE, 0);
                    t.data().get(ValueLayout.JAVA_BYTE, t.byteSize() - 1);
                }
            }
            for (MetaValue v : g.metadata().asMap().values()) v.render(4);
            GgufPlan.of(g); // what a round trip would write must be plannable
        } catch (ModelFormatException expected) {
            // the one allowed outcome for a bad file
        }
    }
}
