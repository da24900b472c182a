package dev.squint.quantize;

import dev.squint.core.GgmlType;
import dev.squint.core.MetaValue;
import dev.squint.core.Metadata;
import dev.squint.core.ModelFormatException;
import dev.squint.core.SquintException;
import dev.squint.core.codec.Codecs;
import dev.squint.core.codec.FloatFormats;
import dev.squint.formats.gguf.GgufFile;
import dev.squint.formats.gguf.GgufPlan;
import dev.squint.formats.gguf.GgufReader;
import dev.squint.formats.gguf.GgufTensorInfo;
import dev.squint.formats.gguf.GgufWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ImatrixTest {
    @TempDir Path dir;

    /** Writes llama-imatrix's legacy .dat layout (see Imatrix's class comment). */
    static Path legacy(Path file, Map<String, float[]> sums, int ncall, String dataset, int lastCall) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(sums.size());
        for (Map.Entry<String, float[]> e : sums.entrySet()) {
            byte[] name = e.getKey().getBytes(StandardCharsets.UTF_8);
            b.putInt(name.length).put(name).putInt(ncall).putInt(e.getValue().length);
            for (float f : e.getValue()) b.putFloat(f);
        }
        if (dataset != null) {
            byte[] d = dataset.getBytes(StandardCharsets.UTF_8);
            b.putInt(lastCall).putInt(d.length).put(d);
        }
        Files.write(file, java.util.Arrays.copyOf(b.array(), b.position()));
        return file;
    }

    /** Writes the GGUF imatrix layout: NAME.in_sum2 [ne0, nMat] and NAME.counts [1, nMat]. */
    static Path gguf(Path file, Map<String, float[]> sums, Map<String, float[]> counts, String dataset, int chunks) {
        Metadata meta = Metadata.builder().putString("general.type", "imatrix")
                .put("imatrix.datasets", new MetaValue.Array(MetaValue.Kind.STRING, List.of(MetaValue.Str.of(dataset))))
                .putU32("imatrix.chunk_count", chunks).putU32("imatrix.chunk_size", 512).build();
        GgufPlan.Builder b = GgufPlan.builder().metadata(meta);
        Map<String, MemorySegment> data = new HashMap<>();
        for (String name : sums.keySet()) {
            float[] s = sums.get(name), c = counts.get(name);
            b.tensor(name + ".in_sum2", GgmlType.F32, s.length / c.length, c.length);
            b.tensor(name + ".counts", GgmlType.F32, 1, c.length);
            data.put(name + ".in_sum2", le(s));
            data.put(name + ".counts", le(c));
        }
        GgufWriter.write(file, b.build(), GgufWriter.from(data), List.of());
        return file;
    }

    static MemorySegment le(float[] f) {
        ByteBuffer b = ByteBuffer.allocate(f.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : f) b.putFloat(v);
        return MemorySegment.ofArray(b.array());
    }

    @Test void legacyValuesAreSumsOverCalls() throws IOException {
        Map<String, float[]> sums = new LinkedHashMap<>();
        sums.put("blk.0.attn_q.weight", new float[] {2, 4, 6, 8});
        sums.put("blk.0.ffn_down.weight", new float[] {10, 20});
        Imatrix m = Imatrix.load(legacy(dir.resolve("m.dat"), sums, 2, "wiki.train.raw", 100));
        assertThat(m.get("blk.0.attn_q.weight")).hasValueSatisfying(v -> assertThat(v).containsExactly(1, 2, 3, 4));
        assertThat(m.get("blk.0.ffn_down.weight")).hasValueSatisfying(v -> assertThat(v).containsExactly(5, 10));
        assertThat(m.entryCount()).isEqualTo(2);
        assertThat(m.datasets()).containsExactly("wiki.train.raw");
        assertThat(m.chunkCount()).isEqualTo(100);
    }

    @Test void ggufValuesAreSumsOverCountsPerMatrixAndOneWhereUncounted() {
        Map<String, float[]> sums = Map.of("blk.0.ffn_up.weight", new float[] {3, 6, 9, 5, 5, 5});
        Map<String, float[]> counts = Map.of("blk.0.ffn_up.weight", new float[] {3, 0});
        Imatrix m = Imatrix.load(gguf(dir.resolve("m.gguf"), sums, counts, "calib.txt", 7));
        assertThat(m.get("blk.0.ffn_up.weight")).hasValueSatisfying(v -> assertThat(v).containsExactly(1, 2, 3, 1, 1, 1));
        assertThat(m.datasets()).containsExactly("calib.txt");
        assertThat(m.chunkCount()).isEqualTo(7);
    }

    @Test void truncatedOrHostileLegacyFilesAreFormatErrors() throws IOException {
        Path full = legacy(dir.resolve("m.dat"), Map.of("a.weight", new float[] {1, 2, 3}), 1, null, 0);
        byte[] b = Files.readAllBytes(full);
        Path cut = dir.resolve("cut.dat");
        Files.write(cut, java.util.Arrays.copyOf(b, b.length - 5));
        assertThatThrownBy(() -> Imatrix.load(cut)).isInstanceOf(ModelFormatException.class).hasMessageContaining("a.weight");
        Path huge = dir.resolve("huge.dat");
        Files.write(huge, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(Integer.MAX_VALUE).putInt(5).array());
        assertThatThrownBy(() -> Imatrix.load(huge)).isInstanceOf(ModelFormatException.class).hasMessageContaining("entry count");
        Path nan = legacy(dir.resolve("nan.dat"), Map.of("a.weight", new float[] {1, Float.NaN}), 1, null, 0);
        assertThatThrownBy(() -> Imatrix.load(nan)).isInstanceOf(ModelFormatException.class).hasMessageContaining("non-finite");
    }

    static final RandomLlamaModel.Shape TINY = new RandomLlamaModel.Shape(256, 2, 4, 4, 256, 256);

    @Test void quantizingWithAnImatrixUsesItPerTensorAndRecordsItInTheMetadata() throws IOException {
        Path model = dir.resolve("tiny.gguf");
        RandomLlamaModel.write(model, TINY, GgmlType.F16, 7);
        Map<String, float[]> sums = new LinkedHashMap<>();
        Map<String, float[]> counts = new HashMap<>();
        java.util.Random rnd = new java.util.Random(3);
        try (GgufFile f = GgufReader.open(model)) {
            for (GgufTensorInfo t : f.tensorInfos()) {
                if (t.nDims() < 2 || t.name().startsWith("token_embd")) continue;
                float[] s = new float[(int) t.ne()[0]];
                for (int i = 0; i < s.length; i++) s[i] = 0.1f + 10 * rnd.nextFloat();
                sums.put(t.name(), s);
                counts.put(t.name(), new float[] {4});
            }
        }
        Path im = gguf(dir.resolve("imatrix.gguf"), sums, counts, "calibration.txt", 12);
        Path out = dir.resolve("q.gguf");
        GgufQuantizer.quantize(QuantizeOptions.of(model, out, QuantType.IQ2_XXS).withImatrix(im).withThreads(2));
        try (GgufFile src = GgufReader.open(model); GgufFile q = GgufReader.open(out)) {
            List<String> keys = new ArrayList<>(q.metadata().keys());
            assertThat(keys.subList(keys.size() - 6, keys.size())).containsExactly("general.quantization_version", "general.file_type",
                    "quantize.imatrix.file", "quantize.imatrix.dataset", "quantize.imatrix.entries_count", "quantize.imatrix.chunks_count");
            assertThat(q.metadata().string("quantize.imatrix.file")).contains(im.toString());
            assertThat(q.metadata().string("quantize.imatrix.dataset")).contains("calibration.txt");
            assertThat(q.metadata().integer("quantize.imatrix.entries_count")).contains((long) sums.size());
            assertThat(q.metadata().integer("quantize.imatrix.chunks_count")).contains(12L);
            // IQ2_XXS mix: ffn_up stays IQ2_XXS; its bytes are the reference codec's with the tensor's own importance
            String name = "blk.1.ffn_up.weight";
            GgufTensorInfo t = q.tensorInfo(name).orElseThrow();
            assertThat(t.type()).isEqualTo(GgmlType.IQ2_XXS);
            int n = (int) t.ne()[0], rows = (int) t.ne()[1];
            float[] f = new float[n * rows];
            FloatFormats.f16ToF32Row(src.tensor(name).orElseThrow().data(), 0, f, 0, f.length);
            float[] imp = sums.get(name).clone();
            for (int i = 0; i < imp.length; i++) imp[i] /= 4;
            MemorySegment expected = MemorySegment.ofArray(new byte[(int) t.byteSize()]);
            Codecs.quantizeChunk(GgmlType.IQ2_XXS, f, 0, rows, n, expected, 0, imp);
            assertThat(q.tensor(name).orElseThrow().data().mismatch(expected)).isEqualTo(-1);
        }
    }

    @Test void typesThatNeedAnImatrixRefuseWithoutOne() {
        Path model = dir.resolve("tiny.gguf");
        RandomLlamaModel.write(model, TINY, GgmlType.F16, 7);
        Path out = dir.resolve("q.gguf");
        assertThatThrownBy(() -> GgufQuantizer.quantize(QuantizeOptions.of(model, out, QuantType.IQ1_S)))
                .isInstanceOf(SquintException.class).hasMessageContaining("needs an importance matrix").hasMessageContaining("--imatrix");
        assertThat(out).doesNotExist();
        QuantizeReport dry = GgufQuantizer.quantize(QuantizeOptions.of(model, out, QuantType.IQ1_S).withDryRun(true));
        assertThat(dry.needImportance()).contains("blk.0.ffn_up.weight").doesNotContain("token_embd.weight", "output.weight");
        assertThat(dry.toText()).contains("will need an importance matrix");
        assertThat(out).doesNotExist();
    }
}
