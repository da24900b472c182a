package dev.squint.core;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Immutable, ordered key/value metadata with typed accessors. Order is kept because GGUF writes
 * keys in file order and a round trip must reproduce it.
 */
public final class Metadata {
    private static final Metadata EMPTY = new Metadata(new LinkedHashMap<>());
    private final Map<String, MetaValue> values;

    private Metadata(LinkedHashMap<String, MetaValue> values) {
        this.values = Collections.unmodifiableMap(values);
    }

    public static Metadata empty() { return EMPTY; }

    public static Builder builder() { return new Builder(); }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.values.putAll(values);
        return b;
    }

    public Map<String, MetaValue> asMap() { return values; }

    public Set<String> keys() { return values.keySet(); }

    public int size() { return values.size(); }

    public boolean contains(String key) { return values.containsKey(key); }

    public Optional<MetaValue> get(String key) { return Optional.ofNullable(values.get(key)); }

    public Optional<String> string(String key) {
        return values.get(key) instanceof MetaValue.Str s ? Optional.of(s.text()) : Optional.empty();
    }

    /** Any integer kind, widened. */
    public Optional<Long> integer(String key) {
        MetaValue v = values.get(key);
        if (v == null) return Optional.empty();
        return switch (v.kind()) {
            case UINT8, INT8, UINT16, INT16, UINT32, INT32, UINT64, INT64 -> Optional.of(v.asLong());
            default -> Optional.empty();
        };
    }

    /** Any numeric kind, widened. */
    public Optional<Double> number(String key) {
        MetaValue v = values.get(key);
        if (v == null) return Optional.empty();
        return switch (v.kind()) {
            case STRING, ARRAY, BOOL -> Optional.empty();
            default -> Optional.of(v.asDouble());
        };
    }

    public Optional<Boolean> bool(String key) {
        return values.get(key) instanceof MetaValue.Bool b ? Optional.of(b.value()) : Optional.empty();
    }

    public Optional<MetaValue.Array> array(String key) {
        return values.get(key) instanceof MetaValue.Array a ? Optional.of(a) : Optional.empty();
    }

    /** An array of strings, or empty if the key is absent or holds something else. */
    public Optional<List<String>> strings(String key) {
        return array(key).filter(a -> a.elementKind() == MetaValue.Kind.STRING).map(a -> {
            List<String> out = new ArrayList<>(a.size());
            for (MetaValue v : a.items()) out.add(((MetaValue.Str) v).text());
            return out;
        });
    }

    /** An array of numbers as floats, or empty if the key is absent or holds something else. */
    public Optional<float[]> floats(String key) {
        return array(key).filter(a -> a.elementKind() != MetaValue.Kind.STRING && a.elementKind() != MetaValue.Kind.ARRAY).map(a -> {
            float[] out = new float[a.size()];
            for (int i = 0; i < out.length; i++) out[i] = (float) a.items().get(i).asDouble();
            return out;
        });
    }

    /** An array of integers as longs, or empty if the key is absent or holds something else. */
    public Optional<long[]> longs(String key) {
        return array(key).filter(a -> switch (a.elementKind()) {
            case UINT8, INT8, UINT16, INT16, UINT32, INT32, UINT64, INT64, BOOL -> true;
            default -> false;
        }).map(a -> {
            long[] out = new long[a.size()];
            for (int i = 0; i < out.length; i++) out[i] = a.items().get(i).asLong();
            return out;
        });
    }

    @Override public boolean equals(Object o) { return o instanceof Metadata m && values.equals(m.values); }

    @Override public int hashCode() { return values.hashCode(); }

    @Override public String toString() { return values.toString(); }

    public static final class Builder {
        private final LinkedHashMap<String, MetaValue> values = new LinkedHashMap<>();

        public Builder put(String key, MetaValue value) { values.put(key, value); return this; }
        public Builder putString(String key, String value) { return put(key, MetaValue.Str.of(value)); }
        public Builder putU32(String key, int value) { return put(key, new MetaValue.U32(value)); }
        public Builder putI32(String key, int value) { return put(key, new MetaValue.I32(value)); }
        public Builder putU64(String key, long value) { return put(key, new MetaValue.U64(value)); }
        public Builder putF32(String key, float value) { return put(key, new MetaValue.F32(value)); }
        public Builder putBool(String key, boolean value) { return put(key, new MetaValue.Bool(value)); }
        public Builder remove(String key) { values.remove(key); return this; }
        public boolean contains(String key) { return values.containsKey(key); }
        public Metadata build() { return new Metadata(new LinkedHashMap<>(values)); }
    }
}
