package dev.squint.convert;

import dev.squint.core.GgmlType;
import dev.squint.core.Shape;
import dev.squint.core.codec.BlockCodec;
import dev.squint.core.codec.Codecs;
import dev.squint.core.codec.ErrorStats;
import dev.squint.core.codec.FloatFormats;
import dev.squint.formats.gguf.GgufPlan;
import dev.squint.formats.gguf.GgufTensorInfo;
import dev.squint.formats.gguf.GgufWriter;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Writes a {@link GgufTensorPlan} through {@link GgufWriter}: the header first, then each tensor
 * encoded a slab of rows at a time (about {@value #SLAB_BYTES} bytes of output), so the heap holds
 * one slab and one row whatever the model size. Unchanged tensors (same dtype, rows in order) are
 * copied from the mapping without decoding.
 */
final class GgufEmitter {
    static final int SLAB_BYTES = 4 << 20;

    private GgufEmitter() {}

    static List<ConvertReport.TensorEntry> write(Path target, GgufTensorPlan plan, Collection<Path> inputs, ConvertListener listener) {
        GgufPlan.Builder b = GgufPlan.builder().metadata(plan.metadata());
        Map<String, GgufTensorPlan.Item> byName = new HashMap<>();
        for (GgufTensorPlan.Item it : plan.items()) {
            b.tensor(it.name(), it.type(), it.source().shape());
            byName.put(it.name(), it);
        }
        GgufPlan gguf = b.build();
        Map<String, ErrorStats> errors = new HashMap<>();
        long total = 0;
        for (GgufTensorInfo t : gguf.tensors()) total += t.byteSize();
        listener.started(gguf.tensors().size(), total);
        GgufWriter.write(target, gguf, (info, sink) -> {
            GgufTensorPlan.Item it = byName.get(info.name());
            errors.put(info.name(), encode(it, sink));
            it.source().release();
            listener.tensorWritten(info.name(), info.byteSize());
        }, inputs);
        List<ConvertReport.TensorEntry> out = new ArrayList<>();
        for (GgufTensorPlan.Item it : plan.items()) {
            Shape s = it.source().shape();
            out.add(new ConvertReport.TensorEntry(it.name(), it.sourceName(), it.source().sourceType().name(), it.type().name(),
                    s, it.type().bytesFor(s.elementCount()), it.note(), Optional.ofNullable(errors.get(it.name()))));
        }
        return out;
    }

    /** Writes one tensor; returns the written values' error against the source's (exact for copies). */
    static ErrorStats encode(GgufTensorPlan.Item it, GgufWriter.TensorSink sink) throws IOException {
        SourceTensor src = it.source();
        MemorySegment raw = src.rawBytes();
        if (raw != null && GgufTensorPlan.sameBits(it.type(), src)) {
            sink.write(raw);
            return new ErrorStats(src.shape().elementCount(), 0, 0, Double.POSITIVE_INFINITY, 1);
        }
        Shape shape = src.shape();
        int rowLen = Math.toIntExact(shape.rowLength());
        long rows = shape.rowCount();
        GgmlType type = it.type();
        long rowBytes = type.bytesFor(rowLen);
        int slabRows = (int) Math.max(1, Math.min(rows, SLAB_BYTES / Math.max(1, rowBytes)));
        byte[] slab = new byte[Math.toIntExact(slabRows * rowBytes)];
        MemorySegment slabSeg = MemorySegment.ofArray(slab);
        float[] row = new float[rowLen];
        float[] back = new float[rowLen];
        ErrorStats.Accumulator error = new ErrorStats.Accumulator();
        BlockCodec codec = type.blockSize() > 1 ? Codecs.of(type) : null;
        long r = 0;
        while (r < rows) {
            int n = (int) Math.min(slabRows, rows - r);
            for (int i = 0; i < n; i++) {
                src.readRow(r + i, row);
                long off = i * rowBytes;
                switch (type) {
                    case F32 -> MemorySegment.copy(row, 0, slabSeg, SourceTensor.F32_LE, off, rowLen);
                    case F16 -> FloatFormats.f32ToF16Row(row, 0, slabSeg, off, rowLen);
                    case BF16 -> FloatFormats.f32ToBf16Row(row, 0, slabSeg, off, rowLen);
                    default -> codec.quantizeRow(row, 0, rowLen, slabSeg, off, null);
                }
                switch (type) {
                    case F32 -> System.arraycopy(row, 0, back, 0, rowLen);
                    case F16 -> FloatFormats.f16ToF32Row(slabSeg, off, back, 0, rowLen);
                    case BF16 -> FloatFormats.bf16ToF32Row(slabSeg, off, back, 0, rowLen);
                    default -> codec.dequantizeRow(slabSeg, off, back, 0, rowLen);
                }
                error.add(row, 0, back, 0, rowLen);
            }
            sink.write(slabSeg.asSlice(0, n * rowBytes));
            r += n;
        }
        return error.result();
    }

    static long fileSize(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            return -1;
        }
    }
}
