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

/**
 * squint's logits against llama.cpp's for the same GGUF and tokens (one batched forward of 128 tokens).
 * F32 matches closely. The quantized files run the same kernels llama.cpp runs (activations quantized to
 * the weight's vecDotType) yet differ by up to ~0.4 in logits: the cause is not found (weights decode to
 * the same values, perplexity agrees within 0.03 %), so those bounds only catch gross errors.
 */
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
    // Bounds: F32 agrees to ~1e-5 on most rows (max 1.1e-2 over 65,536 logits of magnitude ~10, from float rounding inside
    // attention); the quantized files differ by up to ~0.4 (see the class comment). A wrong layer gives errors of several units.
    @CsvSource({"f32, 2e-2, 2e-3", "Q8_0-ffnF16, 0.5, 0.1", "Q4_0-ffnF16, 0.5, 0.1", "Q4_K_M, 0.5, 0.1"})
    void logitsMatchLlamaCpp(String type, double bound, double meanBound) throws IOException {
        Path gguf = DIR.resolve("stories260K-" + type + ".gguf");
        Assumptions.assumeTrue(Files.exists(gguf), "llama.cpp reference files absent");
        int[] toks = tokens(DIR.resolve("logits-" + type + ".tokens.i32"));
        float[] ref = floats(DIR.resolve("logits-" + type + ".logits.f32"));
        try (Model m = ModelOpener.open(gguf); LlamaModel model = LlamaModel.load(m);
             LlamaSession s = model.newSession(toks.length, 2)) {
            float[] got = s.forward(toks, 0, toks.length, true);
            double max = 0, sum = 0;
            for (int i = 0; i < ref.length; i++) {
                double d = Math.abs(got[i] - ref[i]);
                max = Math.max(max, d);
                sum += d;
            }
            System.out.printf("logits %s: max abs diff %.3g, mean %.3g over %d values%n", type, max, sum / ref.length, ref.length);
            assertThat(max).isLessThan(bound);
            assertThat(sum / ref.length).isLessThan(meanBound);
            // the first rows see at most a few positions, where attention rounding has not accumulated yet
            if (type.equals("f32")) {
                for (int i = 0; i < 6 * 512; i++) assertThat((double) Math.abs(got[i] - ref[i])).isLessThan(1e-3);
            }
        }
    }
}
