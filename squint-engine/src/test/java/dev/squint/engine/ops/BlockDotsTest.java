package dev.squint.engine.ops;

import dev.squint.core.GgmlType;
import dev.squint.core.codec.BlockCodec;
import dev.squint.core.codec.Codecs;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.lang.foreign.MemorySegment;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class BlockDotsTest {
    /** The fast dots equal ggml's reference dot up to float summation order, at odd block counts too. */
    @ParameterizedTest
    @CsvSource({"Q4_0, 1", "Q4_0, 3", "Q4_0, 67", "Q8_0, 1", "Q8_0, 5", "Q8_0, 64"})
    void matchTheReferenceCodecDot(GgmlType type, int blocks) {
        int n = 32 * blocks;
        Random rnd = new Random(blocks * 31L + type.ordinal());
        BlockCodec w = Codecs.of(type), a = Codecs.of(GgmlType.Q8_0);
        float[] x = new float[n], y = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) rnd.nextGaussian();
            y[i] = (float) (rnd.nextGaussian() * 3);
        }
        MemorySegment ws = MemorySegment.ofArray(new byte[(int) w.rowBytes(n) + 5]);
        MemorySegment as = MemorySegment.ofArray(new byte[(int) a.rowBytes(n) + 3]);
        w.quantizeRow(x, 0, n, ws, 5, null); // odd offsets: unaligned rows must work
        a.quantizeRow(y, 0, n, as, 3, null);
        float ref = w.dot(n, ws, 5, as, 3);
        float fast = type == GgmlType.Q4_0 ? BlockDots.q4_0(n, ws, 5, as, 3) : BlockDots.q8_0(n, ws, 5, as, 3);
        assertThat((double) Math.abs(fast - ref)).isLessThanOrEqualTo(1e-5 * Math.max(1, Math.abs(ref)) * blocks);
        assertThat(fast).isNotZero();
    }
}
