package dev.squint.bench;

import dev.squint.core.GgmlType;
import dev.squint.core.codec.BlockCodec;
import dev.squint.core.codec.Codecs;
import dev.squint.kernels.Q6KVectorQuantizer;
import dev.squint.kernels.ScaleMinKVectorQuantizer;

import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.SplittableRandom;

/**
 * Quantize/dequantize cost per weight in <b>thread CPU time</b>, for shared, loaded machines where
 * JMH's wall-clock throughput swings with other processes. Single thread; weights/s of CPU =
 * what one fully available core would do.
 *
 * <pre>java -cp squint-bench/target/squint-bench.jar dev.squint.bench.CodecCpuTime Q4_K Q6_K</pre>
 */
public final class CodecCpuTime {
    private CodecCpuTime() {}

    private static void vectorQuantize(GgmlType type, float[] w, int rows, int cols, MemorySegment q, long rowBytes, float[] importance) {
        for (int r = 0; r < rows; r++) {
            if (type == GgmlType.Q4_K) ScaleMinKVectorQuantizer.quantizeQ4K(w, r * cols, cols, q, r * rowBytes, importance);
            else if (type == GgmlType.Q5_K) ScaleMinKVectorQuantizer.quantizeQ5K(w, r * cols, cols, q, r * rowBytes, importance);
            else Q6KVectorQuantizer.quantize(w, r * cols, cols, q, r * rowBytes, importance);
        }
    }

    public static void main(String[] args) {
        String[] types = args.length > 0 ? args : new String[] {"Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"};
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        int rows = 64, cols = 4096;
        SplittableRandom rnd = new SplittableRandom(1);
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) w[i] = (float) (rnd.nextGaussian() * 0.02);
        float[] imp = new float[cols];
        for (int i = 0; i < cols; i++) imp[i] = (float) Math.exp(1.5 * rnd.nextGaussian());
        float[] out = new float[rows * cols];
        System.out.printf("%-6s %-8s %14s %14s%n", "type", "imatrix", "quantize Mw/s", "dequant Mw/s");
        for (String t : types) {
            GgmlType type = GgmlType.valueOf(t);
            BlockCodec c = Codecs.of(type);
            long rowBytes = c.rowBytes(cols);
            MemorySegment q = MemorySegment.ofArray(new byte[(int) (rows * rowBytes)]);
            for (boolean withImp : new boolean[] {false, true}) {
                float[] importance = withImp ? imp : null;
                for (int warm = 0; warm < 15; warm++) Codecs.quantizeChunk(type, w, 0, rows, cols, q, 0, importance);
                int reps = 10;
                long t0 = mx.getCurrentThreadCpuTime();
                for (int r = 0; r < reps; r++) Codecs.quantizeChunk(type, w, 0, rows, cols, q, 0, importance);
                long qNs = mx.getCurrentThreadCpuTime() - t0;
                for (int warm = 0; warm < 200; warm++) for (int r = 0; r < rows; r++) c.dequantizeRow(q, r * rowBytes, out, r * cols, cols);
                int dreps = 200;
                t0 = mx.getCurrentThreadCpuTime();
                for (int d = 0; d < dreps; d++) for (int r = 0; r < rows; r++) c.dequantizeRow(q, r * rowBytes, out, r * cols, cols);
                long dNs = mx.getCurrentThreadCpuTime() - t0;
                double weights = (double) rows * cols;
                System.out.printf("%-6s %-8s %14.1f %14.1f%n", t, withImp, weights * reps / qNs * 1e3, weights * dreps / dNs * 1e3);
                if (type == GgmlType.Q4_K || type == GgmlType.Q5_K || type == GgmlType.Q6_K) {
                    // the Vector API quantizer (byte-identical output)
                    for (int warm = 0; warm < 15; warm++) vectorQuantize(type, w, rows, cols, q, rowBytes, importance);
                    t0 = mx.getCurrentThreadCpuTime();
                    for (int r = 0; r < reps; r++) vectorQuantize(type, w, rows, cols, q, rowBytes, importance);
                    long vNs = mx.getCurrentThreadCpuTime() - t0;
                    System.out.printf("%-6s %-8s %14.1f %14s  (Vector API quantizer)%n", t, withImp, weights * reps / vNs * 1e3, "");
                }
            }
        }
    }
}
