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

    @Test void decodersEndToEndWithATableVerdictsAndReportFiles() throws IOException {
        Path bin = SHARED.resolve("data/stories260K.bin"); // llama2.c, with tok512.bin beside it
        Assumptions.assumeTrue(Files.exists(F32) && Files.exists(Q4) && Files.exists(TEXT) && Files.exists(bin), "shared llama.cpp data absent");
        Path md = tmp.resolve("r.md"), json = tmp.resolve("r.json"), html = tmp.resolve("r.html");
        CliRun r = CliRun.of("compare", F32.toString(), bin.toString(), Q4.toString(), "--text", TEXT.toString(), "--ctx", "128",
                "--limit", "8", "--threads", "2", "--bench-seconds", "0.1", "--memory-budget", "100000", "--markdown", md.toString(), "--json", json.toString(),
                "--html", html.toString());
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("stories260K-f32.gguf", "stories260K.bin", "stories260K-Q4_0-ffnF16.gguf", "Verdicts", "PPL",
                "wrote " + md, "wrote " + json, "wrote " + html);
        assertThat(Files.readString(md)).contains("stories260K-Q4\\_0-ffnF16.gguf", "## Verdicts");
        String j = Files.readString(json);
        assertThat(j).contains("\"kind\"", "decoder", "kld_mean", "same_top");
        assertThat(Files.readString(html)).contains("<svg");
        // the llama2.c checkpoint is the same weights as llama.cpp's F32 conversion: no divergence, same top token everywhere
        var report = dev.squint.report.Reports.fromJson(j);
        var llama2c = report.rows().get(1);
        assertThat(llama2c.metric("kld_mean").orElseThrow().value()).isLessThan(1e-6);
        assertThat(llama2c.metric("same_top").orElseThrow().value()).isEqualTo(100.0);
        assertThat(report.rows().get(2).metric("kld_mean").orElseThrow().value()).isGreaterThan(0.05);
        assertThat(report.verdicts()).extracting(dev.squint.report.Verdict::question).anyMatch(q -> q.startsWith("Best pick within"));
    }

    @Test void helpDescribesEveryKind() {
        CliRun r = CliRun.of("compare", "--help");
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).contains("--text", "--sts", "--sentences", "--inputs", "decoders", "sentence encoders", "ONNX graphs");
    }
}
