package dev.squint.formats.safetensors;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.util.ByteBufferBackedInputStream;
import dev.squint.core.ModelFormatException;
import dev.squint.core.ScalarType;
import dev.squint.core.Shape;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parsed and validated header of one safetensors file.
 *
 * <p>File layout (little endian):
 * <pre>
 *   u64 n                      header length in bytes
 *   n bytes of UTF-8 JSON      {"__metadata__": {str: str}?, name: {"dtype", "shape", "data_offsets": [begin, end]}, ...}
 *                              (writers pad it with spaces to a multiple of 8)
 *   data section               tensor bytes; offsets are relative to its start
 * </pre>
 * The rules are those the reference Rust crate enforces (checked against safetensors 0.8.0):
 * header at most 100 MB, one JSON object (leading whitespace allowed, trailing spaces only); sorted by offset, the tensors tile the data section exactly (first begins at 0, each begins
 * where the previous ends, the last ends at the end of the file: no holes, no overlaps, no trailing
 * bytes); each tensor's byte length equals its element count times its dtype's size, in whole bytes
 * for the 4-bit types. Tensor data need not be aligned: the format allows any offset. One rule is
 * stricter than the crate, which lets a repeated tensor name silently replace the earlier entry:
 * here a repeated key anywhere in the header is a fault, since which tensor was meant is unknowable.
 */
record SafetensorsHeader(long headerLength, Map<String, String> metadata, List<Entry> tensors) {

    /** Upper bound on the JSON header, as in the reference crate. */
    static final long MAX_HEADER_BYTES = 100_000_000L;

    /** One tensor as the header describes it; offsets are absolute file positions. */
    record Entry(String name, ScalarType dtype, Shape shape, long begin, long end) {
        long byteSize() { return end - begin; }
    }

    static final JsonFactory JSON = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    long dataStart() { return 8 + headerLength; }

    /** Parses and validates the header of {@code file}, whose whole content is {@code bytes}. */
    static SafetensorsHeader parse(Path file, MemorySegment bytes) {
        long size = bytes.byteSize();
        if (size < 8) throw new ModelFormatException(file, "file is " + size + " bytes, shorter than the 8-byte header length");
        long n = bytes.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
        if (n < 0 || n > MAX_HEADER_BYTES) {
            throw new ModelFormatException(file, "header length " + Long.toUnsignedString(n) + " is larger than the "
                    + MAX_HEADER_BYTES + "-byte limit (not a safetensors file?)");
        }
        if (n > size - 8) {
            throw new ModelFormatException(file, "header length " + n + " runs past the end of the file (size " + size + ")");
        }
        long dataStart = 8 + n;
        Map<String, String> metadata = new LinkedHashMap<>();
        List<Entry> entries = new ArrayList<>();
        InputStream in = new ByteBufferBackedInputStream(bytes.asSlice(8, n).asByteBuffer());
        try (JsonParser p = JSON.createParser(in)) {
            expect(file, p.nextToken(), JsonToken.START_OBJECT, "header");
            JsonToken t;
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                String key = p.currentName();
                p.nextToken();
                if (key.equals("__metadata__")) {
                    readMetadata(file, p, metadata);
                } else {
                    entries.add(readTensor(file, p, key, dataStart));
                }
            }
            expect(file, t, JsonToken.END_OBJECT, "header");
            JsonToken trailing = p.nextToken();
            if (trailing != null) throw new ModelFormatException(file, "header has content after its closing '}'");
        } catch (JsonProcessingException e) {
            throw new ModelFormatException(file, "header is not valid JSON: " + oneLine(e));
        } catch (IOException e) {
            throw new ModelFormatException(file, "cannot read header: " + e.getMessage());
        }
        validateLayout(file, entries, dataStart, size);
        return new SafetensorsHeader(n, metadata, List.copyOf(entries));
    }

    private static void readMetadata(Path file, JsonParser p, Map<String, String> out) throws IOException {
        if (p.currentToken() == JsonToken.VALUE_NULL) return; // the crate's Option accepts null
        expect(file, p.currentToken(), JsonToken.START_OBJECT, "__metadata__");
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String key = p.currentName();
            if (p.nextToken() != JsonToken.VALUE_STRING) {
                throw new ModelFormatException(file, "__metadata__ key '" + key + "': value is " + describe(p.currentToken()) + ", not a string");
            }
            out.put(key, p.getText());
        }
    }

    private static Entry readTensor(Path file, JsonParser p, String name, long dataStart) throws IOException {
        if (p.currentToken() != JsonToken.START_OBJECT) {
            throw new ModelFormatException(file, "tensor '" + name + "': entry is " + describe(p.currentToken()) + ", not an object");
        }
        String dtypeName = null;
        long[] dims = null;
        long[] offsets = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken v = p.nextToken();
            switch (field) {
                case "dtype" -> {
                    if (v != JsonToken.VALUE_STRING) throw new ModelFormatException(file, "tensor '" + name + "': dtype is " + describe(v) + ", not a string");
                    dtypeName = p.getText();
                }
                case "shape" -> dims = readIntegers(file, p, name, "shape");
                case "data_offsets" -> offsets = readIntegers(file, p, name, "data_offsets");
                default -> p.skipChildren(); // the crate ignores unknown fields
            }
        }
        if (dtypeName == null) throw new ModelFormatException(file, "tensor '" + name + "': no dtype");
        if (dims == null) throw new ModelFormatException(file, "tensor '" + name + "': no shape");
        if (offsets == null) throw new ModelFormatException(file, "tensor '" + name + "': no data_offsets");
        final String dn = dtypeName;
        ScalarType dtype = ScalarType.fromSafetensors(dtypeName).orElseThrow(() ->
                new ModelFormatException(file, "tensor '" + name + "': unknown dtype '" + dn + "'"));
        if (offsets.length != 2) {
            throw new ModelFormatException(file, "tensor '" + name + "': data_offsets has " + offsets.length + " numbers, expected [begin, end]");
        }
        if (offsets[0] > offsets[1]) {
            throw new ModelFormatException(file, "tensor '" + name + "': data_offsets begin " + offsets[0] + " is after end " + offsets[1]);
        }
        long elements = 1;
        for (long d : dims) {
            try {
                elements = Math.multiplyExact(elements, d);
            } catch (ArithmeticException e) {
                throw new ModelFormatException(file, "tensor '" + name + "': element count of shape " + Arrays.toString(dims) + " overflows");
            }
        }
        long bits;
        try {
            bits = Math.multiplyExact(elements, (long) dtype.bits());
        } catch (ArithmeticException e) {
            throw new ModelFormatException(file, "tensor '" + name + "': byte size of shape " + Arrays.toString(dims) + " × " + dtypeName + " overflows");
        }
        if (bits % 8 != 0) {
            throw new ModelFormatException(file, "tensor '" + name + "': " + elements + " " + dtypeName + " elements do not fill whole bytes");
        }
        long expected = bits / 8;
        if (offsets[1] - offsets[0] != expected) {
            throw new ModelFormatException(file, "tensor '" + name + "': data_offsets span " + (offsets[1] - offsets[0])
                    + " bytes, but shape " + Arrays.toString(dims) + " of " + dtypeName + " needs " + expected);
        }
        if (offsets[1] > Long.MAX_VALUE - dataStart) {
            throw new ModelFormatException(file, "tensor '" + name + "': data_offsets end " + offsets[1] + " is beyond any file");
        }
        return new Entry(name, dtype, Shape.of(dims), dataStart + offsets[0], dataStart + offsets[1]);
    }

    private static long[] readIntegers(Path file, JsonParser p, String tensor, String field) throws IOException {
        if (p.currentToken() != JsonToken.START_ARRAY) {
            throw new ModelFormatException(file, "tensor '" + tensor + "': " + field + " is " + describe(p.currentToken()) + ", not a list of integers");
        }
        long[] values = new long[4];
        int count = 0;
        JsonToken t;
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
            if (t != JsonToken.VALUE_NUMBER_INT) {
                throw new ModelFormatException(file, "tensor '" + tensor + "': " + field + " holds " + describe(t) + ", not a non-negative integer");
            }
            // "-0" too: the crate reads it as a float and refuses it
            if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER || p.getLongValue() < 0 || p.getText().startsWith("-")) {
                throw new ModelFormatException(file, "tensor '" + tensor + "': " + field + " holds " + p.getText() + ", not a non-negative 64-bit integer");
            }
            if (count == values.length) values = Arrays.copyOf(values, count * 2);
            values[count++] = p.getLongValue();
        }
        return Arrays.copyOf(values, count);
    }

    /** The crate's rule: sorted by offsets, tensors tile [dataStart, fileSize) exactly. */
    private static void validateLayout(Path file, List<Entry> entries, long dataStart, long fileSize) {
        List<Entry> byOffset = new ArrayList<>(entries);
        byOffset.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long expectedBegin = dataStart;
        Entry previous = null;
        for (Entry e : byOffset) {
            if (e.end() > fileSize) {
                throw new ModelFormatException(file, "tensor '" + e.name() + "': data_offsets end " + (e.end() - dataStart)
                        + " is beyond the data section (" + (fileSize - dataStart) + " bytes)");
            }
            if (e.begin() < expectedBegin) {
                throw new ModelFormatException(file, "tensor '" + e.name() + "': bytes " + (e.begin() - dataStart) + ".." + (e.end() - dataStart)
                        + " overlap tensor '" + previous.name() + "'");
            }
            if (e.begin() > expectedBegin) {
                throw new ModelFormatException(file, "tensor '" + e.name() + "': starts at data offset " + (e.begin() - dataStart)
                        + ", leaving a hole of " + (e.begin() - expectedBegin) + " bytes before it");
            }
            expectedBegin = e.end();
            previous = e;
        }
        if (expectedBegin != fileSize) {
            throw new ModelFormatException(file, "tensors cover " + (expectedBegin - dataStart) + " bytes of a "
                    + (fileSize - dataStart) + "-byte data section (truncated, or trailing bytes)");
        }
        entries.clear();
        entries.addAll(byOffset);
    }

    private static void expect(Path file, JsonToken actual, JsonToken wanted, String what) {
        if (actual != wanted) throw new ModelFormatException(file, what + " is " + describe(actual) + ", not a JSON object");
    }

    static String describe(JsonToken t) {
        if (t == null) return "missing";
        return switch (t) {
            case START_OBJECT -> "an object";
            case START_ARRAY -> "a list";
            case VALUE_STRING -> "a string";
            case VALUE_NUMBER_INT -> "an integer";
            case VALUE_NUMBER_FLOAT -> "a float";
            case VALUE_TRUE, VALUE_FALSE -> "a boolean";
            case VALUE_NULL -> "null";
            default -> t.asString() == null ? t.name() : "'" + t.asString() + "'";
        };
    }

    /** Jackson's message without its multi-line source excerpt, plus line and column. */
    static String oneLine(JsonProcessingException e) {
        String msg = e.getOriginalMessage() == null ? e.getClass().getSimpleName() : e.getOriginalMessage();
        msg = msg.replaceAll("\\s+", " ").trim();
        if (msg.length() > 200) msg = msg.substring(0, 200) + "...";
        var loc = e.getLocation();
        return loc == null ? msg : msg + " (line " + loc.getLineNr() + ", column " + loc.getColumnNr() + ")";
    }
}
