package dev.squint.quantize;

import dev.squint.core.GgmlType;
import dev.squint.core.SquintException;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * What {@code squint quantize} was asked to do (llama-quantize's options).
 *
 * @param output            the GGUF to write (ignored, may be null, for a dry run)
 * @param outputTensorType  type for {@code output.weight}, or null for the mix's choice
 * @param tokenEmbeddingType type for {@code token_embd.weight}, or null for the mix's choice
 * @param tensorTypes       {@code --tensor-type REGEX=TYPE} overrides, first match wins
 * @param imatrix           an importance-matrix file (legacy .dat or GGUF), or null
 * @param threads           worker threads (rows are split between them; output is the same at any count)
 * @param dryRun            plan and size only, write nothing
 * @param noFallback        fail instead of falling back when a row does not fit the chosen type's blocks
 * @param allowRequantize   allow quantizing tensors that are already quantized
 */
public record QuantizeOptions(Path input, Path output, QuantType type, boolean pure, GgmlType outputTensorType,
                              GgmlType tokenEmbeddingType, boolean leaveOutputTensor,
                              List<TypePlanner.TypeOverride> tensorTypes, Path imatrix, int threads, boolean dryRun,
                              boolean noFallback, boolean allowRequantize) {
    public QuantizeOptions {
        Objects.requireNonNull(input, "input");
        Objects.requireNonNull(type, "type");
        tensorTypes = List.copyOf(tensorTypes);
        if (threads < 1) throw new SquintException("--threads must be at least 1, got " + threads);
        if (!dryRun && output == null) throw new SquintException("an output file is needed (or --dry-run)");
    }

    /** Plain options: input, output, type; everything else llama-quantize's defaults, one thread per processor. */
    public static QuantizeOptions of(Path input, Path output, QuantType type) {
        return new QuantizeOptions(input, output, type, false, null, null, false, List.of(), null,
                Runtime.getRuntime().availableProcessors(), false, false, false);
    }

    public QuantizeOptions withThreads(int n) {
        return new QuantizeOptions(input, output, type, pure, outputTensorType, tokenEmbeddingType, leaveOutputTensor,
                tensorTypes, imatrix, n, dryRun, noFallback, allowRequantize);
    }

    public QuantizeOptions withTensorTypes(List<TypePlanner.TypeOverride> overrides) {
        return new QuantizeOptions(input, output, type, pure, outputTensorType, tokenEmbeddingType, leaveOutputTensor,
                overrides, imatrix, threads, dryRun, noFallback, allowRequantize);
    }

    public QuantizeOptions withDryRun(boolean dry) {
        return new QuantizeOptions(input, output, type, pure, outputTensorType, tokenEmbeddingType, leaveOutputTensor,
                tensorTypes, imatrix, threads, dry, noFallback, allowRequantize);
    }

    public QuantizeOptions withImatrix(Path file) {
        return new QuantizeOptions(input, output, type, pure, outputTensorType, tokenEmbeddingType, leaveOutputTensor,
                tensorTypes, file, threads, dryRun, noFallback, allowRequantize);
    }

    public QuantizeOptions withNoFallback(boolean b) {
        return new QuantizeOptions(input, output, type, pure, outputTensorType, tokenEmbeddingType, leaveOutputTensor,
                tensorTypes, imatrix, threads, dryRun, b, allowRequantize);
    }

    public QuantizeOptions withPure(boolean b) {
        return new QuantizeOptions(input, output, type, b, outputTensorType, tokenEmbeddingType, leaveOutputTensor,
                tensorTypes, imatrix, threads, dryRun, noFallback, allowRequantize);
    }

    public QuantizeOptions withOutputTypes(GgmlType output, GgmlType tokenEmbedding, boolean leaveOutput) {
        return new QuantizeOptions(input, this.output, type, pure, output, tokenEmbedding, leaveOutput,
                tensorTypes, imatrix, threads, dryRun, noFallback, allowRequantize);
    }
}
