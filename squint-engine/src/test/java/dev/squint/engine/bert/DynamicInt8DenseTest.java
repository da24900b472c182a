package dev.squint.engine.bert;

import dev.squint.core.codec.Int8Rows;
import dev.squint.kernels.RowParallel;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class DynamicInt8DenseTest {
    /** A float weight as a Dense, so W8A8 can be built from it. */
    static Dense dense(float[] w, int out, int in, float[] bias) {
        return new Dense() {
            @Override public int in() { return in; }
            @Override public int out() { return out; }
            @Override public String kind() { return "test"; }
            @Override public void forward(float[] x, int tokens, float[] y, RowParallel threads) { throw new UnsupportedOperationException(); }
            @Override public void row(int j, float[] dst) { System.arraycopy(w, j * in, dst, 0, in); }
            @Override public long weightBytes() { return 4L * w.length; }
            @Override public float[] bias() { return bias; }
        };
    }

    @Test
    void forwardIsTheScaledIntegerProductAtOddSizes() {
        for (int[] size : new int[][] {{7, 37, 6}, {33, 17, 5}, {40, 1100, 9}, {35, 50, 70}}) forwardIsTheScaledIntegerProduct(size[0], size[1], size[2]);
    }

    private void forwardIsTheScaledIntegerProduct(int out, int in, int tokens) {
        Random r = new Random(11);
        float[] w = new float[out * in], x = new float[tokens * in];
        for (int i = 0; i < w.length; i++) w[i] = (float) r.nextGaussian();
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian() * 3;
        DynamicInt8Dense d = DynamicInt8Dense.of(dense(w, out, in, null));
        float[] y = new float[tokens * out];
        try (RowParallel threads = new RowParallel(2)) {
            d.forward(x, tokens, y, threads);
        }
        byte[] qw = new byte[in], qx = new byte[in];
        for (int t = 0; t < tokens; t++) {
            float sx = Int8Rows.quantizeRow(x, t * in, in, qx, 0);
            for (int j = 0; j < out; j++) {
                float sw = Int8Rows.quantizeRow(w, j * in, in, qw, 0);
                int s = 0;
                for (int i = 0; i < in; i++) s += qw[i] * qx[i];
                assertThat(y[t * out + j]).as("out=%d in=%d t=%d j=%d", out, in, t, j).isEqualTo(s * sw * sx);
                // and within the rounding bound of the float product: |w·x − w'·x'| ≤ Σ |w|·sx/2 + |x'|·sw/2
                double exact = 0, bound = 0;
                for (int i = 0; i < in; i++) {
                    exact += (double) w[j * in + i] * x[t * in + i];
                    bound += Math.abs(w[j * in + i]) * sx / 2 + Math.abs(qx[i] * sx) * sw / 2;
                }
                assertThat(Math.abs(y[t * out + j] - exact)).isLessThanOrEqualTo(bound * 1.001 + 1e-5);
            }
        }
    }
}
