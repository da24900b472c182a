package dev.squint.cli;

import dev.squint.core.GgmlType;
import dev.squint.core.Metadata;
import dev.squint.core.ScalarType;
import dev.squint.core.Shape;
import dev.squint.formats.gguf.GgufPlan;
import dev.squint.formats.gguf.GgufWriter;
import dev.squint.formats.safetensors.SafetensorsWriter;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code squint compare} through the CLI: bad input is one line and exit code 2. */
class CompareCommandTest {
    static final Path SHARED = Path.of(System.getProperty("squint.shared", "../shared"));
    static final Path F32 = SHARED.resolve("testdata/llama.cpp/stories260K-f32.gguf");
    static final Path Q4 = SHARED.resolve("testdata/llama.cpp/stories260K-Q4_0-ffnF16.gguf");
    static final Path TEXT = SHARED.resolve("data/TinyStories-valid.txt");
    static final Path MINILM = Path.of(System.getProperty("squint.models", "target/models"), "all-minilm-l6-v2/all-minilm-l6-v2.onnx");

    @TempDir Path tmp;

    private static void oneLineUserError(CliRun r, String... fragments) {
        assertThat(r.exitCode()).as(r.err()).isEqualTo(2);
        assertThat(r.errLines()).as(r.err()).hasSize(1);
        assertThat(r.err()).contains(fragments);
    }

    /** A GGUF whose architecture squint has no engine for. */
    private Path gpt2Gguf() {
        Metadata meta = Metadata.builder().putString("general.architecture", "gpt2").putU32("general.alignment", 32).build();
        GgufPlan plan = GgufPlan.builder().metadata(meta).tensor("token_embd.weight", GgmlType.F32, 4, 2).build();
        Path p = tmp.resolve("gpt2.gguf");
        GgufWriter.write(p, plan, GgufWriter.from(Map.of("token_embd.weight", MemorySegment.ofArray(new byte[32]))), List.of());
        return p;
    }

    @Test void anUnsupportedArchitectureNamesWhatCompareEvaluates() {
        Path gguf = gpt2Gguf();
        oneLineUserError(CliRun.of("compare", gguf.toString(), gguf.toString() + "x", "--text", tmp.resolve("absent.txt").toString()),
                "--text", "absent.txt", "no such file");
        Assumptions.assumeTrue(Files.exists(F32) && Files.exists(TEXT), "shared llama.cpp data absent");
        oneLineUserError(CliRun.of("compare", gguf.toString(), F32.toString(), "--text", TEXT.toString()),
                "gpt2.gguf", "architecture 'gpt2'", "squint compare evaluates", "decoders", "encoders", "ONNX graphs");
    }

    @Test void safetensorsWithoutConfigAndRandomFilesAreRefused() throws IOException {
        Path st = tmp.resolve("weights.safetensors");
        SafetensorsWriter.write(st, List.of(SafetensorsWriter.Entry.of("w", ScalarType.F32, Shape.of(2, 2), MemorySegment.ofArray(new byte[16]))));
        Path random = tmp.resolve("random.bin");
        Files.write(random, new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9});
        Path text = Files.writeString(tmp.resolve("t.txt"), "Once upon a time.");
        oneLineUserError(CliRun.of("compare", st.toString(), random.toString(), "--text", text.toString()),
                "weights.safetensors", "without a config.json", "squint compare evaluates");
        oneLineUserError(CliRun.of("compare", random.toString(), st.toString(), "--text", text.toString()),
                "random.bin", "squint compare evaluates");
    }

    @Test void aDecoderWithoutTextAsksForIt() {
        Assumptions.assumeTrue(Files.exists(F32) && Files.exists(Q4), "shared llama.cpp data absent");
        oneLineUserError(CliRun.of("compare", F32.toString(), Q4.toString()), "comparing decoders needs --text FILE");
    }

    @Test void modelsOfDifferentKindsAreRefused() {
        Assumptions.assumeTrue(Files.exists(F32) && Files.exists(TEXT) && Files.exists(MINILM), "shared data or MiniLM absent");
        oneLineUserError(CliRun.of("compare", F32.toString(), MINILM.toString(), "--text", TEXT.toString()),
                "all-minilm-l6-v2.onnx is a sentence encoder", "base", "is a decoder", "one kind");
    }

    @Test void dataOptionsOfAnotherKindAreRefused() {
        Assumptions.assumeTrue(Files.exists(F32) && Files.exists(Q4) && Files.exists(TEXT), "shared llama.cpp data absent");
        oneLineUserError(CliRun.of("compare", F32.toString(), Q4.toString(), "--text", TEXT.toString(), "--sentences", TEXT.toString()),
                "--sentences does not apply", "decoders take --text FILE");
    }

    @Test void aBaseAloneIsAUsageError() {
        CliRun r = CliRun.of("compare", "model.gguf");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("CANDIDATE");
    }

    @Test void helpDescribesEveryKind() {
        CliRun r = CliRun.of("compare", "--help");
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).contains("--text", "--sts", "--sentences", "--inputs", "decoders", "sentence encoders", "ONNX graphs");
    }
}
