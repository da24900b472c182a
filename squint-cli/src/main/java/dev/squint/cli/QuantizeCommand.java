package dev.squint.cli;

import dev.squint.core.GgmlType;
import dev.squint.quantize.GgufQuantizer;
import dev.squint.quantize.QuantType;
import dev.squint.quantize.QuantizeOptions;
import dev.squint.quantize.QuantizeReport;
import dev.squint.quantize.TensorPlan;
import dev.squint.quantize.TypePlanner;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code squint quantize IN OUT TYPE}: llama-quantize's job, same bytes. */
@Command(name = "quantize", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Quantize a GGUF model with llama.cpp's type mixes; the output bytes equal llama-quantize's.",
                "",
                "Each tensor's type follows llama-quantize's rules for TYPE (1-D tensors stay F32; output and token "
                        + "embedding types; attention-V and FFN-down upgrades by layer; the fallback when a row is not a "
                        + "multiple of the block size, each one reported). One streaming pass: memory stays at a few blocks "
                        + "of rows whatever the model size, and no partial file is left on failure or Ctrl-C. "
                        + "Input is GGUF (F32, F16 or BF16 tensors; already quantized ones with --allow-requantize), or a llama2.c "
                        + "checkpoint, Hugging Face folder or ONNX export, converted on the way (as squint convert --outtype f32).",
                ""},
        footer = {"", "TYPE (case-insensitive): F32, F16, BF16, Q8_0, Q6_K, Q5_K_M, Q5_K_S, Q5_1, Q5_0, Q4_K_M, Q4_K_S, Q4_1, Q4_0,",
                "  Q3_K_L, Q3_K_M, Q3_K_S, Q2_K, Q2_K_S, IQ4_NL, IQ4_XS, TQ1_0, TQ2_0, IQ3_XXS, IQ3_XS, IQ3_S, IQ3_M,",
                "  IQ2_XXS, IQ2_XS, IQ2_S, IQ2_M, IQ1_S, IQ1_M (also Q3_K, Q4_K, Q5_K = the _M mixes, or llama.cpp's ftype id).",
                "  IQ1_*, IQ2_XXS/XS/S/M, IQ3_XXS and Q2_K_S need --imatrix.",
                "", "Examples:",
                "  squint quantize model-f16.gguf model-Q4_K_M.gguf Q4_K_M",
                "  squint quantize --tensor-type ffn_down=f16 model-f32.gguf out.gguf Q8_0",
                "  squint quantize --dry-run model-f16.gguf - Q3_K_M",
                "  squint quantize --imatrix imatrix.gguf --threads 4 model-f16.gguf out.gguf IQ2_M --json"})
final class QuantizeCommand implements Callable<Integer> {

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "IN", description = "Input: GGUF file, llama2.c checkpoint, Hugging Face folder or ONNX export.")
    Path input;

    @Parameters(index = "1", paramLabel = "OUT", description = "Output GGUF file (any placeholder with --dry-run).")
    Path output;

    @Parameters(index = "2", paramLabel = "TYPE", description = "llama-quantize type name (see below).")
    String type;

    @Option(names = "--pure", description = "No k-quant mix: every quantizable tensor gets TYPE's default type.")
    boolean pure;

    @Option(names = "--output-tensor-type", paramLabel = "GGML_TYPE", description = "Type for output.weight (e.g. q8_0, f16).")
    String outputTensorType;

    @Option(names = "--token-embedding-type", paramLabel = "GGML_TYPE", description = "Type for token_embd.weight.")
    String tokenEmbeddingType;

    @Option(names = "--leave-output-tensor", description = "Leave output.weight as it is.")
    boolean leaveOutputTensor;

    @Option(names = "--tensor-type", paramLabel = "REGEX=TYPE",
            description = "Type for tensors whose name the regex matches, e.g. ffn_down=f16 or 'blk\\.[0-3]\\.attn_v=q8_0'. Repeatable; first match wins.")
    List<String> tensorTypes = new ArrayList<>();

    @Option(names = "--imatrix", paramLabel = "FILE", description = "Importance matrix from llama-imatrix (GGUF or legacy .dat).")
    Path imatrix;

    @Option(names = "--threads", paramLabel = "N", description = "Worker threads (default: all processors). Output is the same at any count.")
    Integer threads;

    @Option(names = "--dry-run", description = "Print the per-tensor plan and resulting size; write nothing.")
    boolean dryRun;

    @Option(names = "--no-fallback", description = "Fail instead of falling back when a row does not fit the chosen type.")
    boolean noFallback;

    @Option(names = "--allow-requantize", description = "Allow quantizing tensors that are already quantized.")
    boolean allowRequantize;

    @Option(names = "--json", description = "Print the summary as JSON.")
    boolean json;

    /** Parses and validates the arguments into the library's options. */
    QuantizeOptions options() {
        List<TypePlanner.TypeOverride> overrides = tensorTypes.stream().map(TypePlanner.TypeOverride::parse).toList();
        GgmlType out = outputTensorType == null ? null : QuantType.parseTensorType(outputTensorType);
        GgmlType embd = tokenEmbeddingType == null ? null : QuantType.parseTensorType(tokenEmbeddingType);
        int n = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
        return new QuantizeOptions(input, dryRun ? null : output, QuantType.parse(type), pure, out, embd, leaveOutputTensor,
                overrides, imatrix, n, dryRun, noFallback, allowRequantize);
    }

    @Override public Integer call() {
        QuantizeOptions options = options();
        ProgressListener progress = new ProgressListener();
        QuantizeReport report;
        try {
            report = GgufQuantizer.quantize(options, progress);
        } finally {
            progress.close();
        }
        PrintWriter out = spec.commandLine().getOut();
        out.print(json ? report.toJson() + System.lineSeparator() : report.toText());
        out.flush();
        return 0;
    }

    /** A bar over the model's weights (so the ETA follows work, not tensor count), on a terminal only. */
    private static final class ProgressListener implements GgufQuantizer.Listener, AutoCloseable {
        private Progress bar = Progress.quiet();

        @Override public void started(int tensors, long totalWeights) { bar = Progress.start("quantize", totalWeights); }

        @Override public void tensor(int index, TensorPlan plan) { bar.message(plan.name() + " -> " + plan.targetType()); }

        @Override public void advanced(long weights) { bar.stepBy(weights); }

        @Override public void close() { bar.close(); }
    }
}
