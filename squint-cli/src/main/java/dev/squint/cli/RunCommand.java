package dev.squint.cli;

import dev.squint.core.SquintException;
import dev.squint.engine.llama.Decoder;
import dev.squint.engine.llama.Generator;
import dev.squint.engine.llama.LlamaSession;
import dev.squint.engine.llama.Sampler;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code squint run MODEL -p PROMPT}: generate text with a llama-family decoder. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Generate text from a prompt with a llama-family decoder (llama, mistral, qwen2, qwen3).",
                "",
                "Weights run in their stored type (F32, F16, BF16, Q4_0 ... Q8_0, K-quants); the prompt runs as one batch. "
                        + "Temperature 0 (the default) is greedy decoding; otherwise tokens are drawn with nucleus (top-p) "
                        + "sampling from a seeded generator, so runs are reproducible.",
                ""},
        footer = {"", "Examples:", "  squint run stories260K.gguf -p \"Once upon a time\" -n 64",
                "  squint run model.gguf -p \"Hello\" --temp 0.8 --top-p 0.95 --seed 7 --dynamic"})
final class RunCommand implements Callable<Integer> {

    /** What {@code run} was asked to do, validated. */
    record Options(Path model, String prompt, int tokens, float temperature, float topP, long seed, int threads,
                   boolean dynamic, int ctx, Path tokenizer) {
        Options {
            if (tokens < 0) throw new SquintException("-n must be >= 0, got " + tokens);
            if (threads < 1) throw new SquintException("--threads must be >= 1, got " + threads);
        }
    }

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL", description = "GGUF file, Hugging Face folder or llama2.c checkpoint.")
    String model;

    @Option(names = {"-p", "--prompt"}, required = true, description = "The prompt.")
    String prompt;

    @Option(names = "-n", defaultValue = "128", description = "Tokens to generate (default ${DEFAULT-VALUE}).")
    int tokens;

    @Option(names = "--temp", defaultValue = "0", description = "Sampling temperature; 0 is greedy (default).")
    float temperature;

    @Option(names = "--top-p", defaultValue = "0.95", description = "Nucleus sampling mass (default ${DEFAULT-VALUE}).")
    float topP;

    @Option(names = "--seed", defaultValue = "42", description = "Sampling seed (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--threads", description = "Threads (default: available processors).")
    Integer threads;

    @Option(names = "--ctx", description = "Context length (default: the model's, at most 4096).")
    Integer ctx;

    @Option(names = "--dynamic", description = "W8A8: re-quantize weights to Q8_0 on load and quantize activations per token.")
    boolean dynamic;

    @Option(names = "--tokenizer", description = "tokenizer.json or llama2.c tokenizer.bin (default: the model's own).")
    Path tokenizer;

    @Override public Integer call() {
        Options o = new Options(ModelAliases.resolve(model), prompt, tokens, temperature, topP, seed,
                threads != null ? threads : Runtime.getRuntime().availableProcessors(), dynamic, ctx == null ? 0 : ctx, tokenizer);
        PrintWriter out = spec.commandLine().getOut();
        try (Decoder d = Decoder.open(o.model(), o.tokenizer(), o.dynamic());
             LlamaSession s = d.model().newSession(o.ctx() > 0 ? o.ctx() : Math.min(d.model().config().contextLength(), 4096), o.threads())) {
            out.print(o.prompt());
            out.flush();
            Generator.Output r = Generator.generate(s, d.tokenizer(), o.prompt(), o.tokens(),
                    new Sampler(o.temperature(), o.topP(), o.seed()), text -> {
                        out.print(text);
                        out.flush();
                    });
            out.println();
            PrintWriter err = spec.commandLine().getErr();
            err.printf("prompt: %d tokens in %.3f s (%.1f tok/s); generated: %d tokens in %.3f s (%.1f tok/s)%n",
                    r.promptTokens(), r.promptSeconds(), r.promptTokens() / r.promptSeconds(),
                    r.generatedTokens(), r.generateSeconds(), r.generatedTokens() / Math.max(1e-9, r.generateSeconds()));
            err.flush();
        }
        return 0;
    }
}
