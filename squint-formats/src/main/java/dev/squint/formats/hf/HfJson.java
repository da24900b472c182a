package dev.squint.formats.hf;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeType;
import dev.squint.core.ModelFormatException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * Reading the Hugging Face JSON files: a strict parser (duplicate keys are errors) whose faults
 * become one-line {@link ModelFormatException}s naming the file, and typed field access that names
 * the key when a value has the wrong type.
 */
public final class HfJson {
    private HfJson() {}

    private static final ObjectMapper MAPPER = new ObjectMapper(JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build());

    /**
     * Largest JSON file read: well above the largest real tokenizer.json (tens of MB), low enough
     * that a hostile file cannot exhaust the heap as a parsed tree.
     */
    public static final long MAX_JSON_BYTES = 256L << 20;

    /** Parses {@code file}; a missing, unreadable, oversized or malformed file is a {@link ModelFormatException}. */
    public static JsonNode read(Path file) {
        try {
            long size = Files.size(file);
            if (size > MAX_JSON_BYTES) {
                throw new ModelFormatException(file, "JSON file is " + size + " bytes, larger than the " + MAX_JSON_BYTES + "-byte limit");
            }
            JsonNode root = MAPPER.readTree(file.toFile());
            if (root == null || root.isMissingNode()) throw new ModelFormatException(file, "empty JSON file");
            return root;
        } catch (JsonProcessingException e) {
            throw new ModelFormatException(file, "not valid JSON: " + oneLine(e));
        } catch (NoSuchFileException e) {
            throw new ModelFormatException(file, "no such file");
        } catch (IOException e) {
            throw new ModelFormatException(file, "cannot read: " + e.getMessage());
        }
    }

    /** Parses {@code file} if it exists; must be a JSON object. */
    public static Optional<JsonNode> readObjectIfExists(Path file) {
        if (!Files.exists(file)) return Optional.empty();
        JsonNode root = read(file);
        if (!root.isObject()) throw new ModelFormatException(file, "top level is " + kind(root) + ", not a JSON object");
        return Optional.of(root);
    }

    static String oneLine(JsonProcessingException e) {
        String msg = e.getOriginalMessage() == null ? e.getClass().getSimpleName() : e.getOriginalMessage();
        msg = msg.replaceAll("\\s+", " ").trim();
        if (msg.length() > 200) msg = msg.substring(0, 200) + "...";
        var loc = e.getLocation();
        return loc == null ? msg : msg + " (line " + loc.getLineNr() + ", column " + loc.getColumnNr() + ")";
    }

    static String kind(JsonNode n) {
        if (n == null || n.isMissingNode()) return "missing";
        return switch (n.getNodeType()) {
            case OBJECT -> "an object";
            case ARRAY -> "a list";
            case STRING -> "a string";
            case NUMBER -> n.isIntegralNumber() ? "an integer" : "a float";
            case BOOLEAN -> "a boolean";
            case NULL -> "null";
            default -> n.getNodeType().name().toLowerCase();
        };
    }

    /** A JSON value as immutable plain Java: String, Long, Double, Boolean, List, Map, or null. */
    public static Object toPlain(JsonNode n) {
        if (n == null || n.isNull() || n.isMissingNode()) return null;
        if (n.isTextual()) return n.textValue();
        if (n.isBoolean()) return n.booleanValue();
        if (n.isIntegralNumber()) return n.canConvertToLong() ? (Object) n.longValue() : (Object) n.doubleValue();
        if (n.isNumber()) return n.doubleValue();
        if (n.isArray()) {
            List<Object> out = new ArrayList<>(n.size());
            for (JsonNode item : n) out.add(toPlain(item));
            return Collections.unmodifiableList(out);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        for (var e : n.properties()) out.put(e.getKey(), toPlain(e.getValue()));
        return Collections.unmodifiableMap(out);
    }

    /** Typed access to the fields of one JSON object; faults name the file and the key path. */
    static final class Fields {
        final Path file;
        final JsonNode node;
        final String prefix;

        Fields(Path file, JsonNode node, String prefix) {
            this.file = file;
            this.node = node;
            this.prefix = prefix;
        }

        ModelFormatException fault(String key, String what) {
            return new ModelFormatException(file, "key '" + prefix + key + "': " + what);
        }

        /** The first of {@code keys} present with a non-null value. */
        JsonNode first(String... keys) {
            for (String k : keys) {
                JsonNode v = node.get(k);
                if (v != null && !v.isNull()) return v;
            }
            return null;
        }

        String firstKey(String... keys) {
            for (String k : keys) {
                JsonNode v = node.get(k);
                if (v != null && !v.isNull()) return k;
            }
            return keys[0];
        }

        OptionalLong optLong(String... keys) {
            JsonNode v = first(keys);
            if (v == null) return OptionalLong.empty();
            if (!v.isIntegralNumber() || !v.canConvertToLong()) {
                // configs written by Python sometimes carry integral floats, e.g. 1e30 for "no limit"
                if (v.isNumber() && v.doubleValue() == Math.rint(v.doubleValue())) {
                    double d = v.doubleValue();
                    return OptionalLong.of(d >= 0x1p63 ? Long.MAX_VALUE : d <= -0x1p63 ? Long.MIN_VALUE : (long) d);
                }
                if (v.isBigInteger()) return OptionalLong.of(v.bigIntegerValue().signum() > 0 ? Long.MAX_VALUE : Long.MIN_VALUE);
                throw fault(firstKey(keys), "expected an integer, found " + kind(v));
            }
            return OptionalLong.of(v.longValue());
        }

        OptionalInt optInt(String... keys) {
            OptionalLong v = optLong(keys);
            if (v.isEmpty()) return OptionalInt.empty();
            long l = v.getAsLong();
            if (l < Integer.MIN_VALUE || l > Integer.MAX_VALUE) throw fault(firstKey(keys), l + " does not fit a 32-bit integer");
            return OptionalInt.of((int) l);
        }

        /** A positive 32-bit integer (a size or a count). */
        OptionalInt optPositive(String... keys) {
            OptionalInt v = optInt(keys);
            if (v.isPresent() && v.getAsInt() <= 0) throw fault(firstKey(keys), "must be positive, found " + v.getAsInt());
            return v;
        }

        OptionalDouble optDouble(String... keys) {
            JsonNode v = first(keys);
            if (v == null) return OptionalDouble.empty();
            if (!v.isNumber()) throw fault(firstKey(keys), "expected a number, found " + kind(v));
            return OptionalDouble.of(v.doubleValue());
        }

        Optional<String> optString(String... keys) {
            JsonNode v = first(keys);
            if (v == null) return Optional.empty();
            if (!v.isTextual()) throw fault(firstKey(keys), "expected a string, found " + kind(v));
            return Optional.of(v.textValue());
        }

        Optional<Boolean> optBool(String... keys) {
            JsonNode v = first(keys);
            if (v == null) return Optional.empty();
            if (!v.isBoolean()) throw fault(firstKey(keys), "expected true or false, found " + kind(v));
            return Optional.of(v.booleanValue());
        }

        List<String> strings(String key) {
            JsonNode v = first(key);
            if (v == null) return List.of();
            if (!v.isArray()) throw fault(key, "expected a list of strings, found " + kind(v));
            List<String> out = new ArrayList<>(v.size());
            for (JsonNode item : v) {
                if (!item.isTextual()) throw fault(key, "expected a list of strings, holds " + kind(item));
                out.add(item.textValue());
            }
            return List.copyOf(out);
        }

        List<Double> doubles(String key) {
            JsonNode v = first(key);
            if (v == null) return List.of();
            if (!v.isArray()) throw fault(key, "expected a list of numbers, found " + kind(v));
            List<Double> out = new ArrayList<>(v.size());
            for (JsonNode item : v) {
                if (!item.isNumber()) throw fault(key, "expected a list of numbers, holds " + kind(item));
                out.add(item.doubleValue());
            }
            return List.copyOf(out);
        }

        /** An integer or a list of integers (eos_token_id is either). */
        List<Integer> intOrInts(String key) {
            JsonNode v = first(key);
            if (v == null) return List.of();
            List<JsonNode> items = new ArrayList<>();
            if (v.isArray()) v.forEach(items::add); else items.add(v);
            List<Integer> out = new ArrayList<>(items.size());
            for (JsonNode item : items) {
                if (!item.isIntegralNumber() || !item.canConvertToInt()) {
                    throw fault(key, "expected an integer or a list of integers, found " + kind(item));
                }
                out.add(item.intValue());
            }
            return List.copyOf(out);
        }

        Optional<Fields> object(String key) {
            JsonNode v = first(key);
            if (v == null) return Optional.empty();
            if (v.getNodeType() != JsonNodeType.OBJECT) throw fault(key, "expected an object, found " + kind(v));
            return Optional.of(new Fields(file, v, prefix + key + "."));
        }

        @SuppressWarnings("unchecked")
        Map<String, Object> plain() {
            return (Map<String, Object>) toPlain(node);
        }
    }
}
