package dev.squint.convert;

import dev.squint.core.Shape;
import dev.squint.core.codec.ErrorStats;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * What a conversion wrote.
 *
 * @param format       {@code GGUF} or {@code safetensors}
 * @param source       what the input was, e.g. {@code llama2.c}, {@code Hugging Face LlamaForCausalLM}
 * @param architecture the output's architecture ({@code llama}, {@code qwen2}, {@code bert}, ...)
 * @param outputFiles  files written (one GGUF; shards, index and copied JSON files for safetensors)
 * @param inputBytes   tensor bytes read
 * @param outputBytes  bytes of the written model files
 */
public record ConvertReport(Path input, Path output, String format, String source, String architecture,
                            List<Path> outputFiles, List<TensorEntry> tensors, long inputBytes, long outputBytes,
                            double seconds) {
    public ConvertReport {
        outputFiles = List.copyOf(outputFiles);
        tensors = List.copyOf(tensors);
    }

    /**
     * One written tensor.
     *
     * @param sourceName the input's name for it (may equal {@code name})
     * @param type       the written type
     * @param note       why the type differs from the one asked for, if it does (e.g. a Q8_0 fallback)
     * @param error      the written values against the source values (decoded back), when measured
     */
    public record TensorEntry(String name, String sourceName, String sourceType, String type, Shape shape, long bytes,
                              Optional<String> note, Optional<ErrorStats> error) {
        public TensorEntry(String name, String sourceName, String sourceType, String type, Shape shape, long bytes, Optional<String> note) {
            this(name, sourceName, sourceType, type, shape, bytes, note, Optional.empty());
        }
    }

    public long parameterCount() {
        long n = 0;
        for (TensorEntry t : tensors) n += t.shape().elementCount();
        return n;
    }
}
