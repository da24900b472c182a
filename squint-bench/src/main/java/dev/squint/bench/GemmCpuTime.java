package dev.squint.bench;

import dev.squint.kernels.FloatGemm;
import dev.squint.kernels.RowParallel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * GEMM throughput in <b>thread CPU time</b> (one thread), at all-MiniLM-L6-v2's projection shapes
 * with 384 token rows (batch 32 of ~12 tokens): {@link FloatGemm#multiply} (FP32),
 * {@link FloatGemm#multiplyInt8} (exact W8A8 on int-valued floats, the weight codes packed as floats or
 * as bytes widened in the kernel), and, for comparison, an exact int8
 * formulation in 16-bit lanes (s8·s8 products by {@code ShortVector.mul}, adjacent pairs added with
 * shifts, int32 accumulators; register-tiled the same way). Reports multiply-adds per CPU-second.
 *
 * <pre>java -cp squint-bench/target/squint-bench.jar dev.squint.bench.GemmCpuTime [rows] [seconds]</pre>
 */
public final class GemmCpuTime {
    private GemmCpuTime() {}

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Short> S = VectorSpecies.of(short.class, I.vectorShape());

    public static void main(String[] args) {
        int m = args.length > 0 ? Integer.parseInt(args[0]) : 384;
        double seconds = args.length > 1 ? Double.parseDouble(args[1]) : 2;
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        SplittableRandom rnd = new SplittableRandom(3);
        System.out.printf(Locale.ROOT, "%s, rows %d, one thread, CPU time%n", F, m);
        System.out.printf(Locale.ROOT, "%-12s %18s %18s %18s %18s%n", "shape n×k", "FP32 GMAC/cpu-s", "INT8 float codes", "INT8 byte codes", "INT8 16-bit lanes");
        try (RowParallel one = new RowParallel(1)) {
            for (int[] shape : new int[][] {{384, 384}, {1536, 384}, {384, 1536}}) {
                int n = shape[0], k = shape[1];
                float[] a = new float[m * k], w = new float[n * k], qa = new float[m * k], qw = new float[n * k];
                short[] sa = new short[m * k];
                for (int i = 0; i < a.length; i++) { a[i] = (float) rnd.nextGaussian(); qa[i] = rnd.nextInt(-127, 128); sa[i] = (short) qa[i]; }
                for (int i = 0; i < w.length; i++) { w[i] = (float) rnd.nextGaussian(); qw[i] = rnd.nextInt(-127, 128); }
                float[] bias = new float[n], sx = new float[m], sw = new float[n], c = new float[m * n];
                java.util.Arrays.fill(sx, 0.01f);
                java.util.Arrays.fill(sw, 0.01f);
                FloatGemm.Packed p = FloatGemm.pack(w, 0, n, k), pq = FloatGemm.pack(qw, 0, n, k);
                short[] ws = packShorts(qw, n, k);
                int[] sums = new int[m * n];
                double macs = (double) m * n * k;
                double f32 = rate(mx, seconds, macs, () -> FloatGemm.multiply(a, m, p, bias, c, one));
                double i8 = rate(mx, seconds, macs, () -> FloatGemm.multiplyInt8(qa, sx, m, pq, sw, null, c, one));
                byte[] qwb = new byte[qw.length];
                for (int i = 0; i < qw.length; i++) qwb[i] = (byte) qw[i];
                FloatGemm.PackedInt8 pb = FloatGemm.packInt8(qwb, 0, n, k);
                double i8b = rate(mx, seconds, macs, () -> FloatGemm.multiplyInt8(qa, sx, m, pb, sw, null, c, one));
                double s16 = k % 2 == 0 && n % (2 * I.length()) == 0 && m % 4 == 0 ? rate(mx, seconds, macs, () -> shortGemm(sa, m, ws, n, k, sums)) : Double.NaN;
                System.out.printf(Locale.ROOT, "%-12s %18.2f %18.2f %18.2f %18.2f%n", n + "×" + k, f32, i8, i8b, s16);
            }
        }
    }

    private static double rate(ThreadMXBean mx, double seconds, double macs, Runnable r) {
        for (int i = 0; i < 20; i++) r.run();
        long t0 = mx.getCurrentThreadCpuTime(), reps = 0;
        do {
            r.run();
            reps++;
        } while (mx.getCurrentThreadCpuTime() - t0 < seconds * 1e9);
        return reps * macs / (mx.getCurrentThreadCpuTime() - t0);
    }

    /** Panels of 2·lanes columns; per pair of k, each column's two codes adjacent: [k-pair][column][2]. */
    private static short[] packShorts(float[] w, int n, int k) {
        int nr = 2 * I.length();
        short[] out = new short[n * k];
        for (int j = 0; j < n; j++) {
            for (int i = 0; i < k; i++) {
                int panel = j / nr, col = j % nr;
                out[panel * nr * k + (i / 2) * 2 * nr + col * 2 + (i % 2)] = (short) w[j * k + i];
            }
        }
        return out;
    }

    /** Exact int8 GEMM in 16-bit lanes, 4 rows × 2 int vectors per tile (n and m multiples of the tile). */
    private static void shortGemm(short[] a, int m, short[] w, int n, int k, int[] c) {
        int lanes = I.length(), nr = 2 * lanes;
        for (int p = 0; p < n / nr; p++) {
            for (int r = 0; r < m; r += 4) {
                IntVector c00 = IntVector.zero(I), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
                int wOff = p * nr * k;
                for (int i = 0; i < k; i += 2) {
                    int wo = wOff + i * nr;
                    ShortVector b0 = ShortVector.fromArray(S, w, wo), b1 = ShortVector.fromArray(S, w, wo + 2 * lanes);
                    ShortVector x0 = pair(a, r * k + i), x1 = pair(a, (r + 1) * k + i), x2 = pair(a, (r + 2) * k + i), x3 = pair(a, (r + 3) * k + i);
                    c00 = c00.add(pairSum(b0.mul(x0)));
                    c01 = c01.add(pairSum(b1.mul(x0)));
                    c10 = c10.add(pairSum(b0.mul(x1)));
                    c11 = c11.add(pairSum(b1.mul(x1)));
                    c20 = c20.add(pairSum(b0.mul(x2)));
                    c21 = c21.add(pairSum(b1.mul(x2)));
                    c30 = c30.add(pairSum(b0.mul(x3)));
                    c31 = c31.add(pairSum(b1.mul(x3)));
                }
                int col = p * nr;
                c00.intoArray(c, r * n + col); c01.intoArray(c, r * n + col + lanes);
                c10.intoArray(c, (r + 1) * n + col); c11.intoArray(c, (r + 1) * n + col + lanes);
                c20.intoArray(c, (r + 2) * n + col); c21.intoArray(c, (r + 2) * n + col + lanes);
                c30.intoArray(c, (r + 3) * n + col); c31.intoArray(c, (r + 3) * n + col + lanes);
            }
        }
    }

    /** Two adjacent 16-bit codes broadcast to every pair of lanes. */
    private static ShortVector pair(short[] a, int off) {
        int both = (a[off] & 0xFFFF) | (a[off + 1] << 16);
        return IntVector.broadcast(I, both).reinterpretAsShorts();
    }

    /** Sum of each int lane's two 16-bit products (exact: |p| ≤ 127², two of them fit in 16 bits). */
    private static IntVector pairSum(ShortVector products) {
        IntVector v = products.reinterpretAsInts();
        return v.add(v.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
    }
}
