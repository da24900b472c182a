package dev.squint.engine.llama;

import dev.squint.core.GgmlType;
import dev.squint.engine.ops.Linear;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class DynamicQuantizationTest {
    static final Path SHARED = Path.of(System.getProperty("squint.shared", "../shared"));

    @Test
    void w8a8RunsEveryBlockableMatrixAsQ8_0AndCostsLittlePerplexity() throws IOException {
        Path gguf = SHARED.resolve("testdata/llama.cpp/stories260K-f32.gguf");
        Path text = SHARED.resolve("data/TinyStories-valid.txt");
        Assumptions.assumeTrue(Files.exists(gguf) && Files.exists(text), "shared data absent");
        String sample = Files.readString(text).substring(0, 20_000);
        double base, dyn;
        try (Decoder d = Decoder.open(gguf, null, false); LlamaSession s = d.model().newSession(128, 2)) {
            base = PerplexityEval.perplexity(s, d.tokenizeForEval(sample), 128, d.bos(), PerplexityEval.QUIET).ppl();
        }
        try (Decoder d = Decoder.open(gguf, null, true); LlamaSession s = d.model().newSession(128, 2)) {
            assertThat(d.model().dynamic()).isTrue();
            for (Linear l : d.model().linears()) {
                // ffn_down rows hold 172 values, not a multiple of 32: those stay in their stored type
                assertThat(l.type()).isEqualTo(l.in() % 32 == 0 ? GgmlType.Q8_0 : GgmlType.F32);
            }
            dyn = PerplexityEval.perplexity(s, d.tokenizeForEval(sample), 128, d.bos(), PerplexityEval.QUIET).ppl();
        }
        assertThat(dyn).isNotEqualTo(base).isCloseTo(base, within(base * 0.01));
    }
}
