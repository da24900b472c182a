package dev.squint.engine.llama;

import dev.squint.core.Model;
import dev.squint.core.Tensor;
import dev.squint.formats.ModelOpener;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class ImatrixCollectorTest {
    static final Path SHARED = Path.of(System.getProperty("squint.shared", "../shared"));
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Test
    void writesLlamaCppImatrixGgufWithSumsOfSquaresAndCounts(@TempDir Path tmp) throws IOException {
        Path gguf = SHARED.resolve("testdata/llama.cpp/stories260K-f32.gguf");
        Path text = SHARED.resolve("data/TinyStories-valid.txt");
        Assumptions.assumeTrue(Files.exists(gguf) && Files.exists(text), "shared data absent");
        Path out = tmp.resolve("imatrix.gguf");
        try (Decoder d = Decoder.open(gguf, null, false); LlamaSession s = d.model().newSession(64, 1)) {
            int[] tokens = d.tokenizeForEval(Files.readString(text).substring(0, 3000));
            ImatrixCollector c = ImatrixCollector.collect(s, tokens, 64, d.bos(), PerplexityEval.QUIET);
            int chunks = tokens.length / 64;
            assertThat(c.chunks()).isEqualTo(chunks);
            c.write(out, "tiny.txt", List.of(gguf));
            float[] q = c.importance("blk.0.attn_q.weight");
            // attn_q's input is the normalised embedding: RMSNorm makes the mean square over columns ≈ mean(w²)
            assertThat(q).hasSize(64);
            for (float v : q) assertThat(v).isPositive();
            try (Model m = ModelOpener.open(out)) {
                assertThat(m.metadata().string("general.type")).hasValue("imatrix");
                assertThat(m.metadata().integer("imatrix.chunk_count")).hasValue((long) chunks);
                assertThat(m.metadata().integer("imatrix.chunk_size")).hasValue(64L);
                assertThat(m.tensors()).hasSize(2 * 7 * 5); // q k v o gate up down per layer, no output matrix
                Tensor sum2 = m.tensor("blk.0.attn_q.weight.in_sum2").orElseThrow();
                Tensor counts = m.tensor("blk.0.attn_q.weight.counts").orElseThrow();
                assertThat(sum2.shape().dims()).containsExactly(1, 64);
                float n = counts.data().get(F32, 0);
                assertThat(n).isEqualTo(chunks * 64f);
                for (int j = 0; j < 64; j++) assertThat(sum2.data().getAtIndex(F32, j) / n).isCloseTo(q[j], within(1e-4f * Math.max(1, q[j])));
                assertThat(m.tensor("blk.4.ffn_down.weight.in_sum2").orElseThrow().shape().dims()).containsExactly(1, 172);
            }
        }
    }
}
