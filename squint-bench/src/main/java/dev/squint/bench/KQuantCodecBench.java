package dev.squint.bench;

import dev.squint.core.GgmlType;
import dev.squint.core.codec.BlockCodec;
import dev.squint.core.codec.Codecs;
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

import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * K-quant codec throughput. One operation is a whole 64 × 4096 matrix (262,144 weights, 1 MiB of
 * f32), so MB/s of f32 = ops/s × 1.048576 and weights/s = ops/s × 262,144. Each thread works on
 * its own copy (run with {@code -t 1} and {@code -t 2}).
 *
 * <pre>java --add-modules jdk.incubator.vector -jar squint-bench/target/squint-bench.jar KQuantCodecBench -t 2</pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@State(Scope.Thread)
public class KQuantCodecBench {
    static final int ROWS = 64;
    static final int COLS = 4096;

    @Param({"Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"})
    public String type;

    /** Quantize with an importance matrix (ggml's quantize_row_X_impl) instead of the reference path. */
    @Param({"false", "true"})
    public boolean imatrix;

    private BlockCodec codec;
    private float[] weights;
    private float[] importance;
    private float[] out;
    private MemorySegment quantized;
    private long rowBytes;

    @Setup(Level.Trial)
    public void setUp() {
        codec = Codecs.of(GgmlType.valueOf(type));
        SplittableRandom rnd = new SplittableRandom(1);
        weights = new float[ROWS * COLS];
        for (int i = 0; i < weights.length; i++) weights[i] = (float) (rnd.nextGaussian() * 0.02);
        importance = new float[COLS];
        for (int i = 0; i < COLS; i++) importance[i] = (float) Math.exp(1.5 * rnd.nextGaussian());
        rowBytes = codec.rowBytes(COLS);
        quantized = MemorySegment.ofArray(new byte[(int) (ROWS * rowBytes)]);
        Codecs.quantizeChunk(codec.type(), weights, 0, ROWS, COLS, quantized, 0, imatrix ? importance : null);
        out = new float[ROWS * COLS];
    }

    @Benchmark
    public MemorySegment quantize() {
        Codecs.quantizeChunk(codec.type(), weights, 0, ROWS, COLS, quantized, 0, imatrix ? importance : null);
        return quantized;
    }

    @Benchmark
    public float[] dequantize() {
        for (int r = 0; r < ROWS; r++) codec.dequantizeRow(quantized, r * rowBytes, out, r * COLS, COLS);
        return out;
    }
}
