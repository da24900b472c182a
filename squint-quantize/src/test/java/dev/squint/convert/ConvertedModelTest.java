package dev.squint.convert;

import dev.squint.core.DType;
import dev.squint.core.GgmlType;
import dev.squint.core.Metadata;
import dev.squint.core.ScalarType;
import dev.squint.core.Shape;
import dev.squint.core.SquintException;
import dev.squint.formats.gguf.GgufFile;
import dev.squint.formats.gguf.GgufReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConvertedModelTest {
    @TempDir Path tmp;

    @Test
    void opensAnInputAsTheGgufItWouldBecome() {
        Llama2cConvertTest.assumeShared();
        try (ConvertedModel m = GgufConverter.open(ConvertOptions.of(Llama2cConvertTest.MODEL, tmp.resolve("unused.gguf"))
                     .withVocab(Llama2cConvertTest.TOKENIZER).withOutType(OutType.Q8_0));
             GgufFile ref = GgufReader.open(Llama2cConvertTest.REFERENCE)) {
            assertThat(m.architecture()).isEqualTo("llama");
            assertThat(m.inputs()).containsExactly(Llama2cConvertTest.MODEL, Llama2cConvertTest.TOKENIZER);
            List<ConvertedModel.ConvertedTensor> ts = m.tensors();
            assertThat(ts).extracting(ConvertedModel.ConvertedTensor::name)
                    .containsExactlyElementsOf(ref.tensorInfos().stream().map(t -> t.name()).toList());
            ConvertedModel.ConvertedTensor q = ts.get(3);
            assertThat(q.name()).isEqualTo("blk.0.attn_q.weight");
            assertThat(q.type()).isEqualTo(GgmlType.Q8_0);
            float[] row = new float[64];
            q.source().readRow(5, row);
            float[] refRow = HfConvertTest.floats(ref.tensor("blk.0.attn_q.weight").orElseThrow());
            assertThat(row).containsExactly(java.util.Arrays.copyOfRange(refRow, 5 * 64, 6 * 64));
        }
        assertThat(tmp.resolve("unused.gguf")).doesNotExist();
    }

    @Test
    void aSourceFailingMidWayLeavesNoFile() throws Exception {
        GgufTensorPlan plan = new GgufTensorPlan();
        plan.metadata(Metadata.builder().putString("general.architecture", "llama").build());
        float[] ok = new float[64 * 64];
        plan.add("a.weight", "a", GgmlType.F16, SourceTensor.ofFloats(Shape.of(64, 64), ok));
        plan.add("b.weight", "b", GgmlType.F16, new SourceTensor() {
            @Override public Shape shape() { return Shape.of(64, 64); }
            @Override public DType sourceType() { return ScalarType.F32; }
            @Override public void readRow(long r, float[] dst) {
                if (r == 40) throw new SquintException("disk went away");
            }
            @Override public MemorySegment data() { return MemorySegment.ofArray(new byte[0]); }
        });
        Path out = tmp.resolve("x.gguf");
        assertThatThrownBy(() -> GgufEmitter.write(out, plan, List.of(), ConvertListener.NONE)).hasMessageContaining("disk went away");
        assertThat(out).doesNotExist();
        try (var files = Files.list(tmp)) {
            assertThat(files).isEmpty();
        }
    }
}
