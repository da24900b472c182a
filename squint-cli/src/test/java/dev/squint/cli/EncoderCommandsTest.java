package dev.squint.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** embed / eval / bench on the bundled all-MiniLM-L6-v2. */
class EncoderCommandsTest {
    @TempDir Path dir;

    @BeforeAll
    static void needsModel() {
        Path onnx = Path.of(System.getProperty("squint.models", "target/models"), "all-minilm-l6-v2", "all-minilm-l6-v2.onnx");
        assumeTrue(Files.exists(onnx), "all-MiniLM-L6-v2 not unpacked at " + onnx);
    }

    @Test
    void embedsAsJsonWithUnitVectorsAndStatesTruncation() throws Exception {
        CliRun run = CliRun.of("embed", "all-minilm-l6-v2", "--json", "--threads", "2",
                "--text", "Café", "--text", "", "--text", "word ".repeat(300));
        assertThat(run.exitCode()).as(run.err()).isZero();
        JsonNode j = new ObjectMapper().readTree(run.out());
        assertThat(j.get("dimensions").asInt()).isEqualTo(384);
        assertThat(j.get("max_tokens").asInt()).isEqualTo(128);
        assertThat(j.get("pooling").asText()).isEqualTo("mean");
        JsonNode items = j.get("embeddings");
        assertThat(items).hasSize(3);
        assertThat(items.get(0).get("tokens").asInt()).isEqualTo(3); // [CLS] cafe [SEP]
        assertThat(items.get(1).get("tokens").asInt()).isEqualTo(2);
        assertThat(items.get(2).get("truncated").asBoolean()).isTrue();
        for (JsonNode item : items) {
            double norm = 0;
            for (JsonNode v : item.get("embedding")) norm += v.asDouble() * v.asDouble();
            assertThat(Math.sqrt(norm)).isBetween(0.9999, 1.0001);
        }
    }

    @Test
    void embedTextSaysWhenItTruncates() {
        CliRun run = CliRun.of("embed", "all-minilm-l6-v2", "--threads", "1", "--text", "hello ".repeat(200));
        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).contains("(128 tokens, truncated to the model's 128)");
    }

    @Test
    void usageErrorsAreOneLine() {
        CliRun none = CliRun.of("embed", "all-minilm-l6-v2");
        assertThat(none.exitCode()).isEqualTo(2);
        assertThat(none.errLines()).hasSize(1);
        assertThat(none.err()).contains("--text or --file");
        CliRun format = CliRun.of("embed", "all-minilm-l6-v2", "--text", "x", "--format", "q9");
        assertThat(format.exitCode()).isEqualTo(2);
        assertThat(format.err()).contains("unknown format 'q9'");
        CliRun eval = CliRun.of("eval", "all-minilm-l6-v2");
        assertThat(eval.exitCode()).isEqualTo(2);
        assertThat(eval.err()).contains("--sts");
    }

    @Test
    void evalScoresAnStsFileAndFidelity() throws Exception {
        Path sts = dir.resolve("sts.csv");
        Files.writeString(sts, """
                g\tf\t2012\t1\t5.0\tA man is playing a guitar.\tA man plays the guitar.
                g\tf\t2012\t2\t0.2\tA man is playing a guitar.\tThe stock market fell today.
                g\tf\t2012\t3\t3.0\tA woman is slicing an onion.\tA woman is cutting vegetables.
                g\tf\t2012\t4\t0.5\tA dog runs in the park.\tThe senate passed the bill.
                """);
        CliRun run = CliRun.of("eval", "all-minilm-l6-v2", "--sts", sts.toString(), "--json", "--threads", "2");
        assertThat(run.exitCode()).as(run.err()).isZero();
        JsonNode j = new ObjectMapper().readTree(run.out());
        assertThat(j.get("pairs").asInt()).isEqualTo(4);
        assertThat(j.get("spearman").asDouble()).isGreaterThan(0.7);

        Path sentences = dir.resolve("s.txt");
        Files.writeString(sentences, "A man is playing a guitar.\nA man plays the guitar.\nThe stock market fell today.\nA dog runs in the park.\n");
        CliRun fid = CliRun.of("eval", "all-minilm-l6-v2", "--reference", "all-minilm-l6-v2", "--sentences", sentences.toString(),
                "--format", "q8_0", "--threads", "2");
        assertThat(fid.exitCode()).as(fid.err()).isZero();
        assertThat(fid.out()).startsWith("4 sentences vs all-minilm-l6-v2: mean cosine 0.99").contains("top-3 retrieval agreement");
    }
}
