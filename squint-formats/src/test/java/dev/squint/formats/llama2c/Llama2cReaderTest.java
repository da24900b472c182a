package dev.squint.formats.llama2c;

import dev.squint.core.Container;
import dev.squint.core.Model;
import dev.squint.core.ModelFormatException;
import dev.squint.core.ScalarType;
import dev.squint.core.Shape;
import dev.squint.core.Tensor;
import dev.squint.formats.ContainerDetails;
import dev.squint.formats.ModelOpener;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class Llama2cReaderTest {
    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @TempDir Path dir;

    static Path stories() {
        Path p = Path.of(System.getProperty("squint.shared", "../shared"), "data", "stories260K.bin");
        assumeTrue(Files.exists(p), "stories260K.bin not found under squint.shared");
        return p;
    }

    @Test
    void readsStories260KShapesAndHeader() {
        try (Model m = Llama2cReader.open(stories())) {
            assertThat(m.container()).isEqualTo(Container.LLAMA2C);
            assertThat(m.architecture()).contains("llama");
            assertThat(m.fileSize()).isEqualTo(1_056_540L);
            assertThat(m.tensors()).hasSize(1 + 5 * 9 + 1 + 2);
            assertThat(shape(m, "token_embd.weight")).isEqualTo(Shape.of(512, 64));
            assertThat(shape(m, "blk.0.attn_norm.weight")).isEqualTo(Shape.of(64));
            assertThat(shape(m, "blk.0.attn_q.weight")).isEqualTo(Shape.of(64, 64));
            assertThat(shape(m, "blk.0.attn_k.weight")).isEqualTo(Shape.of(32, 64));
            assertThat(shape(m, "blk.0.attn_v.weight")).isEqualTo(Shape.of(32, 64));
            assertThat(shape(m, "blk.4.attn_output.weight")).isEqualTo(Shape.of(64, 64));
            assertThat(shape(m, "blk.0.ffn_gate.weight")).isEqualTo(Shape.of(172, 64));
            assertThat(shape(m, "blk.0.ffn_down.weight")).isEqualTo(Shape.of(64, 172));
            assertThat(shape(m, "blk.0.ffn_up.weight")).isEqualTo(Shape.of(172, 64));
            assertThat(shape(m, "output_norm.weight")).isEqualTo(Shape.of(64));
            assertThat(shape(m, "rope_freqs_real")).isEqualTo(Shape.of(512, 4));
            assertThat(m.tensor("output.weight")).isEmpty();
            assertThat(m.tensor("blk.5.attn_q.weight")).isEmpty();
            assertThat(m.tensors()).allSatisfy(t -> assertThat(t.dtype()).isEqualTo(ScalarType.F32));
            // 260,032 weights plus two RoPE tables of 512 x 4
            assertThat(m.parameterCount()).isEqualTo(260_032L + 2 * 512 * 4);
            assertThat(m.tensorBytes()).isEqualTo(m.fileSize() - 28);
            assertThat(m.bitsPerWeight()).isEqualTo(32.0);

            var md = m.metadata();
            assertThat(md.string("general.architecture")).contains("llama");
            assertThat(md.integer("llama.embedding_length")).contains(64L);
            assertThat(md.integer("llama.feed_forward_length")).contains(172L);
            assertThat(md.integer("llama.block_count")).contains(5L);
            assertThat(md.integer("llama.attention.head_count")).contains(8L);
            assertThat(md.integer("llama.attention.head_count_kv")).contains(4L);
            assertThat(md.integer("llama.context_length")).contains(512L);
            assertThat(md.integer("llama.vocab_size")).contains(512L);
            assertThat(md.integer("llama.rope.dimension_count")).contains(8L);
            assertThat(md.bool("llama2c.shared_classifier")).contains(true);
            assertThat(((Llama2cModel) m).config().sharedClassifier()).isTrue();
        }
    }

    @Test
    void storiesViewsHoldTheFileBytes() throws IOException {
        Path p = stories();
        ByteBuffer raw = ByteBuffer.wrap(Files.readAllBytes(p)).order(ByteOrder.LITTLE_ENDIAN);
        try (Model m = Llama2cReader.open(p)) {
            ContainerDetails details = (ContainerDetails) m;
            // first rms_att of layer 2 sits after embeddings (512*64) and two layers' rms_att (2*64)
            long expected = 28 + 4L * (512 * 64 + 2 * 64);
            assertThat(details.dataOffset("blk.2.attn_norm.weight")).hasValue(expected);
            Tensor t = m.tensor("blk.2.attn_norm.weight").orElseThrow();
            for (int i = 0; i < 64; i++) {
                assertThat(t.data().getAtIndex(F32_LE, i)).isEqualTo(raw.getFloat((int) expected + 4 * i));
            }
            // the RoPE real table starts with cos(0) = 1 for every frequency at position 0
            Tensor re = m.tensor("rope_freqs_real").orElseThrow();
            assertThat(re.data().getAtIndex(F32_LE, 0)).isEqualTo(1.0f);
            Tensor im = m.tensor("rope_freqs_imag").orElseThrow();
            assertThat(im.data().getAtIndex(F32_LE, 0)).isEqualTo(0.0f);
            assertThat(details.dataOffset("rope_freqs_imag").getAsLong() + im.byteSize()).isEqualTo(m.fileSize());
        }
    }

    @Test
    void modelOpenerPicksTheLlama2cReader() {
        try (Model m = ModelOpener.open(stories())) {
            assertThat(m).isInstanceOf(Llama2cModel.class);
        }
    }

    @Test
    void unsharedClassifierIsReadAfterTheRopeTables() throws IOException {
        // dim 8, hidden 12, 2 layers, 2 heads (head size 4), 1 kv head, vocab 10 unshared, seq 3
        Path f = Llama2cFiles.write(dir.resolve("unshared.bin"), 8, 12, 2, 2, 1, -10, 3);
        try (Model m = Llama2cReader.open(f)) {
            assertThat(m.metadata().bool("llama2c.shared_classifier")).contains(false);
            assertThat(m.metadata().integer("llama.vocab_size")).contains(10L);
            // expected float offset of every tensor, from the documented layout (kv_dim 4)
            Map<String, long[]> expected = new LinkedHashMap<>();
            long pos = 0;
            expected.put("token_embd.weight", new long[] {pos, 10, 8}); pos += 80;
            long rmsAtt = pos, wq = rmsAtt + 16, wk = wq + 128, wv = wk + 64, wo = wv + 64, rmsFfn = wo + 128,
                    w1 = rmsFfn + 16, w2 = w1 + 192, w3 = w2 + 192, rmsFinal = w3 + 192, freqRe = rmsFinal + 8,
                    freqIm = freqRe + 6, cls = freqIm + 6;
            for (int l = 0; l < 2; l++) {
                String b = "blk." + l + ".";
                expected.put(b + "attn_norm.weight", new long[] {rmsAtt + 8L * l, 8});
                expected.put(b + "attn_q.weight", new long[] {wq + 64L * l, 8, 8});
                expected.put(b + "attn_k.weight", new long[] {wk + 32L * l, 4, 8});
                expected.put(b + "attn_v.weight", new long[] {wv + 32L * l, 4, 8});
                expected.put(b + "attn_output.weight", new long[] {wo + 64L * l, 8, 8});
                expected.put(b + "ffn_norm.weight", new long[] {rmsFfn + 8L * l, 8});
                expected.put(b + "ffn_gate.weight", new long[] {w1 + 96L * l, 12, 8});
                expected.put(b + "ffn_down.weight", new long[] {w2 + 96L * l, 8, 12});
                expected.put(b + "ffn_up.weight", new long[] {w3 + 96L * l, 12, 8});
            }
            expected.put("output_norm.weight", new long[] {rmsFinal, 8});
            expected.put("output.weight", new long[] {cls, 10, 8});
            expected.put("rope_freqs_real", new long[] {freqRe, 3, 2});
            expected.put("rope_freqs_imag", new long[] {freqIm, 3, 2});
            assertThat(cls + 80).isEqualTo((Files.size(f) - 28) / 4);

            assertThat(m.tensors().stream().map(Tensor::name).toList()).containsExactlyElementsOf(expected.keySet());
            for (var e : expected.entrySet()) {
                Tensor t = m.tensor(e.getKey()).orElseThrow();
                long[] want = e.getValue();
                assertThat(t.shape()).as(e.getKey()).isEqualTo(Shape.of(Arrays.copyOfRange(want, 1, want.length)));
                long n = t.info().elementCount();
                // float number i of the file holds the value i
                assertThat(t.data().getAtIndex(F32_LE, 0)).as(e.getKey()).isEqualTo((float) want[0]);
                assertThat(t.data().getAtIndex(F32_LE, n - 1)).as(e.getKey()).isEqualTo((float) (want[0] + n - 1));
            }
        }
    }

    @Test
    void sharedSyntheticFileHasNoOutputTensor() throws IOException {
        Path f = Llama2cFiles.write(dir.resolve("shared.bin"), 8, 12, 1, 2, 2, 10, 3);
        try (Model m = Llama2cReader.open(f)) {
            assertThat(m.tensor("output.weight")).isEmpty();
            assertThat(shape(m, "blk.0.attn_k.weight")).isEqualTo(Shape.of(8, 8));
        }
    }

    // ---- hostile and broken files: one line naming the file, no allocation of the described size

    @Test
    void fileShorterThanHeader() throws IOException {
        Path f = Files.write(dir.resolve("short.bin"), new byte[10]);
        assertFault(f, "shorter than the 28-byte llama2.c header");
    }

    @Test
    void emptyFile() throws IOException {
        assertFault(Files.write(dir.resolve("empty.bin"), new byte[0]), "file is 0 bytes");
    }

    @Test
    void missingFile() {
        assertFault(dir.resolve("nope.bin"), "no such file");
    }

    @Test
    void nonPositiveDimensions() throws IOException {
        assertFault(header(0, 12, 1, 2, 2, 10, 3), "header field dim is 0");
        assertFault(header(8, -12, 1, 2, 2, 10, 3), "header field hidden_dim is -12");
        assertFault(header(8, 12, 0, 2, 2, 10, 3), "header field n_layers is 0");
        assertFault(header(8, 12, 1, -2, 2, 10, 3), "header field n_heads is -2");
        assertFault(header(8, 12, 1, 2, 0, 10, 3), "header field n_kv_heads is 0");
        assertFault(header(8, 12, 1, 2, 2, 0, 3), "header field vocab_size is 0");
        assertFault(header(8, 12, 1, 2, 2, Integer.MIN_VALUE, 3), "header field vocab_size is -2147483648");
        assertFault(header(8, 12, 1, 2, 2, 10, -1), "header field seq_len is -1");
    }

    @Test
    void headsMustDivide() throws IOException {
        assertFault(header(8, 12, 1, 3, 3, 10, 3), "dim 8 is not divisible by n_heads 3");
        assertFault(header(8, 12, 1, 4, 3, 10, 3), "n_heads 4 is not divisible by n_kv_heads 3");
        assertFault(header(6, 12, 1, 2, 2, 10, 3), "head size 3 (dim/n_heads) is odd");
    }

    @Test
    void overflowingProductsAreCaughtBeforeAllocating() throws IOException {
        int big = Integer.MAX_VALUE - 1; // even head size with one head
        assertFault(header(big, big, big, 1, 1, big, big), "more weights than a 64-bit size can hold");
    }

    @Test
    void hugeButRepresentableHeaderOnSmallFileIsTruncation() throws IOException {
        assertFault(header(1 << 14, 1 << 16, 1 << 10, 128, 8, 1 << 20, 1 << 16), "truncated");
    }

    @Test
    void truncatedFile() throws IOException {
        Path full = Llama2cFiles.write(dir.resolve("full.bin"), 8, 12, 2, 2, 1, 10, 3);
        byte[] bytes = Files.readAllBytes(full);
        Path cut = Files.write(dir.resolve("cut.bin"), Arrays.copyOf(bytes, bytes.length - 5));
        assertFault(cut, "truncated");
        assertFault(cut, "(5 missing)");
    }

    @Test
    void truncatedStories() throws IOException {
        byte[] bytes = Files.readAllBytes(stories());
        Path cut = Files.write(dir.resolve("stories-cut.bin"), Arrays.copyOf(bytes, 500_000));
        assertFault(cut, "truncated: header (dim 64, hidden_dim 172, n_layers 5, n_heads 8, n_kv_heads 4, vocab_size 512, seq_len 512) needs 1056540 bytes");
    }

    @Test
    void oversizedFile() throws IOException {
        Path f = Llama2cFiles.write(dir.resolve("long.bin"), new int[] {8, 12, 1, 2, 2, 10, 3},
                Llama2cFiles.floatCount(8, 12, 1, 2, 2, 10, 3) + 1);
        assertFault(f, "4 more than header");
        assertFault(f, "not a legacy llama2.c checkpoint with this header");
    }

    @Test
    void positiveVocabWithAClassifierAppendedIsExplained() throws IOException {
        Path f = Llama2cFiles.write(dir.resolve("flag.bin"), new int[] {8, 12, 1, 2, 2, 10, 3},
                Llama2cFiles.floatCount(8, 12, 1, 2, 2, -10, 3));
        assertFault(f, "vocab_size should have been negative");
    }

    @Test
    void versionedExportIsRefusedByName() throws IOException {
        assertFault(header(Llama2cReader.VERSIONED_MAGIC, 1, 8, 12, 1, 2, 2), "export version 1");
    }

    @Test
    void aTokenizerGivenAsModelIsNamedAsSuch() {
        Path tok = Path.of(System.getProperty("squint.shared", "../shared"), "data", "tok512.bin");
        assumeTrue(Files.exists(tok), "tok512.bin not found under squint.shared");
        assertFault(tok, "this is a llama2.c tokenizer");
    }

    @Test
    void aPyTorchBinIsNamedAsSuch() throws IOException {
        byte[] zip = new byte[64];
        zip[0] = 'P'; zip[1] = 'K'; zip[2] = 3; zip[3] = 4;
        assertFault(Files.write(dir.resolve("pytorch_model.bin"), zip), "PyTorch checkpoint");
        byte[] legacy = new byte[64];
        legacy[0] = (byte) 0x80; legacy[1] = 2; legacy[2] = (byte) 0x8a; legacy[3] = 0x0a;
        assertFault(Files.write(dir.resolve("old_model.bin"), legacy), "PyTorch checkpoint");
        byte[] framed = new byte[64];
        framed[0] = (byte) 0x80; framed[1] = 4; framed[2] = (byte) 0x95;
        assertFault(Files.write(dir.resolve("pickle4.bin"), framed), "PyTorch checkpoint");
    }

    @Test
    void aRealCheckpointWhoseDimLooksLikeAPickleStillOpens() throws IOException {
        // dim 640 is 0x80 0x02 0x00 0x00 on disk, the same two bytes a protocol-2 pickle starts with
        Path f = Llama2cFiles.write(dir.resolve("dim640.bin"), 640, 8, 1, 2, 2, 2, 1);
        try (Model m = Llama2cReader.open(f)) {
            assertThat(shape(m, "blk.0.attn_q.weight")).isEqualTo(Shape.of(640, 640));
        }
        byte[] bytes = Files.readAllBytes(f);
        assertFault(Files.write(dir.resolve("dim640-cut.bin"), Arrays.copyOf(bytes, 1000)), "truncated");
    }

    @Test
    void folderIsRefused() {
        assertFault(dir, "is a folder");
    }

    @Test
    void seededRandomHeadersOnlyEverFailAsFormatFaults() throws IOException {
        java.util.Random rnd = new java.util.Random(20261127);
        int opened = 0;
        for (int round = 0; round < 400; round++) {
            int[] h = new int[7];
            for (int i = 0; i < 7; i++) {
                h[i] = switch (rnd.nextInt(4)) {
                    case 0 -> rnd.nextInt();
                    case 1 -> rnd.nextInt(9) - 2;
                    default -> 2 << rnd.nextInt(4);
                };
            }
            // a matching body half the time (when it is small), otherwise a random length
            long want = h[0] > 0 && h[3] > 0 && h[4] > 0 && h[0] % h[3] == 0 ? safeCount(h) : -1;
            long floats = want >= 0 && want < 200_000 && rnd.nextBoolean() ? want : rnd.nextInt(2000);
            Path f = Llama2cFiles.write(dir.resolve("r" + round + ".bin"), h, floats);
            try (Model m = Llama2cReader.open(f)) {
                opened++;
                assertThat(m.tensorBytes()).isEqualTo(Files.size(f) - 28);
            } catch (ModelFormatException e) {
                assertThat(e.getMessage()).startsWith(f + ": ").doesNotContain("\n");
            }
            Files.delete(f);
        }
        assertThat(opened).as("some random headers are valid and open").isPositive();
    }

    private static long safeCount(int[] h) {
        try {
            for (int v : h) if (v == 0 || v == Integer.MIN_VALUE) return -1;
            if (h[1] < 0 || h[2] < 0 || h[6] < 0) return -1;
            long dim = h[0], hidden = h[1], layers = h[2], kvDim = dim / h[3] * h[4];
            long perLayer = Math.addExact(Math.addExact(2 * dim, 2 * Math.multiplyExact(dim, dim)),
                    Math.addExact(2 * Math.multiplyExact(kvDim, dim), 3 * Math.multiplyExact(hidden, dim)));
            long n = Math.addExact(Math.multiplyExact(Math.abs((long) h[5]), dim), Math.multiplyExact(layers, perLayer));
            n = Math.addExact(n, dim + 2L * h[6] * (dim / h[3] / 2));
            if (h[5] < 0) n = Math.addExact(n, Math.multiplyExact(-(long) h[5], dim));
            return n;
        } catch (ArithmeticException e) {
            return -1;
        }
    }

    private Path header(int... h) throws IOException {
        return Llama2cFiles.write(Files.createTempFile(dir, "h", ".bin"), h, 16);
    }

    private static void assertFault(Path f, String fragment) {
        assertThatThrownBy(() -> Llama2cReader.open(f).close())
                .isInstanceOf(ModelFormatException.class)
                .hasMessageStartingWith(f + ": ")
                .hasMessageContaining(fragment)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    private static Shape shape(Model m, String name) {
        return m.tensor(name).map(Tensor::shape).orElseThrow(() -> new AssertionError("no tensor " + name + " in " + names(m)));
    }

    private static List<String> names(Model m) {
        return m.tensors().stream().map(Tensor::name).toList();
    }
}
