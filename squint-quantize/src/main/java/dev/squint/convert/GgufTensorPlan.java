package dev.squint.convert;

import dev.squint.core.GgmlType;
import dev.squint.core.Metadata;
import dev.squint.core.ScalarType;
import dev.squint.core.Shape;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A GGUF output before any byte is written: its metadata and, in file order, each tensor's name,
 * ggml type and source. Built by the per-architecture converters; written by {@link GgufEmitter}.
 */
final class GgufTensorPlan {
    /** One output tensor. {@code note} says why its type is not the requested one. */
    record Item(String name, String sourceName, GgmlType type, SourceTensor source, Optional<String> note) {
        Item {
            Objects.requireNonNull(name);
            Objects.requireNonNull(type);
            Objects.requireNonNull(source);
        }
    }

    private final List<Item> items = new ArrayList<>();
    private Metadata metadata = Metadata.empty();

    Metadata metadata() { return metadata; }

    void metadata(Metadata m) { this.metadata = m; }

    List<Item> items() { return items; }

    /** Adds a tensor of exactly this type. */
    void add(String name, String sourceName, GgmlType type, SourceTensor source) {
        items.add(new Item(name, sourceName, type, source, Optional.empty()));
    }

    /**
     * Adds a tensor typed by llama.cpp's converter rules (convert_hf_to_gguf.py, {@code prepare_tensors}):
     * 1-D tensors, names ending in {@code _norm.weight}, and {@code forceF32} tensors (BERT's position
     * and token-type embeddings) are F32; other tensors take the requested type; a Q8_0 tensor whose
     * rows are not a multiple of 32 falls back to F16, as gguf-py's quantizer does.
     */
    void addTyped(String name, String sourceName, SourceTensor source, OutType outType, boolean forceF32) {
        Shape shape = source.shape();
        GgmlType requested = outType.ggmlType();
        GgmlType type;
        Optional<String> note = Optional.empty();
        if (shape.rank() <= 1 || name.endsWith("_norm.weight") || forceF32) {
            type = GgmlType.F32;
        } else if (requested.blockSize() > 1 && shape.rowLength() % requested.blockSize() != 0) {
            type = GgmlType.F16;
            note = Optional.of("rows of " + shape.rowLength() + " are not a multiple of " + requested + "'s block of "
                    + requested.blockSize() + "; F16 as llama.cpp's converter falls back");
        } else {
            type = requested;
        }
        items.add(new Item(name, sourceName, type, source, note));
    }

    static boolean sameBits(GgmlType out, SourceTensor s) {
        return (out == GgmlType.F32 && s.sourceType() == ScalarType.F32)
                || (out == GgmlType.F16 && s.sourceType() == ScalarType.F16)
                || (out == GgmlType.BF16 && s.sourceType() == ScalarType.BF16);
    }
}
