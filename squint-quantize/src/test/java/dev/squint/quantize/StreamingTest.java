package dev.squint.quantize;

import dev.squint.core.GgmlType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Blocks of rows and threads change nothing: the file is the same as one block per tensor on one thread. */
class StreamingTest {
    @TempDir Path dir;

    @ParameterizedTest(name = "{0}")
    @CsvSource({"Q4_K_M", "Q8_0", "Q5_1", "IQ4_NL", "BF16"})
    void smallBlocksAndManyThreadsGiveTheSameBytes(String type) throws IOException {
        Path in = dir.resolve("m.gguf");
        RandomLlamaModel.write(in, new RandomLlamaModel.Shape(256, 3, 4, 2, 512, 256), GgmlType.F16, 11);
        QuantType t = QuantType.parse(type);
        Path whole = dir.resolve("whole.gguf"), pieces = dir.resolve("pieces.gguf");
        QuantizeReport a = GgufQuantizer.quantize(QuantizeOptions.of(in, whole, t).withThreads(1), GgufQuantizer.Listener.NONE, 1 << 20);
        // 1000 values: 3 rows of 256 or 1 row of 512 per block, and blocks smaller than the thread count
        QuantizeReport b = GgufQuantizer.quantize(QuantizeOptions.of(in, pieces, t).withThreads(3), GgufQuantizer.Listener.NONE, 1000);
        assertThat(Files.readAllBytes(pieces)).isEqualTo(Files.readAllBytes(whole));
        // the Vector API kernels (chosen for big models) and the scalar codecs (for small ones) write the same bytes
        Path vector = dir.resolve("vector.gguf"), scalar = dir.resolve("scalar.gguf");
        QuantizeReport v = GgufQuantizer.quantize(QuantizeOptions.of(in, vector, t).withThreads(2), GgufQuantizer.Listener.NONE, 1000, 0);
        GgufQuantizer.quantize(QuantizeOptions.of(in, scalar, t).withThreads(2), GgufQuantizer.Listener.NONE, 1000, Long.MAX_VALUE);
        assertThat(Files.readAllBytes(vector)).isEqualTo(Files.readAllBytes(whole));
        assertThat(Files.readAllBytes(scalar)).isEqualTo(Files.readAllBytes(whole));
        for (int i = 0; i < a.tensors().size(); i++) {
            QuantizeReport.TensorResult x = a.tensors().get(i), y = v.tensors().get(i);
            if (x.error() == null) continue;
            assertThat(y.error().rmse()).isCloseTo(x.error().rmse(), org.assertj.core.api.Assertions.within(1e-5 * (1 + x.error().rmse())));
            assertThat(y.error().snrDb()).isCloseTo(x.error().snrDb(), org.assertj.core.api.Assertions.within(1e-3));
        }
        for (int i = 0; i < a.tensors().size(); i++) {
            QuantizeReport.TensorResult x = a.tensors().get(i), y = b.tensors().get(i);
            if (x.error() == null) continue;
            assertThat(y.error().rmse()).isCloseTo(x.error().rmse(), org.assertj.core.api.Assertions.within(1e-6 * (1 + x.error().rmse())));
            assertThat(y.error().count()).isEqualTo(x.plan().elements());
        }
        List<Long> weights = new java.util.ArrayList<>();
        GgufQuantizer.quantize(QuantizeOptions.of(in, dir.resolve("p.gguf"), t).withThreads(2), new GgufQuantizer.Listener() {
            @Override public void advanced(long w) { weights.add(w); }
        }, 1000);
        assertThat(weights.stream().mapToLong(Long::longValue).sum()).isEqualTo(a.weights());
    }
}
