package dev.squint.bench;

import dev.squint.core.GgmlType;
import dev.squint.core.codec.BlockCodec;
import dev.squint.core.codec.Codecs;
import dev.squint.kernels.VectorCodecs;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
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
 * Quantize / dequantize speed of ggml's legacy, IQ4 and ternary block types, in F32 values per
 * second: the score is ops/s with one op = one value, so MB/s of F32 input = score · 4 / 10^6 and
 * the score is directly comparable with llama-quantize's weights/s. Each thread works on its own
 * 1 Mi-value tensor (256 rows × 4096), so {@code -t 2} measures two threads' aggregate.
 *
 * <p>{@code fast} is what squint uses ({@code VectorCodecs}: Vector API kernels for the legacy types and
 * IQ4_NL's dequantizer), {@code scalar} the reference codec. Run: {@code java -jar squint-bench/target/squint-bench.jar GgmlBlockCodecBench -t 1}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class GgmlBlockCodecBench {
    static final int ROWS = 256;
    static final int COLS = 4096;
    static final int VALUES = ROWS * COLS;

    @Param({"Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "IQ4_NL", "IQ4_XS", "TQ1_0", "TQ2_0"})
    public String type;

    @Param({"fast", "scalar"})
    public String impl;

    private GgmlType ggmlType;
    private BlockCodec codec;
    private float[] src;
    private float[] out;
    private MemorySegment quantized;
    private long rowBytes;

    @Setup(Level.Trial)
    public void setup() {
        ggmlType = GgmlType.valueOf(type);
        codec = impl.equals("fast") ? VectorCodecs.of(ggmlType) : Codecs.of(ggmlType);
        SplittableRandom rnd = new SplittableRandom(42);
        src = new float[VALUES];
        for (int i = 0; i < VALUES; i++) src[i] = (float) (rnd.nextGaussian() * 0.02);
        out = new float[VALUES];
        rowBytes = codec.rowBytes(COLS);
        quantized = MemorySegment.ofArray(new byte[(int) (rowBytes * ROWS)]);
        Codecs.quantizeChunk(ggmlType, src, 0, ROWS, COLS, quantized, 0, null);
    }

    @Benchmark
    @OperationsPerInvocation(VALUES)
    public void quantize(Blackhole bh) {
        for (int r = 0; r < ROWS; r++) codec.quantizeRow(src, r * COLS, COLS, quantized, r * rowBytes, null);
        bh.consume(quantized);
    }

    @Benchmark
    @OperationsPerInvocation(VALUES)
    public void dequantize(Blackhole bh) {
        for (int r = 0; r < ROWS; r++) codec.dequantizeRow(quantized, r * rowBytes, out, r * COLS, COLS);
        bh.consume(out);
    }
}
