package dev.squint.formats.gguf;

import dev.squint.core.GgmlType;
import dev.squint.core.MetaValue;
import dev.squint.core.Metadata;
import dev.squint.core.Shape;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Everything about a GGUF file except its tensor bytes: version, metadata (in order, exact value
 * kinds), alignment and the tensor infos with their data offsets. The header is encoded when the
 * plan is built, so {@link #dataOffset()} and {@link #fileSize()} are known before any tensor
 * data is produced; {@link GgufWriter} then streams the data tensor by tensor.
 *
 * <p>Offsets are either all given (to reproduce an existing file, see {@link #of(GgufFile)}) or all
 * computed the way ggml lays tensors out: in order, each padded to the alignment.
 */
public final class GgufPlan {
    private final int version;
    private final Metadata metadata;
    private final int alignment;
    private final List<GgufTensorInfo> tensors;
    private final byte[] header;
    private final long dataOffset;
    private final long dataSectionSize;

    private GgufPlan(int version, Metadata metadata, int alignment, List<GgufTensorInfo> tensors, byte[] header,
                     long dataOffset, long dataSectionSize) {
        this.version = version;
        this.metadata = metadata;
        this.alignment = alignment;
        this.tensors = List.copyOf(tensors);
        this.header = header;
        this.dataOffset = dataOffset;
        this.dataSectionSize = dataSectionSize;
    }

    public static Builder builder() { return new Builder(); }

    /**
     * The plan of an existing file: same version, metadata, tensor order, offsets and data-section
     * length, so writing it with the file's own bytes reproduces the file exactly (padding is
     * written as zeros, as ggml and gguf-py write it).
     */
    public static GgufPlan of(GgufFile file) {
        Builder b = builder().version(file.version()).metadata(file.metadata()).alignment(file.alignment());
        long end = 0;
        for (GgufTensorInfo t : file.tensorInfos()) {
            b.tensorAt(t.name(), t.type(), t.offset(), t.ne());
            end = Math.max(end, t.end());
        }
        return b.dataSectionSize(Math.max(end, file.fileSize() - file.dataOffset())).build();
    }

    public int version() { return version; }

    public Metadata metadata() { return metadata; }

    public int alignment() { return alignment; }

    /** Tensor infos in the order the header lists them, offsets assigned. */
    public List<GgufTensorInfo> tensors() { return tensors; }

    /** Bytes of header, metadata and tensor infos (before the padding to the data section). */
    public int headerSize() { return header.length; }

    /** The encoded header: magic through the last tensor info, before the padding to {@link #dataOffset()} (a copy). */
    public byte[] headerBytes() { return header.clone(); }

    byte[] header() { return header; }

    /** Absolute offset where tensor data starts. */
    public long dataOffset() { return dataOffset; }

    /** Bytes from {@link #dataOffset()} to the end of the file. */
    public long dataSectionSize() { return dataSectionSize; }

    public long fileSize() { return dataOffset + dataSectionSize; }

    /** Builds a plan; every fault is an {@link IllegalArgumentException} naming the tensor or key. */
    public static final class Builder {
        private int version = 3;
        private Metadata metadata = Metadata.empty();
        private Integer alignment;
        private final List<Object[]> pending = new ArrayList<>();
        private Boolean explicitOffsets;
        private long dataSectionSize = -1;

        private Builder() {}

        /** 3 (the default) or 2: the two have the same layout; 2 is kept for round trips of v2 files. */
        public Builder version(int v) {
            if (v != 2 && v != 3) throw new IllegalArgumentException("GGUF version " + v + " cannot be written (2 or 3)");
            this.version = v;
            return this;
        }

        public Builder metadata(Metadata m) { this.metadata = Objects.requireNonNull(m); return this; }

        /**
         * Data alignment (a power of two). If the metadata lacks {@code general.alignment} and this
         * is not the default 32, the key is appended as a u32 so readers see it.
         */
        public Builder alignment(int a) {
            if (a <= 0 || Integer.bitCount(a) != 1) throw new IllegalArgumentException("alignment " + a + " is not a power of two");
            this.alignment = a;
            return this;
        }

        /** Adds a tensor with dimensions innermost first ({@code ne[0]} = row length), placed after the previous one. */
        public Builder tensor(String name, GgmlType type, long... ne) {
            mode(false);
            pending.add(new Object[] {name, type, ne.clone(), -1L});
            return this;
        }

        /** Adds a tensor by its shape outermost first (as safetensors and ONNX give it), placed after the previous one. */
        public Builder tensor(String name, GgmlType type, Shape shape) {
            return tensor(name, type, shape.reversed());
        }

        /** Adds a tensor at a given offset relative to the data section (to reproduce a file's layout). */
        public Builder tensorAt(String name, GgmlType type, long offset, long... ne) {
            mode(true);
            pending.add(new Object[] {name, type, ne.clone(), offset});
            return this;
        }

        /** Length of the data section; by default the end of the last tensor padded to the alignment. */
        public Builder dataSectionSize(long bytes) { this.dataSectionSize = bytes; return this; }

        private void mode(boolean explicit) {
            if (explicitOffsets != null && explicitOffsets != explicit) {
                throw new IllegalArgumentException("give offsets for all tensors or for none");
            }
            explicitOffsets = explicit;
        }

        public GgufPlan build() {
            Metadata meta = metadata;
            int align;
            MetaValue a = meta.get(GgufReader.ALIGNMENT_KEY).orElse(null);
            if (a != null) {
                if (!(a instanceof MetaValue.U32 u) || u.value() <= 0 || Integer.bitCount(u.value()) != 1) {
                    throw new IllegalArgumentException("metadata " + GgufReader.ALIGNMENT_KEY + " must be a u32 power of two, is " + a);
                }
                if (alignment != null && alignment != u.value()) {
                    throw new IllegalArgumentException("alignment " + alignment + " disagrees with metadata "
                            + GgufReader.ALIGNMENT_KEY + " = " + u.value());
                }
                align = u.value();
            } else {
                align = alignment == null ? GgufReader.DEFAULT_ALIGNMENT : alignment;
                if (align != GgufReader.DEFAULT_ALIGNMENT) meta = meta.toBuilder().putU32(GgufReader.ALIGNMENT_KEY, align).build();
            }

            List<GgufTensorInfo> infos = new ArrayList<>(pending.size());
            Set<String> names = new HashSet<>();
            long next = 0;
            for (Object[] p : pending) {
                String name = (String) p[0];
                GgmlType type = (GgmlType) p[1];
                long[] ne = (long[]) p[2];
                long offset = (Long) p[3];
                checkTensor(name, type, ne, names);
                GgufTensorInfo info = new GgufTensorInfo(name, type, ne, offset < 0 ? next : offset);
                if (info.offset() % align != 0) {
                    throw new IllegalArgumentException("tensor " + name + ": offset " + info.offset() + " is not a multiple of the alignment " + align);
                }
                next = GgufReader.alignUp(info.end(), align);
                if (next < 0) throw new IllegalArgumentException("tensor " + name + ": data offsets overflow");
                infos.add(info);
            }
            List<GgufTensorInfo> sorted = new ArrayList<>(infos);
            sorted.removeIf(t -> t.byteSize() == 0);
            sorted.sort(Comparator.comparingLong(GgufTensorInfo::offset));
            long end = 0;
            for (GgufTensorInfo t : sorted) {
                if (t.offset() < end) throw new IllegalArgumentException("tensor " + t.name() + " overlaps the tensor before it");
                end = t.end();
            }
            long paddedEnd = GgufReader.alignUp(end, align);
            long section = dataSectionSize < 0 ? paddedEnd : dataSectionSize;
            if (section < end) {
                throw new IllegalArgumentException("data section of " + section + " bytes cannot hold tensors ending at " + end);
            }
            byte[] header = encodeHeader(version, meta, infos);
            long dataOffset = GgufReader.alignUp(header.length, align);
            return new GgufPlan(version, meta, align, infos, header, dataOffset, section);
        }

        private static void checkTensor(String name, GgmlType type, long[] ne, Set<String> names) {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(type, "type");
            if (name.isEmpty()) throw new IllegalArgumentException("a tensor name is empty");
            if (!names.add(name)) throw new IllegalArgumentException("duplicate tensor name " + name);
            if (type.isRetired()) throw new IllegalArgumentException("tensor " + name + ": " + type + " is retired");
            if (ne.length > GgufReader.MAX_DIMS) {
                throw new IllegalArgumentException("tensor " + name + ": " + ne.length + " dimensions (at most " + GgufReader.MAX_DIMS + ")");
            }
            long n = 1;
            for (long d : ne) {
                if (d < 0) throw new IllegalArgumentException("tensor " + name + ": negative dimension in " + Arrays.toString(ne));
                if (d == 0) continue; // as the reader: the nonzero dimensions' product must fit too
                try {
                    n = Math.multiplyExact(n, d);
                } catch (ArithmeticException e) {
                    throw new IllegalArgumentException("tensor " + name + ": element count of " + Arrays.toString(ne) + " overflows");
                }
            }
            long row = ne.length == 0 ? 1 : ne[0];
            if (row % type.blockSize() != 0) {
                throw new IllegalArgumentException("tensor " + name + ": row length " + row + " is not a multiple of "
                        + type + "'s block size " + type.blockSize());
            }
        }
    }

    // ---- header encoding (layout in GgufReader's class comment)

    private static byte[] encodeHeader(int version, Metadata metadata, List<GgufTensorInfo> tensors) {
        LittleEndianBytes out = new LittleEndianBytes();
        out.u32(GgufReader.MAGIC);
        out.u32(version);
        out.u64(tensors.size());
        out.u64(metadata.size());
        metadata.asMap().forEach((key, value) -> {
            if (key.isEmpty()) throw new IllegalArgumentException("a metadata key is empty");
            out.string(key.getBytes(StandardCharsets.UTF_8));
            out.u32(value.kind().ordinal());
            encodeValue(out, value);
        });
        for (GgufTensorInfo t : tensors) {
            out.string(t.name().getBytes(StandardCharsets.UTF_8));
            long[] ne = t.ne();
            out.u32(ne.length);
            for (long d : ne) out.u64(d);
            out.u32(t.type().id());
            out.u64(t.offset());
        }
        return out.toByteArray();
    }

    private static void encodeValue(LittleEndianBytes out, MetaValue value) {
        switch (value) {
            case MetaValue.U8 v -> out.write(v.value());
            case MetaValue.I8 v -> out.write(v.value());
            case MetaValue.U16 v -> out.u16(v.value());
            case MetaValue.I16 v -> out.u16(v.value());
            case MetaValue.U32 v -> out.u32(v.value());
            case MetaValue.I32 v -> out.u32(v.value());
            case MetaValue.F32 v -> out.u32(Float.floatToRawIntBits(v.value()));
            case MetaValue.Bool v -> out.write(v.value() ? 1 : 0);
            case MetaValue.Str v -> out.string(v.bytes());
            case MetaValue.U64 v -> out.u64(v.value());
            case MetaValue.I64 v -> out.u64(v.value());
            case MetaValue.F64 v -> out.u64(Double.doubleToRawLongBits(v.value()));
            case MetaValue.Array v -> {
                out.u32(v.elementKind().ordinal());
                out.u64(v.size());
                for (MetaValue item : v.items()) encodeValue(out, item);
            }
        }
    }

    private static final class LittleEndianBytes extends ByteArrayOutputStream {
        LittleEndianBytes() { super(4096); }

        void u16(short v) { write(v); write(v >>> 8); }

        void u32(int v) { for (int i = 0; i < 32; i += 8) write(v >>> i); }

        void u64(long v) { for (int i = 0; i < 64; i += 8) write((int) (v >>> i)); }

        void string(byte[] b) { u64(b.length); write(b, 0, b.length); }
    }
}
