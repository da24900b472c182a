package dev.squint.quantize;

import dev.squint.core.Metadata;
import dev.squint.formats.gguf.GgufFile;
import dev.squint.formats.gguf.GgufReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * More llama-quantize mixes on stories260K, checked against ../shared/testdata/llama.cpp/README.md:
 * the file size llama-quantize wrote for each type, and, where the README says llama-quantize wrote
 * identical tensor data for two names (because of the fallbacks), the whole file against the
 * reference with only {@code general.file_type} different.
 */
class StoriesMixesTest {
    @TempDir Path dir;

    @ParameterizedTest(name = "{0}: {1} bytes, data of {2}")
    @CsvSource({
            "F16, 601248, ''",
            "BF16, 601248, ''",
            "Q6_K, 379168, stories260K-Q8_0-ffnF16.gguf",
            "Q5_K_M, 316448, ''",
            "Q5_K_S, 315168, ''",
            "Q4_K_S, 303072, ''",
            "IQ4_XS, 277024, ''",
            "Q3_K_M, 281120, ''",
            "TQ1_0, 281120, ''",
            "TQ2_0, 281120, ''",
            "Q2_K, 277024, stories260K-Q4_0-ffnF16.gguf",
            "Q3_K_S, 277024, stories260K-Q4_0-ffnF16.gguf"})
    void sizeAndDataMatchLlamaQuantize(String type, long fileBytes, String sameDataAs) throws IOException {
        Path f32 = StoriesByteExactTest.F32;
        assumeTrue(Files.exists(f32), "needs ../shared/testdata/llama.cpp");
        QuantType t = QuantType.parse(type);
        Path out = dir.resolve(type + ".gguf");
        GgufQuantizer.quantize(QuantizeOptions.of(f32, out, t).withThreads(2));
        assertThat(Files.size(out)).isEqualTo(fileBytes);
        if (sameDataAs.isEmpty()) return;
        Path ref = StoriesByteExactTest.DIR.resolve(sameDataAs);
        try (GgufFile mine = GgufReader.open(out); GgufFile theirs = GgufReader.open(ref)) {
            Metadata expected = theirs.metadata().toBuilder().putU32("general.file_type", t.ftypeId()).build();
            assertThat(mine.metadata()).isEqualTo(expected);
            assertThat(mine.tensorInfos()).isEqualTo(theirs.tensorInfos());
            assertThat(mine.dataOffset()).isEqualTo(theirs.dataOffset());
            byte[] a = Files.readAllBytes(out), b = Files.readAllBytes(ref);
            int from = (int) mine.dataOffset();
            assertThat(Arrays.mismatch(a, from, a.length, b, from, b.length)).isEqualTo(-1);
        }
    }

    /** README: "IQ4_NL (ffn_down f16) = IQ4_XS" and "Q5_1 (ffn_down f16) = Q5_K_S": same tensor data, other file type. */
    @Test void fallbackTwinsWriteTheSameData() throws IOException {
        Path f32 = StoriesByteExactTest.F32;
        assumeTrue(Files.exists(f32), "needs ../shared/testdata/llama.cpp");
        for (String[] pair : new String[][] {{"IQ4_NL", "IQ4_XS"}, {"Q5_1", "Q5_K_S"}}) {
            Path a = dir.resolve(pair[0] + "-ffnF16.gguf"), b = dir.resolve(pair[1] + ".gguf");
            GgufQuantizer.quantize(QuantizeOptions.of(f32, a, QuantType.parse(pair[0])).withThreads(2)
                    .withTensorTypes(List.of(TypePlanner.TypeOverride.parse("ffn_down=f16"))));
            GgufQuantizer.quantize(QuantizeOptions.of(f32, b, QuantType.parse(pair[1])).withThreads(2));
            byte[] x = Files.readAllBytes(a), y = Files.readAllBytes(b);
            assertThat(x.length).isEqualTo(y.length);
            try (GgufFile g = GgufReader.open(a)) {
                int from = (int) g.dataOffset();
                assertThat(Arrays.mismatch(x, from, x.length, y, from, y.length)).as(pair[0] + " vs " + pair[1]).isEqualTo(-1);
            }
        }
    }
}
