package dev.squint.formats.llama2c;

import dev.squint.core.ModelFormatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class Llama2cTokenizerTest {
    @TempDir Path dir;

    static Path tok512() {
        Path p = Path.of(System.getProperty("squint.shared", "../shared"), "data", "tok512.bin");
        assumeTrue(Files.exists(p), "tok512.bin not found under squint.shared");
        return p;
    }

    @Test
    void readsTok512() {
        Llama2cTokenizer tok = Llama2cTokenizer.read(tok512(), 512);
        assertThat(tok.size()).isEqualTo(512);
        assertThat(tok.maxTokenLength()).isEqualTo(7);
        assertThat(tok.text(0)).isEqualTo("<unk>");
        assertThat(tok.text(1)).contains("<s>");
        assertThat(tok.text(2)).contains("</s>");
        for (int b = 0; b < 256; b++) {
            assertThat(tok.text(3 + b)).isEqualTo(String.format("<0x%02X>", b));
        }
        for (int id = 0; id < 512; id++) assertThat(tok.token(id).length).isLessThanOrEqualTo(7);
        // merged pieces after the byte tokens carry scores that rank merges (not all zero)
        assertThat(tok.scores()).hasSize(512);
        assertThat(tok.score(300)).isNotEqualTo(tok.score(400));
    }

    @Test
    void isImmutable() {
        Llama2cTokenizer tok = Llama2cTokenizer.read(tok512(), 512);
        tok.token(0)[0] = 'X';
        tok.tokens().get(0)[0] = 'X';
        tok.scores()[0] = 42f;
        assertThat(tok.text(0)).isEqualTo("<unk>");
        assertThat(tok.score(0)).isNotEqualTo(42f);
        assertThat(tok).isEqualTo(Llama2cTokenizer.read(tok512(), 512));
        assertThatThrownBy(() -> tok.tokens().add(new byte[0])).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void roundTripsASyntheticVocabulary() throws IOException {
        Path f = write(5, List.of("a", "bc", "\u00e9", "de"), new float[] {0f, -1.5f, 2f, 3f}, null);
        Llama2cTokenizer tok = Llama2cTokenizer.read(f, 4);
        assertThat(tok.text(2)).isEqualTo("\u00e9");
        assertThat(tok.token(2)).containsExactly((byte) 0xC3, (byte) 0xA9);
        assertThat(tok.score(1)).isEqualTo(-1.5f);
    }

    @Test
    void negativeLength() throws IOException {
        Path f = write(5, List.of("a", "b"), new float[2], new int[] {1, -3});
        assertFault(f, 2, "token 1: negative length -3");
    }

    @Test
    void lengthAboveMaximum() throws IOException {
        Path f = write(2, List.of("a", "abc"), new float[2], null);
        assertFault(f, 2, "token 1: length 3 exceeds max_token_length 2");
    }

    @Test
    void lengthBeyondTheFile() throws IOException {
        Path f = write(100, List.of("a", "b"), new float[2], new int[] {1, 90});
        assertFault(f, 2, "truncated: token 1 needs 90 bytes");
    }

    @Test
    void moreTokensThanTheFileHolds() {
        assertFault(tok512(), 1_000_000_000, "too short for 1000000000 tokens");
    }

    @Test
    void leftoverBytesMeanAWrongVocabularySize() {
        assertFault(tok512(), 511, "bytes left after 511 tokens");
    }

    @Test
    void truncatedInTheMiddleOfATokenHeader() throws IOException {
        byte[] bytes = Files.readAllBytes(tok512());
        Path cut = Files.write(dir.resolve("cut.bin"), java.util.Arrays.copyOf(bytes, bytes.length - 3));
        assertFault(cut, 512, "truncated");
    }

    @Test
    void badMaximumLength() throws IOException {
        assertFault(write(0, List.of("a"), new float[1], null), 1, "max_token_length is 0");
    }

    @Test
    void missingFile() {
        assertFault(dir.resolve("none.bin"), 3, "no such file");
    }

    /** Writes a tokenizer file; {@code lengths} overrides the length field written for each token. */
    private Path write(int maxLen, List<String> tokens, float[] scores, int[] lengths) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
        out.write(b.putInt(0, maxLen).array());
        for (int i = 0; i < tokens.size(); i++) {
            byte[] t = tokens.get(i).getBytes(StandardCharsets.UTF_8);
            out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putFloat(scores[i]).putInt(lengths == null ? t.length : lengths[i]).array());
            out.write(t);
        }
        return Files.write(Files.createTempFile(dir, "tok", ".bin"), out.toByteArray());
    }

    private static void assertFault(Path f, int vocab, String fragment) {
        assertThatThrownBy(() -> Llama2cTokenizer.read(f, vocab))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageStartingWith(f + ": ")
                .hasMessageContaining(fragment)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }
}
