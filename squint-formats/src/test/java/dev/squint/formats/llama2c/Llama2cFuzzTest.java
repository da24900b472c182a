package dev.squint.formats.llama2c;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.squint.core.Model;
import dev.squint.core.ModelFormatException;
import dev.squint.core.Tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Hostile llama2.c checkpoints and tokenizers: whatever the bytes, the readers either return views
 * inside the file or throw {@link ModelFormatException} with a one-line message; nothing else
 * (no other exception, no OOM, no hang).
 */
class Llama2cFuzzTest {

    /** The input is the whole file; seeds (test resources) are small valid, unshared and broken checkpoints. */
    @FuzzTest(maxDuration = "10s")
    void checkpoint(byte[] file) throws IOException {
        Path f = Files.createTempFile("fuzz", ".bin");
        try {
            Files.write(f, file);
            checkOpen(f);
        } finally {
            Files.deleteIfExists(f);
        }
    }

    @FuzzTest(maxDuration = "10s")
    void tokenizer(FuzzedDataProvider data) throws IOException {
        int vocab = data.consumeInt(1, 1 << 20);
        byte[] bytes = data.consumeRemainingAsBytes();
        Path f = Files.createTempFile("fuzz-tok", ".bin");
        try {
            Files.write(f, bytes);
            try {
                Llama2cTokenizer tok = Llama2cTokenizer.read(f, vocab);
                assertThat(tok.size()).isEqualTo(vocab);
            } catch (ModelFormatException e) {
                assertThat(e.getMessage()).startsWith(f.toString()).doesNotContain("\n");
            }
        } finally {
            Files.deleteIfExists(f);
        }
    }

    static void checkOpen(Path f) throws IOException {
        long size = Files.size(f);
        try (Model m = Llama2cReader.open(f)) {
            assertThat(m.fileSize()).isEqualTo(size);
            assertThat(m.tensorBytes()).isEqualTo(size - 28);
            for (Tensor t : m.tensors()) assertThat(t.byteSize()).isLessThanOrEqualTo(size);
        } catch (ModelFormatException e) {
            assertThat(e.getMessage()).startsWith(f.toString()).doesNotContain("\n");
        }
    }
}
