package dev.squint.formats.inspect;

import dev.squint.core.Container;
import dev.squint.core.DType;
import dev.squint.core.MetaValue;
import dev.squint.core.Shape;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.SequencedMap;

/**
 * Everything {@code squint inspect} shows about a model, detached from the open file (no tensor
 * bytes are held, so the report outlives the mapping). Render it with {@link InspectText} or
 * {@link InspectJson}.
 *
 * @param fileSize       bytes of every file that makes up the model (shards, external data)
 * @param tensorBytes    bytes of tensor data only
 * @param bitsPerWeight  8 × tensorBytes / parameterCount
 * @param dtypes         one row per element type, most bytes first
 * @param containerFacts container-specific facts (header format, version, alignment...), label to text;
 *                       empty when the reader has none
 */
public record InspectReport(Container container, Path path, Optional<String> architecture, long parameterCount,
                            long fileSize, long tensorBytes, double bitsPerWeight, List<DTypeStats> dtypes,
                            List<MetaEntry> metadata, List<TensorRow> tensors, SequencedMap<String, String> containerFacts) {

    public InspectReport {
        Objects.requireNonNull(container, "container");
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(architecture, "architecture");
        dtypes = List.copyOf(dtypes);
        metadata = List.copyOf(metadata);
        tensors = List.copyOf(tensors);
        containerFacts = Collections.unmodifiableSequencedMap(new LinkedHashMap<>(containerFacts));
    }

    /** Tensors of one element type: how many, how many elements, how many bytes. */
    public record DTypeStats(DType dtype, int tensors, long parameters, long bytes) {}

    /** One metadata key with its typed value; {@link #render(int)} abbreviates long arrays. */
    public record MetaEntry(String key, MetaValue value) {
        public MetaEntry {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(value, "value");
        }

        public MetaValue.Kind kind() { return value.kind(); }

        /** The value for display, arrays cut to their first {@code maxItems} items plus a count. */
        public String render(int maxItems) { return value.render(maxItems); }
    }

    /** One tensor's row: its offset is present when the container stores tensors at file offsets. */
    public record TensorRow(String name, DType dtype, Shape shape, long bytes, OptionalLong offset) {
        public TensorRow {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(dtype, "dtype");
            Objects.requireNonNull(shape, "shape");
            Objects.requireNonNull(offset, "offset");
        }

        public long parameters() { return shape.elementCount(); }
    }
}
