package dev.squint.engine.ops;

import dev.squint.core.GgmlType;
import dev.squint.core.Shape;
import dev.squint.core.Tensor;
import dev.squint.core.TensorInfo;
import dev.squint.core.codec.Codecs;
import dev.squint.kernels.RowParallel;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

class LinearBatchTest {

    static Linear linear(GgmlType type, float[] w, int out, int in, float[] bias) {
        MemorySegment seg = MemorySegment.ofArray(new byte[(int) type.bytesFor((long) out * in)]);
        Codecs.quantizeChunk(type, w, 0, out, in, seg, 0, null);
        return Linear.of(new Tensor(TensorInfo.of("w", type.toDType(), Shape.of(out, in)), seg), bias);
    }

    @ParameterizedTest
    @EnumSource(names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q5_0", "Q4_1", "Q5_1", "Q4_K", "Q5_K", "Q6_K", "Q3_K", "IQ4_NL"})
    void batchedProductEqualsPerTokenDotsToRoundingAtAnyThreadCount(GgmlType type) {
        SplittableRandom rnd = new SplittableRandom(type.ordinal());
        int out = 29, in = 512; // rows: not a multiple of the 6-row tile or the 24-row block; k: two 256-wide panels
        float[] w = new float[out * in], bias = new float[out];
        for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextGaussian();
        for (int i = 0; i < out; i++) bias[i] = (float) rnd.nextGaussian();
        Linear lin = linear(type, w, out, in, bias);
        Linear.BatchWorkspace ws = new Linear.BatchWorkspace();
        float[] row = new float[in];
        for (int tokens : new int[] {Linear.MIN_BATCH, 21, 70}) { // one vector, a partial tile, a full tile plus a tail
            float[] x = new float[tokens * in];
            for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
            float[] perToken = new float[tokens * out], one = new float[tokens * out], three = new float[tokens * out];
            try (RowParallel p1 = new RowParallel(1); RowParallel p3 = new RowParallel(3)) {
                lin.forward(x, tokens, perToken, p1);
                lin.forwardBatch(x, tokens, one, p1, ws);
                lin.forwardBatch(x, tokens, three, p3, ws);
            }
            assertThat(three).as("thread count must not change a bit").containsExactly(one);
            for (int t = 0; t < tokens; t++) {
                for (int j = 0; j < out; j++) {
                    lin.row(j, row);
                    double mag = Math.abs(bias[j]);
                    for (int i = 0; i < in; i++) mag += Math.abs(row[i] * x[t * in + i]);
                    // the same exact-arithmetic value, rounded differently; with Q8_1 activations (Q4_1, Q5_1) the
                    // per-token dot takes each block's sum from the block's F16 field, the batch from its values
                    double rel = Codecs.of(type).vecDotType() == GgmlType.Q8_1 ? 3e-4 : 2e-5;
                    assertThat((double) one[t * out + j]).as("%s token %d row %d", type, t, j)
                            .isCloseTo(perToken[t * out + j], org.assertj.core.data.Offset.offset(rel * mag));
                }
            }
        }
    }
}
