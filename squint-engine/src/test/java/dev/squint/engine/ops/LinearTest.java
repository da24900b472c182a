package dev.squint.engine.ops;

import dev.squint.core.GgmlType;
import dev.squint.core.ScalarType;
import dev.squint.core.Shape;
import dev.squint.core.Tensor;
import dev.squint.core.TensorInfo;
import dev.squint.core.codec.Codecs;
import dev.squint.kernels.RowParallel;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class LinearTest {
    @Test
    void f32LinearIsTheMatrixProductPlusBiasAtAnyThreadCount() {
        int out = 7, in = 5, tokens = 3;
        Random rnd = new Random(42);
        float[] w = new float[out * in];
        for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextGaussian();
        float[] x = new float[tokens * in];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        float[] bias = new float[out];
        for (int i = 0; i < out; i++) bias[i] = i;
        MemorySegment seg = MemorySegment.ofArray(new byte[w.length * 4]);
        for (int i = 0; i < w.length; i++) seg.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, w[i]);
        Linear lin = Linear.of(new Tensor(TensorInfo.of("w", ScalarType.F32, Shape.of(out, in)), seg), bias);
        float[] y1 = new float[tokens * out], y3 = new float[tokens * out];
        try (RowParallel one = new RowParallel(1); RowParallel three = new RowParallel(3)) {
            lin.forward(x, tokens, y1, one);
            lin.forward(x, tokens, y3, three);
        }
        assertThat(y3).containsExactly(y1);
        for (int t = 0; t < tokens; t++) {
            for (int j = 0; j < out; j++) {
                double ref = bias[j];
                for (int i = 0; i < in; i++) ref += (double) w[j * in + i] * x[t * in + i];
                assertThat(y1[t * out + j]).isCloseTo((float) ref, within(1e-4f));
            }
        }
    }

    @Test
    void quantizedWeightsRunOnTheirStoredBlocks() {
        int out = 4, in = 64;
        Random rnd = new Random(7);
        float[] w = new float[out * in];
        for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextGaussian();
        MemorySegment q = MemorySegment.ofArray(new byte[(int) GgmlType.Q8_0.bytesFor(w.length)]);
        Codecs.quantizeChunk(GgmlType.Q8_0, w, 0, out, in, q, 0, null);
        Linear lin = Linear.of(new Tensor(TensorInfo.of("w", GgmlType.Q8_0, Shape.of(out, in)), q), null);
        float[] x = new float[in];
        x[3] = 1f;
        float[] y = new float[out];
        try (RowParallel one = new RowParallel(1)) {
            lin.forward(x, 1, y, one);
        }
        for (int j = 0; j < out; j++) assertThat(y[j]).isCloseTo(w[j * in + 3], within(0.05f));
    }

    @Test
    void halfPrecisionWeightsMultiplyF16RoundedActivations() {
        int out = 5, in = 37, tokens = 3; // odd width: vector loop and scalar tail
        Random rnd = new Random(11);
        float[] w = new float[out * in], x = new float[tokens * in];
        for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextGaussian();
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        for (GgmlType type : new GgmlType[] {GgmlType.F16, GgmlType.BF16}) {
            MemorySegment seg = MemorySegment.ofArray(new byte[w.length * 2]);
            Codecs.quantizeChunk(type, w, 0, out, in, seg, 0, null);
            Linear lin = Linear.of(new Tensor(TensorInfo.of("w", type.toDType(), Shape.of(out, in)), seg), null);
            float[] y = new float[tokens * out];
            try (RowParallel two = new RowParallel(2)) {
                lin.forward(x, tokens, y, two);
            }
            float[] row = new float[in], xr = new float[in];
            MemorySegment xs = MemorySegment.ofArray(new byte[in * 2]);
            for (int t = 0; t < tokens; t++) {
                Codecs.of(type).quantizeRow(x, t * in, in, xs, 0, null);
                Codecs.of(type).dequantizeRow(xs, 0, xr, 0, in);
                for (int j = 0; j < out; j++) {
                    lin.row(j, row);
                    double ref = 0;
                    for (int i = 0; i < in; i++) ref += (double) row[i] * xr[i];
                    assertThat(y[t * out + j]).isCloseTo((float) ref, within(1e-4f));
                }
            }
        }
    }
    @Test
    void oneTokenTakesTheMatrixVectorKernelsAndAgreesWithTheBatchedPath() {
        // 13 rows (three four-row passes and a tail), two threads; the batch of two repeats the token
        int out = 13, in = 512;
        Random rnd = new Random(5);
        float[] w = new float[out * in], x = new float[2 * in];
        for (int i = 0; i < w.length; i++) w[i] = (float) (rnd.nextGaussian() * 0.05);
        for (int i = 0; i < in; i++) x[i] = x[in + i] = (float) rnd.nextGaussian();
        float[] bias = new float[out];
        for (int j = 0; j < out; j++) bias[j] = j * 0.25f;
        for (GgmlType type : new GgmlType[] {GgmlType.F16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_K, GgmlType.Q6_K}) {
            MemorySegment seg = MemorySegment.ofArray(new byte[(int) type.bytesFor(w.length)]);
            Codecs.quantizeChunk(type, w, 0, out, in, seg, 0, null);
            Linear lin = Linear.of(new Tensor(TensorInfo.of("w", type.toDType(), Shape.of(out, in)), seg), bias);
            float[] one = new float[out], two = new float[2 * out];
            try (RowParallel threads = new RowParallel(2)) {
                lin.forward(x, 1, one, threads);
                lin.forward(x, 2, two, threads);
            }
            for (int j = 0; j < out; j++) {
                assertThat(two[out + j]).isEqualTo(two[j]);
                // same activation values and integer block sums; only the float summation order differs
                assertThat(one[j]).as("%s row %d", type, j).isCloseTo(two[j], within(2e-4f));
            }
        }
    }
}
