package dev.squint.convert;

import dev.squint.core.GgmlType;
import dev.squint.core.Metadata;
import dev.squint.core.Shape;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * An input opened as the GGUF file {@code squint convert} would write from it (see
 * {@link GgufConverter#open}): llama.cpp's metadata and tensors, each readable row by row as float32
 * from the mapped input. Valid while open; closing unmaps the input.
 */
public final class ConvertedModel implements AutoCloseable {
    /**
     * One output tensor.
     *
     * @param name       llama.cpp's name, e.g. {@code blk.3.attn_q.weight}
     * @param sourceName the input's name for it
     * @param type       the type the converter gives it for the requested outtype (F32 for 1-D tensors and norms)
     * @param note       why {@code type} is not the requested one, if it is not
     * @param source     its values, rows in GGUF order (rotary-permuted or transposed as needed)
     */
    public record ConvertedTensor(String name, String sourceName, GgmlType type, Shape shape, SourceTensor source,
                                  Optional<String> note) {}

    private final GgufTensorPlan plan;
    private final List<Path> inputs;
    private final String source;
    private final long inputTensorBytes;
    private final AutoCloseable resource;

    ConvertedModel(GgufTensorPlan plan, List<Path> inputs, String source, long inputTensorBytes, AutoCloseable resource) {
        this.plan = plan;
        this.inputs = List.copyOf(inputs);
        this.source = source;
        this.inputTensorBytes = inputTensorBytes;
        this.resource = resource;
    }

    GgufTensorPlan plan() { return plan; }

    /** GGUF metadata in llama.cpp's order (general.file_type follows the requested outtype). */
    public Metadata metadata() { return plan.metadata(); }

    public String architecture() { return plan.metadata().string("general.architecture").orElse("?"); }

    /** Tensors in the order llama.cpp's converter writes them. */
    public List<ConvertedTensor> tensors() {
        return plan.items().stream().map(i -> new ConvertedTensor(i.name(), i.sourceName(), i.type(), i.source().shape(), i.source(), i.note())).toList();
    }

    /** The files read (model, and tokenizer for llama2.c): an output must not replace them. */
    public List<Path> inputs() { return inputs; }

    /** What the input is, e.g. {@code llama2.c}, {@code Hugging Face Qwen3ForCausalLM}, {@code ONNX BERT}. */
    public String source() { return source; }

    public long inputTensorBytes() { return inputTensorBytes; }

    @Override public void close() {
        try {
            resource.close();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
