package dev.squint.quantize;

import dev.squint.core.GgmlType;
import dev.squint.core.Metadata;
import dev.squint.core.SquintException;
import dev.squint.formats.gguf.GgufPlan;
import dev.squint.formats.gguf.GgufWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BadInputTest {
    @TempDir Path dir;

    private Path model(String arch, GgmlType weightType) {
        Path p = dir.resolve(arch + "-" + weightType + ".gguf");
        GgufPlan plan = GgufPlan.builder().metadata(Metadata.builder().putString("general.architecture", arch)
                        .putU32(arch + ".block_count", 1).build())
                .tensor("blk.0.attn_q.weight", weightType, 64, 64).tensor("blk.0.attn_norm.weight", GgmlType.F32, 64).build();
        GgufWriter.write(p, plan, (t, sink) -> sink.write(MemorySegment.ofArray(new byte[(int) t.byteSize()])), List.of());
        return p;
    }

    @Test void unsupportedArchitectureListsTheSupportedOnes() {
        Path in = model("mamba-ish", GgmlType.F32);
        assertThatThrownBy(() -> GgufQuantizer.quantize(QuantizeOptions.of(in, dir.resolve("o.gguf"), QuantType.Q8_0)))
                .isInstanceOf(SquintException.class).hasMessageContaining("'mamba-ish' is not supported").hasMessageContaining("llama, ");
    }

    @Test void unsupportedTensorTypeListsTheSupportedOnes() {
        Path in = model("llama", GgmlType.I32);
        assertThatThrownBy(() -> GgufQuantizer.quantize(QuantizeOptions.of(in, dir.resolve("o.gguf"), QuantType.Q8_0)))
                .isInstanceOf(SquintException.class).hasMessageContaining("blk.0.attn_q.weight is I32")
                .hasMessageContaining("supported source types: F32, F16, BF16");
    }

    @Test void alreadyQuantizedTensorsNeedAllowRequantize() {
        Path in = model("llama", GgmlType.Q8_0);
        QuantizeOptions o = QuantizeOptions.of(in, dir.resolve("o.gguf"), QuantType.Q4_0);
        assertThatThrownBy(() -> GgufQuantizer.quantize(o)).isInstanceOf(SquintException.class).hasMessageContaining("--allow-requantize");
        QuantizeOptions allowed = new QuantizeOptions(in, dir.resolve("o.gguf"), QuantType.Q4_0, false, null, null, false, List.of(),
                null, 1, false, false, true);
        QuantizeReport r = GgufQuantizer.quantize(allowed);
        assertThat(r.tensors().stream().filter(t -> t.plan().name().equals("blk.0.attn_q.weight")).findFirst().orElseThrow()
                .plan().targetType()).isEqualTo(GgmlType.Q4_0);
    }

    @Test void nonGgufInputThatIsNoModelIsRefusedAndLeavesNothing() throws IOException {
        Path bin = dir.resolve("model.bin");
        Files.write(bin, new byte[64]);
        assertThatThrownBy(() -> GgufQuantizer.quantize(QuantizeOptions.of(bin, dir.resolve("o.gguf"), QuantType.Q8_0)))
                .isInstanceOf(SquintException.class).hasMessageContaining("model.bin");
        Path folder = Files.createDirectory(dir.resolve("hf"));
        assertThatThrownBy(() -> GgufQuantizer.quantize(QuantizeOptions.of(folder, dir.resolve("o.gguf"), QuantType.Q8_0)))
                .isInstanceOf(SquintException.class).hasMessageContaining("hf");
        try (var files = Files.list(dir)) { // neither an output nor the temporary conversion is left behind
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("model.bin", "hf");
        }
    }

    @Test void outputEqualToInputIsRefusedBeforeAnyWork() throws IOException {
        Path in = model("llama", GgmlType.F32);
        byte[] before = Files.readAllBytes(in);
        assertThatThrownBy(() -> GgufQuantizer.quantize(QuantizeOptions.of(in, in, QuantType.Q8_0))).isInstanceOf(SquintException.class);
        assertThat(Files.readAllBytes(in)).isEqualTo(before);
    }

    @Test void noFallbackFailsWhereLlamaCppWouldFallBack() {
        Path in = model("llama", GgmlType.F32); // 64 columns: Q4_K would fall back to Q5_0
        QuantizeOptions o = QuantizeOptions.of(in, dir.resolve("o.gguf"), QuantType.Q4_K_S).withNoFallback(true);
        assertThatThrownBy(() -> GgufQuantizer.quantize(o)).isInstanceOf(SquintException.class)
                .hasMessageContaining("blk.0.attn_q.weight").hasMessageContaining("Q4_K -> Q5_0").hasMessageContaining("--no-fallback");
    }

    @Test void failureMidWayLeavesNoFile() throws IOException {
        Path in = dir.resolve("rand.gguf");
        RandomLlamaModel.write(in, new RandomLlamaModel.Shape(256, 2, 4, 4, 256, 256), GgmlType.F16, 1);
        Path out = dir.resolve("out").resolve("q.gguf");
        Files.createDirectories(out.getParent());
        GgufQuantizer.Listener failing = new GgufQuantizer.Listener() {
            @Override public void tensor(int index, TensorPlan plan) {
                if (index == 6) throw new IllegalStateException("source failed at " + plan.name());
            }
        };
        assertThatThrownBy(() -> GgufQuantizer.quantize(QuantizeOptions.of(in, out, QuantType.Q4_K_M), failing))
                .hasMessageContaining("source failed");
        try (Stream<Path> left = Files.list(out.getParent())) {
            assertThat(left.toList()).isEmpty(); // neither the output nor a temp file
        }
    }

    @Test void unknownTypesAndBadOverridesAreUserErrors() {
        assertThatThrownBy(() -> QuantType.parse("q9_k")).isInstanceOf(SquintException.class).hasMessageContaining("Q4_K_M");
        assertThat(QuantType.parse("q4_k")).isEqualTo(QuantType.Q4_K_M);
        assertThat(QuantType.parse("15")).isEqualTo(QuantType.Q4_K_M);
        assertThatThrownBy(() -> TypePlanner.TypeOverride.parse("ffn_down")).isInstanceOf(SquintException.class);
        assertThatThrownBy(() -> TypePlanner.TypeOverride.parse("ffn_down=q9")).isInstanceOf(SquintException.class);
        assertThatThrownBy(() -> TypePlanner.TypeOverride.parse("ffn_(=f16")).isInstanceOf(SquintException.class)
                .hasMessageContaining("regular expression");
        assertThat(Map.of("x", TypePlanner.TypeOverride.parse("FFN_DOWN=F16").type())).containsEntry("x", GgmlType.F16);
    }
}
