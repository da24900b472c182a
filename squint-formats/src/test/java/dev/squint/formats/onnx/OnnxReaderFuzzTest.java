package dev.squint.formats.onnx;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.squint.core.ModelFormatException;
import dev.squint.core.Tensor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Jazzer fuzz target for the ONNX reader: whatever the bytes, opening the model, listing its tensors
 * and building its graph either works or throws {@link ModelFormatException}. Without
 * {@code JAZZER_FUZZ=1} Jazzer runs the stored seeds (src/test/resources/.../OnnxReaderFuzzTestInputs)
 * as a regression test; with it, it fuzzes for {@code maxDuration}.
 *
 * <p>Jazzer 0.24 cannot instrument Java 25 class files, so when fuzzing its coverage feedback sees
 * protobuf-java but not squint's classes; {@link OnnxReaderMutationTest} is the seeded, bounded
 * fuzzer that runs on every build.
 */
class OnnxReaderFuzzTest {
    private static final Path DIR;
    static {
        try {
            DIR = Files.createTempDirectory("squint-onnx-fuzz");
            // The external data file one seed refers to.
            Files.write(DIR.resolve(OnnxFuzzSeeds.EXTERNAL_FILE), new byte[64]);
            DIR.resolve(OnnxFuzzSeeds.EXTERNAL_FILE).toFile().deleteOnExit();
            DIR.resolve("fuzz.onnx").toFile().deleteOnExit();
            DIR.toFile().deleteOnExit();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @FuzzTest(maxDuration = "20s")
    void fuzzOnnxReader(byte[] bytes) throws IOException {
        Path file = DIR.resolve("fuzz.onnx");
        Files.write(file, bytes);
        exercise(file);
    }

    /** Opens and walks a model; only ModelFormatException may escape. */
    static void exercise(Path file) {
        try (OnnxModel model = OnnxReader.open(file)) {
            long sum = 0;
            for (Tensor t : model.tensors()) {
                if (t.byteSize() > 0) sum += t.data().get(java.lang.foreign.ValueLayout.JAVA_BYTE, t.byteSize() - 1);
            }
            model.graph();
            model.metadata();
            if (sum == Long.MIN_VALUE) throw new AssertionError("unreachable; keeps the reads");
        } catch (ModelFormatException expected) {
            // the one allowed outcome for a bad file
        }
    }
}
