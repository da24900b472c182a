package dev.squint.engine.tokenizer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * decode(encode(s)) == s on seeded random text mixing ASCII, whitespace, accents, CJK, emoji and control
 * characters. SentencePiece-style tokenizers are exempt for U+2581 itself: it is their escaped space, so
 * it decodes to a space, as in SentencePiece and llama.cpp.
 */
class RoundTripPropertyTest {

    /** Code point pools the generator draws from; each string mixes several. */
    static final int[][] POOLS = {
            {'a', 'z'}, {'A', 'Z'}, {'0', '9'}, {' ', ' '}, {'\t', '\r'}, {'!', '/'}, {0xC0, 0x17F}, {0x300, 0x36F},
            {0x4E00, 0x4FFF}, {0x1F600, 0x1F64F}, {0x2000, 0x206F}, {0x0, 0x1F}, {0x2581, 0x2581}, {'<', '>'},
    };

    static String randomText(Random r, int length, boolean escapedSpaceAllowed) {
        StringBuilder b = new StringBuilder();
        while (b.length() < length) {
            int[] pool = POOLS[r.nextInt(POOLS.length)];
            if (pool[0] == SpmTokenizer.ESCAPED_SPACE && !escapedSpaceAllowed) continue;
            int run = 1 + r.nextInt(6);
            for (int i = 0; i < run; i++) b.appendCodePoint(pool[0] + r.nextInt(pool[1] - pool[0] + 1));
        }
        return b.toString();
    }

    static void assertRoundTrips(ModelTokenizer t, long seed, boolean escapedSpaceAllowed) {
        Random r = new Random(seed);
        for (int i = 0; i < 300; i++) {
            String s = randomText(r, 1 + r.nextInt(60), escapedSpaceAllowed);
            int[] ids = t.encode(s);
            for (int id : ids) assertThat(id).isBetween(0, t.vocabSize() - 1);
            assertThat(t.decode(ids)).as("seed %d case %d", seed, i).isEqualTo(s);
        }
    }

    @Test
    void spmRoundTrips() {
        SpmTokenizer t = new SpmTokenizer(new Vocabulary(spmVocab(), null, spmTypes(), 1, 2, 0, true, false, null, null), true);
        assertRoundTrips(t, 1, false);
        // the escaped space in input text comes back as a space
        assertThat(t.decode(t.encode("a\u2581b"))).isEqualTo("a b");
    }

    @Test
    void byteLevelBpeRoundTrips() {
        for (String pre : List.of(PreTokenizer.GPT2, PreTokenizer.LLAMA3, PreTokenizer.QWEN2)) {
            assertRoundTrips(BpeTokenizerTest.tokenizer(BpeTokenizerTest.MERGES, pre, true), 2, true);
        }
    }

    @Test
    void sentencePieceStyleBpeRoundTrips(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("tokenizer.json");
        Files.writeString(file, HfSentencePieceBpeTest.tokenizerJson(HfSentencePieceBpeTest.PIECES, HfSentencePieceBpeTest.MERGES,
                HfSentencePieceBpeTest.LLAMA_NORMALIZER, "null"));
        assertRoundTrips(Tokenizers.fromHf(file), 3, false);
    }

    static List<String> spmVocab() {
        List<String> v = new java.util.ArrayList<>(List.of("<unk>", "<s>", "</s>"));
        for (int b = 0; b < 256; b++) v.add(String.format("<0x%02X>", b));
        v.addAll(List.of("\u2581", "a", "b", "\u2581a", "ab", "\u2581ab", "<", ">", "\u2581<"));
        return v;
    }

    static TokenType[] spmTypes() {
        TokenType[] types = new TokenType[spmVocab().size()];
        java.util.Arrays.fill(types, TokenType.NORMAL);
        types[0] = TokenType.UNKNOWN;
        types[1] = TokenType.CONTROL;
        types[2] = TokenType.CONTROL;
        for (int b = 0; b < 256; b++) types[3 + b] = TokenType.BYTE;
        return types;
    }
}
