package dev.squint.bench;

import dev.squint.core.GgmlType;
import dev.squint.core.codec.BlockCodec;
import dev.squint.core.codec.Codecs;
import dev.squint.kernels.KQuantVectorKernels;
import dev.squint.kernels.Q6KVectorQuantizer;
import dev.squint.kernels.ScaleMinKVectorQuantizer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Scalar codec vs Vector API kernel for Q4_K and Q6_K: quantize (reference path), dequantize, and
 * dot with a Q8_K row. Both sides produce identical bits.
 * One operation is a whole 64 × 4096 matrix (262,144 weights; 1 MiB as f32).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class KQuantKernelBench {
    static final int ROWS = KQuantCodecBench.ROWS;
    static final int COLS = KQuantCodecBench.COLS;

    @State(Scope.Thread)
    public static class Kernels {
        @Param({"Q4_K", "Q6_K"})
        public String type;

        BlockCodec codec;
        float[] w;
        MemorySegment q;
        MemorySegment act;
        long rowBytes;
        float[] out = new float[ROWS * COLS];

        @Setup(Level.Trial)
        public void setUp() {
            codec = Codecs.of(GgmlType.valueOf(type));
            SplittableRandom rnd = new SplittableRandom(2);
            w = new float[ROWS * COLS];
            for (int i = 0; i < w.length; i++) w[i] = (float) (rnd.nextGaussian() * 0.02);
            rowBytes = codec.rowBytes(COLS);
            q = MemorySegment.ofArray(new byte[(int) (ROWS * rowBytes)]);
            Codecs.quantizeChunk(codec.type(), w, 0, ROWS, COLS, q, 0, null);
            float[] a = new float[COLS];
            for (int i = 0; i < COLS; i++) a[i] = (float) rnd.nextGaussian();
            act = MemorySegment.ofArray(new byte[(int) Codecs.of(GgmlType.Q8_K).rowBytes(COLS)]);
            Codecs.of(GgmlType.Q8_K).quantizeRow(a, 0, COLS, act, 0, null);
        }
    }

    @Benchmark
    public MemorySegment quantizeScalar(Kernels k) {
        Codecs.quantizeChunk(k.codec.type(), k.w, 0, ROWS, COLS, k.q, 0, null);
        return k.q;
    }

    @Benchmark
    public MemorySegment quantizeVector(Kernels k) {
        boolean q4 = k.codec.type() == GgmlType.Q4_K;
        for (int r = 0; r < ROWS; r++) {
            if (q4) ScaleMinKVectorQuantizer.quantizeQ4K(k.w, r * COLS, COLS, k.q, r * k.rowBytes, null);
            else Q6KVectorQuantizer.quantize(k.w, r * COLS, COLS, k.q, r * k.rowBytes, null);
        }
        return k.q;
    }

    @Benchmark
    public float[] dequantizeScalar(Kernels k) {
        for (int r = 0; r < ROWS; r++) k.codec.dequantizeRow(k.q, r * k.rowBytes, k.out, r * COLS, COLS);
        return k.out;
    }

    @Benchmark
    public float[] dequantizeVector(Kernels k) {
        boolean q4 = k.codec.type() == GgmlType.Q4_K;
        for (int r = 0; r < ROWS; r++) {
            if (q4) KQuantVectorKernels.dequantizeQ4K(k.q, r * k.rowBytes, k.out, r * COLS, COLS);
            else KQuantVectorKernels.dequantizeQ6K(k.q, r * k.rowBytes, k.out, r * COLS, COLS);
        }
        return k.out;
    }

    @Benchmark
    public void dotScalar(Kernels k, Blackhole bh) {
        for (int r = 0; r < ROWS; r++) bh.consume(k.codec.dot(COLS, k.q, r * k.rowBytes, k.act, 0));
    }

    @Benchmark
    public void dotVector(Kernels k, Blackhole bh) {
        boolean q4 = k.codec.type() == GgmlType.Q4_K;
        for (int r = 0; r < ROWS; r++) {
            bh.consume(q4 ? KQuantVectorKernels.dotQ4K(COLS, k.q, r * k.rowBytes, k.act, 0)
                    : KQuantVectorKernels.dotQ6K(COLS, k.q, r * k.rowBytes, k.act, 0));
        }
    }
}
