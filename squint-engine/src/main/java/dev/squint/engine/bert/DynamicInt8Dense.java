package dev.squint.engine.bert;

import dev.squint.core.codec.Int8Rows;
import dev.squint.kernels.RowParallel;
import dev.squint.kernels.VectorInt8Rows;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * W8A8 ("dynamic INT8"): the weight is quantized once to int8 per output row ({@link Int8Rows}:
 * symmetric, scale = absmax/127), and each call quantizes every token's activation row the same
 * way. Dot products are exact integer sums of int8 × int8 products in 32-bit lanes, scaled back by
 * {@code weightScale[j] · tokenScale[t]}:
 * <pre>  y[t, j] = (Σᵢ qw[j, i] · qx[t, i]) · sw[j] · sx[t] + b[j]</pre>
 * An int32 sum cannot overflow: |qw · qx| ≤ 127² and rows are far shorter than 2³¹ / 127².
 */
public final class DynamicInt8Dense implements Dense {
    private static final VectorSpecies<Integer> INTS = IntVector.SPECIES_PREFERRED;
    /** Bytes loaded per step: as many as the int vector has lanes, widened 8 → 32 bits. */
    private static final VectorSpecies<Byte> BYTES = VectorSpecies.of(byte.class, VectorShape.forBitSize(INTS.vectorBitSize() / 4));
    private static final int LANES = INTS.length();

    private final int in;
    private final int out;
    private final byte[] codes;
    private final float[] scales;
    private final float[] bias;

    private DynamicInt8Dense(int in, int out, byte[] codes, float[] scales, float[] bias) {
        this.in = in;
        this.out = out;
        this.codes = codes;
        this.scales = scales;
        this.bias = bias;
    }

    /** Quantizes {@code source}'s weights (as it computes with them) to int8 rows. */
    public static DynamicInt8Dense of(Dense source) {
        int in = source.in(), out = source.out();
        byte[] codes = new byte[out * in];
        float[] scales = new float[out];
        float[] row = new float[in];
        for (int j = 0; j < out; j++) {
            source.row(j, row);
            scales[j] = Int8Rows.quantizeRow(row, 0, in, codes, j * in);
        }
        return new DynamicInt8Dense(in, out, codes, scales, source.bias());
    }

    @Override public int in() { return in; }

    @Override public int out() { return out; }

    @Override public String kind() { return "INT8 W8A8"; }

    @Override public float[] bias() { return bias; }

    @Override public long weightBytes() { return codes.length + 4L * scales.length; }

    @Override
    public void row(int j, float[] dst) {
        Int8Rows.dequantizeRow(codes, j * in, in, scales[j], dst, 0);
    }

    @Override
    public void forward(float[] x, int tokens, float[] y, RowParallel threads) {
        byte[] qx = new byte[tokens * in];
        float[] sx = new float[tokens];
        threads.forRows(tokens, (from, to) -> {
            for (int t = from; t < to; t++) sx[t] = VectorInt8Rows.quantizeRow(x, t * in, in, qx, t * in);
        });
        threads.forRows(out, (from, to) -> {
            int[] sums = new int[4];
            for (int j = from; j < to; j++) {
                float sw = scales[j];
                int wOff = j * in;
                int t = 0;
                for (; t + 3 < tokens; t += 4) {
                    dot4(codes, wOff, qx, t * in, in, sums);
                    for (int u = 0; u < 4; u++) y[(t + u) * out + j] = sums[u] * sw * sx[t + u];
                }
                for (; t < tokens; t++) y[t * out + j] = dot(codes, wOff, qx, t * in, in) * sw * sx[t];
            }
        });
    }

    /** Exact dots of one int8 weight row with four consecutive int8 token rows (the weight is widened once). */
    static void dot4(byte[] w, int wOff, byte[] x, int xOff, int n, int[] sums) {
        int i = 0;
        int s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        if (n >= LANES) {
            IntVector a0 = IntVector.zero(INTS), a1 = a0, a2 = a0, a3 = a0;
            for (; i <= n - LANES; i += LANES) {
                IntVector vw = (IntVector) ByteVector.fromArray(BYTES, w, wOff + i).convertShape(VectorOperators.B2I, INTS, 0);
                a0 = a0.add(vw.mul((IntVector) ByteVector.fromArray(BYTES, x, xOff + i).convertShape(VectorOperators.B2I, INTS, 0)));
                a1 = a1.add(vw.mul((IntVector) ByteVector.fromArray(BYTES, x, xOff + n + i).convertShape(VectorOperators.B2I, INTS, 0)));
                a2 = a2.add(vw.mul((IntVector) ByteVector.fromArray(BYTES, x, xOff + 2 * n + i).convertShape(VectorOperators.B2I, INTS, 0)));
                a3 = a3.add(vw.mul((IntVector) ByteVector.fromArray(BYTES, x, xOff + 3 * n + i).convertShape(VectorOperators.B2I, INTS, 0)));
            }
            s0 = a0.reduceLanes(VectorOperators.ADD);
            s1 = a1.reduceLanes(VectorOperators.ADD);
            s2 = a2.reduceLanes(VectorOperators.ADD);
            s3 = a3.reduceLanes(VectorOperators.ADD);
        }
        for (; i < n; i++) {
            int wi = w[wOff + i];
            s0 += wi * x[xOff + i];
            s1 += wi * x[xOff + n + i];
            s2 += wi * x[xOff + 2 * n + i];
            s3 += wi * x[xOff + 3 * n + i];
        }
        sums[0] = s0;
        sums[1] = s1;
        sums[2] = s2;
        sums[3] = s3;
    }

    /** Exact Σ a[i]·b[i] of int8 rows. */
    static int dot(byte[] a, int aOff, byte[] b, int bOff, int n) {
        int i = 0;
        int sum = 0;
        if (n >= LANES) {
            IntVector acc = IntVector.zero(INTS);
            for (; i <= n - LANES; i += LANES) {
                IntVector va = (IntVector) ByteVector.fromArray(BYTES, a, aOff + i).convertShape(VectorOperators.B2I, INTS, 0);
                IntVector vb = (IntVector) ByteVector.fromArray(BYTES, b, bOff + i).convertShape(VectorOperators.B2I, INTS, 0);
                acc = acc.add(va.mul(vb));
            }
            sum = acc.reduceLanes(VectorOperators.ADD);
        }
        for (; i < n; i++) sum += a[aOff + i] * b[bOff + i];
        return sum;
    }
}
