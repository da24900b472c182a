package dev.squint.formats.llama2c;

import dev.squint.core.Container;
import dev.squint.core.MappedFile;
import dev.squint.core.Metadata;
import dev.squint.core.Model;
import dev.squint.core.Tensor;
import dev.squint.formats.ContainerDetails;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.SequencedMap;

/** An opened llama2.c checkpoint: views into its one mapping (see {@link Llama2cReader} for names and layout). */
public final class Llama2cModel implements Model, ContainerDetails {
    private final Path path;
    private final MappedFile file;
    private final Llama2cConfig config;
    private final Metadata metadata;
    private final List<Tensor> tensors;
    private final Map<String, Long> offsets;

    Llama2cModel(Path path, MappedFile file, Llama2cConfig config, Metadata metadata, List<Tensor> tensors, Map<String, Long> offsets) {
        this.path = path;
        this.file = file;
        this.config = config;
        this.metadata = metadata;
        this.tensors = List.copyOf(tensors);
        this.offsets = Map.copyOf(offsets);
    }

    /** The validated header. */
    public Llama2cConfig config() { return config; }

    @Override public Container container() { return Container.LLAMA2C; }

    @Override public Path path() { return path; }

    @Override public Metadata metadata() { return metadata; }

    @Override public List<Tensor> tensors() { return tensors; }

    @Override public long fileSize() { return file.size(); }

    @Override public Optional<String> architecture() { return Optional.of("llama"); }

    @Override public SequencedMap<String, String> containerFacts() {
        SequencedMap<String, String> facts = new LinkedHashMap<>();
        facts.put("header", "legacy, 7 x int32 (" + Llama2cReader.HEADER_BYTES + " bytes)");
        facts.put("classifier", config.sharedClassifier() ? "shared with token_embd.weight" : "separate output.weight after the other weights");
        facts.put("head size", Integer.toString(config.headSize()));
        facts.put("RoPE tables", "rope_freqs_real, rope_freqs_imag [" + config.seqLen() + ", " + config.headSize() / 2 + "] (unused by run.c)");
        return facts;
    }

    @Override public OptionalLong dataOffset(String tensorName) {
        Long off = offsets.get(tensorName);
        return off == null ? OptionalLong.empty() : OptionalLong.of(off);
    }

    @Override public void close() { file.close(); }
}
