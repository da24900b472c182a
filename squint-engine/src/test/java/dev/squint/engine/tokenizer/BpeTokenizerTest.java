package dev.squint.engine.tokenizer;

import dev.squint.core.Metadata;
import dev.squint.core.MetaValue;
import dev.squint.core.ModelFormatException;
import dev.squint.core.SquintException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
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
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class BpeTokenizerTest {

    /** Ids 0..255: the byte-level character of byte i; then the merge results in order. */
    static List<String> byteVocab(List<String> merges, String... extra) {
        List<String> tokens = new ArrayList<>();
        for (int b = 0; b < 256; b++) tokens.add(String.valueOf(ByteLevel.charOf(b)));
        for (String m : merges) tokens.add(m.replace(" ", ""));
        tokens.addAll(List.of(extra));
        return tokens;
    }

    static BpeTokenizer tokenizer(List<String> merges, String pre, boolean ignoreMerges, String... extra) {
        List<String> tokens = byteVocab(merges, extra);
        TokenType[] types = new TokenType[tokens.size()];
        for (int i = 0; i < types.length; i++) types[i] = tokens.get(i).startsWith("<|") ? TokenType.CONTROL : TokenType.NORMAL;
        Vocabulary v = new Vocabulary(tokens, null, types, -1, -1, -1, false, false, null, null);
        return new BpeTokenizer(v, merges, new PreTokenizer(List.of(pre)), ignoreMerges, false, null);
    }

    // merges: 256 "Ġt", 257 "he", 258 "Ġthe", 259 "ll"
    static final List<String> MERGES = List.of("\u0120 t", "h e", "\u0120t he", "l l");

    @Test
    void mergesByRankWithinWords() {
        BpeTokenizer t = tokenizer(MERGES, PreTokenizer.GPT2, false);
        // " the": Ġ t h e -> (Ġ,t) rank 0 -> Ġt h e -> (h,e) rank 1 -> Ġt he -> rank 2 -> Ġthe
        assertThat(t.encode(" the")).containsExactly(258);
        // " hello": Ġ h e l l o -> he (rank 1) then ll (rank 3); (Ġ,he) and (he,ll) are no merges
        assertThat(t.encode(" hello")).containsExactly(' ', 257, 259, 'o');
        // words never merge across the pre-tokenizer's cuts: "the" has no Ġ, "he" still merges
        assertThat(t.encode("the the")).containsExactly('t', 257, 258);
        assertThat(t.decode(t.encode(" hello the"))).isEqualTo(" hello the");
    }

    @Test
    void lowerRankWinsAndTiesGoLeft() {
        BpeTokenizer bcFirst = tokenizer(List.of("b c", "a b"), PreTokenizer.GPT2, false);
        assertThat(bcFirst.encode("abc")).containsExactly('a', 256);
        BpeTokenizer abFirst = tokenizer(List.of("a b", "b c"), PreTokenizer.GPT2, false);
        assertThat(abFirst.encode("abc")).containsExactly(256, 'c');
        // "aaa": the pair (a,a) occurs twice with the same rank; the leftmost merges first
        BpeTokenizer aa = tokenizer(List.of("a a"), PreTokenizer.GPT2, false);
        assertThat(aa.encode("aaa")).containsExactly(256, 'a');
        assertThat(aa.encode("aaaa")).containsExactly(256, 256);
    }

    @Test
    void bytesOfMultiByteCharactersAreByteLevelSymbols() {
        BpeTokenizer t = tokenizer(List.of("\u00c3 \u00a9"), PreTokenizer.GPT2, false);
        // é = C3 A9, spelled Ã © ; merged by the one rule
        assertThat(t.encode("\u00e9")).containsExactly(256);
        // 😀 = F0 9F 98 80, four byte tokens
        assertThat(t.encode("\uD83D\uDE00")).containsExactly(0xF0, 0x9F, 0x98, 0x80);
        // newline 0x0A is Ċ (U+010A), space Ġ (U+0120)
        assertThat(ByteLevel.charOf('\n')).isEqualTo('\u010a');
        assertThat(ByteLevel.charOf(' ')).isEqualTo('\u0120');
        for (String s : List.of("\u00e9t\u00e9 \uD83D\uDE00\uD83C\uDDEB\uD83C\uDDF7", "\u4f60\u597d\n\n x\t", "\u0000\u007f\u00ff", "")) {
            assertThat(t.decode(t.encode(s))).as(s).isEqualTo(s);
        }
    }

    @Test
    void ignoreMergesTakesWholeWordTokens() {
        // "Ġhello" is a token, but no merge chain builds it
        BpeTokenizer strict = tokenizer(MERGES, PreTokenizer.LLAMA3, false, "\u0120hello");
        BpeTokenizer whole = tokenizer(MERGES, PreTokenizer.LLAMA3, true, "\u0120hello");
        assertThat(strict.encode(" hello")).containsExactly(' ', 257, 259, 'o');
        assertThat(whole.encode(" hello")).containsExactly(260);
    }

    @Test
    void specialTokensAreCutOutBeforePreTokenization() {
        BpeTokenizer t = tokenizer(MERGES, PreTokenizer.LLAMA3, false, "<|end|>");
        int end = 260;
        assertThat(t.encode("he<|end|> the", false, true)).containsExactly(257, end, 258);
        assertThat(t.encode("he<|end|> the")).doesNotContain(end);
        assertThat(t.decode(t.encode("he<|end|> the"))).isEqualTo("he<|end|> the");
        assertThat(t.decode(new int[] {257, end, 258})).isEqualTo("he the");
        assertThat(t.piece(end, true)).isEqualTo("<|end|>".getBytes(StandardCharsets.UTF_8));
        assertThat(t.vocabulary().endsGeneration(end)).isTrue();
    }

    @Test
    void fromGgufMetadata() {
        List<String> tokens = byteVocab(MERGES, "<|begin_of_text|>", "<|end_of_text|>");
        Metadata m = Metadata.builder().putString("tokenizer.ggml.model", "gpt2").putString("tokenizer.ggml.pre", "llama-bpe")
                .put("tokenizer.ggml.tokens", SpmTokenizerTest.strings(tokens.toArray(String[]::new)))
                .put("tokenizer.ggml.merges", SpmTokenizerTest.strings(MERGES.toArray(String[]::new)))
                .put("tokenizer.ggml.token_type", types(tokens))
                .putU32("tokenizer.ggml.bos_token_id", 260).putU32("tokenizer.ggml.eos_token_id", 261).build();
        ModelTokenizer t = Tokenizers.fromMetadata(m, Path.of("llama3.gguf"));
        assertThat(t).isInstanceOf(BpeTokenizer.class);
        // llama-bpe: BOS added by default
        assertThat(t.encode(" the", true, false)).containsExactly(260, 258);
        assertThat(t.encode("<|begin_of_text|>he", false, true)).containsExactly(260, 257);
        assertThat(t.decode(new int[] {260, 258, 261})).isEqualTo(" the");
        assertThat(t.vocabulary().endsGeneration(261)).isTrue();

        Metadata noMerges = m.toBuilder().remove("tokenizer.ggml.merges").build();
        assertThatThrownBy(() -> Tokenizers.fromMetadata(noMerges, Path.of("x.gguf"))).isInstanceOf(ModelFormatException.class).hasMessageContaining("merges");
        Metadata badMerge = m.toBuilder().put("tokenizer.ggml.merges", SpmTokenizerTest.strings("nospace")).build();
        assertThatThrownBy(() -> Tokenizers.fromMetadata(badMerge, Path.of("x.gguf"))).isInstanceOf(ModelFormatException.class).hasMessageContaining("nospace");
        Metadata unknownPre = m.toBuilder().putString("tokenizer.ggml.pre", "martian").build();
        assertThatThrownBy(() -> Tokenizers.fromMetadata(unknownPre, Path.of("x.gguf"))).isInstanceOf(SquintException.class).hasMessageContaining("martian");
    }

    static MetaValue.Array types(List<String> tokens) {
        List<MetaValue> items = new ArrayList<>();
        for (String t : tokens) items.add(new MetaValue.I32(t.startsWith("<|") ? 3 : 1));
        return new MetaValue.Array(MetaValue.Kind.INT32, items);
    }

    @Test
    void fromHfTokenizerJson(@TempDir Path dir) throws IOException {
        StringBuilder vocab = new StringBuilder();
        List<String> tokens = byteVocab(MERGES);
        for (int i = 0; i < tokens.size(); i++) {
            if (i > 0) vocab.append(',');
            vocab.append(json(tokens.get(i))).append(':').append(i);
        }
        StringBuilder merges = new StringBuilder();
        for (String mm : MERGES) merges.append(merges.isEmpty() ? "" : ",").append(json(mm));
        String regex = json(PreTokenizer.LLAMA3.replace("(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])", "(?i:'s|'t|'re|'ve|'m|'ll|'d)"));
        String text = """
                {"version":"1.0","truncation":null,"padding":null,
                 "added_tokens":[{"id":260,"content":"<|begin_of_text|>","single_word":false,"lstrip":false,"rstrip":false,"normalized":false,"special":true},
                                 {"id":262,"content":"<tool>","single_word":false,"lstrip":false,"rstrip":true,"normalized":false,"special":false}],
                 "normalizer":null,
                 "pre_tokenizer":{"type":"Sequence","pretokenizers":[
                    {"type":"Split","pattern":{"Regex":%s},"behavior":"Isolated","invert":false},
                    {"type":"ByteLevel","add_prefix_space":false,"trim_offsets":true,"use_regex":false}]},
                 "post_processor":{"type":"TemplateProcessing","single":[{"SpecialToken":{"id":"<|begin_of_text|>","type_id":0}},{"Sequence":{"id":"A","type_id":0}}],
                    "pair":[],"special_tokens":{}},
                 "decoder":{"type":"ByteLevel","add_prefix_space":true,"trim_offsets":true,"use_regex":true},
                 "model":{"type":"BPE","dropout":null,"unk_token":null,"continuing_subword_prefix":null,"end_of_word_suffix":null,
                          "fuse_unk":false,"byte_fallback":false,"ignore_merges":true,"vocab":{%s},"merges":[%s]}}
                """.formatted(regex, vocab, merges);
        Path file = dir.resolve("tokenizer.json");
        Files.writeString(file, text);
        BpeTokenizer t = Tokenizers.fromHf(file);
        assertThat(t.vocabSize()).isEqualTo(263);
        assertThat(t.vocabulary().type(261)).isEqualTo(TokenType.UNUSED);
        assertThat(t.vocabulary().text(261)).isEqualTo("[PAD261]");
        assertThat(t.vocabulary().bos()).hasValue(260);
        assertThat(t.vocabulary().addsBos()).isTrue();
        assertThat(t.encode("I'M the", true, false)).containsExactly(260, 'I', '\'', 'M', 258);
        // a non-special added token is always matched, and its rstrip swallows the following spaces
        assertThat(t.encode("he<tool>   the")).containsExactly(257, 262, 't', 257);
        assertThat(t.decode(new int[] {260, 257, 262})).isEqualTo("he<tool>");
    }

    static String json(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') b.append('\\').append(c);
            else if (c < 0x20 || c > 0x7e) b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        return b.append('"').toString();
    }

    /**
     * Learns {@code count} merges from {@code text} the way BPE is trained (most frequent adjacent pair
     * within pre-tokenized words, ties by first seen), to get a realistic vocabulary for timing and round trips.
     */
    static List<String> trainMerges(String text, PreTokenizer pre, int count) {
        Map<String, Integer> wordCounts = new LinkedHashMap<>();
        for (String w : pre.split(text)) wordCounts.merge(ByteLevel.encode(w), 1, Integer::sum);
        List<List<String>> words = new ArrayList<>();
        List<Integer> freq = new ArrayList<>();
        for (var e : wordCounts.entrySet()) {
            List<String> symbols = new ArrayList<>();
            for (char c : e.getKey().toCharArray()) symbols.add(String.valueOf(c));
            words.add(symbols);
            freq.add(e.getValue());
        }
        List<String> merges = new ArrayList<>();
        for (int k = 0; k < count; k++) {
            Map<String, Integer> pairs = new LinkedHashMap<>();
            for (int w = 0; w < words.size(); w++) {
                List<String> s = words.get(w);
                for (int i = 0; i + 1 < s.size(); i++) pairs.merge(s.get(i) + " " + s.get(i + 1), freq.get(w), Integer::sum);
            }
            String best = null;
            int bestCount = 1;
            for (var e : pairs.entrySet()) if (e.getValue() > bestCount) { best = e.getKey(); bestCount = e.getValue(); }
            if (best == null) break;
            merges.add(best);
            int sp = best.indexOf(' ');
            String a = best.substring(0, sp), b = best.substring(sp + 1);
            for (List<String> s : words) {
                for (int i = 0; i + 1 < s.size(); i++) {
                    if (s.get(i).equals(a) && s.get(i + 1).equals(b)) {
                        s.set(i, a + b);
                        s.remove(i + 1);
                    }
                }
            }
        }
        return merges;
    }

    @Test
    void trainedVocabularyRoundTripsAndIsFast() throws IOException {
        Path textFile = SpmTokenizerTest.TEXT;
        assumeTrue(Files.exists(textFile), "TinyStories text not found under " + SpmTokenizerTest.SHARED);
        String text = Files.readString(textFile, StandardCharsets.UTF_8).substring(0, 30_000);
        PreTokenizer pre = new PreTokenizer(List.of(PreTokenizer.LLAMA3));
        List<String> merges = trainMerges(text, pre, 1000);
        List<String> tokens = byteVocab(List.of());
        Map<String, Integer> seen = new HashMap<>();
        for (int i = 0; i < tokens.size(); i++) seen.put(tokens.get(i), i);
        List<String> kept = new ArrayList<>();
        for (String m : merges) if (seen.putIfAbsent(m.replace(" ", ""), tokens.size()) == null) { tokens.add(m.replace(" ", "")); kept.add(m); }
        BpeTokenizer t = new BpeTokenizer(new Vocabulary(tokens, null, null, -1, -1, -1, false, false, null, null),
                kept, pre, false, false, null);
        int[] ids = t.encode(text);
        long ms = SpmTokenizerTest.bestMillis(() -> t.encode(text));
        System.out.printf("BPE: %d chars, %d merges -> %d tokens in %d ms%n", text.length(), kept.size(), ids.length, ms);
        assertThat(ms).isLessThan(1000);
        assertThat(ids.length).isLessThan(text.length() / 3); // the merges do compress
        assertThat(t.decode(ids)).isEqualTo(text);
        // the trained merges reproduce frequent words whole
        assertThat(t.encode(" the")).hasSize(1);
    }

    @Test
    void longRunsStayLinear() {
        BpeTokenizer t = tokenizer(MERGES, PreTokenizer.LLAMA3, false);
        int n = 100_000;
        for (String run : List.of(" ".repeat(n), "a".repeat(n), "\n ".repeat(n / 2), "7".repeat(n), "!".repeat(n), "\u4f60".repeat(n))) {
            long t0 = System.nanoTime();
            int[] ids = t.encode(run);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertThat(t.decode(ids)).isEqualTo(run);
            assertThat(ms).as("%d chars of %s", run.length(), json(run.substring(0, 2))).isLessThan(3000);
        }
    }
}
