package dev.squint.engine.tokenizer;

import dev.squint.core.ModelFormatException;
import dev.squint.core.SquintException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Hugging Face BPE with byte fallback and ▁ for spaces (the tokenizer.json of Llama 2, Mistral, TinyLlama). */
class HfSentencePieceBpeTest {

    /**
     * A tokenizer.json: ids 0..2 &lt;unk&gt; &lt;s&gt; &lt;/s&gt;, 3..258 byte tokens, then {@code pieces}; merges as given.
     */
    static String tokenizerJson(List<String> pieces, List<String> merges, String normalizer, String preTokenizer) {
        List<String> vocab = new ArrayList<>(List.of("<unk>", "<s>", "</s>"));
        for (int b = 0; b < 256; b++) vocab.add(String.format("<0x%02X>", b));
        vocab.addAll(pieces);
        StringBuilder v = new StringBuilder();
        for (int i = 0; i < vocab.size(); i++) v.append(i > 0 ? "," : "").append(BpeTokenizerTest.json(vocab.get(i))).append(':').append(i);
        StringBuilder m = new StringBuilder();
        for (String x : merges) m.append(m.isEmpty() ? "" : ",").append(BpeTokenizerTest.json(x));
        return """
                {"version":"1.0","truncation":null,"padding":null,
                 "added_tokens":[{"id":0,"content":"<unk>","single_word":false,"lstrip":false,"rstrip":false,"normalized":false,"special":true},
                                 {"id":1,"content":"<s>","single_word":false,"lstrip":false,"rstrip":false,"normalized":false,"special":true},
                                 {"id":2,"content":"</s>","single_word":false,"lstrip":false,"rstrip":false,"normalized":false,"special":true}],
                 "normalizer":%s,
                 "pre_tokenizer":%s,
                 "post_processor":{"type":"TemplateProcessing","single":[{"SpecialToken":{"id":"<s>","type_id":0}},{"Sequence":{"id":"A","type_id":0}}],"pair":[],"special_tokens":{}},
                 "decoder":{"type":"Sequence","decoders":[{"type":"Replace","pattern":{"String":"\\u2581"},"content":" "},{"type":"ByteFallback"},{"type":"Fuse"},{"type":"Strip","content":" ","start":1,"stop":0}]},
                 "model":{"type":"BPE","dropout":null,"unk_token":"<unk>","continuing_subword_prefix":null,"end_of_word_suffix":null,
                          "fuse_unk":true,"byte_fallback":true,"vocab":{%s},"merges":[%s]}}
                """.formatted(normalizer, preTokenizer, v, m);
    }

    static final String LLAMA_NORMALIZER = """
            {"type":"Sequence","normalizers":[{"type":"Prepend","prepend":"\\u2581"},{"type":"Replace","pattern":{"String":" "},"content":"\\u2581"}]}""";

    // ids: 259 ▁, 260 a, 261 b, 262 ▁a, 263 ab, 264 ▁ab
    static final List<String> PIECES = List.of("\u2581", "a", "b", "\u2581a", "ab", "\u2581ab");
    static final List<String> MERGES = List.of("\u2581 a", "a b", "\u2581a b");

    @Test
    void mergesByRankWithByteFallback(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("tokenizer.json");
        Files.writeString(file, tokenizerJson(PIECES, MERGES, LLAMA_NORMALIZER, "null"));
        BpeTokenizer t = Tokenizers.fromHf(file);
        assertThat(t.byteLevel()).isFalse();
        assertThat(t.vocabulary().type(3 + 0x41)).isEqualTo(TokenType.BYTE);
        assertThat(t.vocabulary().type(0)).isEqualTo(TokenType.UNKNOWN);
        // "ab" -> "▁ab": (▁,a) rank 0, then (▁a,b) rank 2 beats nothing else -> ▁ab
        assertThat(t.encode("ab")).containsExactly(264);
        // "ba b": ▁ b a ▁ b -> no (▁,b) or (b,a) merge; (a,▁) none -> ▁ b a ▁ b
        assertThat(t.encode("ba b")).containsExactly(259, 261, 260, 259, 261);
        // é is no piece: its UTF-8 bytes C3 A9 become byte tokens
        assertThat(t.encode("a\u00e9")).containsExactly(262, 3 + 0xC3, 3 + 0xA9);
        assertThat(t.encode("ab", true, false)).containsExactly(1, 264);
        // decoding drops the prefixed ▁ once, also after BOS
        assertThat(t.decode(new int[] {1, 264, 262})).isEqualTo("ab a");
        assertThat(t.decode(new int[] {264, 259, 262})).isEqualTo("ab  a");
        for (String s : List.of("ab ba", "  spaced  out ", "\u00e9t\u00e9 \uD83D\uDE00\n\tx", "a")) {
            assertThat(t.decode(t.encode(s))).as(s).isEqualTo(s);
        }
    }

    @Test
    void metaspacePreTokenizerSplitsBeforeEachSpace(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("tokenizer.json");
        String metaspace = """
                {"type":"Metaspace","replacement":"\\u2581","prepend_scheme":"first","split":true}""";
        Files.writeString(file, tokenizerJson(PIECES, MERGES, "null", metaspace));
        BpeTokenizer t = Tokenizers.fromHf(file);
        assertThat(t.preTokenizer().split("\u2581ab\u2581\u2581a\nb")).containsExactly("\u2581ab", "\u2581", "\u2581a\nb");
        assertThat(t.encode("ab ab")).containsExactly(264, 264);
        // scheme "first": the fragment after a special token gets no ▁
        assertThat(t.encode("ab</s>ab", false, true)).containsExactly(264, 2, 263);
        assertThat(t.decode(t.encode("ab ab"))).isEqualTo("ab ab");
    }

    @Test
    void unsupportedOrBrokenFilesAreOneLineErrors(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("tokenizer.json");
        Files.writeString(file, tokenizerJson(PIECES, MERGES, LLAMA_NORMALIZER,
                "{\"type\":\"Split\",\"pattern\":{\"Regex\":\"(unclosed\"},\"behavior\":\"Isolated\",\"invert\":false}"));
        assertThatThrownBy(() -> Tokenizers.fromHf(file)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("does not compile").hasMessageNotContaining("\n");
        Files.writeString(file, tokenizerJson(PIECES, MERGES, "{\"type\":\"Lowercase\"}", "null"));
        assertThatThrownBy(() -> Tokenizers.fromHf(file)).isInstanceOf(SquintException.class).hasMessageContaining("Lowercase");
        Files.writeString(file, tokenizerJson(PIECES, MERGES, "null", "{\"type\":\"Split\",\"pattern\":{\"String\":\" \"},\"behavior\":\"Removed\",\"invert\":false}"));
        assertThatThrownBy(() -> Tokenizers.fromHf(file)).isInstanceOf(SquintException.class).hasMessageContaining("Removed");
    }
}
