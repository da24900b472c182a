package dev.squint.quantize;

import dev.squint.core.GgmlType;
import dev.squint.core.SquintException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Quantizing llama.cpp's stories260K F32 GGUF gives llama-quantize's files byte for byte. */
class StoriesByteExactTest {
    static final Path DIR = Path.of(System.getProperty("squint.shared", "../shared"), "testdata", "llama.cpp");
    static final Path F32 = DIR.resolve("stories260K-f32.gguf");

    @TempDir Path tmp;

    private Path quantize(QuantType type, List<String> overrides, int threads) {
        return quantize(type, overrides, threads, false);
    }

    /** {@code vector}: Vector API kernels for every type (a model this small gets the scalar codecs otherwise). */
    private Path quantize(QuantType type, List<String> overrides, int threads, boolean vector) {
        assumeTrue(Files.exists(F32), "needs ../shared/testdata/llama.cpp");
        Path out = tmp.resolve(type + "-" + threads + (vector ? "-vector" : "") + ".gguf");
        QuantizeOptions o = QuantizeOptions.of(F32, out, type).withThreads(threads)
                .withTensorTypes(overrides.stream().map(TypePlanner.TypeOverride::parse).toList());
        QuantizeReport r = vector
                ? GgufQuantizer.quantize(o, GgufQuantizer.Listener.NONE, GgufQuantizer.CHUNK_ELEMENTS, 0)
                : GgufQuantizer.quantize(o);
        assertThat(r.fileBytes()).isEqualTo(out.toFile().length());
        return out;
    }

    private static byte[] bytes(Path p) throws IOException { return Files.readAllBytes(p); }

    @Test void q8_0WithFfnDownF16IsByteExact() throws IOException {
        Path out = quantize(QuantType.Q8_0, List.of("ffn_down=f16"), 2);
        assertThat(bytes(out)).isEqualTo(bytes(DIR.resolve("stories260K-Q8_0-ffnF16.gguf")));
        assertThat(bytes(quantize(QuantType.Q8_0, List.of("ffn_down=f16"), 2, true))).isEqualTo(bytes(out));
    }

    @Test void q4_0WithFfnDownF16IsByteExact() throws IOException {
        Path out = quantize(QuantType.Q4_0, List.of("ffn_down=f16"), 1);
        assertThat(bytes(out)).isEqualTo(bytes(DIR.resolve("stories260K-Q4_0-ffnF16.gguf")));
        assertThat(bytes(quantize(QuantType.Q4_0, List.of("ffn_down=f16"), 2, true))).isEqualTo(bytes(out));
    }

    @Test void q4_K_MWithAllItsFallbacksIsByteExactAtAnyThreadCount() throws IOException {
        byte[] expected = bytes(DIR.resolve("stories260K-Q4_K_M.gguf"));
        assertThat(bytes(quantize(QuantType.Q4_K_M, List.of(), 1))).isEqualTo(expected);
        assertThat(bytes(quantize(QuantType.Q4_K_M, List.of(), 3))).isEqualTo(expected);
        assertThat(bytes(quantize(QuantType.Q4_K_M, List.of(), 3, true))).isEqualTo(expected);
    }

    @Test void quantizingTheLlama2cCheckpointStraightAwayGivesLlamaCppsFile() throws IOException {
        Path bin = Path.of(System.getProperty("squint.shared", "../shared"), "data", "stories260K.bin");
        assumeTrue(Files.exists(bin) && Files.exists(F32), "needs ../shared/data and ../shared/testdata/llama.cpp");
        Path out = tmp.resolve("direct.gguf");
        QuantizeReport r = GgufQuantizer.quantize(QuantizeOptions.of(bin, out, QuantType.Q4_K_M).withThreads(2));
        assertThat(r.input()).isEqualTo(bin);
        assertThat(bytes(out)).isEqualTo(bytes(DIR.resolve("stories260K-Q4_K_M.gguf")));
        try (var files = Files.list(tmp)) {
            assertThat(files).containsExactly(out);
        }
    }

    @Test void q4_K_MReportsEveryFallback() {
        assumeTrue(Files.exists(F32), "needs ../shared/testdata/llama.cpp");
        QuantizeReport r = GgufQuantizer.quantize(QuantizeOptions.of(F32, tmp.resolve("dry.gguf"), QuantType.Q4_K_M).withDryRun(true));
        // every 2-D tensor but output.weight (Q8_0 by the output rule, not a fallback) falls back
        assertThat(r.fallbacks()).isEqualTo(1 + 5 * 7);
        TensorPlan down = r.tensors().stream().map(QuantizeReport.TensorResult::plan)
                .filter(p -> p.name().equals("blk.0.ffn_down.weight")).findFirst().orElseThrow();
        assertThat(down.targetType()).isEqualTo(GgmlType.F16);
        assertThat(down.fallback()).contains("Q4_K -> F16");
    }

    @Test void q8_0WithoutOverrideFailsLikeLlamaQuantize() {
        assumeTrue(Files.exists(F32), "needs ../shared/testdata/llama.cpp");
        Path out = tmp.resolve("x.gguf");
        assertThatThrownBy(() -> GgufQuantizer.quantize(QuantizeOptions.of(F32, out, QuantType.Q8_0)))
                .isInstanceOf(SquintException.class).hasMessageContaining("ffn_down").hasMessageContaining("no fallback");
        assertThat(out).doesNotExist();
    }
}
