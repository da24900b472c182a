package dev.squint.core;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A typed metadata value. The variants are GGUF's value types, which are a superset of what the
 * other containers hold (safetensors {@code __metadata__} and ONNX {@code metadata_props} are
 * strings). Keeping GGUF's exact type lets a GGUF file be written back byte for byte.
 */
public sealed interface MetaValue {

    /** GGUF's value-type ids: the ordinal of each constant is its id. */
    enum Kind { UINT8, INT8, UINT16, INT16, UINT32, INT32, FLOAT32, BOOL, STRING, ARRAY, UINT64, INT64, FLOAT64 }

    Kind kind();

    record U8(byte value) implements MetaValue { public Kind kind() { return Kind.UINT8; } }
    record I8(byte value) implements MetaValue { public Kind kind() { return Kind.INT8; } }
    record U16(short value) implements MetaValue { public Kind kind() { return Kind.UINT16; } }
    record I16(short value) implements MetaValue { public Kind kind() { return Kind.INT16; } }
    record U32(int value) implements MetaValue { public Kind kind() { return Kind.UINT32; } }
    record I32(int value) implements MetaValue { public Kind kind() { return Kind.INT32; } }
    record F32(float value) implements MetaValue { public Kind kind() { return Kind.FLOAT32; } }
    record Bool(boolean value) implements MetaValue { public Kind kind() { return Kind.BOOL; } }
    record U64(long value) implements MetaValue { public Kind kind() { return Kind.UINT64; } }
    record I64(long value) implements MetaValue { public Kind kind() { return Kind.INT64; } }
    record F64(double value) implements MetaValue { public Kind kind() { return Kind.FLOAT64; } }

    /**
     * A string as its raw bytes: GGUF vocabularies may hold byte sequences that are not valid
     * UTF-8, and those must survive a round trip unchanged.
     */
    record Str(byte[] bytes) implements MetaValue {
        public Str { Objects.requireNonNull(bytes); }
        public static Str of(String s) { return new Str(s.getBytes(StandardCharsets.UTF_8)); }
        public String text() { return new String(bytes, StandardCharsets.UTF_8); }
        public Kind kind() { return Kind.STRING; }
        @Override public boolean equals(Object o) { return o instanceof Str s && Arrays.equals(bytes, s.bytes); }
        @Override public int hashCode() { return Arrays.hashCode(bytes); }
        @Override public String toString() { return text(); }
    }

    /** An array of values that all have {@code elementKind} (which may itself be ARRAY). */
    record Array(Kind elementKind, List<MetaValue> items) implements MetaValue {
        public Array {
            Objects.requireNonNull(elementKind);
            items = List.copyOf(items);
            for (MetaValue v : items) {
                if (v.kind() != elementKind) {
                    throw new IllegalArgumentException("array of " + elementKind + " holds a " + v.kind());
                }
            }
        }
        public Kind kind() { return Kind.ARRAY; }
        public int size() { return items.size(); }
    }

    /** The value as a long, for any integer or bool kind. */
    default long asLong() {
        return switch (this) {
            case U8 v -> v.value() & 0xFFL;
            case I8 v -> v.value();
            case U16 v -> v.value() & 0xFFFFL;
            case I16 v -> v.value();
            case U32 v -> v.value() & 0xFFFFFFFFL;
            case I32 v -> v.value();
            case U64 v -> v.value();
            case I64 v -> v.value();
            case Bool v -> v.value() ? 1 : 0;
            default -> throw new IllegalStateException(kind() + " is not an integer");
        };
    }

    /** The value as a double, for any numeric kind. */
    default double asDouble() {
        return switch (this) {
            case F32 v -> v.value();
            case F64 v -> v.value();
            case U64 v -> v.value() < 0 ? Math.pow(2, 64) + v.value() : v.value();
            default -> asLong();
        };
    }

    /** A short human rendering; long arrays are abbreviated to their first {@code maxItems} items. */
    default String render(int maxItems) {
        return switch (this) {
            case Str s -> s.text();
            case Array a -> {
                StringBuilder sb = new StringBuilder("[");
                int n = Math.min(a.size(), maxItems);
                for (int i = 0; i < n; i++) {
                    if (i > 0) sb.append(", ");
                    MetaValue item = a.items().get(i);
                    sb.append(item instanceof Str s ? '"' + s.text() + '"' : item.render(maxItems));
                }
                if (a.size() > n) sb.append(", ... (").append(a.size()).append(" ").append(a.elementKind().name().toLowerCase()).append("s)");
                yield sb.append(']').toString();
            }
            case F32 f -> Float.toString(f.value());
            case F64 f -> Double.toString(f.value());
            case Bool b -> Boolean.toString(b.value());
            case U64 u -> Long.toUnsignedString(u.value());
            default -> Long.toString(asLong());
        };
    }
}
