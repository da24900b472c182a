package dev.squint.formats.gguf;

import dev.squint.core.ModelFormatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Every way a GGUF file can lie, each expected to give one {@link ModelFormatException} that names
 * the file and the fault, before anything is allocated from the lie.
 */
class GgufHostileFileTest {
    @TempDir Path dir;

    record Case(String name, byte[] bytes, String expected) {
        @Override public String toString() { return name; }
    }

    /** A valid file: 2 keys, an F32 [2 x 8] tensor at 0 and a Q8_0 [32] tensor at 64. */
    static byte[] valid() {
        return validHead().pad(32).zeros(128).toBytes();
    }

    private static RawGguf validHead() {
        return RawGguf.header(3, 2, 2)
                .str("general.architecture").u32(8).str("llama")
                .kvU32("a", 1)
                .tensor("t0", 0, 0, 8, 2)
                .tensor("t1", 8, 64, 32);
    }

    /** A file with one key written by {@code kv} and one F32 [4] tensor. */
    private static byte[] withKv(java.util.function.Consumer<RawGguf> kv) {
        RawGguf r = RawGguf.header(3, 1, 1);
        kv.accept(r);
        return r.tensor("t", 0, 0, 4).pad(32).zeros(32).toBytes();
    }

    /** A file with no keys and the tensor infos written by {@code infos}. */
    private static byte[] withTensors(int n, int dataBytes, java.util.function.Consumer<RawGguf> infos) {
        RawGguf r = RawGguf.header(3, n, 0);
        infos.accept(r);
        return r.pad(32).zeros(dataBytes).toBytes();
    }

    private static byte[] patch(byte[] b, int at, byte... v) {
        byte[] c = b.clone();
        System.arraycopy(v, 0, c, at, v.length);
        return c;
    }

    static List<Case> cases() {
        byte[] ok = valid();
        int headerEnd = validHead().size();
        return List.of(
                new Case("empty file", new byte[0], "truncated: the magic"),
                new Case("header cut short", Arrays.copyOf(ok, 10), "truncated: the tensor count"),
                new Case("wrong magic", patch(ok, 0, (byte) 'G', (byte) 'G', (byte) 'M', (byte) 'L'), "magic bytes are 'GGML'"),
                new Case("big-endian magic", patch(ok, 0, (byte) 'F', (byte) 'U', (byte) 'G', (byte) 'G'), "big-endian GGUF is not supported"),
                new Case("byte-swapped version", patch(ok, 4, (byte) 0, (byte) 0, (byte) 0, (byte) 3), "big-endian"),
                new Case("version 1", patch(ok, 4, (byte) 1), "GGUF v1 is not supported"),
                new Case("version 0", patch(ok, 4, (byte) 0), "unknown GGUF version 0"),
                new Case("version 4", patch(ok, 4, (byte) 4), "unknown GGUF version 4"),
                new Case("tensor count beyond the file", RawGguf.header(3, 1L << 40, 0).zeros(64).toBytes(), "tensor count 1099511627776 is more than"),
                new Case("negative tensor count", RawGguf.header(3, -1, 0).zeros(64).toBytes(), "tensor count 18446744073709551615"),
                new Case("metadata count beyond the file", RawGguf.header(3, 0, 1L << 33).zeros(64).toBytes(), "metadata count 8589934592 is more than"),
                new Case("key length beyond the file", RawGguf.header(3, 0, 1).u64(1L << 40).zeros(16).toBytes(), "metadata key #0: length 1099511627776 runs past the end"),
                new Case("key length negative as i64", RawGguf.header(3, 0, 1).u64(-5).zeros(16).toBytes(), "metadata key #0: length 18446744073709551611"),
                new Case("empty key", withKv(r -> r.str("").u32(4).u32(1)), "metadata key #0 is empty"),
                new Case("key not UTF-8", withKv(r -> r.u64(2).u8(0xC3).u8(0x28).u32(4).u32(1)), "metadata key #0 is not valid UTF-8"),
                new Case("string value beyond the file", withKv(r -> r.str("s").u32(8).u64(1L << 50)), "the string value of key 's': length 1125899906842624 runs past"),
                new Case("unknown value type", withKv(r -> r.str("k").u32(13).u32(0)), "key 'k' has unknown value type 13"),
                new Case("negative value type", withKv(r -> r.str("k").u32(-1).u32(0)), "key 'k' has unknown value type 4294967295"),
                new Case("unknown array element type", withKv(r -> r.str("k").u32(9).u32(99).u64(1)), "key 'k' has unknown value type 99"),
                new Case("array length beyond the file", withKv(r -> r.str("k").u32(9).u32(4).u64(1L << 40)), "key 'k': array length 1099511627776 of UINT32 runs past the end"),
                new Case("string array length beyond the file", withKv(r -> r.str("k").u32(9).u32(8).u64(1000)), "key 'k': array length 1000 of STRING runs past the end"),
                new Case("arrays nested too deep", withKv(r -> {
                    r.str("k");
                    r.u32(9);
                    for (int i = 0; i < 9; i++) r.u32(9).u64(1);
                    r.u32(4).u64(0);
                }), "key 'k': arrays nested deeper than 8 levels"),
                new Case("bool that is not 0 or 1", withKv(r -> r.str("b").u32(7).u8(2)), "key 'b': bool value 2 is neither 0 nor 1"),
                new Case("duplicate key", RawGguf.header(3, 0, 2).kvU32("k", 1).kvU32("k", 2).toBytes(), "duplicate metadata key 'k'"),
                new Case("alignment of the wrong type", withKv(r -> r.str("general.alignment").u32(10).u64(32)), "key 'general.alignment' must be a u32 but is UINT64"),
                new Case("alignment zero", withKv(r -> r.kvU32("general.alignment", 0)), "key 'general.alignment' is 0, not a nonzero power of two"),
                new Case("alignment not a power of two", withKv(r -> r.kvU32("general.alignment", 48)), "key 'general.alignment' is 48, not a nonzero power of two"),
                new Case("duplicate tensor name", withTensors(2, 64, r -> r.tensor("w", 0, 0, 4).tensor("w", 0, 32, 4)), "duplicate tensor name 'w'"),
                new Case("empty tensor name", withTensors(1, 32, r -> r.tensor("", 0, 0, 4)), "tensor #0 has an empty name"),
                new Case("tensor name not UTF-8", withTensors(1, 32, r -> r.u64(1).u8(0xFF).u32(1).u64(4).u32(0).u64(0)), "the name of tensor #0 is not valid UTF-8"),
                new Case("tensor name beyond the file", withTensors(1, 64, r -> r.u64(1L << 40)), "the name of tensor #0: length 1099511627776 runs past"),
                new Case("five dimensions", withTensors(1, 32, r -> r.tensor("w", 0, 0, 1, 1, 1, 1, 1)), "tensor 'w' has 5 dimensions (at most 4)"),
                new Case("huge dimension count", withTensors(1, 32, r -> r.str("w").u32(-1)), "tensor 'w' has 4294967295 dimensions"),
                new Case("negative dimension", withTensors(1, 32, r -> r.tensor("w", 0, 0, 4, -2)), "tensor 'w' dimension 1 is negative (-2)"),
                new Case("element count overflow", withTensors(1, 32, r -> r.tensor("w", 0, 0, 1L << 32, 1L << 32)), "tensor 'w' element count of shape [4294967296, 4294967296] overflows"),
                new Case("element count overflow hidden by a zero", withTensors(1, 32, r -> r.tensor("w", 0, 0, 0, 1L << 32, 1L << 32)), "tensor 'w' element count of shape [0, 4294967296, 4294967296] overflows"),
                new Case("byte size overflow", withTensors(1, 32, r -> r.tensor("w", 0, 0, 1L << 31, 1L << 31)), "tensor 'w' byte size of shape [2147483648, 2147483648] overflows"),
                new Case("unknown ggml type", withTensors(1, 32, r -> r.tensor("w", 40, 0, 4)), "tensor 'w' has unknown ggml type id 40"),
                new Case("negative ggml type", withTensors(1, 32, r -> r.tensor("w", -1, 0, 4)), "tensor 'w' has unknown ggml type id 4294967295"),
                new Case("retired ggml type", withTensors(1, 32, r -> r.tensor("w", 4, 0, 32)), "tensor 'w' has ggml type id 4 (Q4_2), which ggml no longer supports"),
                new Case("row not a whole number of blocks", withTensors(1, 64, r -> r.tensor("w", 8, 0, 33, 1)), "tensor 'w' of type Q8_0 has rows of 33 elements, not a multiple of the block size 32"),
                new Case("offset not aligned", withTensors(1, 64, r -> r.tensor("w", 0, 4, 4)), "tensor 'w' data offset 4 is not a multiple of the alignment 32"),
                new Case("offset beyond the file", withTensors(1, 32, r -> r.tensor("w", 0, 1L << 40, 4)), "tensor 'w' data [1099511627776, +16) extends past the end of the file"),
                new Case("offset beyond any file", withTensors(1, 32, r -> r.tensor("w", 0, -32, 4)), "tensor 'w' data offset 18446744073709551584 is beyond any file"),
                new Case("tensor data past the end", withTensors(1, 32, r -> r.tensor("w", 0, 0, 16)), "tensor 'w' data [0, +64) extends past the end of the file"),
                new Case("overlapping tensors", withTensors(2, 128, r -> r.tensor("a", 0, 0, 16).tensor("b", 0, 32, 16)), "tensors 'a' and 'b' overlap"),
                new Case("overlap listed out of order", withTensors(2, 128, r -> r.tensor("b", 0, 32, 16).tensor("a", 0, 0, 16)), "tensors 'a' and 'b' overlap"),
                new Case("data section beyond the file", Arrays.copyOf(ok, headerEnd), "truncated: the data section starts at"),
                new Case("last tensor cut short", Arrays.copyOf(ok, ok.length - 40), "tensor 't1' data [64, +34) extends past the end of the file"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void refusesWithOneLineNamingFileAndFault(Case c) throws IOException {
        Path f = dir.resolve("hostile.gguf");
        Files.write(f, c.bytes());
        assertThatThrownBy(() -> GgufReader.open(f).close())
                .isExactlyInstanceOf(ModelFormatException.class)
                .satisfies(e -> {
                    ModelFormatException m = (ModelFormatException) e;
                    assertThat(m.getMessage()).startsWith(f + ": ").doesNotContain("\n");
                    assertThat(m.fault()).contains(c.expected());
                    assertThat(m.file()).isEqualTo(f);
                });
    }

    @Test
    void theUncorruptedBaseFileOpens() throws IOException {
        Path f = dir.resolve("valid.gguf");
        Files.write(f, valid());
        try (GgufFile g = GgufReader.open(f)) {
            assertThat(g.tensors()).hasSize(2);
            assertThat(g.architecture()).contains("llama");
        }
    }

    @Test
    void everyTruncationOfAValidFileIsRefused() throws IOException {
        byte[] ok = valid();
        Path f = dir.resolve("cut.gguf");
        // the last tensor ends at dataOffset + 98; shorter files lack bytes something needs
        int needed;
        try (GgufFile g = open(f, ok)) {
            needed = (int) (g.dataOffset() + g.tensorInfo("t1").orElseThrow().end());
        }
        for (int len = 0; len < needed; len++) {
            byte[] cut = Arrays.copyOf(ok, len);
            assertThatThrownBy(() -> open(f, cut).close()).as("length %d", len).isExactlyInstanceOf(ModelFormatException.class);
        }
        open(f, Arrays.copyOf(ok, needed)).close(); // no trailing padding needed
    }

    @Test
    void metadataThatWouldFillTheHeapIsRefusedBeforeAllocating() throws IOException {
        // the bytes are really in the (sparse) file, so only the heap cap can refuse them
        Path big = dir.resolve("big-string.gguf");
        Files.write(big, RawGguf.header(3, 0, 1).str("s").u32(8).u64(300L << 20).toBytes());
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(big.toFile(), "rw")) {
            f.setLength(f.length() + (300L << 20));
        }
        assertThatThrownBy(() -> GgufReader.open(big)).isExactlyInstanceOf(ModelFormatException.class)
                .hasMessageContaining("the string value of key 's': metadata and tensor infos would take more than squint's limit of 256 MiB of heap");

        Path many = dir.resolve("many-values.gguf");
        Files.write(many, RawGguf.header(3, 0, 1).str("a").u32(9).u32(0).u64(20_000_000).toBytes());
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(many.toFile(), "rw")) {
            f.setLength(f.length() + 20_000_000);
        }
        assertThatThrownBy(() -> GgufReader.open(many)).isExactlyInstanceOf(ModelFormatException.class)
                .hasMessageContaining("key 'a': metadata and tensor infos would take more than");
    }

    @Test
    void aDirectoryIsRefused() {
        assertThatThrownBy(() -> GgufReader.open(dir)).isExactlyInstanceOf(ModelFormatException.class)
                .hasMessageContaining("not a regular file");
    }

    private static GgufFile open(Path f, byte[] bytes) throws IOException {
        Files.write(f, bytes);
        return GgufReader.open(f);
    }
}
