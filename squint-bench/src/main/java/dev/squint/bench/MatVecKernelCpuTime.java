package dev.squint.bench;

import dev.squint.core.GgmlType;
import dev.squint.core.codec.Codecs;
import dev.squint.core.codec.FloatFormats;
import dev.squint.kernels.MatVecKernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.SplittableRandom;

/**
 * One thread's CPU time for the generation kernels of {@link MatVecKernels} (F16, Q8_0, Q4_0) on a
 * {@code rows × cols} matrix, for A/B comparisons of kernel variants on a shared machine. The weights
 * live off the heap (as mapped model weights do), in {@code copies} identical copies visited in turn:
 * one copy that fits the L2 cache measures the kernel's arithmetic; copies adding up to far more than
 * the last-level cache measure it streaming from memory, as in generation.
 *
 * <pre>java --add-modules jdk.incubator.vector -cp squint-bench/target/squint-bench.jar \
 *     dev.squint.bench.MatVecKernelCpuTime TYPE [rows=2048] [cols=5632] [copies=1] [seconds=3]</pre>
 */
public final class MatVecKernelCpuTime {
    private MatVecKernelCpuTime() {}

    public static void main(String[] args) {
        if (args.length < 1) {
            System.err.println("usage: MatVecKernelCpuTime F16|Q8_0|Q4_0 [rows] [cols] [copies] [seconds]");
            System.exit(2);
        }
        GgmlType type = GgmlType.valueOf(args[0]);
        int rows = args.length > 1 ? Integer.parseInt(args[1]) : 2048;
        int cols = args.length > 2 ? Integer.parseInt(args[2]) : 5632;
        int copies = args.length > 3 ? Integer.parseInt(args[3]) : 1;
        double seconds = args.length > 4 ? Double.parseDouble(args[4]) : 3;
        if (type != GgmlType.F16 && type != GgmlType.Q8_0 && type != GgmlType.Q4_0) throw new IllegalArgumentException("type " + type + ": F16, Q8_0 or Q4_0");

        SplittableRandom rnd = new SplittableRandom(7);
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) w[i] = (float) (rnd.nextGaussian() * 0.02);
        long rowBytes = Codecs.of(type).rowBytes(cols);
        long matrixBytes = rows * rowBytes;
        MemorySegment weights = Arena.ofAuto().allocate(matrixBytes * copies, 64);
        if (type == GgmlType.F16) FloatFormats.f32ToF16Row(w, 0, weights, 0, w.length);
        else Codecs.quantizeChunk(type, w, 0, rows, cols, weights, 0, null);
        for (int c = 1; c < copies; c++) MemorySegment.copy(weights, 0, weights, c * matrixBytes, matrixBytes);

        float[] x = new float[cols];
        for (int i = 0; i < cols; i++) x[i] = Float.float16ToFloat(Float.floatToFloat16((float) rnd.nextGaussian()));
        MatVecKernels.Q8Token a = new MatVecKernels.Q8Token();
        MatVecKernels.quantizeQ8_0(x, 0, cols, a);
        float[] y = new float[rows];
        // the copies are one tall matrix to the kernels: each visit reads its own rows' scales too
        MemorySegment scales = type == GgmlType.F16 ? null : MatVecKernels.blockScales(weights, 0, rowBytes, rows * copies, cols, type == GgmlType.Q8_0 ? 34 : 18);

        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        System.out.printf("%s %d x %d, %d cop%s of %.1f MB%n", type, rows, cols, copies, copies == 1 ? "y" : "ies", matrixBytes / 1e6);
        double checksum = 0, best = Double.MAX_VALUE;
        for (int rep = -1; rep < 5; rep++) {
            long c0 = mx.getCurrentThreadCpuTime(), budget = (long) (seconds * 1e9 / 5);
            int calls = 0;
            // products in batches of ~1 MB of weights, so reading the clock costs nothing
            int batch = (int) Math.max(1, 1_000_000 / matrixBytes);
            do {
                for (int k = 0; k < batch; k++) {
                    int c = calls % copies;
                    long off = c * matrixBytes;
                    switch (type) {
                        case Q8_0 -> MatVecKernels.q8_0Rows(weights, 0, rowBytes, scales, c * rows, (c + 1) * rows, a, y, -c * rows);
                        case Q4_0 -> MatVecKernels.q4_0Rows(weights, 0, rowBytes, scales, c * rows, (c + 1) * rows, a, y, -c * rows);
                        default -> MatVecKernels.f16RowsFinite(weights, off, rowBytes, cols, 0, rows, x, 0, y, 0);
                    }
                    calls++;
                }
            } while (mx.getCurrentThreadCpuTime() - c0 < budget);
            double cpu = (mx.getCurrentThreadCpuTime() - c0) / 1e9;
            checksum += y[rows / 2];
            if (rep >= 0) best = Math.min(best, cpu / calls);
            if (rep >= 0) {
                System.out.printf("rep %d: %.3f ms per product | %.2f GB/s of weights | %.2f ns per row-block of 32%n",
                        rep, cpu / calls * 1e3, matrixBytes * (double) calls / cpu / 1e9, cpu / calls * 1e9 / rows / (cols / 32.0));
            }
        }
        System.out.printf("best: %.3f ms per product | %.2f GB/s | %.2f ns per row-block | checksum %.6g%n",
                best * 1e3, matrixBytes / best / 1e9, best * 1e9 / rows / (cols / 32.0), checksum);
    }
}
