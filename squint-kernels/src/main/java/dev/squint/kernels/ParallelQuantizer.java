package dev.squint.kernels;

import dev.squint.core.GgmlType;
import dev.squint.core.codec.BlockCodec;
import dev.squint.core.codec.Codecs;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Quantizes a whole tensor (rows × nPerRow floats) on several threads, as llama-quantize does.
 * Each row's bytes depend only on that row (and the shared importance vector), and rows go to
 * disjoint byte ranges, so the output is identical at any thread count — the same bytes as
 * {@link Codecs#quantizeChunk}. Rows go through {@link VectorCodecs} (Vector API kernels where they
 * exist, else the scalar codec).
 */
public final class ParallelQuantizer {
    private ParallelQuantizer() {}

    /** One row: {@code n} floats at {@code src[srcOffset]} to its bytes at {@code dstOffset}. */
    @FunctionalInterface
    public interface RowQuantizer {
        void quantizeRow(float[] src, int srcOffset, int n, MemorySegment dst, long dstOffset);
    }

    /** The fastest row quantizer this module has for {@code type}: {@link VectorCodecs}' quantizeRow. */
    public static RowQuantizer rowQuantizer(GgmlType type, float[] importance) {
        BlockCodec codec = VectorCodecs.of(type);
        return (src, off, n, dst, dstOff) -> codec.quantizeRow(src, off, n, dst, dstOff, importance);
    }

    /**
     * Quantizes {@code rows} rows of {@code nPerRow} floats from {@code src[0]} into {@code dst} at
     * {@code dstOffset}, on {@code threads} threads (1 runs on the caller's thread).
     *
     * @return bytes written
     */
    public static long quantize(GgmlType type, float[] src, int rows, int nPerRow, MemorySegment dst, long dstOffset,
                                float[] importance, int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        if (rows < 0 || nPerRow < 0 || (long) rows * nPerRow > src.length) {
            throw new IllegalArgumentException(type + ": " + rows + " rows of " + nPerRow + " values do not fit the source of " + src.length + " floats");
        }
        if (nPerRow % type.blockSize() != 0) {
            throw new IllegalArgumentException(type + ": row length " + nPerRow + " is not a multiple of the block size " + type.blockSize());
        }
        BlockCodec codec = Codecs.of(type);
        if (codec.requiresImportance() && importance == null) {
            throw new IllegalArgumentException(type + " needs an importance matrix (as in llama.cpp)");
        }
        long rowBytes = codec.rowBytes(nPerRow);
        if (dstOffset < 0 || dstOffset + rows * rowBytes > dst.byteSize()) {
            throw new IllegalArgumentException(type + ": destination too small for " + rows + " rows of " + rowBytes + " bytes");
        }
        RowQuantizer rq = rowQuantizer(type, importance);
        if (threads == 1 || rows < 2) {
            for (int r = 0; r < rows; r++) rq.quantizeRow(src, r * nPerRow, nPerRow, dst, dstOffset + r * rowBytes);
            return rows * rowBytes;
        }
        // Contiguous row ranges, a few per thread so uneven rows (e.g. zero rows) still balance.
        int chunks = Math.min(rows, threads * 4);
        try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            List<Future<?>> done = new ArrayList<>(chunks);
            for (int c = 0; c < chunks; c++) {
                int first = (int) ((long) rows * c / chunks);
                int last = (int) ((long) rows * (c + 1) / chunks);
                done.add(pool.submit(() -> {
                    for (int r = first; r < last; r++) rq.quantizeRow(src, r * nPerRow, nPerRow, dst, dstOffset + r * rowBytes);
                }));
            }
            for (Future<?> f : done) f.get();
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException re) throw re;
            if (cause instanceof Error err) throw err;
            throw new IllegalStateException(cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while quantizing " + type, e);
        }
        return rows * rowBytes;
    }
}
