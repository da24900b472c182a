package dev.squint.formats.safetensors;

import dev.squint.core.ScalarType;
import dev.squint.core.Shape;
import dev.squint.core.Tensor;
import dev.squint.formats.safetensors.SafetensorsWriter.Entry;
import dev.squint.formats.safetensors.SafetensorsWriter.Options;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Interoperability with the reference implementation. reference-all-dtypes.safetensors was
 * written by the safetensors Python package 0.8.0 (its Rust core): one [2, 4] tensor of each of
 * its 18 dtypes, named {@code w.NN.<torch dtype name>}, byte j of tensor i set to
 * {@code (31 i + 7 j + 3) mod 256} where i counts down from NN = 17 (bool) to NN = 00 (F4), and
 * {@code __metadata__ = {"format": "pt"}}.
 */
class SafetensorsReferenceTest {
    @TempDir Path dir;

    static Path reference() throws URISyntaxException {
        return Path.of(SafetensorsReferenceTest.class.getResource("/safetensors/reference-all-dtypes.safetensors").toURI());
    }

    @Test
    void readsEveryDtypeTheReferenceWrites() throws Exception {
        try (SafetensorsModel m = SafetensorsReader.open(reference())) {
            assertThat(m.tensors()).hasSize(18);
            assertThat(m.metadata().string("format")).contains("pt");
            assertThat(m.tensors().stream().map(t -> t.dtype().name()).toList()).containsExactly(
                    "U64", "I64", "F64", "C64", "F32", "U32", "I32", "BF16", "F16", "U16", "I16",
                    "F8_E8M0", "F8_E4M3FN", "F8_E5M2", "I8", "U8", "F4_E2M1", "BOOL");
            for (Tensor t : m.tensors()) {
                assertThat(t.shape()).isEqualTo(Shape.of(2, 4));
                int nn = Integer.parseInt(t.name().substring(2, 4));
                int i = 17 - nn;
                byte[] bytes = t.data().toArray(ValueLayout.JAVA_BYTE);
                assertThat(bytes).hasSize((int) (8L * ((ScalarType) t.dtype()).bits() / 8));
                for (int j = 0; j < bytes.length; j++) {
                    assertThat(bytes[j] & 0xFF).as(t.name() + "[" + j + "]").isEqualTo((31 * i + 7 * j + 3) % 256);
                }
            }
            assertThat(m.tensor("w.05.float32").orElseThrow().dtype()).isEqualTo(ScalarType.F32);
        }
    }

    @Test
    void writesTheReferencesBytesExactly() throws Exception {
        Path out = dir.resolve("again.safetensors");
        try (SafetensorsModel m = SafetensorsReader.open(reference())) {
            // handed over in reverse name order: the writer's ALIGNED order must still match the crate's
            List<Entry> entries = new ArrayList<>(m.tensors().stream().map(Entry::of).toList());
            entries.sort((a, b) -> b.name().compareTo(a.name()));
            SafetensorsWriter.write(out, entries, Options.defaults().withMetadata(m.metadata()));
        }
        assertThat(Files.readAllBytes(out)).isEqualTo(Files.readAllBytes(reference()));
    }
}
