package dev.squint.formats.gguf;

import dev.squint.core.Container;
import dev.squint.core.MappedFile;
import dev.squint.core.Metadata;
import dev.squint.core.Model;
import dev.squint.core.Tensor;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An opened GGUF file: the {@link Model} view (canonical dtypes, shapes outermost first, tensor
 * bytes as slices of the one mapping) plus what only GGUF has: version, alignment, where the data
 * section starts, and each tensor's ggml type, {@code ne} dimensions and relative offset.
 * Closing unmaps the file; tensor views must not be used afterwards.
 */
public final class GgufFile implements Model {
    private final Path path;
    private final MappedFile mapped;
    private final int version;
    private final int alignment;
    private final long dataOffset;
    private final Metadata metadata;
    private final List<GgufTensorInfo> infos;
    private final List<Tensor> tensors;
    private final Map<String, Integer> index = new HashMap<>();

    GgufFile(Path path, MappedFile mapped, int version, int alignment, long dataOffset, Metadata metadata,
             List<GgufTensorInfo> infos, List<Tensor> tensors) {
        this.path = path;
        this.mapped = mapped;
        this.version = version;
        this.alignment = alignment;
        this.dataOffset = dataOffset;
        this.metadata = metadata;
        this.infos = List.copyOf(infos);
        this.tensors = List.copyOf(tensors);
        for (int i = 0; i < infos.size(); i++) index.put(infos.get(i).name(), i);
    }

    @Override public Container container() { return Container.GGUF; }

    @Override public Path path() { return path; }

    @Override public Metadata metadata() { return metadata; }

    @Override public List<Tensor> tensors() { return tensors; }

    @Override public Optional<Tensor> tensor(String name) {
        Integer i = index.get(name);
        return i == null ? Optional.empty() : Optional.of(tensors.get(i));
    }

    @Override public long fileSize() { return mapped.size(); }

    /** {@code general.architecture}, if the file says. */
    @Override public Optional<String> architecture() { return metadata.string("general.architecture"); }

    /** The GGUF version of the file (2 or 3). */
    public int version() { return version; }

    /** {@code general.alignment}, or 32 when the file does not set it. */
    public int alignment() { return alignment; }

    /** Absolute file offset where the data section starts. */
    public long dataOffset() { return dataOffset; }

    /** Tensor-info entries in file order: ggml type, {@code ne} (innermost first), relative offset. */
    public List<GgufTensorInfo> tensorInfos() { return infos; }

    public Optional<GgufTensorInfo> tensorInfo(String name) {
        Integer i = index.get(name);
        return i == null ? Optional.empty() : Optional.of(infos.get(i));
    }

    @Override public void close() { mapped.close(); }

    @Override public String toString() {
        return "GGUF v" + version + " " + path + " (" + infos.size() + " tensors, " + metadata.size() + " keys)";
    }
}
