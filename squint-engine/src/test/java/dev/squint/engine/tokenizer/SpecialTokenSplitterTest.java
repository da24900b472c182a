package dev.squint.engine.tokenizer;

import org.junit.jupiter.api.Test;

import java.util.BitSet;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class SpecialTokenSplitterTest {

    // 0 "a", 1 "<s>" CONTROL, 2 "<s>x" CONTROL, 3 "<m>" USER_DEFINED (lstrip), 4 "<r>" USER_DEFINED (rstrip), 5 "<unk>" UNKNOWN
    static Vocabulary vocab() {
        BitSet lstrip = new BitSet();
        lstrip.set(3);
        BitSet rstrip = new BitSet();
        rstrip.set(4);
        return new Vocabulary(List.of("a", "<s>", "<s>x", "<m>", "<r>", "<unk>"), null,
                new TokenType[] {TokenType.NORMAL, TokenType.CONTROL, TokenType.CONTROL, TokenType.USER_DEFINED,
                        TokenType.USER_DEFINED, TokenType.UNKNOWN}, 1, -1, 5, false, false, lstrip, rstrip);
    }

    static List<String> show(List<SpecialTokenSplitter.Fragment> fragments) {
        return fragments.stream().map(f -> f.raw() ? "'" + f.text() + "'" : "#" + f.token()).toList();
    }

    @Test
    void longestSpecialTokenWins() {
        assertThat(show(SpecialTokenSplitter.split(vocab(), "a<s>xb<s>c<s>", true)))
                .containsExactly("'a'", "#2", "'b'", "#1", "'c'", "#1");
    }

    @Test
    void controlAndUnknownOnlyWhenParsingSpecial() {
        assertThat(show(SpecialTokenSplitter.split(vocab(), "<s><unk><m>", false))).containsExactly("'<s><unk>'", "#3");
        assertThat(show(SpecialTokenSplitter.split(vocab(), "<s><unk><m>", true))).containsExactly("#1", "#5", "#3");
    }

    @Test
    void lstripAndRstripSwallowAdjacentWhitespace() {
        assertThat(show(SpecialTokenSplitter.split(vocab(), "a \t<m>  b", false))).containsExactly("'a'", "#3", "'  b'");
        assertThat(show(SpecialTokenSplitter.split(vocab(), "a  <r> \n b", false))).containsExactly("'a  '", "#4", "'b'");
        assertThat(show(SpecialTokenSplitter.split(vocab(), "  <m>", false))).containsExactly("#3");
        assertThat(show(SpecialTokenSplitter.split(vocab(), "<r>   ", false))).containsExactly("#4");
    }

    @Test
    void textWithoutSpecialsIsOneFragment() {
        assertThat(show(SpecialTokenSplitter.split(vocab(), "plain < s > text", true))).containsExactly("'plain < s > text'");
        assertThat(SpecialTokenSplitter.split(vocab(), "", true)).isEmpty();
    }
}
