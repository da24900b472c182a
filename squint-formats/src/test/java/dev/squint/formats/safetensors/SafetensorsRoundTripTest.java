package dev.squint.formats.safetensors;

import dev.squint.core.Metadata;
import dev.squint.core.ScalarType;
import dev.squint.core.Shape;
import dev.squint.core.SquintException;
import dev.squint.core.Tensor;
import dev.squint.formats.safetensors.SafetensorsWriter.Entry;
import dev.squint.formats.safetensors.SafetensorsWriter.Options;
import dev.squint.formats.safetensors.SafetensorsWriter.TensorOrder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SafetensorsRoundTripTest {
    @TempDir Path dir;

    static Stream<ScalarType> safetensorsTypes() {
        return Arrays.stream(ScalarType.values()).filter(t -> t.safetensorsName().isPresent());
    }

    static byte[] randomBytes(long seed, int n) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    static Entry entry(String name, ScalarType dtype, long seed, long... dims) {
        Shape shape = Shape.of(dims);
        int bytes = (int) (shape.elementCount() * dtype.bits() / 8);
        return Entry.of(name, dtype, shape, MemorySegment.ofArray(randomBytes(seed, bytes)));
    }

    static byte[] bytes(MemorySegment s) {
        return s.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
    }

    /** The model's tensors must be exactly the entries written: name, dtype, shape and bytes. */
    static void assertSameTensors(SafetensorsModel model, List<Entry> written, Map<String, byte[]> data) {
        assertThat(model.tensors()).hasSize(written.size());
        for (Entry e : written) {
            Tensor t = model.tensor(e.name()).orElseThrow();
            assertThat(t.dtype()).isEqualTo(e.dtype());
            assertThat(t.shape()).isEqualTo(e.shape());
            assertThat(bytes(t.data())).as(e.name()).isEqualTo(data.get(e.name()));
        }
    }

    @ParameterizedTest
    @MethodSource("safetensorsTypes")
    void everyDtypeRoundTripsThroughOneFile(ScalarType dtype) {
        Path file = dir.resolve("one.safetensors");
        byte[] data = randomBytes(dtype.ordinal(), (int) (12L * dtype.bits() / 8));
        Entry e = Entry.of("w." + dtype.name(), dtype, Shape.of(3, 4), MemorySegment.ofArray(data));
        Entry scalar = entry("scalar", dtype == ScalarType.F4_E2M1 ? ScalarType.U8 : dtype, 7); // rank 0: one element
        Entry empty = Entry.of("empty", dtype, Shape.of(0, 5), MemorySegment.ofArray(new byte[0]));
        SafetensorsWriter.write(file, List.of(e, scalar, empty), Options.defaults().withMetadata(Map.of("format", "pt")));
        try (SafetensorsModel m = SafetensorsReader.open(file)) {
            Tensor t = m.tensor(e.name()).orElseThrow();
            assertThat(t.dtype()).isEqualTo(dtype);
            assertThat(t.shape()).isEqualTo(Shape.of(3, 4));
            assertThat(bytes(t.data())).isEqualTo(data);
            assertThat(m.tensor("scalar").orElseThrow().shape().rank()).isZero();
            assertThat(m.tensor("empty").orElseThrow().byteSize()).isZero();
            assertThat(m.metadata()).isEqualTo(Metadata.builder().putString("format", "pt").build());
            assertThat(m.fileSize()).isEqualTo(Files.size(file));
        } catch (IOException ex) {
            throw new AssertionError(ex);
        }
    }

    private List<Entry> mixedEntries(Map<String, byte[]> data) {
        List<ScalarType> types = safetensorsTypes().toList();
        List<Entry> entries = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            ScalarType t = types.get(i % types.size());
            Shape shape = Shape.of(2 + i % 3, 4 + 2 * (i % 5));
            byte[] b = randomBytes(100 + i, (int) (shape.elementCount() * t.bits() / 8));
            String name = "layer." + (23 - i) + ".w";
            data.put(name, b);
            entries.add(Entry.of(name, t, shape, MemorySegment.ofArray(b)));
        }
        return entries;
    }

    @Test
    void alignedOrderPutsEveryTensorAtAMultipleOfItsElementSize() {
        Map<String, byte[]> data = new java.util.HashMap<>();
        List<Entry> entries = mixedEntries(data);
        Path file = dir.resolve("mixed.safetensors");
        SafetensorsWriter.write(file, entries, Options.defaults());
        try (SafetensorsModel m = SafetensorsReader.open(file)) {
            assertSameTensors(m, entries, data);
            for (Tensor t : m.tensors()) {
                int size = Math.max(1, ((ScalarType) t.dtype()).bits() / 8);
                assertThat(t.data().address() % size).as(t.name()).isZero();
            }
            // widest types first, then names: the reference crate's order
            List<Integer> widths = m.tensors().stream().map(t -> ((ScalarType) t.dtype()).bits()).toList();
            assertThat(widths.getFirst()).isEqualTo(64);
            assertThat(widths.getLast()).isLessThanOrEqualTo(8);
        }
    }

    @Test
    void asGivenOrderIsKept() {
        Map<String, byte[]> data = new java.util.HashMap<>();
        List<Entry> entries = mixedEntries(data);
        Path file = dir.resolve("given.safetensors");
        SafetensorsWriter.write(file, entries, Options.defaults().withOrder(TensorOrder.AS_GIVEN));
        try (SafetensorsModel m = SafetensorsReader.open(file)) {
            assertThat(m.tensors().stream().map(Tensor::name).toList()).isEqualTo(entries.stream().map(Entry::name).toList());
            assertSameTensors(m, entries, data);
        }
    }

    @Test
    void writesTheReferenceCratesGoldenBytes() throws IOException {
        // the safetensors crate's test_serialization, test_empty and test_serialization_forced_alignement vectors
        ByteBuffer floats = ByteBuffer.allocate(24).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 6; i++) floats.putFloat(i);
        Path a = dir.resolve("a.safetensors");
        SafetensorsWriter.write(a, List.of(Entry.of("attn.0", ScalarType.F32, Shape.of(1, 2, 3), MemorySegment.ofArray(floats.array()))), Options.defaults());
        byte[] header = "{\"attn.0\":{\"dtype\":\"F32\",\"shape\":[1,2,3],\"data_offsets\":[0,24]}}".getBytes(StandardCharsets.US_ASCII);
        assertThat(Files.readAllBytes(a)).isEqualTo(StBytes.file(64, header, floats.array()));

        Path b = dir.resolve("b.safetensors");
        SafetensorsWriter.write(b, List.of(Entry.of("attn0", ScalarType.F32, Shape.of(1, 1, 2, 3), MemorySegment.ofArray(floats.array()))), Options.defaults());
        byte[] header2 = "{\"attn0\":{\"dtype\":\"F32\",\"shape\":[1,1,2,3],\"data_offsets\":[0,24]}}       ".getBytes(StandardCharsets.US_ASCII);
        assertThat(Files.readAllBytes(b)).isEqualTo(StBytes.file(72, header2, floats.array()));

        Path empty = dir.resolve("empty.safetensors");
        SafetensorsWriter.write(empty, List.of(), Options.defaults());
        assertThat(Files.readAllBytes(empty)).isEqualTo(new byte[] {8, 0, 0, 0, 0, 0, 0, 0, '{', '}', 32, 32, 32, 32, 32, 32});

        Path meta = dir.resolve("meta.safetensors");
        SafetensorsWriter.write(meta, List.of(), Options.defaults().withMetadata(Map.of("framework", "pt")));
        assertThat(Files.readAllBytes(meta)).isEqualTo(StBytes.file(40, "{\"__metadata__\":{\"framework\":\"pt\"}}     ".getBytes(StandardCharsets.US_ASCII), new byte[0]));
        try (SafetensorsModel m = SafetensorsReader.open(meta)) {
            assertThat(m.tensors()).isEmpty();
            assertThat(m.metadata().string("framework")).contains("pt");
        }
    }

    @Test
    void shardedSetRoundTripsWithTransformersNamesAndIndex() throws IOException {
        Map<String, byte[]> data = new java.util.HashMap<>();
        List<Entry> entries = mixedEntries(data);
        Path out = dir.resolve("sharded");
        List<Path> files = SafetensorsWriter.writeSharded(out, entries, 200, Options.defaults().withMetadata(Map.of("format", "pt")));
        int shards = files.size() - 1;
        assertThat(shards).isGreaterThan(2);
        assertThat(files.getFirst().getFileName().toString()).isEqualTo(String.format("model-00001-of-%05d.safetensors", shards));
        assertThat(files.getLast().getFileName().toString()).isEqualTo("model.safetensors.index.json");

        SafetensorsIndex index = SafetensorsReader.readIndex(files.getLast());
        long total = entries.stream().mapToLong(Entry::byteSize).sum();
        assertThat(index.totalSize()).hasValue(total);
        assertThat(index.weightMap().keySet()).containsExactlyElementsOf(new java.util.TreeSet<>(data.keySet()));
        for (Path shard : files.subList(0, shards)) {
            // no shard over the limit unless it holds a single tensor bigger than the limit
            try (SafetensorsModel one = SafetensorsReader.open(shard)) {
                assertThat(one.tensorBytes() <= 200 || one.tensors().size() == 1).isTrue();
                assertThat(one.metadata().string("format")).contains("pt");
            }
        }
        try (SafetensorsModel m = SafetensorsReader.open(out)) {
            assertSameTensors(m, entries, data);
            assertThat(m.path()).isEqualTo(out);
            assertThat(m.shardPaths()).hasSize(shards);
            assertThat(m.index()).isPresent();
            assertThat(m.metadata().string("format")).contains("pt");
            assertThat(m.tensorBytes()).isEqualTo(total);
        }
    }

    @Test
    void oneShardIsWrittenAsModelSafetensorsAndReplacesAStaleSet() throws IOException {
        Map<String, byte[]> data = new java.util.HashMap<>();
        List<Entry> entries = mixedEntries(data);
        Path out = dir.resolve("m");
        SafetensorsWriter.writeSharded(out, entries, 300, Options.defaults());
        assertThat(Files.exists(out.resolve("model.safetensors.index.json"))).isTrue();
        List<Path> files = SafetensorsWriter.writeSharded(out, entries, 1L << 30, Options.defaults());
        assertThat(files).containsExactly(out.resolve("model.safetensors").toAbsolutePath());
        try (var listing = Files.list(out)) {
            assertThat(listing.map(p -> p.getFileName().toString()).toList()).containsExactly("model.safetensors");
        }
        try (SafetensorsModel m = SafetensorsReader.open(out)) {
            assertSameTensors(m, entries, data);
            assertThat(m.index()).isEmpty();
        }
    }

    @Test
    void acceptsWhatTheReferenceCrateAccepts() throws IOException {
        // leading whitespace, __metadata__ null, unknown fields in an entry, a zero-size tensor sharing an offset
        String header = "  {\"__metadata__\":null,\"a\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[0,0]},"
                + "\"b\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1],\"extra\":{\"x\":[1]}}}";
        Path file = StBytes.write(dir, "lenient.safetensors", StBytes.file(header, 1));
        try (SafetensorsModel m = SafetensorsReader.open(file)) {
            assertThat(m.tensors()).extracting(Tensor::name).containsExactly("a", "b");
            assertThat(m.metadata().size()).isZero();
        }
    }

    @Test
    void indexIsWrittenExactlyAsTransformersWritesIt() throws IOException {
        // expected strings: Python's json.dumps(index, indent=2, sort_keys=True) + "\n"
        Map<String, String> map = new java.util.LinkedHashMap<>();
        map.put("b.weight", "model-00002-of-00002.safetensors");
        map.put("a.w\u00e9ight\"q", "model-00001-of-00002.safetensors");
        map.put("c\u007f", "model-00001-of-00002.safetensors");
        assertThat(new String(SafetensorsWriter.indexJson(1234, map), StandardCharsets.US_ASCII)).isEqualTo(
                "{\n  \"metadata\": {\n    \"total_size\": 1234\n  },\n  \"weight_map\": {\n"
                + "    \"a.w\\u00e9ight\\\"q\": \"model-00001-of-00002.safetensors\",\n"
                + "    \"b.weight\": \"model-00002-of-00002.safetensors\",\n"
                + "    \"c\\u007f\": \"model-00001-of-00002.safetensors\"\n  }\n}\n");
        assertThat(new String(SafetensorsWriter.indexJson(0, Map.of()), StandardCharsets.US_ASCII))
                .isEqualTo("{\n  \"metadata\": {\n    \"total_size\": 0\n  },\n  \"weight_map\": {}\n}\n");
    }

    @Test
    void tensorLargerThanTheShardLimitGetsAShardOfItsOwn() {
        List<Entry> entries = List.of(entry("a", ScalarType.U8, 1, 10), entry("big", ScalarType.U8, 2, 100), entry("c", ScalarType.U8, 3, 10), entry("d", ScalarType.U8, 4, 10));
        List<List<Entry>> shards = SafetensorsWriter.split(entries, 25);
        // huggingface_hub's split: the oversized tensor is emitted at once; the open shard keeps filling
        assertThat(shards.stream().map(s -> s.stream().map(Entry::name).toList()).toList())
                .containsExactly(List.of("big"), List.of("a", "c"), List.of("d"));
    }

    @Test
    void producerCallbackStreamsPieceByPiece() {
        byte[] data = randomBytes(9, 4096);
        Entry streamed = new Entry("streamed", ScalarType.F16, Shape.of(2048), out -> {
            for (int off = 0; off < data.length; off += 100) out.write(ByteBuffer.wrap(data, off, Math.min(100, data.length - off)));
        });
        Path file = dir.resolve("s.safetensors");
        SafetensorsWriter.write(file, List.of(streamed), Options.defaults());
        try (SafetensorsModel m = SafetensorsReader.open(file)) {
            assertThat(bytes(m.tensor("streamed").orElseThrow().data())).isEqualTo(data);
        }
    }

    @Test
    void copiesTensorsOfAnOpenedModel() {
        Map<String, byte[]> data = new java.util.HashMap<>();
        List<Entry> entries = mixedEntries(data);
        Path first = dir.resolve("first.safetensors");
        SafetensorsWriter.write(first, entries, Options.defaults().withMetadata(Map.of("k", "v")));
        Path second = dir.resolve("second.safetensors");
        try (SafetensorsModel m = SafetensorsReader.open(first)) {
            SafetensorsWriter.write(second, m.tensors().stream().map(Entry::of).toList(),
                    Options.defaults().withMetadata(m.metadata()).withInputs(List.of(first)));
        }
        try (SafetensorsModel m = SafetensorsReader.open(second)) {
            assertSameTensors(m, entries, data);
            assertThat(m.metadata().string("k")).contains("v");
        }
    }

    private List<String> listing(Path d) throws IOException {
        if (!Files.exists(d)) return List.of();
        try (var s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void failingSourceLeavesNoFile() throws IOException {
        Path file = dir.resolve("out").resolve("fail.safetensors");
        Entry good = entry("good", ScalarType.F32, 1, 16);
        Entry bad = new Entry("bad", ScalarType.F32, Shape.of(16), out -> {
            out.write(ByteBuffer.allocate(8));
            throw new IOException("disk on fire");
        });
        assertThatThrownBy(() -> SafetensorsWriter.write(file, List.of(good, bad), Options.defaults().withOrder(TensorOrder.AS_GIVEN)))
                .isInstanceOf(SquintException.class).hasMessageContaining("disk on fire");
        assertThat(listing(dir.resolve("out"))).isEmpty();
    }

    @Test
    void sourceWritingTheWrongByteCountLeavesNoFile() throws IOException {
        Path file = dir.resolve("short.safetensors");
        Entry tooShort = new Entry("short", ScalarType.F32, Shape.of(16), out -> out.write(ByteBuffer.allocate(60)));
        assertThatThrownBy(() -> SafetensorsWriter.write(file, List.of(tooShort), Options.defaults()))
                .isInstanceOf(SquintException.class).hasMessageContaining("'short'").hasMessageContaining("wrote 60 bytes, 64 expected");
        Entry tooLong = new Entry("long", ScalarType.F32, Shape.of(16), out -> out.write(ByteBuffer.allocate(65)));
        assertThatThrownBy(() -> SafetensorsWriter.write(file, List.of(tooLong), Options.defaults()))
                .isInstanceOf(SquintException.class).hasMessageContaining("'long'").hasMessageContaining("more than its 64 bytes");
        assertThat(listing(dir)).isEmpty();
    }

    @Test
    void failingShardLeavesNoPartialSet() throws IOException {
        Path out = dir.resolve("set");
        List<Entry> entries = new ArrayList<>();
        for (int i = 0; i < 5; i++) entries.add(entry("t" + i, ScalarType.U8, i, 100));
        entries.add(new Entry("t5", ScalarType.U8, Shape.of(100), o -> { throw new IOException("source died"); }));
        assertThatThrownBy(() -> SafetensorsWriter.writeSharded(out, entries, 150, Options.defaults()))
                .isInstanceOf(SquintException.class).hasMessageContaining("source died");
        assertThat(listing(out)).isEmpty();
    }

    @Test
    void refusesToOverwriteAnInput() throws IOException {
        Path file = dir.resolve("in.safetensors");
        SafetensorsWriter.write(file, List.of(entry("x", ScalarType.F32, 1, 4)), Options.defaults());
        byte[] before = Files.readAllBytes(file);
        try (SafetensorsModel m = SafetensorsReader.open(file)) {
            List<Entry> copy = m.tensors().stream().map(Entry::of).toList();
            assertThatThrownBy(() -> SafetensorsWriter.write(file, copy, Options.defaults().withInputs(List.of(file))))
                    .isInstanceOf(SquintException.class).hasMessageContaining("refusing to overwrite an input");
            // a folder input covers its files: writing the set into the input's folder must not replace model.safetensors there
            Path folder = dir.resolve("hf");
            SafetensorsWriter.writeSharded(folder, copy, 1 << 20, Options.defaults());
            byte[] folderBefore = Files.readAllBytes(folder.resolve("model.safetensors"));
            assertThatThrownBy(() -> SafetensorsWriter.writeSharded(folder, copy, 1 << 20, Options.defaults().withInputs(List.of(folder))))
                    .isInstanceOf(SquintException.class).hasMessageContaining("refusing to overwrite an input");
            assertThat(Files.readAllBytes(folder.resolve("model.safetensors"))).isEqualTo(folderBefore);
        }
        assertThat(Files.readAllBytes(file)).isEqualTo(before);
    }

    @Test
    void rejectsWhatSafetensorsCannotHold() {
        assertThatThrownBy(() -> Entry.of("q", ScalarType.I4, Shape.of(4), MemorySegment.ofArray(new byte[2])))
                .isInstanceOf(SquintException.class).hasMessageContaining("no I4 type");
        assertThatThrownBy(() -> Entry.of("f4", ScalarType.F4_E2M1, Shape.of(3), MemorySegment.ofArray(new byte[2])))
                .isInstanceOf(SquintException.class).hasMessageContaining("whole bytes");
        assertThatThrownBy(() -> Entry.of("x", ScalarType.F32, Shape.of(4), MemorySegment.ofArray(new byte[15])))
                .isInstanceOf(SquintException.class).hasMessageContaining("15 bytes given");
        Entry a = entry("dup", ScalarType.U8, 1, 1);
        assertThatThrownBy(() -> SafetensorsWriter.write(dir.resolve("d.safetensors"), List.of(a, a), Options.defaults()))
                .isInstanceOf(SquintException.class).hasMessageContaining("'dup' is given twice");
        Metadata numeric = Metadata.builder().putU32("n", 1).build();
        assertThatThrownBy(() -> SafetensorsWriter.write(dir.resolve("d.safetensors"), List.of(a), Options.defaults().withMetadata(numeric)))
                .isInstanceOf(SquintException.class).hasMessageContaining("only strings");
    }
}
