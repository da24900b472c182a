package dev.squint.core;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AtomicOutputTest {
    @TempDir Path dir;

    @Test
    void committedOutputAppearsWhole() throws IOException {
        Path target = dir.resolve("out.bin");
        try (AtomicOutput out = AtomicOutput.create(target)) {
            out.stream().write(new byte[]{1, 2, 3});
            assertThat(target).doesNotExist();
            out.commit();
        }
        assertThat(Files.readAllBytes(target)).containsExactly(1, 2, 3);
        try (var files = Files.list(dir)) {
            assertThat(files).containsExactly(target);
        }
    }

    @Test
    void failureInTheMiddleLeavesNoFileAndKeepsTheOldOne() throws IOException {
        Path target = dir.resolve("out.bin");
        Files.write(target, new byte[]{9});
        assertThatThrownBy(() -> {
            try (AtomicOutput out = AtomicOutput.create(target)) {
                OutputStream s = out.stream();
                s.write(new byte[1000]);
                throw new IOException("disk full (simulated)");
            }
        }).hasMessageContaining("disk full");
        assertThat(Files.readAllBytes(target)).containsExactly(9);
        try (var files = Files.list(dir)) {
            assertThat(files).containsExactly(target);
        }
    }

    @Test
    void refusesToOverwriteAnInput() throws IOException {
        Path in = dir.resolve("model.gguf");
        Files.write(in, new byte[]{1});
        Path alias = dir.resolve("sub/../model.gguf");
        assertThatThrownBy(() -> AtomicOutput.create(alias, List.of(in)))
                .isInstanceOf(SquintException.class).hasMessageContaining("refusing to overwrite an input");
        Path link = dir.resolve("link.gguf");
        Files.createSymbolicLink(link, in);
        assertThatThrownBy(() -> AtomicOutput.create(link, List.of(in))).isInstanceOf(SquintException.class);
        assertThat(Files.readAllBytes(in)).containsExactly(1);
    }
}
