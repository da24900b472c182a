package dev.squint.convert;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * What to convert and how.
 *
 * @param input         a llama2.c checkpoint, a Hugging Face folder, or an ONNX BERT export
 * @param output        a {@code .gguf} file, or a folder for a safetensors cast
 * @param outType       the type of 2-D weights; empty for the input's default (f32 for llama2.c,
 *                      as llama.cpp's llama2.c converter; f16 for Hugging Face and ONNX inputs, as
 *                      convert_hf_to_gguf.py)
 * @param vocab         llama2.c only: the tokenizer.bin (default tokenizer.bin, then tok512.bin, beside the model)
 * @param contextLength llama2.c only: {@code llama.context_length} (default 128, llama.cpp's converter's default)
 * @param maxShardBytes safetensors casts only: shard size (default: shard as the input is sharded)
 * @param listener      progress callbacks (never null)
 */
public record ConvertOptions(Path input, Path output, Optional<OutType> outType, Optional<Path> vocab,
                             OptionalInt contextLength, OptionalLong maxShardBytes, ConvertListener listener) {
    public ConvertOptions {
        Objects.requireNonNull(input, "input");
        Objects.requireNonNull(output, "output");
        Objects.requireNonNull(outType, "outType");
        Objects.requireNonNull(vocab, "vocab");
        Objects.requireNonNull(contextLength, "contextLength");
        Objects.requireNonNull(maxShardBytes, "maxShardBytes");
        Objects.requireNonNull(listener, "listener");
    }

    public static ConvertOptions of(Path input, Path output) {
        return new ConvertOptions(input, output, Optional.empty(), Optional.empty(), OptionalInt.empty(),
                OptionalLong.empty(), ConvertListener.NONE);
    }

    public ConvertOptions withOutType(OutType t) {
        return new ConvertOptions(input, output, Optional.of(t), vocab, contextLength, maxShardBytes, listener);
    }

    public ConvertOptions withVocab(Path p) {
        return new ConvertOptions(input, output, outType, Optional.of(p), contextLength, maxShardBytes, listener);
    }

    public ConvertOptions withContextLength(int n) {
        return new ConvertOptions(input, output, outType, vocab, OptionalInt.of(n), maxShardBytes, listener);
    }

    public ConvertOptions withMaxShardBytes(long n) {
        return new ConvertOptions(input, output, outType, vocab, contextLength, OptionalLong.of(n), listener);
    }

    public ConvertOptions withListener(ConvertListener l) {
        return new ConvertOptions(input, output, outType, vocab, contextLength, maxShardBytes, l);
    }
}
