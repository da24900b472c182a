package dev.squint.formats.onnx;

import com.google.protobuf.UnknownFieldSet;
import dev.squint.core.SquintException;
import dev.squint.formats.onnx.proto.ModelProto;
import dev.squint.formats.onnx.proto.TensorProto;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class OnnxWriterTest {

    @Test
    void inlineRoundTripOfMiniLmKeepsGraphAndBytes(@TempDir Path dir) throws IOException {
        try (OnnxModel original = OnnxReader.open(OnnxTestModels.minilm())) {
            Path out = dir.resolve("copy.onnx");
            OnnxWriter.Result result = OnnxWriter.write(original, out, OnnxWriter.Options.inline());
            assertThat(result.dataFile()).isEmpty();
            assertThat(result.externalTensors()).isZero();
            assertThat(Files.size(out)).isEqualTo(result.modelBytes());
            try (OnnxModel copy = OnnxReader.open(out)) {
                assertSameModel(original, copy);
                assertThat(copy.graph().nodes()).hasSameSizeAs(original.graph().nodes());
                assertThat(copy.graph().inputs()).isEqualTo(original.graph().inputs());
            }
            // PyTorch writes tensor fields in field-number order, as protobuf-java does: the copy is the same file.
            assertThat(Files.mismatch(out, original.path())).isEqualTo(-1);
        }
    }

    @Test
    void externalRoundTripOfMiniLmMovesLargeTensorsToAlignedData(@TempDir Path dir) throws IOException {
        try (OnnxModel original = OnnxReader.open(OnnxTestModels.minilm())) {
            Path out = dir.resolve("ext.onnx");
            OnnxWriter.Result result = OnnxWriter.write(original, out, OnnxWriter.Options.external(1024));
            Path data = dir.resolve("ext.onnx.data");
            assertThat(result.dataFile()).contains(data);
            assertThat(Files.size(out)).isLessThan(1 << 20);
            assertThat(result.externalTensors()).isPositive();
            try (OnnxModel copy = OnnxReader.open(out)) {
                assertSameModel(original, copy);
                assertThat(copy.files()).containsExactly(out, data.toAbsolutePath().normalize());
                int external = 0;
                for (TensorProto t : copy.proto().getGraph().getInitializerList()) {
                    long size = copy.tensor(t).byteSize();
                    if (t.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
                        external++;
                        assertThat(size).isGreaterThanOrEqualTo(1024);
                        long offset = Long.parseLong(OnnxTensorData.externalValue(t, "offset"));
                        assertThat(offset % 4096).isZero();
                        assertThat(OnnxTensorData.externalValue(t, "location")).isEqualTo("ext.onnx.data");
                    } else {
                        assertThat(size).isLessThan(1024);
                    }
                }
                assertThat(external).isEqualTo(result.externalTensors());
                assertThat(copy.fileSize()).isEqualTo(Files.size(out) + Files.size(data));

                // And back to inline from the external copy: the original file again.
                Path back = dir.resolve("back.onnx");
                OnnxWriter.write(copy, back, OnnxWriter.Options.inline());
                assertThat(Files.mismatch(back, original.path())).isEqualTo(-1);
            }
        }
    }

    @Test
    void quantizedMiniLmRoundTrips(@TempDir Path dir) {
        try (OnnxModel original = OnnxReader.open(OnnxTestModels.minilmQuantized())) {
            Path out = dir.resolve("q.onnx");
            OnnxWriter.write(original, out, OnnxWriter.Options.external(4096).withDataFileName("weights.bin").withAlignment(65536));
            assertThat(dir.resolve("weights.bin")).exists();
            try (OnnxModel copy = OnnxReader.open(out)) {
                assertSameModel(original, copy);
            }
        }
    }

    @Test
    void roundTripsSubgraphsSparseTypedAndExternalTensors(@TempDir Path dir) throws IOException {
        Files.write(dir.resolve(OnnxFuzzSeeds.EXTERNAL_FILE), new byte[64]);
        Path in = OnnxTestModels.write(dir, "rich.onnx", OnnxFuzzSeeds.all().get(1));
        try (OnnxModel model = OnnxReader.open(in)) {
            for (OnnxWriter.Options options : List.of(OnnxWriter.Options.inline(), OnnxWriter.Options.external(0))) {
                Path out = dir.resolve("out-" + options.externalThreshold() + ".onnx");
                OnnxWriter.write(model, out, options.withDataFileName("out-" + options.externalThreshold() + ".bin"));
                try (OnnxModel copy = OnnxReader.open(out)) {
                    assertSameModel(model, copy);
                    TensorProto nested = copy.proto().getGraph().getNode(3).getAttribute(0).getG().getInitializer(0);
                    assertThat(nested.getName()).isEqualTo("k");
                    assertThat(nested.getDataLocation() == TensorProto.DataLocation.EXTERNAL)
                            .isEqualTo(options.externalThreshold() == 0);
                }
            }
        }
    }

    @Test
    void writesAModifiedProtoWithNewOffHeapTensor(@TempDir Path dir) {
        Path in = OnnxTestModels.write(dir, "tiny.onnx", OnnxTestModels.matmulModel());
        try (OnnxModel model = OnnxReader.open(in); Arena arena = Arena.ofConfined()) {
            MemorySegment bias = arena.allocate(12);
            bias.set(java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED, 8, 42f);
            ModelProto changed = OnnxTrees.mapTensors(model.proto(), (t, where) -> t.getName().equals("b")
                    ? t.toBuilder().setUnknownFields(UnknownFieldSet.getDefaultInstance()).clearRawData().build() : t);
            OnnxWriter.TensorData fromModel = model.tensorData();
            OnnxWriter.TensorData data = t -> t.getName().equals("b") ? bias : fromModel.bytesOf(t);
            Path out = dir.resolve("changed.onnx");
            OnnxWriter.write(changed, data, out, OnnxWriter.Options.inline(), model.files());
            try (OnnxModel copy = OnnxReader.open(out)) {
                assertThat(copy.tensor("b").orElseThrow().data().get(java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED, 8)).isEqualTo(42f);
                assertThat(copy.tensor("w").orElseThrow().data().mismatch(model.tensor("w").orElseThrow().data())).isEqualTo(-1);
            }
        }
    }

    @Test
    void movesTensorsExternalWhenInlineWouldPassTheMessageLimit(@TempDir Path dir) {
        float[] big = new float[128 * 128];
        for (int i = 0; i < big.length; i++) big[i] = i * 0.25f;
        ModelProto proto = OnnxTestModels.matmulModel(OnnxTestModels.floats("w", new long[] {128, 128}, big),
                OnnxTestModels.floats("b", new long[] {3}, 1, 2, 3));
        Path in = OnnxTestModels.write(dir, "big.onnx", proto);
        try (OnnxModel model = OnnxReader.open(in)) {
            Path out = dir.resolve("limited.onnx");
            // A 32 KiB "protobuf limit" cannot hold the 64 KiB weight: it must go external although the threshold says inline.
            OnnxWriter.Result r = OnnxWriter.write(model.proto(), model.tensorData(), out, OnnxWriter.Options.inline(),
                    model.files(), 32 << 10);
            assertThat(r.externalTensors()).isEqualTo(1);
            assertThat(r.modelBytes()).isLessThan(32 << 10);
            try (OnnxModel copy = OnnxReader.open(out)) {
                assertSameModel(model, copy);
                assertThat(copy.proto().getGraph().getInitializer(0).getDataLocation()).isEqualTo(TensorProto.DataLocation.EXTERNAL);
                assertThat(copy.proto().getGraph().getInitializer(1).hasDataLocation()).isFalse();
            }
        }
    }

    @Test
    void refusesToOverwriteItsInputs(@TempDir Path dir) throws IOException {
        Path in = OnnxTestModels.write(dir, "tiny.onnx", OnnxTestModels.matmulModel());
        byte[] before = Files.readAllBytes(in);
        try (OnnxModel model = OnnxReader.open(in)) {
            assertThatThrownBy(() -> OnnxWriter.write(model, in, OnnxWriter.Options.inline()))
                    .isInstanceOf(SquintException.class).hasMessageContaining("refusing to overwrite an input");
            Path ext = dir.resolve("ext.onnx");
            OnnxWriter.write(model, ext, OnnxWriter.Options.external(0));
            try (OnnxModel external = OnnxReader.open(ext)) {
                // Writing into the data file the source model reads from is refused too.
                assertThatThrownBy(() -> OnnxWriter.write(external, dir.resolve("other.onnx"),
                        OnnxWriter.Options.external(0).withDataFileName("ext.onnx.data")))
                        .isInstanceOf(SquintException.class).hasMessageContaining("refusing to overwrite an input");
            }
        }
        assertThat(Files.readAllBytes(in)).isEqualTo(before);
        assertThat(listing(dir)).containsExactlyInAnyOrder("tiny.onnx", "ext.onnx", "ext.onnx.data");
    }

    @Test
    void failingWriteLeavesNoFile(@TempDir Path dir) throws IOException {
        Path in = OnnxTestModels.write(dir, "tiny.onnx", OnnxTestModels.matmulModel());
        try (OnnxModel model = OnnxReader.open(in)) {
            Arena arena = Arena.ofShared();
            MemorySegment gone = arena.allocate(24);
            arena.close(); // reading it fails half-way through the write
            OnnxWriter.TensorData fromModel = model.tensorData();
            OnnxWriter.TensorData data = t -> t.getName().equals("w") ? gone : fromModel.bytesOf(t);
            for (OnnxWriter.Options options : List.of(OnnxWriter.Options.inline(), OnnxWriter.Options.external(0))) {
                assertThatThrownBy(() -> OnnxWriter.write(model.proto(), data, dir.resolve("out.onnx"), options, model.files()))
                        .isInstanceOf(IllegalStateException.class);
                assertThat(listing(dir)).containsExactly("tiny.onnx");
            }
        }
    }

    @Test
    void rejectsBytesThatDoNotFitTheTensor(@TempDir Path dir) throws IOException {
        Path in = OnnxTestModels.write(dir, "tiny.onnx", OnnxTestModels.matmulModel());
        try (OnnxModel model = OnnxReader.open(in); Arena arena = Arena.ofConfined()) {
            MemorySegment wrong = arena.allocate(20);
            OnnxWriter.TensorData fromModel = model.tensorData();
            assertThatThrownBy(() -> OnnxWriter.write(model.proto(), t -> t.getName().equals("w") ? wrong : fromModel.bytesOf(t),
                    dir.resolve("out.onnx"), OnnxWriter.Options.inline(), model.files()))
                    .isInstanceOf(SquintException.class).hasMessageContaining("'w'").hasMessageContaining("20 bytes given");
            // A proto whose payload references are not resolved cannot be written.
            assertThatThrownBy(() -> OnnxWriter.write(model.proto(), t -> null, dir.resolve("out.onnx"),
                    OnnxWriter.Options.inline(), model.files()))
                    .isInstanceOf(SquintException.class).hasMessageContaining("were not provided");
        }
        assertThat(listing(dir)).containsExactly("tiny.onnx");
    }

    /** Same proto apart from where payloads live, and the same bytes for every tensor. */
    static void assertSameModel(OnnxModel a, OnnxModel b) {
        assertThat(withoutPayloads(b.proto())).isEqualTo(withoutPayloads(a.proto()));
        List<MemorySegment> left = allBytes(a);
        List<MemorySegment> right = allBytes(b);
        assertThat(right).hasSameSizeAs(left);
        for (int i = 0; i < left.size(); i++) {
            assertThat(right.get(i).byteSize()).isEqualTo(left.get(i).byteSize());
            assertThat(right.get(i).mismatch(left.get(i))).as("tensor #%d", i).isEqualTo(-1);
        }
        assertThat(b.metadata()).isEqualTo(a.metadata());
    }

    static ModelProto withoutPayloads(ModelProto m) {
        return OnnxTrees.mapTensors(m, (t, where) -> t.toBuilder().clearRawData().clearExternalData().clearDataLocation()
                .setUnknownFields(UnknownFieldSet.getDefaultInstance()).build());
    }

    private static List<MemorySegment> allBytes(OnnxModel m) {
        List<MemorySegment> out = new ArrayList<>();
        OnnxTrees.mapTensors(m.proto(), (t, where) -> {
            out.add(m.bytes(t));
            return t;
        });
        return out;
    }

    static List<String> listing(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).toList();
        }
    }
}
