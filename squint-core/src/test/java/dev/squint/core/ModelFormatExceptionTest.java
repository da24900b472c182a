package dev.squint.core;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class ModelFormatExceptionTest {
    @Test
    void namesTheFileAndStaysOnOneLineWhateverTheFileQuotes() {
        var e = new ModelFormatException(Path.of("m.onnx"), "external data file 'a\nb\u001b[2J\tc' does not exist");
        assertThat(e.getMessage()).isEqualTo("m.onnx: external data file 'a\\nb\\u001b[2J\\tc' does not exist");
        assertThat(e.getMessage()).doesNotContain("\n", "\u001b");
        assertThat(e.file()).isEqualTo(Path.of("m.onnx"));
    }
}
