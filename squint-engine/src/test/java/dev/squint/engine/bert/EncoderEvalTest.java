package dev.squint.engine.bert;

import dev.squint.core.SquintException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

class EncoderEvalTest {
    @Test
    void spearmanUsesMeanRanksForTies() {
        // x ranks: 1, 2.5, 2.5, 4; y ranks: 1, 2, 3, 4 → Pearson of ranks = 0.9486832980505138
        assertThat(EncoderEval.spearman(new double[]{1, 2, 2, 3}, new double[]{10, 20, 30, 40})).isCloseTo(0.9486832980505138, offset(1e-12));
        assertThat(EncoderEval.ranks(new double[]{3, 1, 2, 2})).containsExactly(4, 1, 2.5, 2.5);
        assertThat(EncoderEval.spearman(new double[]{1, 2, 3}, new double[]{9, 4, 1})).isCloseTo(-1, offset(1e-12));
    }

    @Test
    void pearsonOfKnownData() {
        // hand-computed: x = 1..5, y = 2, 4, 5, 4, 5 → r = 0.7745966692414834
        assertThat(EncoderEval.pearson(new double[]{1, 2, 3, 4, 5}, new double[]{2, 4, 5, 4, 5})).isCloseTo(0.7745966692414834, offset(1e-12));
        assertThat(EncoderEval.pearson(new double[]{1, 1, 1}, new double[]{1, 2, 3})).isEqualTo(0);
    }

    @Test
    void fidelityCountsCosinesAndNeighbourOverlap() {
        float[][] base = {{1, 0}, {0.9f, 0.1f}, {0, 1}, {0.1f, 0.9f}};
        var same = EncoderEval.fidelity(base, base, 1);
        assertThat(same.meanCosine()).isCloseTo(1, offset(1e-9));
        assertThat(same.retrievalAgreement()).isEqualTo(1);
        // sentence 1 moves next to sentences 2 and 3: every top-1 neighbour changes (hand-computed cosines);
        // top-2 sets stay the same for 0, 2 and 3, and half the same for 1 → (1 + 0.5 + 1 + 1) / 4
        float[][] other = {{1, 0}, {0.05f, 0.95f}, {0, 1}, {0.1f, 0.9f}};
        var top1 = EncoderEval.fidelity(base, other, 1);
        assertThat(top1.retrievalAgreement()).isEqualTo(0);
        assertThat(top1.minCosine()).isCloseTo(0.1625, offset(1e-3));
        assertThat(EncoderEval.fidelity(base, other, 2).retrievalAgreement()).isEqualTo(0.875);
        assertThat(EncoderEval.fidelity(base, other, 10).k()).isEqualTo(3);
    }

    @Test
    void readsStsFilesAndNamesBadLines(@TempDir Path dir) throws Exception {
        Path ok = dir.resolve("sts.csv");
        Files.writeString(ok, "g\tf\t2012\t1\t2.5\tA girl.\tA woman.\textra\n\ng\tf\t2012\t2\t5.0\tx\ty\n");
        var pairs = EncoderEval.readSts(ok);
        assertThat(pairs).hasSize(2);
        assertThat(pairs.get(0).gold()).isEqualTo(2.5);
        assertThat(pairs.get(0).second()).isEqualTo("A woman.");
        Path bad = dir.resolve("bad.csv");
        Files.writeString(bad, "g\tf\t2012\t1\tfive\ta\tb\n");
        assertThatThrownBy(() -> EncoderEval.readSts(bad)).isInstanceOf(SquintException.class).hasMessageContaining("line 1");
        Files.writeString(bad, "only\tthree\tfields\n");
        assertThatThrownBy(() -> EncoderEval.readSts(bad)).isInstanceOf(SquintException.class).hasMessageContaining("7 tab-separated");
    }
}
