package dev.squint.quantize;

import dev.squint.convert.ConvertOptions;
import dev.squint.convert.GgufConverter;
import dev.squint.convert.OutType;
import dev.squint.core.AtomicOutput;
import dev.squint.core.GgmlType;
import dev.squint.core.Metadata;
import dev.squint.core.SquintException;
import dev.squint.core.codec.Codecs;
import dev.squint.core.codec.ErrorStats;
import dev.squint.formats.gguf.GgufFile;
import dev.squint.formats.gguf.GgufPlan;
import dev.squint.formats.gguf.GgufReader;
import dev.squint.formats.gguf.GgufTensorInfo;
import dev.squint.formats.gguf.GgufWriter;
import dev.squint.kernels.RowParallel;
import dev.squint.kernels.VectorErrorStats;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * {@code squint quantize}: GGUF to GGUF with llama-quantize's type mixes, producing the same bytes.
 *
 * <p>One streaming pass. The header (metadata and every tensor's final type and offset) is known
 * from the plan before any data is produced ({@link TypePlanner}); then each tensor is read in
 * blocks of rows through a {@link FileChannel} (not the mapping, so the input's pages never count
 * against this process's resident memory), converted to F32, quantized on {@code threads}
 * threads (rows are independent, so the bytes do not depend on the thread count), dequantized
 * again to measure the error, and written. Reading the next block and writing the previous one
 * happen on an I/O thread while the current block is computed. Memory is a few row blocks whatever the model size.
 * The output goes through {@link AtomicOutput}: nothing is left behind on failure or Ctrl-C.
 */
public final class GgufQuantizer {
    /** Elements per block of rows (4 MiB of floats): large enough to keep threads busy, small enough to stay bounded. */
    static final int CHUNK_ELEMENTS = 1 << 20;
    private static final int COPY_BYTES = 8 << 20;
    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int GGUF_MAGIC = 0x46554747;

    /** Architectures whose tensor names follow llama.cpp's {@code blk.N.attn_*}/{@code ffn_*} scheme the rules read. */
    public static final Set<String> ARCHITECTURES = Set.copyOf(new TreeSet<>(List.of(
            "llama", "llama4", "mistral3", "qwen2", "qwen2moe", "qwen3", "qwen3moe", "gemma", "gemma2", "gemma3", "phi2", "phi3",
            "falcon", "bert", "nomic-bert", "jina-bert-v2", "gpt2", "gptneox", "starcoder", "starcoder2", "stablelm", "granite",
            "olmo", "olmo2", "deepseek", "deepseek2", "mpt", "refact", "bloom", "internlm2", "minicpm", "command-r", "exaone",
            "smollm3", "baichuan")));

    /** Follows a quantization: totals up front, then each tensor and the weights done. */
    public interface Listener {
        Listener NONE = new Listener() {};

        default void started(int tensors, long totalWeights) {}

        default void tensor(int index, TensorPlan plan) {}

        default void advanced(long weights) {}
    }

    private GgufQuantizer() {}

    public static QuantizeReport quantize(QuantizeOptions options) {
        return quantize(options, Listener.NONE);
    }

    /**
     * Quantizes {@code options.input()} to {@code options.output()} (or only plans, for a dry run).
     *
     * @throws SquintException for anything the user can fix: not a GGUF file, an unsupported architecture or
     *         tensor type, a row that fits no type (with --no-fallback, or types without fallback), a missing
     *         or mismatched importance matrix, output equal to the input, a failed write
     */
    public static QuantizeReport quantize(QuantizeOptions options, Listener listener) {
        return quantize(options, listener, CHUNK_ELEMENTS);
    }

    /** As {@link #quantize(QuantizeOptions, Listener)} with blocks of about {@code chunkElements} values (tests use small ones). */
    static QuantizeReport quantize(QuantizeOptions options, Listener listener, int chunkElements) {
        return quantize(options, listener, chunkElements, RowKernels.VECTOR_MIN_WEIGHTS);
    }

    /**
     * As {@link #quantize(QuantizeOptions, Listener, int)}, with Vector API kernels for the types given at least
     * {@code vectorMinWeights} weights (0: every type, {@code Long.MAX_VALUE}: none; tests compare both).
     */
    static QuantizeReport quantize(QuantizeOptions options, Listener listener, int chunkElements, long vectorMinWeights) {
        if (chunkElements < 1) throw new IllegalArgumentException("chunkElements must be positive");
        if (!isGguf(options.input())) return quantizeConverted(options, listener, chunkElements, vectorMinWeights);
        long t0 = System.nanoTime();
        Path in = options.input();
        requireGguf(in);
        if (!options.dryRun()) {
            List<Path> inputs = options.imatrix() == null ? List.of(in) : List.of(in, options.imatrix());
            AtomicOutput.refuseOverwritingInput(options.output(), inputs);
        }
        Imatrix imatrix = options.imatrix() == null ? null : Imatrix.load(options.imatrix());
        try (GgufFile file = GgufReader.open(in)) {
            TypePlanner.ModelFacts facts = TypePlanner.ModelFacts.of(file.metadata());
            if (!ARCHITECTURES.contains(facts.arch())) {
                throw new SquintException(in + ": architecture '" + facts.arch() + "' is not supported by quantize; supported: "
                        + String.join(", ", new TreeSet<>(ARCHITECTURES)));
            }
            List<TypePlanner.Input> inputs = new ArrayList<>();
            for (GgufTensorInfo t : file.tensorInfos()) inputs.add(new TypePlanner.Input(t.name(), t.type(), t.ne()));
            TypePlanner.Rules rules = new TypePlanner.Rules(options.type(), options.pure(), !options.leaveOutputTensor(),
                    options.outputTensorType(), options.tokenEmbeddingType(), options.tensorTypes(), imatrix != null,
                    options.noFallback());
            List<TensorPlan> plans = TypePlanner.plan(inputs, facts, rules);
            Map<String, float[]> importance = new HashMap<>();
            List<String> needImportance = new ArrayList<>();
            for (TensorPlan p : plans) {
                if (p.copied()) continue;
                checkConvertible(in, p, options.allowRequantize());
                float[] imp = imatrix == null ? null : importanceFor(imatrix, p);
                if (imp != null) importance.put(p.name(), imp);
                if (imp == null && (TypePlanner.requiresImatrix(p.name(), p.targetType(), options.type())
                        || Codecs.of(p.targetType()).requiresImportance())) {
                    needImportance.add(p.name());
                    if (options.dryRun()) continue; // llama-quantize's dry run warns instead
                    throw new SquintException("tensor " + p.name() + ": " + p.targetType() + " needs an importance matrix"
                            + (imatrix == null ? "; pass --imatrix FILE" : ", and " + imatrix.file() + " has none for it")
                            + " (or choose another type)");
                }
            }
            Metadata meta = outputMetadata(file.metadata(), options, imatrix);
            GgufPlan.Builder b = GgufPlan.builder().metadata(meta);
            for (TensorPlan p : plans) b.tensor(p.name(), p.targetType(), p.ne());
            GgufPlan plan = b.build();

            long weights = 0, srcBytes = 0, dstBytes = 0;
            for (TensorPlan p : plans) {
                weights += p.elements();
                srcBytes += file.tensorInfo(p.name()).orElseThrow().byteSize();
                dstBytes += p.targetBytes();
            }
            if (options.dryRun()) {
                List<QuantizeReport.TensorResult> results = plans.stream().map(p -> new QuantizeReport.TensorResult(p, null)).toList();
                return new QuantizeReport(in, null, options.type(), true, results, srcBytes, dstBytes, 0, weights,
                        seconds(t0), options.threads(), needImportance);
            }
            listener.started(plans.size(), weights);
            Set<GgmlType> vectorTypes = vectorTypes(plans, vectorMinWeights);
            Map<String, ErrorStats> errors = new HashMap<>();
            Map<String, TensorPlan> byName = new HashMap<>();
            for (TensorPlan p : plans) byName.put(p.name(), p);
            try (FileChannel ch = FileChannel.open(in, StandardOpenOption.READ);
                 RowParallel par = new RowParallel(options.threads());
                 ExecutorService io = Executors.newSingleThreadExecutor(r -> {
                     Thread t = new Thread(r, "squint-quantize-io");
                     t.setDaemon(true);
                     return t;
                 });
                 Arena arena = Arena.ofShared()) {
                Buffers buffers = new Buffers(arena, plans, chunkElements);
                int[] index = {0};
                GgufWriter.write(options.output(), plan, (tensor, sink) -> {
                    TensorPlan p = byName.get(tensor.name());
                    listener.tensor(index[0]++, p);
                    long at = file.dataOffset() + file.tensorInfo(p.name()).orElseThrow().offset();
                    if (p.copied()) copy(ch, at, p, buffers, sink, listener);
                    else errors.put(p.name(), convert(ch, at, p, importance.get(p.name()), vectorTypes, buffers, par, io, sink, listener, chunkElements));
                }, options.imatrix() == null ? List.of(in) : List.of(in, options.imatrix()));
            } catch (IOException e) {
                throw new SquintException(in + ": cannot read: " + e.getMessage(), e);
            }
            List<QuantizeReport.TensorResult> results = plans.stream()
                    .map(p -> new QuantizeReport.TensorResult(p, errors.get(p.name()))).toList();
            long fileBytes;
            try {
                fileBytes = Files.size(options.output());
            } catch (IOException e) {
                fileBytes = plan.fileSize();
            }
            return new QuantizeReport(in, options.output(), options.type(), false, results, srcBytes, dstBytes, fileBytes,
                    weights, seconds(t0), options.threads(), List.of());
        }
    }

    private static double seconds(long t0) { return (System.nanoTime() - t0) / 1e9; }

    /**
     * A llama2.c checkpoint, Hugging Face folder or ONNX export: converted first to a temporary F32 GGUF
     * beside the output (F32 holds F16/BF16/F32 sources exactly, so the result equals convert-then-quantize),
     * then quantized from it; the temporary file is deleted whatever happens.
     */
    private static QuantizeReport quantizeConverted(QuantizeOptions options, Listener listener, int chunkElements, long vectorMinWeights) {
        Path in = options.input();
        if (!Files.exists(in)) throw new SquintException(in + ": no such file or folder");
        Path outDir = (options.output() == null ? in.toAbsolutePath() : options.output().toAbsolutePath()).getParent();
        if (!options.dryRun()) AtomicOutput.refuseOverwritingInput(options.output(), List.of(in));
        Path temp;
        try {
            temp = Files.createTempFile(outDir, ".squint-convert-", ".gguf");
        } catch (IOException e) {
            throw new SquintException(outDir + ": cannot create a temporary file for the conversion: " + e.getMessage(), e);
        }
        try {
            Files.deleteIfExists(temp); // the converter writes it atomically and refuses nothing here
            GgufConverter.convert(ConvertOptions.of(in, temp).withOutType(OutType.F32));
            QuantizeReport r = quantize(new QuantizeOptions(temp, options.output(), options.type(), options.pure(),
                    options.outputTensorType(), options.tokenEmbeddingType(), options.leaveOutputTensor(), options.tensorTypes(),
                    options.imatrix(), options.threads(), options.dryRun(), options.noFallback(), options.allowRequantize()),
                    listener, chunkElements, vectorMinWeights);
            return new QuantizeReport(in, r.output(), r.fileType(), r.dryRun(), r.tensors(), r.sourceBytes(), r.outputBytes(),
                    r.fileBytes(), r.weights(), r.seconds(), r.threads(), r.needImportance());
        } catch (IOException e) {
            throw new SquintException(temp + ": " + e.getMessage(), e);
        } finally {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException ignored) {
                // a leftover hidden temp file is all that remains
            }
        }
    }

    private static boolean isGguf(Path in) {
        if (!Files.isRegularFile(in)) return false;
        try (FileChannel ch = FileChannel.open(in, StandardOpenOption.READ)) {
            ByteBuffer m = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(m, 0);
            return m.position() == 4 && m.getInt(0) == GGUF_MAGIC;
        } catch (IOException e) {
            return false;
        }
    }

    private static void requireGguf(Path in) {
        if (Files.isDirectory(in)) {
            throw new SquintException(in + " is a folder; quantize reads a GGUF file (convert a Hugging Face folder to GGUF first)");
        }
        if (!Files.isRegularFile(in)) throw new SquintException(in + ": no such file");
        try (FileChannel ch = FileChannel.open(in, StandardOpenOption.READ)) {
            ByteBuffer m = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(m, 0);
            if (m.position() < 4 || m.getInt(0) != GGUF_MAGIC) {
                throw new SquintException(in + " is not a GGUF file; quantize reads GGUF (convert llama2.c or Hugging Face "
                        + "models to GGUF first)");
            }
        } catch (IOException e) {
            throw new SquintException(in + ": cannot read: " + e.getMessage(), e);
        }
    }

    private static void checkConvertible(Path in, TensorPlan p, boolean allowRequantize) {
        GgmlType s = p.sourceType();
        boolean floatSource = s == GgmlType.F32 || s == GgmlType.F16 || s == GgmlType.BF16;
        if (!floatSource) {
            boolean quantized = !s.isScalar() && Codecs.find(s).isPresent();
            if (!quantized) {
                throw new SquintException(in + ": tensor " + p.name() + " is " + s + ", which cannot be converted to "
                        + p.targetType() + "; supported source types: F32, F16, BF16 (and quantized types with --allow-requantize)");
            }
            if (!allowRequantize) {
                throw new SquintException(in + ": tensor " + p.name() + " is already " + s + "; requantizing loses quality: "
                        + "pass --allow-requantize to do it anyway, or start from an F32/F16/BF16 model");
            }
        }
        if (!QuantType.quantizable(p.targetType())) {
            throw new SquintException("tensor " + p.name() + ": cannot quantize to " + p.targetType());
        }
    }

    private static float[] importanceFor(Imatrix imatrix, TensorPlan p) {
        float[] v = imatrix.get(p.name()).orElse(null);
        if (v == null) return null;
        long[] ne = p.ne();
        long expected = ne[0] * (ne.length > 2 ? ne[2] : 1);
        if (v.length != expected) {
            if (TypePlanner.category(p.name()) == TypePlanner.Category.TOKEN_EMBD) return null; // llama.cpp ignores it there
            throw new SquintException(imatrix.file() + ": importance for " + p.name() + " has " + v.length
                    + " values, the tensor needs " + expected);
        }
        return v;
    }

    /** The input's metadata with llama-quantize's changes: version and file type moved to the end, split keys dropped, imatrix facts added. */
    static Metadata outputMetadata(Metadata source, QuantizeOptions options, Imatrix imatrix) {
        Metadata.Builder m = source.toBuilder();
        for (String k : List.of("general.quantization_version", "general.file_type", "split.no", "split.count", "split.tensors.count")) {
            m.remove(k);
        }
        m.putU32("general.quantization_version", 2);
        m.putU32("general.file_type", options.type().ftypeId());
        if (imatrix != null) {
            m.remove("quantize.imatrix.file").putString("quantize.imatrix.file", truncate(options.imatrix().toString(), 127));
            if (!imatrix.datasets().isEmpty()) {
                m.remove("quantize.imatrix.dataset").putString("quantize.imatrix.dataset", truncate(imatrix.datasets().getFirst(), 127));
            }
            m.remove("quantize.imatrix.entries_count").putU32("quantize.imatrix.entries_count", imatrix.entryCount());
            if (imatrix.chunkCount() > 0) {
                m.remove("quantize.imatrix.chunks_count").putU32("quantize.imatrix.chunks_count", imatrix.chunkCount());
            }
        }
        return m.build();
    }

    /** llama-quantize keeps string overrides to 127 bytes. */
    private static String truncate(String s, int maxBytes) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        if (b.length <= maxBytes) return s;
        return new String(b, 0, maxBytes, StandardCharsets.UTF_8);
    }

    /** Buffers reused for every tensor, sized for the largest row block. */
    private static final class Buffers {
        /** Two of each: one block is read and one written by the I/O thread while the other is computed. */
        final MemorySegment[] src = new MemorySegment[2];
        final MemorySegment[] dst = new MemorySegment[2];
        final float[] floats;

        Buffers(Arena arena, List<TensorPlan> plans, int chunkElements) {
            long maxSrc = COPY_BYTES, maxDst = 0, maxFloats = 0;
            for (TensorPlan p : plans) {
                if (p.copied()) continue;
                long rows = rowsPerChunk(p, chunkElements);
                long elems = rows * p.rowLength();
                if (elems > Integer.MAX_VALUE - 16) throw new SquintException("tensor " + p.name() + ": rows of " + p.rowLength() + " values are too long");
                maxSrc = Math.max(maxSrc, rows * p.sourceType().bytesFor(p.rowLength()));
                maxDst = Math.max(maxDst, rows * p.targetType().bytesFor(p.rowLength()));
                maxFloats = Math.max(maxFloats, elems);
            }
            for (int i = 0; i < 2; i++) {
                src[i] = arena.allocate(maxSrc, 64);
                dst[i] = arena.allocate(Math.max(1, maxDst), 64);
            }
            floats = new float[(int) maxFloats];
        }
    }

    static long rowsPerChunk(TensorPlan p, int chunkElements) {
        long rows = p.rows();
        return Math.max(1, Math.min(rows, chunkElements / Math.max(1, p.rowLength())));
    }

    private static java.util.concurrent.Callable<Void> readTask(FileChannel ch, long at, MemorySegment into, long n) {
        return () -> {
            read(ch, at, into, n);
            return null;
        };
    }

    private static void await(Future<?> f) throws IOException {
        if (f == null) return;
        try {
            f.get();
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof IOException io) throw io;
            if (c instanceof RuntimeException re) throw re;
            if (c instanceof Error err) throw err;
            throw new IllegalStateException(c);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SquintException("interrupted", e);
        }
    }

    private static void quietly(Future<?> f) {
        if (f == null) return;
        try {
            f.get();
        } catch (ExecutionException | java.util.concurrent.CancellationException e) {
            // the first failure is already on its way up
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void read(FileChannel ch, long at, MemorySegment into, long n) throws IOException {
        ByteBuffer b = into.asSlice(0, n).asByteBuffer();
        while (b.hasRemaining()) {
            int r = ch.read(b, at + b.position());
            if (r < 0) throw new IOException("unexpected end of file at byte " + (at + b.position()));
        }
    }

    private static void copy(FileChannel ch, long at, TensorPlan p, Buffers buf, GgufWriter.TensorSink sink, Listener l) throws IOException {
        long total = p.sourceBytes();
        long step = Math.min(buf.src[0].byteSize(), COPY_BYTES);
        for (long done = 0; done < total; ) {
            long n = Math.min(step, total - done);
            read(ch, at + done, buf.src[0], n);
            sink.write(buf.src[0].asSlice(0, n));
            done += n;
        }
        l.advanced(p.elements());
    }

    /**
     * The types (sources and targets) that get Vector API kernels in this run: those with at least
     * {@code minWeights} weights to convert ({@link RowKernels#VECTOR_MIN_WEIGHTS}; see {@link RowKernels} for why).
     */
    static Set<GgmlType> vectorTypes(List<TensorPlan> plans, long minWeights) {
        Map<GgmlType, Long> weights = new java.util.EnumMap<>(GgmlType.class);
        for (TensorPlan p : plans) {
            if (p.copied()) continue;
            weights.merge(p.targetType(), p.elements(), Long::sum);
            weights.merge(p.sourceType(), p.elements(), Long::sum);
        }
        Set<GgmlType> vector = java.util.EnumSet.noneOf(GgmlType.class);
        weights.forEach((t, w) -> {
            if (w >= minWeights) vector.add(t);
        });
        return vector;
    }

    private static ErrorStats convert(FileChannel ch, long at, TensorPlan p, float[] importance, Set<GgmlType> vectorTypes, Buffers buf, RowParallel par, ExecutorService io,
                                      GgufWriter.TensorSink sink, Listener l, int chunkElements) throws IOException {
        int n = Math.toIntExact(p.rowLength());
        long rows = p.rows();
        long rowsPerExpert = p.ne().length > 1 ? p.ne()[1] : rows;
        long srcRow = p.sourceType().bytesFor(n);
        long dstRow = p.targetType().bytesFor(n);
        int chunkRows = (int) rowsPerChunk(p, chunkElements);
        boolean vector = vectorTypes.contains(p.targetType());
        RowKernels.Dequantize toFloat = p.sourceType() == GgmlType.F32 ? null
                : RowKernels.dequantizer(p.sourceType(), vectorTypes.contains(p.sourceType()));
        RowKernels.Quantize quantize = RowKernels.quantizer(p.targetType(), vector);
        RowKernels.Dequantize back = RowKernels.dequantizer(p.targetType(), vector);
        // the vector sums for types with vector kernels (their warm-up is paid anyway), scalar ones otherwise
        VectorErrorStats vectorTotal = new VectorErrorStats();
        ErrorStats.Accumulator scalarTotal = new ErrorStats.Accumulator();
        float[] floats = buf.floats;
        // The I/O thread reads block k+1 and writes block k-1 while the workers compute block k.
        Future<?> reading = io.submit(readTask(ch, at, buf.src[0], Math.min(chunkRows, rows) * srcRow));
        Future<?>[] writing = new Future<?>[2];
        try {
            int k = 0;
            for (long first = 0; first < rows; first += chunkRows, k++) {
                int cur = k & 1;
                int count = (int) Math.min(chunkRows, rows - first);
                await(reading);
                long next = first + chunkRows;
                reading = next < rows
                        ? io.submit(readTask(ch, at + next * srcRow, buf.src[cur ^ 1], Math.min(chunkRows, rows - next) * srcRow))
                        : null;
                await(writing[cur]);
                MemorySegment src = buf.src[cur], dst = buf.dst[cur];
                long firstRow = first;
                par.forRows(count, (from, to) -> {
                    VectorErrorStats vectorSums = vector ? new VectorErrorStats() : null;
                    ErrorStats.Accumulator scalarSums = vector ? null : new ErrorStats.Accumulator();
                    float[] scratch = new float[n];
                    for (int r = from; r < to; r++) {
                        int off = r * n;
                        if (toFloat == null) MemorySegment.copy(src, F32_LE, r * srcRow, floats, off, n);
                        else toFloat.row(src, r * srcRow, floats, off, n);
                        float[] imp = importance;
                        if (imp != null && importance.length > n) { // one importance vector per expert
                            int expert = (int) ((firstRow + r) / rowsPerExpert);
                            imp = java.util.Arrays.copyOfRange(importance, expert * n, expert * n + n);
                        }
                        quantize.row(floats, off, n, dst, r * dstRow, imp);
                        back.row(dst, r * dstRow, scratch, 0, n);
                        if (vector) vectorSums.add(floats, off, scratch, 0, n);
                        else scalarSums.add(floats, off, scratch, 0, n);
                    }
                    if (vector) {
                        synchronized (vectorTotal) {
                            vectorTotal.merge(vectorSums);
                        }
                    } else {
                        synchronized (scalarTotal) {
                            scalarTotal.merge(scalarSums);
                        }
                    }
                });
                MemorySegment written = dst.asSlice(0, count * dstRow);
                writing[cur] = io.submit(() -> {
                    sink.write(written);
                    return null;
                });
                l.advanced((long) count * n);
            }
            await(writing[0]);
            await(writing[1]);
        } finally {
            // on failure, let queued I/O finish before the buffers can be freed
            quietly(reading);
            quietly(writing[0]);
            quietly(writing[1]);
        }
        return vector ? vectorTotal.result() : scalarTotal.result();
    }
}
