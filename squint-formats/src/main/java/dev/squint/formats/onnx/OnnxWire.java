package dev.squint.formats.onnx;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Moves tensor payloads in and out of an ONNX file at the protobuf wire level, so that tensor bytes
 * never pass through protobuf-java.
 *
 * <p>Why: protobuf-java 4.x copies any direct (or mapped) {@code ByteBuffer} it parses or wraps into a
 * heap {@code byte[]} ({@code CodedInputStream.newInstance(ByteBuffer)} and
 * {@code UnsafeByteOperations.unsafeWrap(ByteBuffer)} both do), so parsing a mapped model with
 * aliasing would still put every weight on the heap. Instead:
 * <ul>
 *   <li>{@link #strip} copies the file minus every {@code TensorProto.raw_data} field into a small
 *       "skeleton" and puts a {@link #PAYLOAD_REF_FIELD} varint (an unknown field to ONNX) in each
 *       tensor where its raw_data was; the payload's place in the file is kept in a side table.</li>
 *   <li>{@link #expand} does the reverse for writing: each reference field in a serialized skeleton
 *       becomes a raw_data field whose bytes are streamed from a {@code MemorySegment}.</li>
 * </ul>
 * Only messages on a path to a TensorProto are rewritten (and their length prefixes recomputed);
 * everything else is copied as byte ranges.
 *
 * <p>Wire format (protobuf): a message is a sequence of fields; each field starts with a varint tag
 * {@code field_number << 3 | wire_type}; wire type 0 = varint, 1 = 8 bytes, 2 = varint length +
 * bytes (strings, bytes, sub-messages, packed lists), 5 = 4 bytes; 3/4 (groups) are not used by ONNX.
 */
final class OnnxWire {
    private OnnxWire() {}

    /** Field number of the payload reference left in a tensor: the largest legal field number. */
    static final int PAYLOAD_REF_FIELD = (1 << 29) - 1;
    static final int RAW_DATA_FIELD = 9;
    /** Nesting limit for the messages walked here (graphs in attributes in graphs ...). */
    static final int MAX_DEPTH = 64;
    /** The most raw_data payloads a model may hold; each costs a few dozen heap bytes while reading. */
    static final int MAX_PAYLOADS = 1 << 20;

    /** A malformed wire encoding; the reader turns it into a ModelFormatException. */
    static final class WireException extends Exception {
        WireException(String message) { super(message, null, false, false); }
    }

    /** The message types on a path from ModelProto to TensorProto. */
    private enum Kind { MODEL, GRAPH, NODE, ATTRIBUTE, TENSOR, SPARSE_TENSOR, TRAINING_INFO, FUNCTION }

    /** The child message kind of {@code field} in a message of {@code kind}, or null if it leads to no tensor. */
    private static Kind child(Kind kind, int field) {
        return switch (kind) {
            case MODEL -> switch (field) { case 7 -> Kind.GRAPH; case 20 -> Kind.TRAINING_INFO; case 25 -> Kind.FUNCTION; default -> null; };
            case GRAPH -> switch (field) { case 1 -> Kind.NODE; case 5 -> Kind.TENSOR; case 15 -> Kind.SPARSE_TENSOR; default -> null; };
            case NODE -> field == 5 ? Kind.ATTRIBUTE : null;
            case ATTRIBUTE -> switch (field) {
                case 5, 10 -> Kind.TENSOR;
                case 6, 11 -> Kind.GRAPH;
                case 22, 23 -> Kind.SPARSE_TENSOR;
                default -> null;
            };
            case SPARSE_TENSOR -> field == 1 || field == 2 ? Kind.TENSOR : null;
            case TRAINING_INFO -> field == 1 || field == 2 ? Kind.GRAPH : null;
            case FUNCTION -> switch (field) { case 7 -> Kind.NODE; case 11 -> Kind.ATTRIBUTE; default -> null; };
            case TENSOR -> null;
        };
    }

    /** Where one stripped raw_data payload lies in the file. */
    record Payload(long offset, long length) {}

    /** A stripped model: the skeleton bytes for protobuf-java and the payloads, indexed by reference. */
    record Stripped(byte[] skeleton, List<Payload> payloads) {}

    /**
     * Copies {@code file} without its raw_data payloads.
     *
     * @param maxSkeletonBytes the most bytes the skeleton may take (it goes onto the heap)
     */
    static Stripped strip(MemorySegment file, long maxSkeletonBytes) throws WireException {
        List<Payload> payloads = new ArrayList<>();
        Chunks out = rewrite(file, 0, file.byteSize(), Kind.MODEL, new Hook.Strip(payloads), 0);
        if (out.size > maxSkeletonBytes) {
            throw new WireException("the model's structure without raw_data takes " + out.size + " bytes, more than the "
                    + maxSkeletonBytes + " squint parses onto the heap");
        }
        byte[] skeleton = new byte[(int) out.size];
        out.copyTo(MemorySegment.ofArray(skeleton));
        return new Stripped(skeleton, payloads);
    }

    /**
     * The serialized model with each payload reference replaced by a raw_data field holding
     * {@code payloads.get(reference)}; write it with {@link Chunks#writeTo}.
     */
    static Chunks expand(byte[] skeleton, List<MemorySegment> payloads) throws WireException {
        MemorySegment src = MemorySegment.ofArray(skeleton);
        return rewrite(src, 0, src.byteSize(), Kind.MODEL, new Hook.Expand(payloads), 0);
    }

    /** What happens to the fields of a TensorProto. */
    private sealed interface Hook {
        /** Appends the replacement of a tensor field to {@code out}; returns false to copy the field unchanged. */
        boolean tensorField(int field, int wireType, MemorySegment src, long valueStart, long valueEnd, long varint, Chunks out)
                throws WireException;

        record Strip(List<Payload> payloads) implements Hook {
            @Override public boolean tensorField(int field, int wireType, MemorySegment src, long valueStart, long valueEnd,
                                                 long varint, Chunks out) throws WireException {
                if (field == PAYLOAD_REF_FIELD) return true; // a reference already in the file is not ours: drop it
                if (field != RAW_DATA_FIELD || wireType != 2) return false;
                if (payloads.size() >= MAX_PAYLOADS) throw new WireException("more than " + MAX_PAYLOADS + " tensors hold raw_data");
                out.addVarintField(PAYLOAD_REF_FIELD, payloads.size());
                payloads.add(new Payload(valueStart, valueEnd - valueStart));
                return true;
            }
        }

        record Expand(List<MemorySegment> payloads) implements Hook {
            @Override public boolean tensorField(int field, int wireType, MemorySegment src, long valueStart, long valueEnd,
                                                 long varint, Chunks out) throws WireException {
                if (field != PAYLOAD_REF_FIELD) return false;
                if (wireType != 0 || varint < 0 || varint >= payloads.size()) {
                    throw new WireException("payload reference " + varint + " does not name one of " + payloads.size() + " payloads");
                }
                MemorySegment data = payloads.get((int) varint);
                out.addTag(RAW_DATA_FIELD, 2);
                out.addVarint(data.byteSize());
                out.addSegment(data, 0, data.byteSize());
                return true;
            }
        }
    }

    /** Rewrites message {@code [start, end)} of {@code kind}; the result's {@code changed} says whether any field differs. */
    private static Chunks rewrite(MemorySegment src, long start, long end, Kind kind, Hook hook, int depth) throws WireException {
        if (depth > MAX_DEPTH) throw new WireException("messages are nested more than " + MAX_DEPTH + " deep");
        Chunks out = new Chunks();
        long pos = start;
        while (pos < end) {
            long fieldStart = pos;
            long tag = readVarint(src, pos, end);
            pos += varintSize(tag);
            if (tag > 0xFFFF_FFFFL) throw new WireException("field tag " + tag + " at byte " + fieldStart + " is out of range");
            int field = (int) (tag >>> 3);
            int wireType = (int) (tag & 7);
            if (field == 0) throw new WireException("field number 0 at byte " + fieldStart);
            long valueStart;
            long valueEnd;
            long varint = 0;
            switch (wireType) {
                case 0 -> {
                    varint = readVarint(src, pos, end);
                    valueStart = pos;
                    valueEnd = pos + varintSize(varint);
                }
                case 1 -> { valueStart = pos; valueEnd = pos + 8; }
                case 5 -> { valueStart = pos; valueEnd = pos + 4; }
                case 2 -> {
                    long len = readVarint(src, pos, end);
                    valueStart = pos + varintSize(len);
                    if (len < 0 || len > end - valueStart) {
                        throw new WireException("field " + field + " at byte " + fieldStart + " claims " + len
                                + " bytes, only " + (end - valueStart) + " remain in its message");
                    }
                    valueEnd = valueStart + len;
                }
                case 3, 4 -> throw new WireException("protobuf group (wire type " + wireType + ") at byte " + fieldStart + "; ONNX uses none");
                default -> throw new WireException("invalid wire type " + wireType + " at byte " + fieldStart);
            }
            if (valueEnd > end) throw new WireException("field " + field + " at byte " + fieldStart + " runs past the end of its message");
            pos = valueEnd;

            if (kind == Kind.TENSOR && hook.tensorField(field, wireType, src, valueStart, valueEnd, varint, out)) {
                out.changed = true;
                continue;
            }
            Kind sub = wireType == 2 ? child(kind, field) : null;
            if (sub != null) {
                Chunks inner = rewrite(src, valueStart, valueEnd, sub, hook, depth + 1);
                if (inner.changed) {
                    out.addTag(field, 2);
                    out.addVarint(inner.size);
                    out.addAll(inner);
                    out.changed = true;
                    continue;
                }
            }
            out.addSegment(src, fieldStart, valueEnd - fieldStart);
        }
        return out;
    }

    static long readVarint(MemorySegment src, long pos, long end) throws WireException {
        long result = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos >= end) throw new WireException("truncated varint at byte " + pos);
            byte b = src.get(ValueLayout.JAVA_BYTE, pos++);
            result |= (long) (b & 0x7F) << shift;
            if (b >= 0) return result;
        }
        throw new WireException("varint longer than 10 bytes at byte " + pos);
    }

    /** Bytes of the shortest varint encoding of {@code v}, as protobuf writes it. */
    static int varintSize(long v) {
        int n = 1;
        while ((v & ~0x7FL) != 0) {
            v >>>= 7;
            n++;
        }
        return n;
    }

    /**
     * An output assembled from pieces: small encoded headers and ranges of source segments, so that
     * rewriting never copies payloads. {@code size} is the total length.
     */
    static final class Chunks {
        /** A range of a source; adjacent ranges of the same source are merged. */
        private record Part(MemorySegment src, long offset, long length) {}

        private final List<Part> parts = new ArrayList<>();
        private byte[] scratch;
        private int scratchLen;
        long size;
        boolean changed;

        void addSegment(MemorySegment src, long offset, long length) {
            if (length == 0) return;
            flushScratch();
            int last = parts.size() - 1;
            if (last >= 0 && parts.get(last).src == src && parts.get(last).offset + parts.get(last).length == offset) {
                Part prev = parts.get(last);
                parts.set(last, new Part(src, prev.offset, prev.length + length));
            } else {
                parts.add(new Part(src, offset, length));
            }
            size += length;
        }

        void addTag(int field, int wireType) { addVarint(((long) field << 3) | wireType); }

        void addVarint(long v) {
            if (scratch == null) scratch = new byte[32];
            if (scratchLen + 10 > scratch.length) scratch = Arrays.copyOf(scratch, scratch.length * 2);
            int before = scratchLen;
            while ((v & ~0x7FL) != 0) {
                scratch[scratchLen++] = (byte) ((v & 0x7F) | 0x80);
                v >>>= 7;
            }
            scratch[scratchLen++] = (byte) v;
            size += scratchLen - before; // counted now: a parent may read size before the scratch is flushed
        }

        void addVarintField(int field, long value) {
            addTag(field, 0);
            addVarint(value);
        }

        void addAll(Chunks other) {
            other.flushScratch();
            flushScratch();
            parts.addAll(other.parts);
            size += other.size;
        }

        private void flushScratch() {
            if (scratchLen == 0) return;
            parts.add(new Part(MemorySegment.ofArray(Arrays.copyOf(scratch, scratchLen)), 0, scratchLen));
            scratchLen = 0;
        }

        /** Copies everything into {@code dst}, which must hold {@link #size} bytes. */
        void copyTo(MemorySegment dst) {
            flushScratch();
            long at = 0;
            for (Part p : parts) {
                MemorySegment.copy(p.src, p.offset, dst, at, p.length);
                at += p.length;
            }
        }

        /**
         * Streams everything to {@code out}. Payloads go from their segments straight to the channel
         * (as {@code ByteBuffer} views of at most 1 GiB), never through a heap copy.
         */
        void writeTo(WritableByteChannel out) throws IOException {
            flushScratch();
            for (Part p : parts) writeFully(out, p.src, p.offset, p.length);
        }
    }

    /** Writes {@code [offset, offset + length)} of {@code src} to {@code out}. */
    static void writeFully(WritableByteChannel out, MemorySegment src, long offset, long length) throws IOException {
        final long step = 1L << 30;
        for (long at = 0; at < length; at += step) {
            ByteBuffer view = src.asSlice(offset + at, Math.min(step, length - at)).asByteBuffer();
            while (view.hasRemaining()) out.write(view);
        }
    }
}
