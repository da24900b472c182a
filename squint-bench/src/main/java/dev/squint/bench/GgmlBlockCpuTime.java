package dev.squint.bench;

import dev.squint.core.GgmlType;
import dev.squint.core.codec.BlockCodec;
import dev.squint.core.codec.Codecs;
import dev.squint.kernels.VectorCodecs;

import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.SplittableRandom;

/**
 * Quantize/dequantize cost of the legacy, IQ4 and ternary types in <b>thread CPU time</b> (robust on
 * a loaded shared machine, where {@link GgmlBlockCodecBench}'s wall-clock throughput swings with other
 * processes): millions of F32 values per CPU-second, one thread, for the reference codec
 * ({@code Codecs}) and squint's fast path ({@code VectorCodecs}). MB/s of F32 input = value rate × 4.
 *
 * <pre>java -cp squint-bench/target/squint-bench.jar dev.squint.bench.GgmlBlockCpuTime [TYPE...]</pre>
 */
public final class GgmlBlockCpuTime {
    private GgmlBlockCpuTime() {}

    private static double quantizeRate(ThreadMXBean mx, BlockCodec c, float[] w, int rows, int cols, MemorySegment q, float[] imp, int reps) {
        long rowBytes = c.rowBytes(cols);
        // warm-up: enough rows for C2 to compile the vector code (the Vector API is slow until then)
        for (int warm = 0; warm < 5 * reps; warm++) {
            for (int r = 0; r < rows; r++) c.quantizeRow(w, r * cols, cols, q, r * rowBytes, imp);
        }
        long t0 = mx.getCurrentThreadCpuTime();
        for (int i = 0; i < reps; i++) {
            for (int r = 0; r < rows; r++) c.quantizeRow(w, r * cols, cols, q, r * rowBytes, imp);
        }
        return (double) reps * rows * cols / ((mx.getCurrentThreadCpuTime() - t0) / 1e9) / 1e6;
    }

    private static double dequantizeRate(ThreadMXBean mx, BlockCodec c, MemorySegment q, float[] out, int rows, int cols, int reps) {
        long rowBytes = c.rowBytes(cols);
        for (int warm = 0; warm < 5 * reps; warm++) {
            for (int r = 0; r < rows; r++) c.dequantizeRow(q, r * rowBytes, out, r * cols, cols);
        }
        long t0 = mx.getCurrentThreadCpuTime();
        for (int i = 0; i < reps; i++) {
            for (int r = 0; r < rows; r++) c.dequantizeRow(q, r * rowBytes, out, r * cols, cols);
        }
        return (double) reps * rows * cols / ((mx.getCurrentThreadCpuTime() - t0) / 1e9) / 1e6;
    }

    public static void main(String[] args) {
        String[] types = args.length > 0 ? args
                : new String[] {"Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "IQ4_NL", "IQ4_XS", "TQ1_0", "TQ2_0"};
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        int rows = 64;
        int cols = 4096;
        SplittableRandom rnd = new SplittableRandom(1);
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) w[i] = (float) (rnd.nextGaussian() * 0.02);
        float[] imp = new float[cols];
        for (int i = 0; i < cols; i++) imp[i] = (float) Math.exp(1.5 * rnd.nextGaussian());
        float[] out = new float[rows * cols];
        System.out.printf("M F32 values per CPU-second, 1 thread (%d x %d rows)%n", rows, cols);
        System.out.printf("%-7s %13s %13s %13s %13s %13s %13s%n", "type", "q scalar", "q fast", "q+imat scal", "q+imat fast", "deq scalar", "deq fast");
        for (String t : types) {
            GgmlType type = GgmlType.valueOf(t);
            BlockCodec scalar = Codecs.of(type);
            BlockCodec fast = VectorCodecs.of(type);
            MemorySegment q = MemorySegment.ofArray(new byte[(int) (rows * scalar.rowBytes(cols))]);
            boolean slow = type == GgmlType.IQ4_NL || type == GgmlType.IQ4_XS;
            int qReps = slow ? 3 : 20;
            double qs = quantizeRate(mx, scalar, w, rows, cols, q, null, qReps);
            double qf = quantizeRate(mx, fast, w, rows, cols, q, null, qReps);
            double qis = quantizeRate(mx, scalar, w, rows, cols, q, imp, qReps);
            double qif = quantizeRate(mx, fast, w, rows, cols, q, imp, qReps);
            double ds = dequantizeRate(mx, scalar, q, out, rows, cols, 100);
            double df = dequantizeRate(mx, fast, q, out, rows, cols, 100);
            System.out.printf("%-7s %13.1f %13.1f %13.1f %13.1f %13.1f %13.1f%n", t, qs, qf, qis, qif, ds, df);
        }
    }
}
