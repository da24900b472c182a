package dev.squint.cli;

import dev.squint.core.SquintException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class ModelAliasesTest {
    @TempDir Path dir;

    @Test
    void aliasesResolveUnderTheModelsFolder() throws IOException {
        for (String alias : ModelAliases.NAMES) {
            Path onnx = Files.createDirectories(dir.resolve(alias)).resolve(alias + ".onnx");
            Files.write(onnx, new byte[] {1});
            assertThat(ModelAliases.resolve(alias, dir.toString())).isEqualTo(onnx);
        }
    }

    @Test
    void theBuildUnpacksBothBundledModels() {
        String models = System.getProperty("squint.models");
        assumeTrue(models != null, "squint.models not set (run through Maven)");
        for (String alias : ModelAliases.NAMES) {
            assertThat(ModelAliases.resolve(alias)).isRegularFile().hasFileName(alias + ".onnx");
        }
    }

    @Test
    void otherArgumentsArePaths() {
        assertThat(ModelAliases.resolve("some/model.gguf", dir.toString())).isEqualTo(Path.of("some/model.gguf"));
        assertThat(ModelAliases.resolve("all-minilm-l6-v2-x", dir.toString())).isEqualTo(Path.of("all-minilm-l6-v2-x"));
    }

    @Test
    void missingModelsAreUserErrors() {
        assertThatThrownBy(() -> ModelAliases.resolve("all-minilm-l6-v2", dir.toString()))
                .isInstanceOf(SquintException.class).hasMessageContaining("does not exist");
        assertThatThrownBy(() -> ModelAliases.resolve("all-minilm-l6-v2", null))
                .isInstanceOf(SquintException.class).hasMessageContaining("-Dsquint.models");
        assertThatThrownBy(() -> ModelAliases.resolve(" ", dir.toString()))
                .isInstanceOf(SquintException.class).hasMessageContaining("empty");
    }
}
