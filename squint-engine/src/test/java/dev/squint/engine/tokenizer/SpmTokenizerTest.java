package dev.squint.engine.tokenizer;

import dev.squint.core.Metadata;
import dev.squint.core.MetaValue;
import dev.squint.core.ModelFormatException;
import dev.squint.formats.gguf.GgufFile;
import dev.squint.formats.gguf.GgufReader;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class SpmTokenizerTest {

    static final Path SHARED = Path.of(System.getProperty("squint.shared", "../shared"));
    static final Path GGUF = SHARED.resolve("testdata/llama.cpp/stories260K-f32.gguf");
    static final Path TOKENS = SHARED.resolve("testdata/llama.cpp/logits-f32.tokens.i32");
    static final Path TOK512 = SHARED.resolve("data/tok512.bin");
    static final Path TEXT = SHARED.resolve("data/TinyStories-valid.txt");

    static SpmTokenizer gguf;
    static SpmTokenizer llama2c;
    static String text;

    @BeforeAll
    static void load() throws IOException {
        assumeTrue(Files.exists(GGUF) && Files.exists(TOK512) && Files.exists(TEXT) && Files.exists(TOKENS),
                "shared llama.cpp test data not found under " + SHARED);
        try (GgufFile file = GgufReader.open(GGUF)) {
            gguf = (SpmTokenizer) Tokenizers.fromModel(file);
        }
        llama2c = Tokenizers.fromLlama2c(TOK512, 512);
        text = Files.readString(TEXT, StandardCharsets.UTF_8);
    }

    static int[] reference() throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(TOKENS)).order(ByteOrder.LITTLE_ENDIAN);
        int[] ids = new int[b.remaining() / 4];
        b.asIntBuffer().get(ids);
        return ids;
    }

    @Test
    void ggufVocabularyMatchesLlamaCppTokensOfTheText() throws IOException {
        int[] expected = reference();
        assertThat(expected).hasSize(128);
        int[] ids = gguf.encode(text, true, false);
        assertThat(Arrays.copyOf(ids, 128)).containsExactly(expected);
    }

    @Test
    void ggufFileFactoryClosesTheFileAndStillWorks() throws IOException {
        ModelTokenizer t = Tokenizers.fromGguf(GGUF);
        assertThat(Arrays.copyOf(t.encode(text, true, false), 128)).containsExactly(reference());
        assertThatThrownBy(() -> Tokenizers.fromGguf(TEXT)).isInstanceOf(ModelFormatException.class);
    }

    @Test
    void llama2cVocabularyGivesTheSameTokens() throws IOException {
        int[] ids = llama2c.encode(text, true, false);
        assertThat(Arrays.copyOf(ids, 128)).containsExactly(reference());
        // Both vocabularies describe the same pieces, so the whole text agrees, CRLF byte fallback included.
        assertThat(ids).containsExactly(gguf.encode(text, true, false));
    }

    @Test
    void vocabularyFromGgufMetadata() {
        Vocabulary v = gguf.vocabulary();
        assertThat(v.size()).isEqualTo(512);
        assertThat(v.bos()).hasValue(1);
        assertThat(v.eos()).hasValue(2);
        assertThat(v.unk()).hasValue(0);
        assertThat(v.addsBos()).isTrue();
        assertThat(v.addsEos()).isFalse();
        assertThat(v.type(0)).isEqualTo(TokenType.UNKNOWN);
        assertThat(v.type(1)).isEqualTo(TokenType.CONTROL);
        assertThat(v.type(13)).isEqualTo(TokenType.BYTE);
        assertThat(v.text(259)).isEqualTo("\u2581t");
        assertThat(v.score(260)).isEqualTo(-1f);
        assertThat(v.endsGeneration(2)).isTrue();
        assertThat(v.endsGeneration(1)).isFalse();
        assertThat(gguf.vocabSize()).isEqualTo(512);
        for (int id = 0; id < 512; id++) {
            assertThat(llama2c.vocabulary().text(id)).as("id %d", id).isEqualTo(v.text(id));
            assertThat(llama2c.vocabulary().type(id)).as("id %d", id).isEqualTo(v.type(id));
            assertThat(llama2c.vocabulary().score(id)).as("id %d", id).isEqualTo(v.score(id));
        }
    }

    @Test
    void encodeAddsTheSpacePrefixAndMergesByScore() {
        // "▁Once" pieces: the exact ids are the first ones of the reference after BOS
        int[] ids = gguf.encode("Once upon a time");
        assertThat(ids).doesNotContain(1);
        assertThat(gguf.decode(ids)).isEqualTo("Once upon a time");
        for (int id : ids) assertThat(gguf.vocabulary().type(id)).isEqualTo(TokenType.NORMAL);
        // the first piece carries the prefixed space
        assertThat(gguf.vocabulary().text(ids[0])).startsWith("\u2581");
        assertThat(gguf.encode("")).isEmpty();
        assertThat(gguf.encode("", true, false)).containsExactly(1);
    }

    @Test
    void unknownCharactersFallBackToUtf8ByteTokens() {
        // U+0416 is not a piece of this 512-token vocabulary: two byte tokens D0 96 (id = 3 + byte)
        assertThat(gguf.vocabulary().id("\u0416")).isEqualTo(-1);
        int space = gguf.vocabulary().id("\u2581");
        assertThat(space).isNotNegative();
        assertThat(gguf.encode("\u0416")).containsExactly(space, 3 + 0xD0, 3 + 0x96);
        // 4-byte emoji, CJK, combining marks, tabs and CRLF round-trip through bytes
        for (String s : List.of("\uD83D\uDE00 emoji \uD83C\uDDEB\uD83C\uDDF7!", "\u4f60\u597d\u4e16\u754c", "e\u0301 caf\u00e9",
                "tab\there\r\nnext  double  space ", "   leading spaces", "x")) {
            assertThat(gguf.decode(gguf.encode(s))).as(s).isEqualTo(s);
            assertThat(gguf.decode(gguf.encode(s, true, false))).as(s).isEqualTo(s);
            assertThat(llama2c.decode(llama2c.encode(s))).as(s).isEqualTo(s);
        }
        int[] emoji = gguf.encode("\uD83D\uDE00");
        assertThat(Arrays.copyOfRange(emoji, emoji.length - 4, emoji.length)).containsExactly(3 + 0xF0, 3 + 0x9F, 3 + 0x98, 3 + 0x80);
    }

    @Test
    void roundTripsTheWholeText() {
        int[] ids = gguf.encode(text, true, false);
        assertThat(ids[0]).isEqualTo(1);
        assertThat(gguf.decode(ids)).isEqualTo(text);
        assertThat(gguf.decode(gguf.encode(text))).isEqualTo(text);
    }

    @Test
    void specialTokensInTextAreMatchedOnlyWhenParsingSpecial() {
        int[] plain = gguf.encode("a</s>b");
        assertThat(plain).doesNotContain(2);
        assertThat(gguf.decode(plain)).isEqualTo("a</s>b");
        int[] parsed = gguf.encode("a</s>b", false, true);
        // the fragment after a special token gets its own space prefix, as llama.cpp does
        assertThat(parsed).containsExactly(concat(gguf.encode("a"), new int[] {2}, gguf.encode("b")));
        assertThat(gguf.decode(parsed)).isEqualTo("a b");
        // <unk> is UNKNOWN: matched only with parseSpecial, and dropped from output
        assertThat(gguf.encode("<unk>", false, true)).containsExactly(0);
        assertThat(gguf.encode("<unk>")).doesNotContain(0);
        assertThat(gguf.decode(new int[] {0, 1, 2})).isEmpty();
    }

    @Test
    void piecesAreLlamaCppTokenToPiece() {
        Vocabulary v = gguf.vocabulary();
        assertThat(gguf.piece(v.id("\u2581the"), false)).isEqualTo(" the".getBytes(StandardCharsets.UTF_8));
        assertThat(gguf.piece(3 + 0x0A, false)).containsExactly(0x0A);
        assertThat(gguf.piece(1, false)).isEmpty();
        assertThat(gguf.piece(1, true)).isEqualTo("<s>".getBytes(StandardCharsets.UTF_8));
        // decode strips the prefixed space of the first piece, also right after BOS, and only once
        assertThat(gguf.decode(new int[] {1, v.id("\u2581the"), v.id("\u2581the")})).isEqualTo("the the");
        assertThat(gguf.decode(new int[] {v.id("he")})).isEqualTo("he");
        assertThatThrownBy(() -> gguf.decode(new int[] {512})).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void tieOnScoreMergesTheLeftmostPair() {
        // pieces a b c, ab and bc score equally: "abc" must become ab + c, as llama.cpp's queue orders ties
        SpmTokenizer t = small(List.of("a", "b", "c", "ab", "bc"), new float[] {0, 0, 0, -1, -1});
        assertThat(t.encode("abc")).containsExactly(3, 2);
        // higher score wins over position
        SpmTokenizer u = small(List.of("a", "b", "c", "ab", "bc"), new float[] {0, 0, 0, -2, -1});
        assertThat(u.encode("abc")).containsExactly(0, 4);
        // merges continue on merged symbols: abc exists and is reached through ab + c
        SpmTokenizer w = small(List.of("a", "b", "c", "ab", "bc", "abc"), new float[] {0, 0, 0, -1, -2, -3});
        assertThat(w.encode("abc")).containsExactly(5);
    }

    private static SpmTokenizer small(List<String> pieces, float[] scores) {
        return new SpmTokenizer(new Vocabulary(pieces, scores, null, -1, -1, -1, false, false, null, null), false);
    }

    @Test
    void metadataFaultsAreModelFormatErrors() {
        Path p = Path.of("x.gguf");
        Metadata noModel = Metadata.builder().build();
        assertThatThrownBy(() -> Tokenizers.fromMetadata(noModel, p)).isInstanceOf(ModelFormatException.class).hasMessageContaining("tokenizer.ggml.model");
        Metadata noTokens = Metadata.builder().putString("tokenizer.ggml.model", "llama").build();
        assertThatThrownBy(() -> Tokenizers.fromMetadata(noTokens, p)).isInstanceOf(ModelFormatException.class).hasMessageContaining("tokenizer.ggml.tokens");
        Metadata duplicate = Metadata.builder().putString("tokenizer.ggml.model", "llama")
                .put("tokenizer.ggml.tokens", strings("<unk>", "<s>", "</s>", "a", "a")).build();
        assertThatThrownBy(() -> Tokenizers.fromMetadata(duplicate, p)).isInstanceOf(ModelFormatException.class).hasMessageContaining("'a'");
        Metadata shortScores = Metadata.builder().putString("tokenizer.ggml.model", "llama")
                .put("tokenizer.ggml.tokens", strings("<unk>", "<s>", "</s>", "a"))
                .put("tokenizer.ggml.scores", new MetaValue.Array(MetaValue.Kind.FLOAT32, List.of(new MetaValue.F32(0)))).build();
        assertThatThrownBy(() -> Tokenizers.fromMetadata(shortScores, p)).isInstanceOf(ModelFormatException.class).hasMessageContaining("scores");
        Metadata badByte = Metadata.builder().putString("tokenizer.ggml.model", "llama")
                .put("tokenizer.ggml.tokens", strings("<unk>", "<s>", "</s>", "a"))
                .put("tokenizer.ggml.token_type", new MetaValue.Array(MetaValue.Kind.INT32, List.of(
                        new MetaValue.I32(2), new MetaValue.I32(3), new MetaValue.I32(3), new MetaValue.I32(6)))).build();
        assertThatThrownBy(() -> Tokenizers.fromMetadata(badByte, p)).isInstanceOf(ModelFormatException.class).hasMessageContaining("BYTE");
        Metadata unknownModel = Metadata.builder().putString("tokenizer.ggml.model", "rwkv").build();
        assertThatThrownBy(() -> Tokenizers.fromMetadata(unknownModel, p)).hasMessageContaining("rwkv");
    }

    @Test
    void metadataFlagsAreHonoured() {
        Metadata m = Metadata.builder().putString("tokenizer.ggml.model", "llama")
                .put("tokenizer.ggml.tokens", strings("<unk>", "<s>", "</s>", "\u2581a", "a"))
                .putBool("tokenizer.ggml.add_space_prefix", false)
                .putBool("tokenizer.ggml.add_eos_token", true)
                .putU32("tokenizer.ggml.eos_token_id", 0xFFFFFFFF).build();
        ModelTokenizer t = Tokenizers.fromMetadata(m, Path.of("m.gguf"));
        assertThat(t.encode("a")).containsExactly(4);
        // eos id out of range keeps the default 2
        assertThat(t.encode("a", true, false)).containsExactly(1, 4, 2);
    }

    static MetaValue.Array strings(String... s) {
        List<MetaValue> items = new ArrayList<>();
        for (String x : s) items.add(MetaValue.Str.of(x));
        return new MetaValue.Array(MetaValue.Kind.STRING, items);
    }

    static int[] concat(int[]... parts) {
        return Arrays.stream(parts).flatMapToInt(Arrays::stream).toArray();
    }

    @Test
    void encodesThirtyKilobytesQuickly() {
        String chunk = text.substring(0, Math.min(text.length(), 30_000));
        int[] ids = gguf.encode(chunk);
        long ms = bestMillis(() -> gguf.encode(chunk));
        System.out.printf("SPM: %d chars -> %d tokens in %d ms%n", chunk.length(), ids.length, ms);
        assertThat(ms).isLessThan(1000);
    }

    @Test
    void longRunsStayLinear() {
        int n = 100_000;
        for (String run : List.of(" ".repeat(n), "a".repeat(n), "\u4f60".repeat(n), "ab\n".repeat(n / 3))) {
            long t0 = System.nanoTime();
            int[] ids = gguf.encode(run);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertThat(gguf.decode(ids)).isEqualTo(run);
            assertThat(ms).as("%d chars", run.length()).isLessThan(3000);
        }
    }

    /** Fastest of five runs after two warm-ups: the machine is shared, so one timing says little. */
    static long bestMillis(Runnable work) {
        work.run();
        work.run();
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            long t0 = System.nanoTime();
            work.run();
            best = Math.min(best, System.nanoTime() - t0);
        }
        return best / 1_000_000;
    }
}
