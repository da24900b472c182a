package dev.squint.compare;

import dev.squint.core.SquintException;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CompareOptionsTest {
    static final Path A = Path.of("a.gguf"), B = Path.of("b.gguf");

    @Test void optionsAreValidatedWithOneLineMessages() {
        assertThatThrownBy(() -> CompareOptions.of(A, List.of())).isInstanceOf(SquintException.class).hasMessageContaining("CANDIDATE");
        assertThatThrownBy(() -> CompareOptions.of(A, List.of(A))).hasMessageContaining("both the base and a candidate");
        assertThatThrownBy(() -> CompareOptions.of(A, List.of(B)).withThreads(0)).hasMessageContaining("--threads");
        assertThatThrownBy(() -> CompareOptions.of(A, List.of(B)).withCtx(3)).hasMessageContaining("--ctx");
        assertThatThrownBy(() -> CompareOptions.of(A, List.of(B)).withLimit(1)).hasMessageContaining("--limit");
        assertThatThrownBy(() -> CompareOptions.of(A, List.of(B)).withBenchSeconds(0)).hasMessageContaining("--bench-seconds");
        assertThatThrownBy(() -> CompareOptions.of(A, List.of(B)).withText(Path.of("no/such/text.txt")))
                .hasMessage("--text no/such/text.txt: no such file");
        assertThat(CompareOptions.of(A, List.of(B)).models()).containsExactly(A, B);
    }

    @Test void decodersMustShareTheTokenization() {
        int[] base = {1, 5, 6, 7};
        assertThatCode(() -> DecoderComparison.sameVocabulary(A, B, 512, 512, base, base.clone())).doesNotThrowAnyException();
        assertThatThrownBy(() -> DecoderComparison.sameVocabulary(A, B, 512, 32000, base, base))
                .isInstanceOf(SquintException.class).hasMessageContaining("vocabulary of 32000 tokens").hasMessageContaining("share a tokenizer");
        assertThatThrownBy(() -> DecoderComparison.sameVocabulary(A, B, 512, 512, base, new int[] {1, 5, 9, 7}))
                .hasMessageContaining("differently").hasMessageContaining("token 2");
        assertThatThrownBy(() -> DecoderComparison.sameVocabulary(A, B, 512, 512, base, new int[] {1, 5, 6}))
                .hasMessageContaining("into 3 tokens");
    }

    @Test void encodersMustShareTheTokenization() {
        List<String> s = List.of("one", "two");
        List<int[]> ids = List.of(new int[] {101, 1, 102}, new int[] {101, 2, 102});
        assertThatCode(() -> EncoderComparison.sameTokenizer(A, B, s, ids, List.of(new int[] {101, 1, 102}, new int[] {101, 2, 102})))
                .doesNotThrowAnyException();
        assertThatThrownBy(() -> EncoderComparison.sameTokenizer(A, B, s, ids, List.of(new int[] {101, 1, 102}, new int[] {101, 3, 102})))
                .isInstanceOf(SquintException.class).hasMessageContaining("sentence 2");
    }
}
