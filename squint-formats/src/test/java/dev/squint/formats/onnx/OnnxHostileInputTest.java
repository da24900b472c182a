package dev.squint.formats.onnx;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import dev.squint.core.ModelFormatException;
import dev.squint.core.ScalarType;
import dev.squint.core.Shape;
import dev.squint.core.Tensor;
import dev.squint.formats.onnx.proto.AttributeProto;
import dev.squint.formats.onnx.proto.GraphProto;
import dev.squint.formats.onnx.proto.ModelProto;
import dev.squint.formats.onnx.proto.NodeProto;
import dev.squint.formats.onnx.proto.StringStringEntryProto;
import dev.squint.formats.onnx.proto.TensorProto;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class OnnxHostileInputTest {
    @TempDir Path dir;

    private ModelFormatException rejects(ModelProto proto) {
        return rejects(proto.toByteArray());
    }

    private ModelFormatException rejects(byte[] bytes) {
        Path p = OnnxTestModels.write(dir, "bad.onnx", bytes);
        Throwable t = org.assertj.core.api.Assertions.catchThrowable(() -> OnnxReader.open(p).close());
        assertThat(t).isInstanceOf(ModelFormatException.class);
        assertThat(t.getMessage()).doesNotContain("\n").startsWith(p.toString());
        return (ModelFormatException) t;
    }

    private static ModelProto withInitializer(TensorProto t) {
        return OnnxTestModels.matmulModel(OnnxTestModels.floats("b", new long[] {3}, 1, 2, 3), t);
    }

    private static TensorProto.Builder w() {
        return OnnxTestModels.floats("w", new long[] {2, 3}, 1, 2, 3, 4, 5, 6).toBuilder();
    }

    @Test
    void emptyFile() {
        assertThat(rejects(new byte[0]).fault()).isEqualTo("empty file");
    }

    @Test
    void missingGraph() {
        assertThat(rejects(OnnxTestModels.matmulModel().toBuilder().clearGraph().build()).fault()).contains("has no graph");
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 7, 30, 60, 100, -1, -2, -5})
    void truncatedFile(int cut) {
        byte[] full = OnnxTestModels.matmulModel().toByteArray();
        int length = cut > 0 ? cut : full.length + cut;
        ModelFormatException e = rejects(Arrays.copyOf(full, length));
        assertThat(e.fault()).containsAnyOf("malformed protobuf", "has no graph");
    }

    @Test
    void truncatedMiniLm() throws IOException {
        byte[] head = new byte[1 << 20];
        try (var in = Files.newInputStream(OnnxTestModels.minilm())) {
            assertThat(in.readNBytes(head, 0, head.length)).isEqualTo(head.length);
        }
        assertThat(rejects(head).fault()).contains("malformed protobuf");
    }

    @Test
    void invalidWireTypes() {
        byte[] bytes = OnnxTestModels.matmulModel().toByteArray();
        bytes[0] = 0x07; // field 0, wire type 7
        assertThat(rejects(bytes).fault()).contains("malformed protobuf");
        bytes[0] = 0x0B; // field 1, start group
        assertThat(rejects(bytes).fault()).contains("group");
        byte[] varint = new byte[12];
        Arrays.fill(varint, (byte) 0xFF);
        assertThat(rejects(varint).fault()).contains("malformed protobuf");
    }

    @Test
    void lengthPrefixPastTheEnd() {
        // field 7 (graph), length 2^31: more than the file holds.
        byte[] bytes = {0x3A, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x08, 0x00};
        assertThat(rejects(bytes).fault()).contains("claims 2147483648 bytes");
    }

    @Test
    void rawDataLengthMismatch() {
        ModelFormatException e = rejects(withInitializer(w().setRawData(ByteString.copyFrom(new byte[20])).build()));
        assertThat(e.fault()).contains("'w'").contains("raw_data holds 20 bytes").contains("needs 24");
    }

    @Test
    void unknownAndMissingDataTypes() {
        assertThat(rejects(withInitializer(w().setDataType(99).build())).fault()).contains("'w'").contains("unknown data type 99");
        assertThat(rejects(withInitializer(w().setDataType(0).build())).fault()).contains("'w'").contains("no data type");
    }

    @Test
    void negativeAndOverflowingShapes() {
        assertThat(rejects(withInitializer(w().setDims(0, -2).build())).fault()).contains("'w'").contains("negative dimension -2");
        TensorProto huge = w().clearDims().addDims(1L << 40).addDims(1L << 40).build();
        assertThat(rejects(withInitializer(huge)).fault()).contains("'w'").contains("overflows");
        TensorProto bytesOverflow = w().clearDims().addDims(1L << 62).build();
        assertThat(rejects(withInitializer(bytesOverflow)).fault()).contains("'w'").contains("overflows");
    }

    @Test
    void duplicateAndNamelessInitializers() {
        ModelProto dup = OnnxTestModels.matmulModel(w().build(), w().build());
        assertThat(rejects(dup).fault()).contains("initializer 'w' appears twice");
        assertThat(rejects(withInitializer(w().setName("").build())).fault()).contains("has no name");
    }

    @Test
    void tensorWithoutDataOrWithTwoSources() {
        assertThat(rejects(withInitializer(w().clearRawData().build())).fault()).contains("'w'").contains("has no data");
        assertThat(rejects(withInitializer(w().addFloatData(1f).build())).fault()).contains("more than one place");
        assertThat(rejects(withInitializer(w().setSegment(TensorProto.Segment.newBuilder().setBegin(0).setEnd(3)).build())).fault())
                .contains("segments");
    }

    @Test
    void aPayloadReferenceInTheFileIsNotTrusted() {
        // A hostile file carrying squint's own reference field must not point at another tensor's bytes.
        UnknownFieldSet forged = UnknownFieldSet.newBuilder().addField(OnnxWire.PAYLOAD_REF_FIELD,
                UnknownFieldSet.Field.newBuilder().addVarint(0).build()).build();
        TensorProto noData = w().clearRawData().setUnknownFields(forged).build();
        assertThat(rejects(withInitializer(noData)).fault()).contains("'w'").contains("has no data");
    }

    @Test
    void typedListsAreCheckedAndConverted() {
        TensorProto typed = w().clearRawData().addAllFloatData(java.util.List.of(1f, 2f, 3f, 4f, 5f, -6f)).build();
        Path p = OnnxTestModels.write(dir, "typed.onnx", withInitializer(typed));
        try (OnnxModel m = OnnxReader.open(p)) {
            Tensor t = m.tensor("w").orElseThrow();
            assertThat(t.data().isNative()).isTrue();
            assertThat(t.data().get(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 20)).isEqualTo(-6f);
        }
        assertThat(rejects(withInitializer(w().clearRawData().addFloatData(1f).build())).fault())
                .contains("'w'").contains("holds 1 typed values").contains("needs 6");
        assertThat(rejects(withInitializer(w().clearRawData().addAllInt64Data(java.util.List.of(1L, 2L, 3L, 4L, 5L, 6L)).build())).fault())
                .contains("does not fit the type");

        // float16 bit patterns travel in int32_data, 4-bit values packed two per int32_data entry.
        TensorProto half = TensorProto.newBuilder().setName("h").setDataType(10).addDims(2).addInt32Data(0x3C00).addInt32Data(0xC000).build();
        TensorProto int4 = TensorProto.newBuilder().setName("q").setDataType(22).addDims(3).addInt32Data(0x21).addInt32Data(0x0F).build();
        Path p2 = OnnxTestModels.write(dir, "typed2.onnx", OnnxTestModels.matmulModel(w().build(), half, int4));
        try (OnnxModel m = OnnxReader.open(p2)) {
            Tensor h = m.tensor("h").orElseThrow();
            assertThat(h.dtype()).isEqualTo(ScalarType.F16);
            assertThat(h.data().toArray(ValueLayout.JAVA_BYTE)).containsExactly(0x00, 0x3C, 0x00, (byte) 0xC0);
            Tensor q = m.tensor("q").orElseThrow();
            assertThat(q.dtype()).isEqualTo(ScalarType.I4);
            assertThat(q.shape()).isEqualTo(Shape.of(3));
            assertThat(q.data().toArray(ValueLayout.JAVA_BYTE)).containsExactly(0x21, 0x0F);
        }
    }

    private TensorProto external(String location, String offset, String length) {
        TensorProto.Builder b = w().clearRawData().setDataLocation(TensorProto.DataLocation.EXTERNAL)
                .addExternalData(StringStringEntryProto.newBuilder().setKey("location").setValue(location));
        if (offset != null) b.addExternalData(StringStringEntryProto.newBuilder().setKey("offset").setValue(offset));
        if (length != null) b.addExternalData(StringStringEntryProto.newBuilder().setKey("length").setValue(length));
        return b.build();
    }

    @Test
    void externalDataMustStayInTheModelFolderAndFile() throws IOException {
        Path sub = Files.createDirectories(dir.resolve("sub"));
        Files.write(dir.resolve("outside.bin"), new byte[64]);
        Files.write(sub.resolve("w.bin"), new byte[4096 + 24]);
        Path model = sub.resolve("m.onnx");
        record Case(TensorProto tensor, String fault) {}
        for (Case c : new Case[] {
                new Case(external("../outside.bin", null, null), "leaves the model's folder"),
                new Case(external("a/../../outside.bin", null, null), "leaves the model's folder"),
                new Case(external(dir.resolve("outside.bin").toString(), null, null), "not a relative path"),
                new Case(external("C:\\weights.bin", null, null), "not a relative path"),
                new Case(external("", null, null), "has no location"),
                new Case(external("missing.bin", null, null), "does not exist"),
                new Case(external("w.bin", "4097", null), "lies outside"),
                new Case(external("w.bin", "9223372036854775807", "24"), "lies outside"),
                new Case(external("w.bin", "-1", null), "offset '-1'"),
                new Case(external("w.bin", "x12", null), "offset 'x12'"),
                new Case(external("w.bin", "0", "20"), "length 20 differs"),
                new Case(external(".", null, null), "leaves the model's folder")}) {
            Files.write(model, withInitializer(c.tensor()).toByteArray());
            assertThatThrownBy(() -> OnnxReader.open(model).close()).as(c.fault())
                    .isInstanceOf(ModelFormatException.class).hasMessageContaining("'w'").hasMessageContaining(c.fault());
        }
        Files.write(model, withInitializer(external("w.bin", "4096", "24")).toByteArray());
        try (OnnxModel m = OnnxReader.open(model)) {
            assertThat(m.tensor("w").orElseThrow().byteSize()).isEqualTo(24);
            assertThat(m.files()).hasSize(2);
        }
    }

    @Test
    void deeplyNestedSubgraphsAreRejectedWithoutStackOverflow() {
        GraphProto g = GraphProto.newBuilder().setName("leaf").build();
        for (int i = 0; i < 200; i++) {
            g = GraphProto.newBuilder().setName("g" + i).addNode(NodeProto.newBuilder().setOpType("If")
                    .addAttribute(AttributeProto.newBuilder().setName("then_branch").setType(AttributeProto.AttributeType.GRAPH).setG(g))).build();
        }
        ModelProto m = OnnxTestModels.matmulModel().toBuilder().setGraph(g).build();
        assertThat(rejects(m).fault()).containsAnyOf("nested", "malformed protobuf");
    }

    @Test
    void subgraphInitializersAreChecked() {
        GraphProto body = GraphProto.newBuilder().setName("body").addInitializer(w().setDataType(99)).build();
        ModelProto m = OnnxTestModels.matmulModel().toBuilder().setGraph(OnnxTestModels.matmulModel().getGraph().toBuilder()
                .addNode(NodeProto.newBuilder().setOpType("If").setName("if").addAttribute(AttributeProto.newBuilder()
                        .setName("then_branch").setType(AttributeProto.AttributeType.GRAPH).setG(body)))).build();
        assertThat(rejects(m).fault()).contains("node 'if' attribute 'then_branch' graph initializer 'w'").contains("unknown data type");
    }

    @Test
    void filesOverTwoGibibytesAreRefusedWithTheReason() throws IOException {
        Path big = dir.resolve("big.onnx");
        try (RandomAccessFile f = new RandomAccessFile(big.toFile(), "rw")) {
            f.setLength((1L << 31) + 10); // sparse: takes no disk
        }
        assertThatThrownBy(() -> OnnxReader.open(big)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("cannot exceed 2 GiB").hasMessageContaining("external data");
    }

    @Test
    void absurdTensorCountsAreRefusedBeforeTheyFillTheHeap() {
        // One graph of 1,100,000 four-byte initializers, each an empty raw_data: 4.4 MB of file.
        int n = 1_100_000;
        byte[] tensor = {0x2A, 0x02, 0x4A, 0x00};
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        out.write(0x3A);
        long len = (long) n * tensor.length;
        while ((len & ~0x7FL) != 0) { out.write((int) (len & 0x7F) | 0x80); len >>>= 7; }
        out.write((int) len);
        for (int i = 0; i < n; i++) out.writeBytes(tensor);
        assertThat(rejects(out.toByteArray()).fault()).contains("more than 1048576 tensors");
    }

    @Test
    void missingFile() {
        assertThatThrownBy(() -> OnnxReader.open(dir.resolve("nope.onnx"))).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("no such file");
    }
}
