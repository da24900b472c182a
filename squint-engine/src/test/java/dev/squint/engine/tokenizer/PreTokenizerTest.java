package dev.squint.engine.tokenizer;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Expected splits are derived by hand from the regex semantics (leftmost alternative, greedy, backtracking). */
class PreTokenizerTest {

    static final PreTokenizer LLAMA3 = new PreTokenizer(List.of(PreTokenizer.LLAMA3));
    static final PreTokenizer GPT2 = new PreTokenizer(List.of(PreTokenizer.GPT2));
    static final PreTokenizer QWEN2 = new PreTokenizer(List.of(PreTokenizer.QWEN2));

    @Test
    void llama3SplitsTrickyText() {
        // "  fine": \s+(?!\S) gives back the space before "fine", which then joins it via [^\r\n\p{L}\p{N}]?\p{L}+;
        // "  123456": the same single space, then a lone space (\s+), then digits in threes;
        // "\n\n x": \s*[\r\n]+ backtracks to end on the last newline, the space joins "x".
        assertThat(LLAMA3.split("I'm  fine!!  123456 \u4f60\u597d\n\n x")).containsExactly(
                "I", "'m", " ", " fine", "!!", " ", " ", "123", "456", " \u4f60\u597d", "\n\n", " x");
    }

    @Test
    void llama3ContractionsAnyCasePunctuationAndNewlines() {
        assertThat(LLAMA3.split("DON'T you'RE it's")).containsExactly("DON", "'T", " you", "'RE", " it", "'s");
        // punctuation run takes trailing newlines; 7 digits split 3+3+1; a tab before letters is their prefix
        assertThat(LLAMA3.split("hi...\n\nok 1234567\tx")).containsExactly("hi", "...\n\n", "ok", " ", "123", "456", "7", "\tx");
        // trailing whitespace at the end of text: \s+(?!\S) takes all of it
        assertThat(LLAMA3.split("end   ")).containsExactly("end", "   ");
        // U+00A0 no-break space is whitespace (Unicode White_Space), U+3000 too
        assertThat(LLAMA3.split("a\u00a0\u00a0b\u3000c")).containsExactly("a", "\u00a0", "\u00a0b", "\u3000c");
    }

    @Test
    void gpt2Splits() {
        assertThat(GPT2.split("Hello world's  end\t\tx 123")).containsExactly(
                "Hello", " world", "'s", " ", " end", "\t", "\t", "x", " 123");
        // GPT-2 contractions are lower case only; "'S" falls to the punctuation rule
        assertThat(GPT2.split("IT'S")).containsExactly("IT", "'", "S");
        assertThat(GPT2.split("a1b")).containsExactly("a", "1", "b");
    }

    @Test
    void qwen2SplitsDigitsOneByOne() {
        assertThat(QWEN2.split("abc 123")).containsExactly("abc", " ", "1", "2", "3");
    }

    @Test
    void splitKeepsEveryCharacter() {
        String s = "I'm  fine!!  123456 \u4f60\u597d\n\n x \uD83D\uDE00\uD83D\uDE00 \u0000\u0001 tail  ";
        for (PreTokenizer p : List.of(LLAMA3, GPT2, QWEN2, PreTokenizer.forGgufName("default"))) {
            assertThat(String.join("", p.split(s))).isEqualTo(s);
            assertThat(p.split(s)).doesNotContain("");
        }
    }

    @Test
    void defaultAppliesRegexesInTurn() {
        // llama.cpp's default: punctuation runs first, then the GPT-2 rule inside the pieces, then digit runs,
        // then three ASCII digits (the rest of the run stays as the text between matches)
        assertThat(PreTokenizer.forGgufName(null).split("a, b12345")).containsExactly("a", ",", " b", "123", "45");
        assertThat(PreTokenizer.forGgufName("nonexistent")).isNull();
    }
}
