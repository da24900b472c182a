package dev.squint.formats.onnx;

import com.google.protobuf.UnknownFieldSet;
import dev.squint.core.AtomicOutput;
import dev.squint.core.SquintException;
import dev.squint.core.TensorInfo;
import dev.squint.formats.onnx.proto.ModelProto;
import dev.squint.formats.onnx.proto.StringStringEntryProto;
import dev.squint.formats.onnx.proto.TensorProto;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Writes ONNX models: a {@link ModelProto} whose tensor bytes come from {@code MemorySegment}s, each
 * tensor either inline ({@code raw_data}) or in one external data file beside the model.
 *
 * <p>Tensor bytes are streamed from their segments to the file channel; neither the serialized model
 * nor any tensor is assembled on the heap. (Wrapping a segment in a {@code ByteString} would not
 * avoid the copy: protobuf-java 4.x copies direct buffers it wraps, see {@link OnnxWire}.)
 *
 * <p>External data follows the ONNX convention: {@code data_location = EXTERNAL} and
 * {@code external_data} entries {@code location} (a file name in the model's folder),
 * {@code offset} (aligned, 4096 by default, so the data can be mapped) and {@code length}. Tensors of
 * at least {@link Options#externalThreshold()} bytes go external; when the inline total would pass
 * protobuf's 2 GiB message limit, the largest remaining tensors go external too.
 *
 * <p>Both files are written through {@link AtomicOutput}: they appear whole or not at all, and
 * neither may replace one of the inputs. The data file is committed first; if the model then fails,
 * the data file is removed again.
 */
public final class OnnxWriter {
    private OnnxWriter() {}

    /** Protobuf's limit on one message: the .onnx file. */
    static final long MAX_MODEL_BYTES = Integer.MAX_VALUE;

    /**
     * Where tensor bytes come from.
     */
    @FunctionalInterface
    public interface TensorData {
        /**
         * The bytes of {@code tensor} (its whole fixed-width little-endian payload), or null if the
         * tensor holds its values itself (inline raw_data, typed lists, no data).
         */
        MemorySegment bytesOf(TensorProto tensor);
    }

    /**
     * @param externalThreshold tensors of at least this many bytes go to the external data file;
     *                          {@link Long#MAX_VALUE} keeps everything inline unless the 2 GiB limit forces otherwise
     * @param dataFileName      the external data file's name, in the model's folder; null means
     *                          {@code <model file name>.data}
     * @param alignment         offsets of external tensors are multiples of this (a power of two)
     */
    public record Options(long externalThreshold, String dataFileName, long alignment) {
        public Options {
            if (externalThreshold < 0) throw new IllegalArgumentException("negative external threshold");
            if (alignment <= 0 || Long.bitCount(alignment) != 1) throw new IllegalArgumentException("alignment must be a power of two");
            if (dataFileName != null && (dataFileName.isEmpty() || dataFileName.contains("/") || dataFileName.contains("\\")
                    || dataFileName.equals("..") || dataFileName.equals("."))) {
                throw new IllegalArgumentException("data file name must be a plain file name: '" + dataFileName + "'");
            }
        }

        /** Everything inline (up to the 2 GiB limit). */
        public static Options inline() { return new Options(Long.MAX_VALUE, null, 4096); }

        /** Tensors of at least {@code thresholdBytes} external. */
        public static Options external(long thresholdBytes) { return new Options(thresholdBytes, null, 4096); }

        public Options withDataFileName(String name) { return new Options(externalThreshold, name, alignment); }

        public Options withAlignment(long bytes) { return new Options(externalThreshold, dataFileName, bytes); }
    }

    /** What was written. */
    public record Result(Path model, Optional<Path> dataFile, long modelBytes, int inlineTensors, int externalTensors,
                         long externalBytes) {}

    /** Writes {@code model} (its current proto and bytes) to {@code out}. */
    public static Result write(OnnxModel model, Path out, Options options) {
        return write(model.proto(), model.tensorData(), out, options, model.files());
    }

    /**
     * Writes {@code proto} to {@code out}, taking tensor bytes from {@code data}.
     *
     * @param inputs files the outputs must not replace (e.g. {@link OnnxModel#files()})
     * @throws SquintException if a tensor's bytes are missing or do not match its type and shape, the
     *                         model cannot fit 2 GiB, an output would replace an input, or writing fails
     */
    public static Result write(ModelProto proto, TensorData data, Path out, Options options, Collection<Path> inputs) {
        return write(proto, data, out, options, inputs, MAX_MODEL_BYTES);
    }

    /** As above with a lower limit on the .onnx file, so that tests can reach it. */
    static Result write(ModelProto proto, TensorData data, Path out, Options options, Collection<Path> inputs, long maxModelBytes) {
        Path dataPath = out.toAbsolutePath().resolveSibling(options.dataFileName() != null ? options.dataFileName()
                : out.getFileName() + ".data");
        if (dataPath.equals(out.toAbsolutePath())) throw new SquintException(out + ": the data file cannot be the model file");
        AtomicOutput.refuseOverwritingInput(out, inputs);

        // 1. Every tensor with a payload, and where it goes.
        Map<TensorProto, Placement> placements = new IdentityHashMap<>();
        List<Placement> order = new ArrayList<>();
        OnnxTrees.mapTensors(proto, (t, where) -> {
            if (placements.containsKey(t)) return t;
            MemorySegment bytes = payload(t, data, where);
            if (bytes != null) {
                Placement p = new Placement(bytes);
                p.external = bytes.byteSize() >= options.externalThreshold();
                placements.put(t, p);
                order.add(p);
            }
            return t;
        });
        forceUnderLimit(proto, order, maxModelBytes);

        // 2. The proto with references for inline payloads and external_data for the others.
        List<MemorySegment> inline = new ArrayList<>();
        List<Placement> external = new ArrayList<>();
        long dataEnd = 0;
        for (Placement p : order) {
            if (p.external) {
                p.offset = alignUp(dataEnd, options.alignment());
                dataEnd = p.offset + p.bytes.byteSize();
                external.add(p);
            } else {
                p.reference = inline.size();
                inline.add(p.bytes);
            }
        }
        String location = dataPath.getFileName().toString();
        ModelProto rewritten = OnnxTrees.mapTensors(proto, (t, where) -> {
            Placement p = placements.get(t);
            if (p == null) return t;
            TensorProto.Builder b = t.toBuilder().clearRawData().clearExternalData().clearDataLocation();
            UnknownFieldSet.Builder unknown = UnknownFieldSet.newBuilder().mergeFrom(t.getUnknownFields());
            unknown.clearField(OnnxWire.PAYLOAD_REF_FIELD);
            if (p.external) {
                b.setDataLocation(TensorProto.DataLocation.EXTERNAL)
                        .addExternalData(entry("location", location))
                        .addExternalData(entry("offset", Long.toString(p.offset)))
                        .addExternalData(entry("length", Long.toString(p.bytes.byteSize())));
            } else {
                unknown.addField(OnnxWire.PAYLOAD_REF_FIELD, UnknownFieldSet.Field.newBuilder().addVarint(p.reference).build());
            }
            return b.setUnknownFields(unknown.build()).build();
        });
        if (rewritten.getSerializedSize() < 0) throw new SquintException(out + ": the model's structure alone exceeds 2 GiB");
        OnnxWire.Chunks chunks;
        try {
            chunks = OnnxWire.expand(rewritten.toByteArray(), inline);
        } catch (OnnxWire.WireException e) {
            throw new IllegalStateException("the writer's own serialization is malformed: " + e.getMessage(), e);
        }
        if (chunks.size > maxModelBytes) {
            throw new SquintException(out + ": the model needs " + chunks.size + " bytes inline, more than protobuf's 2 GiB; "
                    + "lower the external-data threshold");
        }

        // 3. The files: data first, then the model.
        boolean dataWritten = false;
        try {
            if (!external.isEmpty()) {
                try (AtomicOutput dataOut = AtomicOutput.create(dataPath, inputs)) {
                    FileChannel ch = dataOut.channel();
                    long at = 0;
                    for (Placement p : external) {
                        if (p.offset > at) writeZeros(ch, p.offset - at);
                        OnnxWire.writeFully(ch, p.bytes, 0, p.bytes.byteSize());
                        at = p.offset + p.bytes.byteSize();
                    }
                    dataOut.commit();
                    dataWritten = true;
                }
            }
            try (AtomicOutput modelOut = AtomicOutput.create(out, inputs)) {
                chunks.writeTo(modelOut.channel());
                modelOut.commit();
            }
        } catch (IOException e) {
            removeData(dataWritten, dataPath);
            throw new SquintException(out + ": cannot write: " + e.getMessage() + "; nothing was written", e);
        } catch (RuntimeException | Error e) {
            removeData(dataWritten, dataPath);
            throw e;
        }
        return new Result(out, external.isEmpty() ? Optional.empty() : Optional.of(dataPath), chunks.size, inline.size(),
                external.size(), dataEnd);
    }

    /** Where one payload goes. */
    private static final class Placement {
        final MemorySegment bytes;
        boolean external;
        long offset;
        int reference;

        Placement(MemorySegment bytes) { this.bytes = bytes; }
    }

    private static MemorySegment payload(TensorProto t, TensorData data, String where) {
        MemorySegment bytes = data.bytesOf(t);
        if (bytes == null && t.hasRawData()) bytes = MemorySegment.ofBuffer(t.getRawData().asReadOnlyByteBuffer());
        boolean external = t.hasDataLocation() && t.getDataLocation() == TensorProto.DataLocation.EXTERNAL;
        if (bytes == null && (external || t.getUnknownFields().hasField(OnnxWire.PAYLOAD_REF_FIELD))) {
            throw new SquintException(where + ": its bytes live in another model's files and were not provided");
        }
        if (bytes == null) return null;
        TensorInfo info;
        try {
            info = OnnxTensorData.info(t);
        } catch (IllegalArgumentException e) {
            throw new SquintException(where + " " + e.getMessage());
        }
        if (!OnnxTensorData.isDense(info.dtype())) throw new SquintException(where + ": string tensors keep their values in string_data");
        if (info.byteSize() != bytes.byteSize()) {
            throw new SquintException(where + ": " + bytes.byteSize() + " bytes given, its shape " + info.shape()
                    + " of " + info.dtype() + " needs " + info.byteSize());
        }
        return bytes;
    }

    /** Moves the largest inline payloads external while the inline total would pass 2 GiB. */
    private static void forceUnderLimit(ModelProto proto, List<Placement> order, long maxModelBytes) {
        long inline = proto.getSerializedSize();
        for (Placement p : order) if (!p.external) inline += p.bytes.byteSize() + 16;
        // A margin for length prefixes and references that the estimate leaves out.
        long budget = maxModelBytes - Math.min(64L << 20, maxModelBytes / 4);
        if (inline <= budget) return;
        List<Placement> bySize = new ArrayList<>(order.stream().filter(p -> !p.external).toList());
        bySize.sort(Comparator.comparingLong((Placement p) -> p.bytes.byteSize()).reversed());
        for (Placement p : bySize) {
            if (inline <= budget) break;
            p.external = true;
            inline -= p.bytes.byteSize();
        }
    }

    private static StringStringEntryProto entry(String key, String value) {
        return StringStringEntryProto.newBuilder().setKey(key).setValue(value).build();
    }

    private static long alignUp(long v, long alignment) {
        return (v + alignment - 1) & -alignment;
    }

    private static void writeZeros(FileChannel ch, long n) throws IOException {
        ByteBuffer zeros = ByteBuffer.allocate((int) Math.min(n, 1 << 16));
        while (n > 0) {
            zeros.clear().limit((int) Math.min(n, zeros.capacity()));
            while (zeros.hasRemaining()) n -= ch.write(zeros);
        }
    }

    private static void removeData(boolean written, Path dataPath) {
        if (!written) return;
        try {
            Files.deleteIfExists(dataPath);
        } catch (IOException ignored) {
            // the model file was not written; a stray data file is all that can remain
        }
    }
}
