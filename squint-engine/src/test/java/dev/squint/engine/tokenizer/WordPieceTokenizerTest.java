package dev.squint.engine.tokenizer;

import dev.squint.formats.hf.HfTokenizer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Expected ids are derived by hand from the bert-base-uncased vocabulary all-MiniLM-L6-v2 ships
 * (hello 7592, world 2088, "," 1010, "!" 999, cafe 7668, ...) and the rules Hugging Face
 * tokenizers applies (BertNormalizer, BertPreTokenizer, greedy longest-match WordPiece).
 */
class WordPieceTokenizerTest {
    static WordPieceTokenizer tok;

    @BeforeAll
    static void load() {
        Path file = Path.of(System.getProperty("squint.models", "target/models"), "all-minilm-l6-v2", "all-minilm-l6-v2-tokenizer.json");
        assumeTrue(Files.exists(file), "all-MiniLM-L6-v2 tokenizer not unpacked at " + file);
        HfTokenizer hf = HfTokenizer.read(file);
        assertThat(WordPieceTokenizer.truncationLength(hf)).hasValue(128);
        tok = WordPieceTokenizer.of(hf, 128);
    }

    @Test
    void lowercasesAndSplitsPunctuation() {
        assertThat(tok.encode("Hello, World!")).containsExactly(7592, 1010, 2088, 999);
        assertThat(tok.encode("don't")).containsExactly(2123, 1005, 1056);
        assertThat(tok.encode("$100")).containsExactly(1002, 2531);
    }

    @Test
    void stripsAccents() {
        assertThat(tok.encode("Café")).containsExactly(7668);
        assertThat(tok.encode("CAFÉ naïve")).containsExactly(7668, 15743);
        // decomposed input (e + combining acute) normalises the same way
        assertThat(tok.encode("Cafe\u0301")).containsExactly(7668);
    }

    @Test
    void cjkCharactersAreWordsOfTheirOwn() {
        assertThat(tok.encode("中文")).containsExactly(1746, 1861);
        assertThat(tok.encode("hello中world")).containsExactly(7592, 1746, 2088);
        // 你 and 好 are not in this vocabulary: each is its own unknown word
        assertThat(tok.encode("你好")).containsExactly(100, 100);
    }

    @Test
    void whitespaceAndControlCharacters() {
        assertThat(tok.encode("hello\tworld\u00A0!")).containsExactly(7592, 2088, 999);
        // NUL, U+FFFD and zero-width space (a format character) are removed, joining the word
        assertThat(tok.encode("hel\u0000lo wo\u200Brld\uFFFD")).containsExactly(7592, 2088);
        assertThat(tok.encode("   \n\t ")).isEmpty();
    }

    @Test
    void subwordsAndUnknownWords() {
        assertThat(tok.encode("jumpedx")).containsExactly(5598, 2595); // jumped ##x
        assertThat(tok.encode("☃")).containsExactly(100);
        // an uncovered piece makes the whole word unknown, not just the piece
        assertThat(tok.encode("hello☃ world")).containsExactly(100, 2088);
        assertThat(tok.encode("a".repeat(101))).containsExactly(100);
        // 100 characters is still a word: longest match first gives xx ##xx ##xx ...
        int[] xs = tok.encode("x".repeat(100));
        assertThat(xs).hasSize(50).startsWith(22038);
        assertThat(java.util.Arrays.copyOfRange(xs, 1, 50)).containsOnly(20348);
    }

    @Test
    void specialTokensInTextKeepTheirIds() {
        assertThat(tok.encode("[CLS] hello [SEP]")).containsExactly(101, 7592, 102);
        assertThat(tok.encode("[cls]")).containsExactly(1031, 18856, 2015, 1033);
    }

    @Test
    void modelEncodingAddsClsSepAndTruncates() {
        assertThat(tok.encodeForModel("").ids()).containsExactly(101, 102);
        assertThat(tok.encodeForModel(null).ids()).containsExactly(101, 102);
        var e = tok.encodeForModel("hello ".repeat(500));
        assertThat(e.truncated()).isTrue();
        assertThat(e.ids()).hasSize(128);
        assertThat(e.ids()[0]).isEqualTo(101);
        assertThat(e.ids()[127]).isEqualTo(102);
        assertThat(e.ids()[126]).isEqualTo(7592);
        assertThat(tok.encodeForModel("hello ".repeat(126)).truncated()).isFalse();
        assertThat(tok.encodeForModel("hello ".repeat(127)).truncated()).isTrue();
    }

    @Test
    void batchPadsToTheLongestWithMasks() {
        var b = tok.batch(List.of("hello world", "", "hello"));
        assertThat(b.length()).isEqualTo(4);
        assertThat(b.ids()).containsExactly(101, 7592, 2088, 102, 101, 102, 0, 0, 101, 7592, 102, 0);
        assertThat(b.attentionMask()).containsExactly(1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 0);
        assertThat(b.typeIds()).containsOnly(0);
        assertThat(b.tokens(1)).isEqualTo(2);
    }

    @Test
    void decodeJoinsSubwordsAndDropsSpecials() {
        assertThat(tok.decode(new int[]{101, 7592, 1010, 5598, 2595, 102})).isEqualTo("hello , jumpedx");
    }
}
