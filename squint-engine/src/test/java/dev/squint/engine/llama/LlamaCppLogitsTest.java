package dev.squint.engine.llama;

import dev.squint.core.Model;
import dev.squint.formats.ModelOpener;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** squint's logits against llama.cpp's for the same GGUF and tokens (one batched forward of 128 tokens). */
class LlamaCppLogitsTest {
    static final Path DIR = Path.of(System.getProperty("squint.shared", "../shared"), "testdata", "llama.cpp");

    static int[] tokens(Path p) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(p)).order(ByteOrder.LITTLE_ENDIAN);
        int[] t = new int[b.remaining() / 4];
        for (int i = 0; i < t.length; i++) t[i] = b.getInt();
        return t;
    }

    static float[] floats(Path p) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(p)).order(ByteOrder.LITTLE_ENDIAN);
        float[] f = new float[b.remaining() / 4];
        for (int i = 0; i < f.length; i++) f[i] = b.getFloat();
        return f;
    }

    @ParameterizedTest
    @CsvSource({"f32, 1e-3", "Q8_0-ffnF16, 2e-3", "Q4_0-ffnF16, 2e-3", "Q4_K_M, 2e-3"})
    void logitsMatchLlamaCpp(String type, double bound) throws IOException {
        Path gguf = DIR.resolve("stories260K-" + type + ".gguf");
        Assumptions.assumeTrue(Files.exists(gguf), "llama.cpp reference files absent");
        int[] toks = tokens(DIR.resolve("logits-" + type + ".tokens.i32"));
        float[] ref = floats(DIR.resolve("logits-" + type + ".logits.f32"));
        try (Model m = ModelOpener.open(gguf); LlamaModel model = LlamaModel.load(m);
             LlamaSession s = model.newSession(toks.length, 2)) {
            float[] got = s.forward(toks, 0, toks.length, true);
            double max = 0;
            for (int i = 0; i < ref.length; i++) max = Math.max(max, Math.abs(got[i] - ref[i]));
            System.out.printf("logits %s: max abs diff %.3g over %d values%n", type, max, ref.length);
            assertThat(max).isLessThan(bound);
        }
    }
}
