package dev.squint.formats.hf;

import dev.squint.core.SquintException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The shared WordPiece pipeline on all-MiniLM-L6-v2's tokenizer.json. Ids are the bert-base-uncased
 * vocabulary's (hello 7592, world 2088, "," 1010, "!" 999, cafe 7668, [CLS] 101, [SEP] 102); the
 * engine's WordPieceTokenizerTest covers normalisation and pre-tokenisation in depth.
 */
class WordPieceTest {
    static WordPiece wp;

    @BeforeAll
    static void load() {
        String models = System.getProperty("squint.models");
        assumeTrue(models != null, "squint.models is not set (run through Maven)");
        Path file = Path.of(models, "all-minilm-l6-v2", "all-minilm-l6-v2-tokenizer.json");
        assumeTrue(Files.exists(file), "all-MiniLM-L6-v2 tokenizer.json not unpacked at " + file);
        wp = WordPiece.of(HfTokenizer.read(file));
    }

    @Test
    void encodesNormalisedWordsAndPunctuation() {
        assertThat(wp.encode("Hello, World!")).containsExactly(7592, 1010, 2088, 999);
        assertThat(wp.encode("CAFÉ")).containsExactly(7668);
        assertThat(wp.encode("jumpedx")).containsExactly(5598, 2595);
        assertThat(wp.encode("[CLS] hello [SEP]")).containsExactly(101, 7592, 102);
    }

    @Test
    void framesAndTruncatesToTheGivenLength() {
        var e = wp.encodeForModel("hello world hello", 4);
        assertThat(e.ids()).containsExactly(101, 7592, 2088, 102);
        assertThat(e.truncated()).isTrue();
        var whole = wp.encodeForModel("hello world", 4);
        assertThat(whole.ids()).containsExactly(101, 7592, 2088, 102);
        assertThat(whole.truncated()).isFalse();
        assertThatThrownBy(() -> wp.encodeForModel("hello", 2)).isInstanceOf(SquintException.class)
                .hasMessageContaining("no room");
    }

    @Test
    void decodesJoiningContinuationPieces() {
        assertThat(wp.decode(new int[] {101, 7592, 1010, 5598, 2595, 102})).isEqualTo("hello , jumpedx");
        assertThat(wp.clsId()).isEqualTo(101);
        assertThat(wp.sepId()).isEqualTo(102);
        assertThat(wp.padId()).isZero();
    }

    @Test
    void refusesOtherTokenizerModels() {
        HfTokenizer unigram = HfTokenizer.read(HfFilesTest.fixture("unigram/tokenizer.json"));
        assertThatThrownBy(() -> WordPiece.of(unigram)).isInstanceOf(SquintException.class).hasMessageContaining("not WordPiece");
    }
}
