package dev.squint.bench;

import dev.squint.kernels.MatrixKernels;
import dev.squint.kernels.MatrixKernels.Impl;
import dev.squint.kernels.RowParallel;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Throughput of the float-format conversions and INT8 per-row quantization over a 1000 x 1000 F32
 * matrix (4 MB), scalar reference vs Vector API kernel, on 1 thread and on all processors
 * ({@code threads=0}). Each invocation processes 4 MB of F32 (read for encode/quantize, written for
 * decode/dequantize) and counts as 4 operations, so the score in ops/s is <b>MB/s of F32</b>.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class FloatKernelBench {
    static final int ROWS = 1000, COLS = 1000; // COLS is not a multiple of the lane count: tails run too
    static final int MB_PER_INVOCATION = ROWS * COLS * 4 / 1_000_000;

    @Param({"SCALAR", "VECTOR"})
    public Impl impl;

    /** 0 means one thread per available processor. */
    @Param({"1", "0"})
    public int threads;

    float[] src, out;
    MemorySegment f16, bf16, scratch16;
    byte[] codes;
    float[] scales;
    RowParallel par;

    @Setup(Level.Trial)
    public void setUp() {
        SplittableRandom rnd = new SplittableRandom(2024);
        src = new float[ROWS * COLS];
        for (int i = 0; i < src.length; i++) src[i] = (float) (rnd.nextGaussian() * 0.02);
        out = new float[src.length];
        par = threads == 0 ? RowParallel.allProcessors() : new RowParallel(threads);
        f16 = MemorySegment.ofArray(new byte[2 * src.length]);
        bf16 = MemorySegment.ofArray(new byte[2 * src.length]);
        scratch16 = MemorySegment.ofArray(new byte[2 * src.length]);
        codes = new byte[src.length];
        scales = new float[ROWS];
        MatrixKernels.f32ToF16(Impl.SCALAR, src, ROWS, COLS, f16, par);
        MatrixKernels.f32ToBf16(Impl.SCALAR, src, ROWS, COLS, bf16, par);
        MatrixKernels.quantizeInt8(Impl.SCALAR, src, ROWS, COLS, codes, scales, par);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        par.close();
    }

    @Benchmark
    @OperationsPerInvocation(MB_PER_INVOCATION)
    public MemorySegment f32ToF16() {
        MatrixKernels.f32ToF16(impl, src, ROWS, COLS, scratch16, par);
        return scratch16;
    }

    @Benchmark
    @OperationsPerInvocation(MB_PER_INVOCATION)
    public float[] f16ToF32() {
        MatrixKernels.f16ToF32(impl, f16, ROWS, COLS, out, par);
        return out;
    }

    @Benchmark
    @OperationsPerInvocation(MB_PER_INVOCATION)
    public MemorySegment f32ToBf16() {
        MatrixKernels.f32ToBf16(impl, src, ROWS, COLS, scratch16, par);
        return scratch16;
    }

    @Benchmark
    @OperationsPerInvocation(MB_PER_INVOCATION)
    public float[] bf16ToF32() {
        MatrixKernels.bf16ToF32(impl, bf16, ROWS, COLS, out, par);
        return out;
    }

    @Benchmark
    @OperationsPerInvocation(MB_PER_INVOCATION)
    public byte[] int8Quantize() {
        MatrixKernels.quantizeInt8(impl, src, ROWS, COLS, codes, scales, par);
        return codes;
    }

    @Benchmark
    @OperationsPerInvocation(MB_PER_INVOCATION)
    public float[] int8Dequantize() {
        MatrixKernels.dequantizeInt8(impl, codes, scales, ROWS, COLS, out, par);
        return out;
    }
}
