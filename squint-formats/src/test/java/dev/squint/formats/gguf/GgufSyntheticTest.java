package dev.squint.formats.gguf;

import dev.squint.core.GgmlType;
import dev.squint.core.MetaValue;
import dev.squint.core.Metadata;
import dev.squint.core.ScalarType;
import dev.squint.core.Shape;
import dev.squint.core.SquintException;
import dev.squint.core.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Files made here: every metadata type, nested arrays, odd alignments, v2, offsets past 4 GiB, failing writes. */
class GgufSyntheticTest {
    @TempDir Path dir;

    /** One key per GGUF value type, with edge values, plus arrays of each and arrays of arrays. */
    static Metadata everyValueType() {
        return Metadata.builder()
                .putString("general.architecture", "test")
                .put("u8", new MetaValue.U8((byte) 0xFF))
                .put("i8", new MetaValue.I8((byte) -128))
                .put("u16", new MetaValue.U16((short) 0xFFFE))
                .put("i16", new MetaValue.I16(Short.MIN_VALUE))
                .put("u32", new MetaValue.U32(0xFFFFFFFD))
                .put("i32", new MetaValue.I32(Integer.MIN_VALUE))
                .put("f32", new MetaValue.F32(Float.intBitsToFloat(0x7FC00001))) // a NaN with a payload
                .put("bool.true", new MetaValue.Bool(true))
                .put("bool.false", new MetaValue.Bool(false))
                .put("str", new MetaValue.Str(new byte[] {'a', (byte) 0xFF, 0, 'z'})) // not UTF-8, holds a NUL
                .put("str.empty", MetaValue.Str.of(""))
                .put("u64", new MetaValue.U64(-1L))
                .put("i64", new MetaValue.I64(Long.MIN_VALUE))
                .put("f64", new MetaValue.F64(-0.0))
                .put("arr.u8", new MetaValue.Array(MetaValue.Kind.UINT8, List.of(new MetaValue.U8((byte) 1), new MetaValue.U8((byte) 2))))
                .put("arr.i16", new MetaValue.Array(MetaValue.Kind.INT16, List.of(new MetaValue.I16((short) -3))))
                .put("arr.f32", new MetaValue.Array(MetaValue.Kind.FLOAT32, List.of(new MetaValue.F32(1.5f), new MetaValue.F32(-2f))))
                .put("arr.bool", new MetaValue.Array(MetaValue.Kind.BOOL, List.of(new MetaValue.Bool(true), new MetaValue.Bool(false))))
                .put("arr.str", new MetaValue.Array(MetaValue.Kind.STRING, List.of(MetaValue.Str.of("x"), MetaValue.Str.of("ünï"))))
                .put("arr.u64", new MetaValue.Array(MetaValue.Kind.UINT64, List.of(new MetaValue.U64(1L << 40))))
                .put("arr.i64", new MetaValue.Array(MetaValue.Kind.INT64, List.of(new MetaValue.I64(-1))))
                .put("arr.f64", new MetaValue.Array(MetaValue.Kind.FLOAT64, List.of(new MetaValue.F64(Math.PI))))
                .put("arr.u16", new MetaValue.Array(MetaValue.Kind.UINT16, List.of(new MetaValue.U16((short) 7))))
                .put("arr.u32", new MetaValue.Array(MetaValue.Kind.UINT32, List.of(new MetaValue.U32(7))))
                .put("arr.i32", new MetaValue.Array(MetaValue.Kind.INT32, List.of(new MetaValue.I32(-7))))
                .put("arr.i8", new MetaValue.Array(MetaValue.Kind.INT8, List.of(new MetaValue.I8((byte) -7))))
                .put("arr.empty", new MetaValue.Array(MetaValue.Kind.STRING, List.of()))
                .put("arr.nested", new MetaValue.Array(MetaValue.Kind.ARRAY, List.of(
                        new MetaValue.Array(MetaValue.Kind.UINT32, List.of(new MetaValue.U32(1), new MetaValue.U32(2))),
                        new MetaValue.Array(MetaValue.Kind.STRING, List.of(MetaValue.Str.of("deep"))),
                        new MetaValue.Array(MetaValue.Kind.ARRAY, List.of(
                                new MetaValue.Array(MetaValue.Kind.FLOAT64, List.of(new MetaValue.F64(2.5))))))))
                .build();
    }

    private static byte[] randomBytes(long n, long seed) {
        byte[] b = new byte[(int) n];
        new SplittableRandom(seed).nextBytes(b);
        return b;
    }

    @Test
    void everyValueTypeSurvivesWithItsExactKind() throws IOException {
        Metadata meta = everyValueType();
        GgufPlan plan = GgufPlan.builder().metadata(meta)
                .tensor("w", GgmlType.Q4_K, 256, 2)
                .tensor("b", GgmlType.F16, 3)
                .tensor("s", GgmlType.F32) // zero dimensions: a scalar
                .tensor("e", GgmlType.F32, 0, 5) // zero elements
                .build();
        Map<String, MemorySegment> data = new LinkedHashMap<>();
        for (GgufTensorInfo t : plan.tensors()) data.put(t.name(), MemorySegment.ofArray(randomBytes(t.byteSize(), t.name().hashCode())));
        Path f = dir.resolve("all.gguf");
        GgufWriter.write(f, plan, GgufWriter.from(data), List.of());
        assertThat(Files.size(f)).isEqualTo(plan.fileSize());

        try (GgufFile g = GgufReader.open(f)) {
            assertThat(g.metadata()).isEqualTo(meta);
            assertThat(List.copyOf(g.metadata().keys())).containsExactlyElementsOf(meta.keys());
            for (String k : meta.keys()) {
                assertThat(g.metadata().get(k).orElseThrow().kind()).as(k).isEqualTo(meta.get(k).orElseThrow().kind());
            }
            MetaValue.F32 nan = (MetaValue.F32) g.metadata().get("f32").orElseThrow();
            assertThat(Float.floatToRawIntBits(nan.value())).isEqualTo(0x7FC00001);
            assertThat(((MetaValue.Str) g.metadata().get("str").orElseThrow()).bytes()).containsExactly('a', 0xFF, 0, 'z');
            MetaValue.Array nested = g.metadata().array("arr.nested").orElseThrow();
            assertThat(nested.elementKind()).isEqualTo(MetaValue.Kind.ARRAY);
            assertThat(((MetaValue.Array) ((MetaValue.Array) nested.items().get(2)).items().get(0)).items())
                    .containsExactly(new MetaValue.F64(2.5));

            assertThat(g.tensorInfos()).isEqualTo(plan.tensors());
            Tensor w = g.tensor("w").orElseThrow();
            assertThat(w.dtype()).isEqualTo(GgmlType.Q4_K);
            assertThat(w.shape()).isEqualTo(Shape.of(2, 256));
            assertThat(w.byteSize()).isEqualTo(2 * 144);
            Tensor s = g.tensor("s").orElseThrow();
            assertThat(s.shape().rank()).isZero();
            assertThat(s.byteSize()).isEqualTo(4);
            assertThat(g.tensor("e").orElseThrow().byteSize()).isZero();
            assertThat(g.tensor("b").orElseThrow().dtype()).isEqualTo(ScalarType.F16);
            for (Tensor t : g.tensors()) {
                assertThat(t.data().toArray(ValueLayout.JAVA_BYTE)).as(t.name()).containsExactly(data.get(t.name()).toArray(ValueLayout.JAVA_BYTE));
            }
            Path again = dir.resolve("again.gguf");
            GgufWriter.copy(g, again);
            assertThat(Files.mismatch(f, again)).isEqualTo(-1L);
        }
    }

    @Test
    void customAlignmentIsWrittenAsU32AndHonoured() throws IOException {
        GgufPlan plan = GgufPlan.builder().alignment(256)
                .tensor("a", GgmlType.F32, 3).tensor("b", GgmlType.Q8_0, 32).build();
        assertThat(plan.metadata().get("general.alignment")).contains(new MetaValue.U32(256));
        assertThat(plan.tensors().get(1).offset()).isEqualTo(256);
        assertThat(plan.dataOffset() % 256).isZero();
        Path f = dir.resolve("aligned.gguf");
        GgufWriter.write(f, plan, (t, sink) -> sink.write(new byte[(int) t.byteSize()]), List.of());
        try (GgufFile g = GgufReader.open(f)) {
            assertThat(g.alignment()).isEqualTo(256);
            assertThat(g.dataOffset()).isEqualTo(plan.dataOffset());
            assertThat(g.tensorInfo("b").orElseThrow().offset()).isEqualTo(256);
            assertThat(g.fileSize()).isEqualTo(plan.dataOffset() + 512);
        }
        assertThatThrownBy(() -> GgufPlan.builder().alignment(24)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void version2FilesAreReadAndKeepTheirVersion() throws IOException {
        byte[] v2 = RawGguf.header(2, 1, 1).kvU32("general.alignment", 64)
                .tensor("t", 1, 0, 2, 2).pad(64).bytes(new byte[] {1, 2, 3, 4, 5, 6, 7, 8}).zeros(56).toBytes();
        Path f = dir.resolve("v2.gguf");
        Files.write(f, v2);
        try (GgufFile g = GgufReader.open(f)) {
            assertThat(g.version()).isEqualTo(2);
            assertThat(g.alignment()).isEqualTo(64);
            assertThat(g.tensor("t").orElseThrow().dtype()).isEqualTo(ScalarType.F16);
            assertThat(g.tensor("t").orElseThrow().data().toArray(ValueLayout.JAVA_BYTE)).containsExactly(1, 2, 3, 4, 5, 6, 7, 8);
            Path out = dir.resolve("v2-again.gguf");
            GgufWriter.copy(g, out);
            assertThat(Files.readAllBytes(out)).isEqualTo(v2);
            Path v3 = dir.resolve("v3.gguf");
            GgufWriter.write(v3, GgufPlan.builder().metadata(g.metadata()).tensor("t", GgmlType.F16, 2, 2).build(), GgufWriter.from(g), List.of(f));
            byte[] v3bytes = Files.readAllBytes(v3);
            assertThat(v3bytes[4]).isEqualTo((byte) 3);
            v3bytes[4] = 2;
            assertThat(v3bytes).isEqualTo(v2);
        }
    }

    @Test
    void tensorsBeyond4GiBAreAddressedWithLongOffsets() throws IOException {
        long offset = (5L << 30) + 64; // past 4 GiB and past 2^32 as a u32 would wrap
        GgufPlan plan = GgufPlan.builder().tensorAt("low", GgmlType.F32, 0, 8).tensorAt("high", GgmlType.F32, offset, 4, 2).build();
        Path f = dir.resolve("sparse.gguf");
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.write(plan.headerBytes());
            raf.setLength(plan.fileSize()); // a hole: no disk blocks for the gap
            raf.seek(plan.dataOffset() + offset);
            raf.write(new byte[] {0x11, 0x22, 0x33, 0x44});
        }
        try (GgufFile g = GgufReader.open(f)) {
            Tensor high = g.tensor("high").orElseThrow();
            assertThat(g.tensorInfo("high").orElseThrow().offset()).isEqualTo(offset);
            assertThat(high.data().address() - g.tensors().get(0).data().address()).isEqualTo(offset);
            assertThat(high.data().get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), 0)).isEqualTo(0x44332211);
            assertThat(g.fileSize()).isEqualTo(plan.fileSize()).isGreaterThan(5L << 30);
        }
    }

    @Test
    void aSourceThatThrowsMidwayLeavesNoFile() throws IOException {
        GgufPlan plan = GgufPlan.builder().tensor("a", GgmlType.F32, 1024).tensor("b", GgmlType.F32, 1024).build();
        Path f = dir.resolve("never.gguf");
        assertThatThrownBy(() -> GgufWriter.write(f, plan, (t, sink) -> {
            sink.write(new byte[2048]);
            if (t.name().equals("b")) throw new IllegalStateException("quantizer failed");
            sink.write(new byte[2048]);
        }, List.of())).isInstanceOf(IllegalStateException.class).hasMessage("quantizer failed");
        try (var files = Files.list(dir)) {
            assertThat(files).isEmpty();
        }
    }

    @Test
    void aFailedWriteLeavesAnExistingTargetUntouched() throws IOException {
        Path f = dir.resolve("keep.gguf");
        Files.writeString(f, "old contents");
        GgufPlan plan = GgufPlan.builder().tensor("a", GgmlType.F32, 16).build();
        assertThatThrownBy(() -> GgufWriter.write(f, plan, (t, sink) -> sink.write(new byte[10]), List.of()))
                .isInstanceOf(SquintException.class).hasMessageContaining("tensor 'a' got 10 bytes from its source, expected 64");
        assertThatThrownBy(() -> GgufWriter.write(f, plan, (t, sink) -> sink.write(new byte[65]), List.of()))
                .isInstanceOf(SquintException.class).hasMessageContaining("wrote more than its 64 bytes");
        assertThat(Files.readString(f)).isEqualTo("old contents");
        try (var files = Files.list(dir)) {
            assertThat(files).containsExactly(f);
        }
    }

    @Test
    void refusesToOverwriteItsInput() throws IOException {
        Path f = dir.resolve("in.gguf");
        GgufWriter.write(f, GgufPlan.builder().tensor("a", GgmlType.F32, 8).build(), (t, sink) -> sink.write(new byte[32]), List.of());
        byte[] before = Files.readAllBytes(f);
        try (GgufFile g = GgufReader.open(f)) {
            assertThatThrownBy(() -> GgufWriter.copy(g, f)).isInstanceOf(SquintException.class)
                    .hasMessageContaining("refusing to overwrite an input");
            assertThatThrownBy(() -> GgufWriter.copy(g, dir.resolve(".").resolve("in.gguf"))).isInstanceOf(SquintException.class);
        }
        assertThat(Files.readAllBytes(f)).isEqualTo(before);
    }

    @Test
    void sourcesMayStreamInPiecesFromBuffersArraysAndSegments() throws IOException {
        GgufPlan plan = GgufPlan.builder().tensor("m", GgmlType.Q8_0, Shape.of(3, 64)).build();
        GgufTensorInfo m = plan.tensors().getFirst();
        assertThat(m.ne()).containsExactly(64, 3);
        byte[] expected = randomBytes(m.byteSize(), 7);
        Path f = dir.resolve("pieces.gguf");
        GgufWriter.write(f, plan, (t, sink) -> {
            int third = expected.length / 3;
            sink.write(java.nio.ByteBuffer.wrap(expected, 0, third));
            assertThat(sink.written()).isEqualTo(third);
            sink.write(Arrays.copyOfRange(expected, third, 2 * third));
            java.nio.ByteBuffer direct = java.nio.ByteBuffer.allocateDirect(expected.length - 2 * third);
            direct.put(expected, 2 * third, direct.capacity()).flip();
            sink.write(MemorySegment.ofBuffer(direct));
        }, List.of());
        try (GgufFile g = GgufReader.open(f)) {
            assertThat(g.tensor("m").orElseThrow().shape()).isEqualTo(Shape.of(3, 64));
            assertThat(g.tensor("m").orElseThrow().data().toArray(ValueLayout.JAVA_BYTE)).isEqualTo(expected);
        }
        assertThatThrownBy(() -> GgufWriter.write(dir.resolve("missing.gguf"), plan, GgufWriter.from(Map.of()), List.of()))
                .isInstanceOf(SquintException.class).hasMessageContaining("no data given for tensor 'm'");
        assertThat(dir.resolve("missing.gguf")).doesNotExist();
    }

    @Test
    void planRefusesWhatNoReaderWouldAccept() {
        assertThatThrownBy(() -> GgufPlan.builder().tensor("q", GgmlType.Q8_0, 33).build())
                .hasMessageContaining("row length 33 is not a multiple of Q8_0's block size 32");
        assertThatThrownBy(() -> GgufPlan.builder().tensor("x", GgmlType.F32, 1).tensor("x", GgmlType.F32, 1).build())
                .hasMessageContaining("duplicate tensor name x");
        assertThatThrownBy(() -> GgufPlan.builder().tensor("x", GgmlType.F32, 1, 1, 1, 1, 1).build())
                .hasMessageContaining("5 dimensions");
        assertThatThrownBy(() -> GgufPlan.builder().tensor("x", GgmlType.RETIRED_Q4_2, 32).build())
                .hasMessageContaining("retired");
        assertThatThrownBy(() -> GgufPlan.builder().tensorAt("x", GgmlType.F32, 0, 16).tensorAt("y", GgmlType.F32, 32, 16).build())
                .hasMessageContaining("overlaps");
        assertThatThrownBy(() -> GgufPlan.builder().tensorAt("x", GgmlType.F32, 8, 16).build())
                .hasMessageContaining("not a multiple of the alignment");
        assertThatThrownBy(() -> GgufPlan.builder().metadata(Metadata.builder().putU64("general.alignment", 32).build()).build())
                .hasMessageContaining("must be a u32 power of two");
    }
}
