package dev.squint.formats.gguf;

import dev.squint.core.GgmlType;
import dev.squint.core.MappedFile;
import dev.squint.core.MetaValue;
import dev.squint.core.Metadata;
import dev.squint.core.ModelFormatException;
import dev.squint.core.Tensor;

import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Set;

/**
 * Reads GGUF v2 and v3 files (little-endian). The file is mapped once; tensors are slices of the
 * mapping, so no tensor data is copied.
 *
 * <p>Layout (all integers little-endian):
 * <pre>
 *   magic "GGUF" | u32 version | i64 tensor_count | i64 kv_count
 *   kv_count x   { string key | u32 value_type | value }
 *   tensor_count x { string name | u32 n_dims | i64 ne[n_dims] | u32 ggml_type | u64 offset }
 *   zero padding to general.alignment (u32, default 32)
 *   data section: each tensor at data_start + offset (offset a multiple of the alignment)
 * string = u64 byte length + bytes (no terminator); array = u32 element_type + u64 count + elements
 * </pre>
 *
 * <p>Every count, length, offset and shape is checked against the bytes the file has before any
 * allocation depends on it, following the checks of ggml's gguf.cpp; each fault is one
 * {@link ModelFormatException} naming the key or tensor. Where this reader differs from gguf.cpp:
 * <ul>
 *   <li>more lenient: tensors need not be packed in order (any aligned, in-file, non-overlapping
 *       placement is accepted, and the last tensor needs no trailing padding); arrays of arrays are
 *       read (the GGUF spec allows them) to a nesting depth of {@value #MAX_ARRAY_DEPTH}; tensor
 *       names are not limited to ggml's 63 bytes;</li>
 *   <li>stricter, so that what is read can be written back byte for byte: keys and tensor names
 *       must be valid UTF-8, bools must be 0 or 1, tensor names must not be empty; and the
 *       header's heap is capped ({@link #MAX_HEADER_HEAP}).</li>
 * </ul>
 */
public final class GgufReader {
    static final int MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
    static final int DEFAULT_ALIGNMENT = 32;
    static final String ALIGNMENT_KEY = "general.alignment";
    static final int MAX_DIMS = 4;
    /** Arrays nested deeper than this are refused (bounds recursion on hostile input). */
    static final int MAX_ARRAY_DEPTH = 8;
    /**
     * Metadata and tensor infos are copied onto the heap (they are small in real files: a
     * 256k-token vocabulary costs about 30 MB), so their estimated heap cost is capped
     * independently of the file size, and charged before each allocation, so that a hostile file
     * cannot exhaust the heap with values that each take only a few bytes of file.
     */
    static final long MAX_HEADER_HEAP = 256L << 20;
    /** Estimated heap bytes of one scalar value in a list, of a string beyond its bytes, of a tensor info beyond its name. */
    private static final long VALUE_COST = 24, STRING_COST = 48, TENSOR_COST = 160;

    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private static final MetaValue.Kind[] KINDS = MetaValue.Kind.values();

    private GgufReader() {}

    /**
     * Opens and validates a GGUF file.
     *
     * @throws ModelFormatException if the file is not a valid GGUF v2/v3 file (one line naming the fault)
     */
    public static GgufFile open(Path path) {
        if (!Files.isRegularFile(path)) throw new ModelFormatException(path, "not a regular file");
        MappedFile mapped;
        try {
            mapped = MappedFile.open(path);
        } catch (UncheckedIOException e) {
            throw new ModelFormatException(path, "cannot map the file: " + e.getCause().getMessage(), e);
        }
        try {
            return new GgufReader.Parser(path, mapped).parse();
        } catch (RuntimeException e) {
            mapped.close();
            throw e;
        }
    }

    /** Rounds {@code n} up to a multiple of {@code alignment} (a power of two); -1 on overflow. */
    static long alignUp(long n, long alignment) {
        long r = n + alignment - 1;
        return r < 0 ? -1 : r & -alignment;
    }

    private static final class Parser {
        private final Path path;
        private final MappedFile mapped;
        private final MemorySegment seg;
        private final long size;
        private long pos;
        private long heapCharged;

        Parser(Path path, MappedFile mapped) {
            this.path = path;
            this.mapped = mapped;
            this.seg = mapped.segment();
            this.size = mapped.size();
        }

        private ModelFormatException fault(String message) {
            return new ModelFormatException(path, message);
        }

        private long left() { return size - pos; }

        private void need(long n, String what) { need(n, what, null); }

        /** The fault names {@code what}, and the key when there is one (joined only on failure: values are many). */
        private void need(long n, String what, String key) {
            if (n > left()) {
                throw fault("truncated: " + what + (key == null ? "" : " of key '" + key + "'") + " needs " + n
                        + " bytes at offset " + pos + " but the file ends at " + size);
            }
        }

        private byte i8(String what) { return i8(what, null); }
        private int i32(String what) { return i32(what, null); }
        private long i64(String what) { return i64(what, null); }
        private byte i8(String what, String key) { need(1, what, key); return seg.get(ValueLayout.JAVA_BYTE, pos++); }
        private short i16(String what, String key) { need(2, what, key); short v = seg.get(U16, pos); pos += 2; return v; }
        private int i32(String what, String key) { need(4, what, key); int v = seg.get(U32, pos); pos += 4; return v; }
        private long i64(String what, String key) { need(8, what, key); long v = seg.get(U64, pos); pos += 8; return v; }

        /** Accounts for heap the header will take; refuses before the allocation that would exceed the cap. */
        private void charge(long bytes, String what) { charge(bytes, what, null); }

        private void charge(long bytes, String what, String key) {
            heapCharged += bytes;
            if (heapCharged > MAX_HEADER_HEAP) {
                throw fault(what + (key == null ? "" : " of key '" + key + "'") + ": metadata and tensor infos would take more than squint's limit of "
                        + (MAX_HEADER_HEAP >> 20) + " MiB of heap");
            }
        }

        private byte[] bytes(String what) { return bytes(what, null); }

        private byte[] bytes(String what, String key) {
            long len = i64(what + " length", key);
            if (len < 0 || len > left()) {
                throw fault(what + (key == null ? "" : " of key '" + key + "'") + ": length " + Long.toUnsignedString(len)
                        + " runs past the end of the file (" + left() + " bytes left at offset " + pos + ")");
            }
            charge(STRING_COST + len, what, key);
            byte[] b = new byte[(int) len]; // len <= MAX_HEADER_HEAP < 2^31 after charge()
            MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, pos, b, 0, b.length);
            pos += len;
            return b;
        }

        private String utf8(String what) {
            byte[] b = bytes(what);
            try {
                return StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(b)).toString();
            } catch (CharacterCodingException e) {
                throw fault(what + " is not valid UTF-8");
            }
        }

        GgufFile parse() {
            // header
            need(4, "the magic");
            int magic = seg.get(U32, 0);
            if (magic == Integer.reverseBytes(MAGIC)) {
                throw fault("big-endian GGUF is not supported; convert it to little-endian (gguf-py's gguf_convert_endian.py)");
            }
            if (magic != MAGIC) {
                throw fault("not a GGUF file: magic bytes are " + printable(seg.asSlice(0, 4)) + ", expected 'GGUF'");
            }
            pos = 4;
            int version = i32("the version");
            if (version != 0 && (version & 0xFFFF) == 0) {
                throw fault("GGUF version " + Integer.toUnsignedString(version)
                        + " looks byte-swapped: big-endian GGUF is not supported");
            }
            if (version == 1) throw fault("GGUF v1 is not supported (re-convert the model with a current llama.cpp)");
            if (version != 2 && version != 3) {
                throw fault("unknown GGUF version " + Integer.toUnsignedString(version) + " (squint reads v2 and v3)");
            }
            long nTensors = i64("the tensor count");
            long nKv = i64("the metadata count");
            // smallest possible entries: a tensor info is name length + n_dims + type + offset; a kv
            // pair is key length + type + one byte of value
            if (nTensors < 0 || nTensors > left() / 24) {
                throw fault("tensor count " + Long.toUnsignedString(nTensors) + " is more than a file of "
                        + size + " bytes can hold");
            }
            if (nKv < 0 || nKv > left() / 13) {
                throw fault("metadata count " + Long.toUnsignedString(nKv) + " is more than a file of "
                        + size + " bytes can hold");
            }

            // metadata
            LinkedHashMap<String, MetaValue> kv = new LinkedHashMap<>();
            for (long i = 0; i < nKv; i++) {
                String key = utf8("metadata key #" + i);
                if (key.isEmpty()) throw fault("metadata key #" + i + " is empty");
                if (kv.containsKey(key)) throw fault("duplicate metadata key '" + key + "'");
                MetaValue.Kind kind = kind(i32("the value type", key), key);
                kv.put(key, value(kind, key, 0));
            }
            Metadata.Builder mb = Metadata.builder();
            kv.forEach(mb::put);
            Metadata metadata = mb.build();

            int alignment = DEFAULT_ALIGNMENT;
            MetaValue a = kv.get(ALIGNMENT_KEY);
            if (a != null) {
                if (!(a instanceof MetaValue.U32 u)) {
                    throw fault("key '" + ALIGNMENT_KEY + "' must be a u32 but is " + a.kind());
                }
                alignment = u.value();
                if (alignment <= 0 || Integer.bitCount(alignment) != 1) {
                    throw fault("key '" + ALIGNMENT_KEY + "' is " + Integer.toUnsignedString(alignment)
                            + ", not a nonzero power of two");
                }
            }

            // tensor infos
            // capacities grow with what is actually read, never with a count the file claims
            List<GgufTensorInfo> infos = new ArrayList<>((int) Math.min(nTensors, 1024));
            Set<String> names = new HashSet<>();
            for (long i = 0; i < nTensors; i++) {
                String name = utf8("the name of tensor #" + i);
                if (name.isEmpty()) throw fault("tensor #" + i + " has an empty name");
                charge(TENSOR_COST, "tensor '" + name + "'");
                if (!names.add(name)) throw fault("duplicate tensor name '" + name + "'");
                infos.add(tensorInfo(name));
            }

            long dataOffset = alignUp(pos, alignment);
            if (dataOffset < 0) throw fault("data section offset overflows");
            if (!infos.isEmpty() && dataOffset > size) {
                throw fault("truncated: the data section starts at " + dataOffset + " but the file ends at " + size);
            }
            long dataSize = Math.max(0, size - dataOffset);
            checkPlacement(infos, alignment, dataOffset, dataSize);

            List<Tensor> tensors = new ArrayList<>(infos.size());
            for (GgufTensorInfo t : infos) {
                tensors.add(new Tensor(t.toTensorInfo(), seg.asSlice(dataOffset + t.offset(), t.byteSize())));
            }
            return new GgufFile(path, mapped, version, alignment, dataOffset, metadata, infos, tensors);
        }

        private MetaValue.Kind kind(int id, String key) {
            if (id < 0 || id >= KINDS.length) {
                throw fault("key '" + key + "' has unknown value type " + Integer.toUnsignedString(id));
            }
            return KINDS[id];
        }

        private MetaValue value(MetaValue.Kind kind, String key, int depth) {
            String what = "the value";
            return switch (kind) {
                case UINT8 -> new MetaValue.U8(i8(what, key));
                case INT8 -> new MetaValue.I8(i8(what, key));
                case UINT16 -> new MetaValue.U16(i16(what, key));
                case INT16 -> new MetaValue.I16(i16(what, key));
                case UINT32 -> new MetaValue.U32(i32(what, key));
                case INT32 -> new MetaValue.I32(i32(what, key));
                case FLOAT32 -> { need(4, what, key); float f = seg.get(F32, pos); pos += 4; yield new MetaValue.F32(f); }
                case FLOAT64 -> { need(8, what, key); double d = seg.get(F64, pos); pos += 8; yield new MetaValue.F64(d); }
                case UINT64 -> new MetaValue.U64(i64(what, key));
                case INT64 -> new MetaValue.I64(i64(what, key));
                case BOOL -> {
                    byte b = i8(what, key);
                    // only 0 and 1 are bools; anything else could not be written back unchanged
                    if (b != 0 && b != 1) throw fault("key '" + key + "': bool value " + (b & 0xFF) + " is neither 0 nor 1");
                    yield new MetaValue.Bool(b == 1);
                }
                case STRING -> new MetaValue.Str(bytes("the string value", key));
                case ARRAY -> array(key, depth + 1);
            };
        }

        private MetaValue array(String key, int depth) {
            if (depth > MAX_ARRAY_DEPTH) {
                throw fault("key '" + key + "': arrays nested deeper than " + MAX_ARRAY_DEPTH + " levels");
            }
            MetaValue.Kind elementKind = kind(i32("the array element type", key), key);
            long n = i64("the array length", key);
            long minBytes = switch (elementKind) {
                case UINT8, INT8, BOOL -> 1;
                case UINT16, INT16 -> 2;
                case UINT32, INT32, FLOAT32 -> 4;
                case UINT64, INT64, FLOAT64, STRING -> 8;
                case ARRAY -> 12;
            };
            if (n < 0 || n > left() / minBytes) {
                throw fault("key '" + key + "': array length " + Long.toUnsignedString(n) + " of " + elementKind
                        + " runs past the end of the file (" + left() + " bytes left)");
            }
            charge(n * VALUE_COST, "the array", key); // n <= file size, so no overflow
            List<MetaValue> items = new ArrayList<>((int) Math.min(n, 1024));
            for (long i = 0; i < n; i++) items.add(value(elementKind, key, depth));
            return new MetaValue.Array(elementKind, items);
        }

        private GgufTensorInfo tensorInfo(String name) {
            String who = "tensor '" + name + "'";
            int nDims = i32("the dimension count of " + who);
            if (nDims < 0 || nDims > MAX_DIMS) {
                throw fault(who + " has " + Integer.toUnsignedString(nDims) + " dimensions (at most " + MAX_DIMS + ")");
            }
            long[] ne = new long[nDims];
            long elements = 1;
            for (int j = 0; j < nDims; j++) {
                ne[j] = i64("dimension " + j + " of " + who);
                if (ne[j] < 0) throw fault(who + " dimension " + j + " is negative (" + ne[j] + ")");
            }
            // the product of the nonzero dimensions must fit, even when a zero makes the count 0: then
            // every partial product, in either dimension order, fits too (Shape, byte sizes, writers)
            boolean empty = false;
            for (long d : ne) {
                if (d == 0) {
                    empty = true;
                    continue;
                }
                try {
                    elements = Math.multiplyExact(elements, d);
                } catch (ArithmeticException e) {
                    throw fault(who + " element count of shape " + Arrays.toString(ne) + " overflows 64 bits");
                }
            }
            int typeId = i32("the type of " + who);
            if (typeId < 0 || typeId >= GgmlType.values().length) {
                throw fault(who + " has unknown ggml type id " + Integer.toUnsignedString(typeId));
            }
            GgmlType type = GgmlType.values()[typeId];
            if (type.isRetired()) {
                throw fault(who + " has ggml type id " + typeId + " (" + type.name().substring("RETIRED_".length())
                        + "), which ggml no longer supports");
            }
            long rowLength = nDims == 0 ? 1 : ne[0];
            if (rowLength % type.blockSize() != 0) {
                throw fault(who + " of type " + type + " has rows of " + rowLength
                        + " elements, not a multiple of the block size " + type.blockSize());
            }
            if (empty) elements = 0;
            try {
                Math.multiplyExact(elements / type.blockSize(), (long) type.bytesPerBlock());
            } catch (ArithmeticException e) {
                throw fault(who + " byte size of shape " + Arrays.toString(ne) + " overflows 64 bits");
            }
            long offset = i64("the data offset of " + who);
            if (offset < 0) throw fault(who + " data offset " + Long.toUnsignedString(offset) + " is beyond any file");
            return new GgufTensorInfo(name, type, ne, offset);
        }

        private void checkPlacement(List<GgufTensorInfo> infos, int alignment, long dataOffset, long dataSize) {
            for (GgufTensorInfo t : infos) {
                if (t.offset() % alignment != 0) {
                    throw fault("tensor '" + t.name() + "' data offset " + t.offset()
                            + " is not a multiple of the alignment " + alignment);
                }
                long bytes = t.byteSize();
                if (t.offset() > dataSize || bytes > dataSize - t.offset()) {
                    throw fault("tensor '" + t.name() + "' data [" + t.offset() + ", +" + bytes
                            + ") extends past the end of the file (data section holds " + dataSize + " bytes from offset "
                            + dataOffset + ")");
                }
            }
            List<GgufTensorInfo> byOffset = new ArrayList<>(infos);
            byOffset.removeIf(t -> t.byteSize() == 0);
            byOffset.sort(Comparator.comparingLong(GgufTensorInfo::offset));
            for (int i = 1; i < byOffset.size(); i++) {
                GgufTensorInfo prev = byOffset.get(i - 1), cur = byOffset.get(i);
                if (prev.end() > cur.offset()) {
                    throw fault("tensors '" + prev.name() + "' and '" + cur.name() + "' overlap (data ["
                            + prev.offset() + ", " + prev.end() + ") and [" + cur.offset() + ", " + cur.end() + "))");
                }
            }
        }
    }

    private static String printable(MemorySegment four) {
        StringBuilder sb = new StringBuilder("'");
        for (int i = 0; i < four.byteSize(); i++) {
            int c = four.get(ValueLayout.JAVA_BYTE, i) & 0xFF;
            sb.append(c >= 0x20 && c < 0x7F ? (char) c : '?');
        }
        return sb.append('\'').toString();
    }
}
