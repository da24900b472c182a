package dev.squint.bench;

import dev.squint.core.codec.IntQuantizer;
import dev.squint.core.codec.IntQuantizer.Granularity;
import dev.squint.core.codec.IntQuantizer.RangeMethod;
import dev.squint.core.codec.IntQuantizer.ScaleType;
import dev.squint.core.codec.IntQuantizer.Scheme;
import dev.squint.core.codec.QuantizedMatrix;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Single-thread throughput of the scalar {@link IntQuantizer} (no vector twin) on a 500 x 500 F32
 * matrix (1 MB per invocation, so ops/s = MB/s of F32 input).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class IntQuantizerBench {
    static final int ROWS = 500, COLS = 500;

    @Param({"INT4_G128_ASYM_MINMAX", "INT4_G128_ASYM_MSE", "NF4_G64", "INT8_CHANNEL_SYM"})
    public String scheme;

    float[] src;
    Scheme s;
    QuantizedMatrix quantized;

    @Setup
    public void setUp() {
        SplittableRandom rnd = new SplittableRandom(7);
        src = new float[ROWS * COLS];
        for (int i = 0; i < src.length; i++) src[i] = (float) (rnd.nextGaussian() * 0.02);
        s = switch (scheme) {
            case "INT4_G128_ASYM_MINMAX" -> Scheme.asymmetric(4, Granularity.PER_GROUP, 128, RangeMethod.MIN_MAX, ScaleType.F16);
            case "INT4_G128_ASYM_MSE" -> Scheme.asymmetric(4, Granularity.PER_GROUP, 128, RangeMethod.MSE_CLIP, ScaleType.F16);
            case "NF4_G64" -> Scheme.nf4(64, RangeMethod.MIN_MAX, ScaleType.F32);
            case "INT8_CHANNEL_SYM" -> Scheme.symmetric(8, Granularity.PER_CHANNEL, 0, RangeMethod.MIN_MAX, ScaleType.F32);
            default -> throw new IllegalArgumentException(scheme);
        };
        quantized = IntQuantizer.quantize(src, ROWS, COLS, s);
    }

    @Benchmark
    @OperationsPerInvocation(1)
    public QuantizedMatrix quantize() {
        return IntQuantizer.quantize(src, ROWS, COLS, s);
    }

    @Benchmark
    @OperationsPerInvocation(1)
    public float[] dequantize() {
        return IntQuantizer.dequantize(quantized);
    }
}
