package dev.squint.formats.safetensors;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.squint.core.AtomicOutput;
import dev.squint.core.MetaValue;
import dev.squint.core.Metadata;
import dev.squint.core.ScalarType;
import dev.squint.core.Shape;
import dev.squint.core.SquintException;
import dev.squint.core.Tensor;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * Writes safetensors files: one file, or a Hugging Face sharded set
 * ({@code model-00001-of-0000N.safetensors} plus {@code model.safetensors.index.json}, as
 * transformers' {@code save_pretrained} writes them).
 *
 * <p><b>Layout.</b> The JSON header lists {@code __metadata__} first, then the tensors in data
 * order, and is padded with spaces to a multiple of 8 bytes, as the reference crate does, so the
 * data section starts 8-byte aligned.
 *
 * <p><b>Tensor order.</b> With {@link TensorOrder#ALIGNED} (the default) tensors are sorted as the
 * reference crate sorts them: by dtype from the widest alignment down (the crate's dtype order),
 * then by name. Each tensor then starts at a multiple of its element size, so readers may use
 * aligned loads; the file's tensor order is that sorted order, not the caller's. With
 * {@link TensorOrder#AS_GIVEN} the caller's order is kept (data may be unaligned). Either way,
 * reading the file back gives the same names, dtypes, shapes, bytes and {@code __metadata__}.
 *
 * <p><b>Safety.</b> Output goes through {@link AtomicOutput}: written to temp files and renamed
 * into place only when every file of the set is complete; any failure (including a data source
 * that throws or writes the wrong number of bytes) leaves no output file behind. Targets that are
 * inputs are refused before anything is written. Tensor bytes stream one tensor at a time.
 */
public final class SafetensorsWriter {
    private SafetensorsWriter() {}

    /** The name transformers gives a sharded set's index. */
    public static final String INDEX_FILE_NAME = SafetensorsIndex.FILE_NAME;

    public enum TensorOrder { ALIGNED, AS_GIVEN }

    /** Writes a tensor's bytes, exactly {@link Entry#byteSize()} of them, to {@code out}. */
    @FunctionalInterface
    public interface DataSource {
        void writeTo(WritableByteChannel out) throws IOException;
    }

    /** One tensor to write. */
    public record Entry(String name, ScalarType dtype, Shape shape, DataSource data) {
        public Entry {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(dtype, "dtype");
            Objects.requireNonNull(shape, "shape");
            Objects.requireNonNull(data, "data");
            if (dtype.safetensorsName().isEmpty()) {
                throw new SquintException("tensor '" + name + "': safetensors has no " + dtype.name() + " type");
            }
            if (name.equals("__metadata__")) throw new SquintException("'__metadata__' is reserved and cannot name a tensor");
            long bits = Math.multiplyExact(shape.elementCount(), (long) dtype.bits());
            if (bits % 8 != 0) {
                throw new SquintException("tensor '" + name + "': " + shape.elementCount() + " " + dtype.name() + " elements do not fill whole bytes");
            }
        }

        public long byteSize() { return shape.elementCount() * dtype.bits() / 8; }

        /** A tensor whose bytes are in {@code bytes} (its size must match dtype and shape). */
        public static Entry of(String name, ScalarType dtype, Shape shape, MemorySegment bytes) {
            Entry e = new Entry(name, dtype, shape, out -> writeSegment(bytes, out));
            if (bytes.byteSize() != e.byteSize()) {
                throw new SquintException("tensor '" + name + "': " + bytes.byteSize() + " bytes given, " + dtype.name()
                        + " " + shape + " needs " + e.byteSize());
            }
            return e;
        }

        /** A tensor of an opened model; its dtype must be a scalar type safetensors has. */
        public static Entry of(Tensor t) {
            if (!(t.dtype() instanceof ScalarType st)) {
                throw new SquintException("tensor '" + t.name() + "': safetensors cannot hold " + t.dtype().name() + "; dequantize it first");
            }
            return of(t.name(), st, t.shape(), t.data());
        }
    }

    /**
     * @param metadata the {@code __metadata__} strings (every value must be a string)
     * @param inputs   files or folders the output must not replace
     */
    public record Options(Metadata metadata, TensorOrder order, Collection<Path> inputs) {
        public Options {
            Objects.requireNonNull(metadata, "metadata");
            Objects.requireNonNull(order, "order");
            inputs = List.copyOf(inputs);
        }

        public static Options defaults() { return new Options(Metadata.empty(), TensorOrder.ALIGNED, List.of()); }

        public Options withMetadata(Metadata m) { return new Options(m, order, inputs); }

        public Options withMetadata(Map<String, String> m) {
            Metadata.Builder b = Metadata.builder();
            m.forEach(b::putString);
            return withMetadata(b.build());
        }

        public Options withOrder(TensorOrder o) { return new Options(metadata, o, inputs); }

        public Options withInputs(Collection<Path> in) { return new Options(metadata, order, in); }
    }

    /** Writes {@code tensors} to one safetensors file, with no metadata, in the crate's aligned order. */
    public static void write(Path file, List<Entry> tensors) {
        write(file, tensors, Options.defaults());
    }

    /** Writes {@code tensors} to one safetensors file. */
    public static void write(Path file, List<Entry> tensors, Options options) {
        Map<String, String> meta = metadataStrings(options.metadata());
        checkNames(tensors);
        AtomicOutput.refuseOverwritingInput(file, options.inputs());
        try (AtomicOutput out = AtomicOutput.create(file, options.inputs())) {
            writeShard(out, order(tensors, options.order()), meta);
            out.commit();
        }
    }

    /**
     * Writes {@code tensors} into {@code dir} as transformers does: tensors are taken in the given
     * order and a new shard starts whenever the next tensor would push the current one past
     * {@code maxShardBytes} (a tensor larger than that gets a shard of its own, emitted at once while the open shard keeps filling, as huggingface_hub splits). One shard is
     * written as {@code model.safetensors} with no index; several as
     * {@code model-0000i-of-0000N.safetensors} plus {@code model.safetensors.index.json}
     * ({@code metadata.total_size} = tensor bytes, {@code weight_map} sorted by name). Shard files
     * of an earlier save that this one does not replace (and a stale index) are removed after the
     * new set is in place, unless they are inputs.
     *
     * @return the files written, shards first, then the index if any
     */
    public static List<Path> writeSharded(Path dir, List<Entry> tensors, long maxShardBytes, Options options) {
        if (maxShardBytes <= 0) throw new SquintException("maximum shard size must be positive, got " + maxShardBytes);
        Map<String, String> meta = metadataStrings(options.metadata());
        checkNames(tensors);
        List<List<Entry>> shards = split(tensors, maxShardBytes);
        int n = shards.size();
        List<Path> targets = new ArrayList<>();
        for (int i = 0; i < n; i++) targets.add(dir.resolve(n == 1 ? "model.safetensors" : shardName(i + 1, n)));
        Path indexPath = dir.resolve(INDEX_FILE_NAME);
        for (Path t : targets) AtomicOutput.refuseOverwritingInput(t, options.inputs());
        if (n > 1) AtomicOutput.refuseOverwritingInput(indexPath, options.inputs());

        List<AtomicOutput> outputs = new ArrayList<>();
        List<Path> committed = new ArrayList<>();
        boolean done = false;
        try {
            Map<String, String> weightMap = new TreeMap<>();
            long totalSize = 0;
            for (int i = 0; i < n; i++) {
                AtomicOutput out = AtomicOutput.create(targets.get(i), options.inputs());
                outputs.add(out);
                writeShard(out, order(shards.get(i), options.order()), meta);
                for (Entry e : shards.get(i)) {
                    weightMap.put(e.name(), targets.get(i).getFileName().toString());
                    totalSize += e.byteSize();
                }
            }
            if (n > 1) {
                AtomicOutput index = AtomicOutput.create(indexPath, options.inputs());
                outputs.add(index);
                index.stream().write(indexJson(totalSize, weightMap));
            }
            // Every file is complete in its temp; only now does any of them take its real name.
            for (AtomicOutput out : outputs) {
                out.commit();
                committed.add(out.target());
            }
            done = true;
        } catch (IOException e) {
            throw new SquintException(dir + ": cannot write: " + e.getMessage() + "; nothing was written", e);
        } finally {
            for (AtomicOutput out : outputs) out.close();
            if (!done) {
                // A rename failed part-way: take back the files already renamed so no partial set remains.
                for (Path p : committed) {
                    try { Files.deleteIfExists(p); } catch (IOException ignored) { /* best effort */ }
                }
            }
        }
        List<Path> written = new ArrayList<>(targets);
        if (n > 1) written.add(indexPath.toAbsolutePath());
        removeStale(dir, written, n == 1 ? indexPath : null, options.inputs());
        return written;
    }

    /** transformers' shard file name. */
    public static String shardName(int index, int count) {
        return String.format("model-%05d-of-%05d.safetensors", index, count);
    }

    static List<List<Entry>> split(List<Entry> tensors, long maxShardBytes) {
        List<List<Entry>> shards = new ArrayList<>();
        List<Entry> current = new ArrayList<>();
        long currentSize = 0;
        for (Entry e : tensors) {
            long size = e.byteSize();
            if (size > maxShardBytes) {
                shards.add(List.of(e));
                continue;
            }
            if (!current.isEmpty() && currentSize + size > maxShardBytes) {
                shards.add(current);
                current = new ArrayList<>();
                currentSize = 0;
            }
            current.add(e);
            currentSize += size;
        }
        if (!current.isEmpty() || shards.isEmpty()) shards.add(current);
        return shards;
    }

    /** The reference crate's dtype order, narrowest alignment first. */
    private static final List<ScalarType> CRATE_DTYPE_ORDER = List.of(
            ScalarType.BOOL, ScalarType.F4_E2M1, ScalarType.U8, ScalarType.I8, ScalarType.F8_E5M2, ScalarType.F8_E4M3FN,
            ScalarType.F8_E8M0, ScalarType.I16, ScalarType.U16, ScalarType.F16, ScalarType.BF16, ScalarType.I32,
            ScalarType.U32, ScalarType.F32, ScalarType.C64, ScalarType.F64, ScalarType.I64, ScalarType.U64);

    private static List<Entry> order(List<Entry> tensors, TensorOrder order) {
        if (order == TensorOrder.AS_GIVEN) return tensors;
        List<Entry> sorted = new ArrayList<>(tensors);
        sorted.sort(Comparator.<Entry>comparingInt(e -> -CRATE_DTYPE_ORDER.indexOf(e.dtype())).thenComparing(Entry::name));
        return sorted;
    }

    private static void checkNames(List<Entry> tensors) {
        Set<String> names = new HashSet<>();
        for (Entry e : tensors) {
            if (!names.add(e.name())) throw new SquintException("tensor '" + e.name() + "' is given twice");
        }
    }

    private static Map<String, String> metadataStrings(Metadata metadata) {
        Map<String, String> out = new LinkedHashMap<>();
        for (var e : metadata.asMap().entrySet()) {
            if (!(e.getValue() instanceof MetaValue.Str s)) {
                throw new SquintException("safetensors __metadata__ holds only strings; key '" + e.getKey() + "' is " + e.getValue().kind());
            }
            out.put(e.getKey(), s.text());
        }
        return out;
    }

    private static void writeShard(AtomicOutput out, List<Entry> tensors, Map<String, String> meta) {
        FileChannel ch = out.channel();
        try {
            byte[] header = header(tensors, meta);
            ByteBuffer prefix = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).flip();
            writeFully(ch, prefix);
            writeFully(ch, ByteBuffer.wrap(header));
            for (Entry e : tensors) {
                CountingChannel counted = new CountingChannel(ch, e.byteSize(), e.name());
                e.data().writeTo(counted);
                if (counted.written != e.byteSize()) {
                    throw new SquintException("tensor '" + e.name() + "': its data source wrote " + counted.written
                            + " bytes, " + e.byteSize() + " expected; nothing was written");
                }
            }
        } catch (IOException e) {
            throw new SquintException(out.target() + ": cannot write: " + e.getMessage() + " (check free disk space); nothing was written", e);
        }
    }

    private static final JsonFactory JSON = new JsonFactory();

    /**
     * The first bytes of a file holding {@code tensors} laid out in the given order: the 8-byte
     * length and the padded JSON header. For tools that place the data themselves (e.g. a sparse
     * benchmark file whose data section is a hole); the data section that follows must hold
     * exactly the tensors' bytes, in this order.
     */
    public static byte[] fileHeader(List<Entry> tensors, Metadata metadata) {
        checkNames(tensors);
        try {
            byte[] json = header(tensors, metadataStrings(metadata));
            return ByteBuffer.allocate(8 + json.length).order(ByteOrder.LITTLE_ENDIAN).putLong(json.length).put(json).array();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static byte[] header(List<Entry> tensors, Map<String, String> meta) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try (JsonGenerator g = JSON.createGenerator(buf)) {
            g.writeStartObject();
            if (!meta.isEmpty()) {
                g.writeObjectFieldStart("__metadata__");
                for (var e : meta.entrySet()) g.writeStringField(e.getKey(), e.getValue());
                g.writeEndObject();
            }
            long offset = 0;
            for (Entry e : tensors) {
                g.writeObjectFieldStart(e.name());
                g.writeStringField("dtype", e.dtype().safetensorsName().orElseThrow());
                g.writeArrayFieldStart("shape");
                for (long d : e.shape().dims()) g.writeNumber(d);
                g.writeEndArray();
                g.writeArrayFieldStart("data_offsets");
                g.writeNumber(offset);
                g.writeNumber(offset + e.byteSize());
                g.writeEndArray();
                g.writeEndObject();
                offset += e.byteSize();
            }
            g.writeEndObject();
        }
        int pad = (8 - buf.size() % 8) % 8;
        for (int i = 0; i < pad; i++) buf.write(' ');
        return buf.toByteArray();
    }

    /**
     * The index exactly as transformers writes it: {@code json.dumps(index, indent=2,
     * sort_keys=True) + "\n"} (two-space indent, ", " / ": " separators, non-ASCII escaped).
     */
    static byte[] indexJson(long totalSize, Map<String, String> weightMap) throws IOException {
        StringBuilder sb = new StringBuilder();
        sb.append("{\n  \"metadata\": {\n    \"total_size\": ").append(totalSize).append("\n  },\n  \"weight_map\": {");
        boolean first = true;
        for (var e : new TreeMap<>(weightMap).entrySet()) {
            sb.append(first ? "\n" : ",\n").append("    ").append(pythonJsonString(e.getKey())).append(": ").append(pythonJsonString(e.getValue()));
            first = false;
        }
        sb.append(first ? "}" : "\n  }").append("\n}\n");
        return sb.toString().getBytes(StandardCharsets.US_ASCII);
    }

    /** A JSON string as Python's json.dumps writes it with ensure_ascii (the default). */
    private static String pythonJsonString(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    if (c < 0x20 || c > 0x7e) sb.append(String.format("\\u%04x", (int) c));
                    else sb.append(c);
                }
            }
        }
        return sb.append('"').toString();
    }

    private static void removeStale(Path dir, List<Path> written, Path staleIndex, Collection<Path> inputs) {
        Set<Path> keep = new HashSet<>();
        for (Path p : written) keep.add(p.toAbsolutePath().normalize());
        List<Path> stale = new ArrayList<>();
        if (staleIndex != null && Files.exists(staleIndex)) stale.add(staleIndex);
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "model-[0-9][0-9][0-9][0-9][0-9]-of-[0-9][0-9][0-9][0-9][0-9].safetensors")) {
            for (Path p : ds) if (!keep.contains(p.toAbsolutePath().normalize())) stale.add(p);
        } catch (IOException e) {
            return; // leftovers of an earlier save are harmless next to a fresh index
        }
        for (Path p : stale) {
            try {
                AtomicOutput.refuseOverwritingInput(p, inputs);
                Files.deleteIfExists(p);
            } catch (SquintException | IOException ignored) {
                // an input, or not removable: leave it
            }
        }
    }

    static void writeSegment(MemorySegment bytes, WritableByteChannel out) throws IOException {
        final long chunk = 1L << 28;
        for (long off = 0; off < bytes.byteSize(); off += chunk) {
            long len = Math.min(chunk, bytes.byteSize() - off);
            writeFully(out, bytes.asSlice(off, len).asByteBuffer());
        }
    }

    private static void writeFully(WritableByteChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) ch.write(b);
    }

    /** Passes writes through, counting them and refusing any byte past the tensor's size. */
    private static final class CountingChannel implements WritableByteChannel {
        private final WritableByteChannel target;
        private final long limit;
        private final String tensor;
        long written;

        CountingChannel(WritableByteChannel target, long limit, String tensor) {
            this.target = target;
            this.limit = limit;
            this.tensor = tensor;
        }

        @Override public int write(ByteBuffer src) throws IOException {
            if (written + src.remaining() > limit) {
                throw new SquintException("tensor '" + tensor + "': its data source wrote more than its " + limit + " bytes; nothing was written");
            }
            int n = target.write(src);
            written += n;
            return n;
        }

        @Override public boolean isOpen() { return target.isOpen(); }

        @Override public void close() { /* the shard's channel outlives each tensor */ }
    }
}
