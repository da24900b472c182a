package dev.squint.formats.inspect;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.squint.core.MetaValue;

import java.io.UncheckedIOException;
import java.math.BigInteger;

/**
 * Renders an {@link InspectReport} as JSON for scripts. Numbers are exact (byte counts, offsets,
 * metadata integers; uint64 beyond 2^63 as big integers); keys are snake_case. Metadata arrays
 * longer than {@value #ARRAY_ITEMS} items keep their first items unless {@code full}; such an
 * entry says {@code "truncated": true} and still carries the full {@code "count"}.
 *
 * <pre>
 * { "container", "path", "architecture" (or null), "parameter_count", "file_size", "tensor_bytes",
 *   "bits_per_weight", "dtypes": [{dtype, tensors, parameters, bytes}], "container_facts": {label: text},
 *   "metadata": [{key, kind, value} | {key, kind: "ARRAY", element_kind, count, truncated, value: [...]}],
 *   "tensors": [{name, dtype, shape: [...], parameters, bytes, offset (when known)}] }
 * </pre>
 */
public final class InspectJson {
    static final int ARRAY_ITEMS = 8;
    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final JsonNodeFactory NODES = JsonNodeFactory.withExactBigDecimals(true);

    private InspectJson() {}

    /** The report as pretty-printed JSON text (no trailing newline). */
    public static String render(InspectReport r, boolean full) {
        try {
            return MAPPER.writeValueAsString(tree(r, full));
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The report as a JSON tree. */
    public static ObjectNode tree(InspectReport r, boolean full) {
        ObjectNode root = NODES.objectNode();
        root.put("container", r.container().displayName());
        root.put("path", r.path().toString());
        if (r.architecture().isPresent()) root.put("architecture", r.architecture().get());
        else root.putNull("architecture");
        root.put("parameter_count", r.parameterCount());
        root.put("file_size", r.fileSize());
        root.put("tensor_bytes", r.tensorBytes());
        root.put("bits_per_weight", r.bitsPerWeight());
        ArrayNode dtypes = root.putArray("dtypes");
        for (InspectReport.DTypeStats s : r.dtypes()) {
            dtypes.addObject().put("dtype", s.dtype().name()).put("tensors", s.tensors())
                    .put("parameters", s.parameters()).put("bytes", s.bytes());
        }
        ObjectNode facts = root.putObject("container_facts");
        r.containerFacts().forEach(facts::put);
        ArrayNode meta = root.putArray("metadata");
        for (InspectReport.MetaEntry e : r.metadata()) {
            ObjectNode m = meta.addObject();
            m.put("key", e.key());
            m.put("kind", e.kind().name());
            if (e.value() instanceof MetaValue.Array a) {
                m.put("element_kind", a.elementKind().name());
                m.put("count", a.size());
                boolean[] truncated = new boolean[1];
                m.set("value", value(a, full ? Integer.MAX_VALUE : ARRAY_ITEMS, truncated));
                m.put("truncated", truncated[0]);
            } else {
                m.set("value", value(e.value(), Integer.MAX_VALUE, new boolean[1]));
            }
        }
        ArrayNode tensors = root.putArray("tensors");
        for (InspectReport.TensorRow t : r.tensors()) {
            ObjectNode o = tensors.addObject();
            o.put("name", t.name());
            o.put("dtype", t.dtype().name());
            ArrayNode shape = o.putArray("shape");
            for (long d : t.shape().dims()) shape.add(d);
            o.put("parameters", t.parameters());
            o.put("bytes", t.bytes());
            if (t.offset().isPresent()) o.put("offset", t.offset().getAsLong());
        }
        return root;
    }

    private static JsonNode value(MetaValue v, int maxItems, boolean[] truncated) {
        return switch (v) {
            case MetaValue.Str s -> NODES.textNode(s.text());
            case MetaValue.Bool b -> NODES.booleanNode(b.value());
            case MetaValue.F32 f -> NODES.numberNode(f.value());
            case MetaValue.F64 f -> NODES.numberNode(f.value());
            case MetaValue.U64 u when u.value() < 0 -> NODES.numberNode(new BigInteger(Long.toUnsignedString(u.value())));
            case MetaValue.Array a -> {
                ArrayNode arr = NODES.arrayNode();
                int n = Math.min(a.size(), maxItems);
                if (n < a.size()) truncated[0] = true;
                for (int i = 0; i < n; i++) arr.add(value(a.items().get(i), maxItems, truncated));
                yield arr;
            }
            default -> NODES.numberNode(v.asLong());
        };
    }
}
