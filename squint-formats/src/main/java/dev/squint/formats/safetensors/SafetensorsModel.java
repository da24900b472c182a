package dev.squint.formats.safetensors;

import dev.squint.core.Container;
import dev.squint.core.MappedFile;
import dev.squint.core.Metadata;
import dev.squint.core.Model;
import dev.squint.core.Tensor;
import dev.squint.formats.hf.GenerationConfig;
import dev.squint.formats.hf.HfConfig;
import dev.squint.formats.hf.HfFolder;
import dev.squint.formats.hf.HfTokenizer;
import dev.squint.formats.hf.SentenceTransformersConfig;
import dev.squint.formats.hf.TokenizerConfig;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A safetensors file or a Hugging Face folder of shards, opened by {@link SafetensorsReader}.
 * Each shard is mapped once; tensors are views of those mappings, listed shard by shard in
 * data-offset order. The Hugging Face JSON files beside the weights (config.json, tokenizer.json,
 * ...) are reachable through {@link #hf()} and parsed when first asked for.
 */
public final class SafetensorsModel implements Model {
    private final Path path;
    private final List<MappedFile> shards;
    private final List<Tensor> tensors;
    private final Map<String, Tensor> byName;
    private final Metadata metadata;
    private final Optional<SafetensorsIndex> index;
    private final HfFolder hf;
    private final long fileSize;

    SafetensorsModel(Path path, List<MappedFile> shards, List<Tensor> tensors, Metadata metadata,
                     Optional<SafetensorsIndex> index, HfFolder hf) {
        this.path = path;
        this.shards = List.copyOf(shards);
        this.tensors = List.copyOf(tensors);
        Map<String, Tensor> lookup = new HashMap<>(tensors.size() * 2);
        for (Tensor t : tensors) lookup.put(t.name(), t);
        this.byName = lookup;
        this.metadata = metadata;
        this.index = index;
        this.hf = hf;
        long size = 0;
        for (MappedFile f : shards) size += f.size();
        this.fileSize = size;
    }

    @Override public Container container() { return Container.SAFETENSORS; }

    @Override public Path path() { return path; }

    /** The {@code __metadata__} strings (merged over shards; the first shard wins a conflict). */
    @Override public Metadata metadata() { return metadata; }

    @Override public List<Tensor> tensors() { return tensors; }

    /** Constant-time lookup (models have tens of thousands of tensors). */
    @Override public Optional<Tensor> tensor(String name) { return Optional.ofNullable(byName.get(name)); }

    @Override public long fileSize() { return fileSize; }

    /**
     * {@code architectures[0]} of the config.json beside the weights, if there is one.
     *
     * @throws dev.squint.core.ModelFormatException if that config.json is malformed
     */
    @Override public Optional<String> architecture() {
        return hf.config().flatMap(c -> c.architectures().stream().findFirst());
    }

    /** The shard files, in the order their tensors are listed. */
    public List<Path> shardPaths() {
        return shards.stream().map(MappedFile::path).toList();
    }

    /** The parsed model.safetensors.index.json, when the model was opened through one. */
    public Optional<SafetensorsIndex> index() { return index; }

    /** The Hugging Face files of the folder the weights sit in. */
    public HfFolder hf() { return hf; }

    /** config.json beside the weights. @throws dev.squint.core.ModelFormatException if it is malformed */
    public Optional<HfConfig> config() { return hf.config(); }

    /** generation_config.json beside the weights. */
    public Optional<GenerationConfig> generationConfig() { return hf.generationConfig(); }

    /** tokenizer.json beside the weights. */
    public Optional<HfTokenizer> tokenizer() { return hf.tokenizer(); }

    /** tokenizer_config.json beside the weights. */
    public Optional<TokenizerConfig> tokenizerConfig() { return hf.tokenizerConfig(); }

    /** sentence-transformers' modules.json and Pooling config beside the weights. */
    public Optional<SentenceTransformersConfig> sentenceTransformers() { return hf.sentenceTransformers(); }

    @Override public void close() {
        for (MappedFile f : shards) f.close();
    }
}
