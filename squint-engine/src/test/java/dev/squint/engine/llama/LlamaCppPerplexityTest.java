package dev.squint.engine.llama;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Perplexity on TinyStories (context 256) against llama-perplexity's figures for the same GGUFs, and greedy text. */
class LlamaCppPerplexityTest {
    static final Path SHARED = Path.of(System.getProperty("squint.shared", "../shared"));
    static final Path DIR = SHARED.resolve("testdata/llama.cpp");
    static final Path TEXT = SHARED.resolve("data/TinyStories-valid.txt");

    @ParameterizedTest
    @CsvSource({"f32, 6.2132, 0.1567", "Q8_0-ffnF16, 6.2168, 0.1569", "Q4_0-ffnF16, 6.8727, 0.1742", "Q4_K_M, 6.3148, 0.1589"})
    void perplexityWithinHalfAPercentOfLlamaCpp(String type, double ppl, double err) throws IOException {
        Path gguf = DIR.resolve("stories260K-" + type + ".gguf");
        Assumptions.assumeTrue(Files.exists(gguf) && Files.exists(TEXT), "llama.cpp reference files absent");
        try (Decoder d = Decoder.open(gguf, null, false); LlamaSession s = d.model().newSession(256, 2)) {
            int[] tokens = d.tokenizeForEval(Files.readString(TEXT));
            PerplexityEval.Result r = PerplexityEval.perplexity(s, tokens, 256, d.bos(), PerplexityEval.QUIET);
            System.out.printf("PPL %s: %.4f +/- %.4f (llama.cpp %.4f +/- %.4f)%n", type, r.ppl(), r.pplError(), ppl, err);
            assertThat(r.chunks()).isEqualTo(60);
            assertThat(r.tokensScored()).isEqualTo(60 * 127);
            assertThat(r.ppl()).isCloseTo(ppl, within(ppl * 0.005));
            assertThat(r.pplError()).isCloseTo(err, within(err * 0.02));
        }
    }

    @Test
    void greedyGenerationReproducesLlamaCppText() {
        Path gguf = DIR.resolve("stories260K-f32.gguf");
        Assumptions.assumeTrue(Files.exists(gguf), "llama.cpp reference files absent");
        try (Decoder d = Decoder.open(gguf, null, false); LlamaSession s = d.model().newSession(128, 2)) {
            StringBuilder streamed = new StringBuilder();
            Generator.Output out = Generator.generate(s, d.tokenizer(), "Once upon a time", 64, Sampler.greedy(), streamed::append);
            assertThat("Once upon a time" + out.text()).isEqualTo("Once upon a time, there was a little girl named Lily. She loved to play "
                    + "outside in the park. One day, she saw a big, red ball. She wanted to play with it, but it was too high.\n"
                    + "Lily's mom said");
            assertThat(streamed.toString()).isEqualTo(out.text());
            assertThat(out.generatedTokens()).isEqualTo(64);
        }
    }

    @Test
    void llama2cCheckpointRunsLikeItsGgufConversion() {
        Path bin = SHARED.resolve("data/stories260K.bin");
        Path tok = SHARED.resolve("data/tok512.bin");
        Path gguf = DIR.resolve("stories260K-f32.gguf");
        Assumptions.assumeTrue(Files.exists(bin) && Files.exists(tok) && Files.exists(gguf), "shared data absent");
        try (Decoder a = Decoder.open(bin, tok, false); Decoder b = Decoder.open(gguf, null, false);
             LlamaSession sa = a.model().newSession(64, 1); LlamaSession sb = b.model().newSession(64, 1)) {
            int[] tokens = a.tokenizer().encode("Once upon a time, a cat sat.", true, false);
            assertThat(tokens).containsExactly(b.tokenizer().encode("Once upon a time, a cat sat.", true, false));
            float[] la = sa.forward(tokens, 0, tokens.length, true).clone();
            float[] lb = sb.forward(tokens, 0, tokens.length, true);
            for (int i = 0; i < tokens.length * 512; i++) assertThat(la[i]).isCloseTo(lb[i], within(1e-4f));
        }
    }

    @Test
    void klDivergenceOfAModelAgainstItselfIsZeroAndAQuantizedOneIsNot(@org.junit.jupiter.api.io.TempDir Path tmp) throws IOException {
        Path f32 = DIR.resolve("stories260K-f32.gguf");
        Path q4 = DIR.resolve("stories260K-Q4_0-ffnF16.gguf");
        Assumptions.assumeTrue(Files.exists(f32) && Files.exists(q4) && Files.exists(TEXT), "llama.cpp reference files absent");
        String text = Files.readString(TEXT).substring(0, 20_000);
        Path base = tmp.resolve("base.kld");
        try (Decoder d = Decoder.open(f32, null, false); LlamaSession s = d.model().newSession(128, 2)) {
            int[] tokens = d.tokenizeForEval(text);
            PerplexityEval.Result r = PerplexityEval.saveBase(s, tokens, 128, d.bos(), base, PerplexityEval.QUIET);
            PerplexityEval.KlResult self = PerplexityEval.compare(s, tokens, 128, d.bos(), base, PerplexityEval.QUIET);
            assertThat(self.meanKld()).isCloseTo(0, within(1e-9));
            assertThat(self.sameTopPercent()).isEqualTo(100.0);
            assertThat(self.basePpl()).isCloseTo(r.ppl(), within(1e-6 * r.ppl()));
        }
        try (Decoder d = Decoder.open(q4, null, false); LlamaSession s = d.model().newSession(128, 2)) {
            int[] tokens = d.tokenizeForEval(text);
            PerplexityEval.KlResult k = PerplexityEval.compare(s, tokens, 128, d.bos(), base, PerplexityEval.QUIET);
            // llama.cpp: Q4_0 mean KLD 0.1147, same top 81.6 % at context 256 on the whole text
            assertThat(k.meanKld()).isBetween(0.05, 0.25);
            assertThat(k.sameTopPercent()).isBetween(70.0, 92.0);
            assertThat(k.pplRatio()).isCloseTo(k.ppl().ppl() / k.basePpl(), within(1e-3));
            assertThat(k.p99()).isGreaterThanOrEqualTo(k.median());
        }
    }
}
