package dev.squint.cli;

import dev.squint.core.SquintException;
import dev.squint.engine.llama.Decoder;
import dev.squint.engine.llama.ImatrixCollector;
import dev.squint.engine.llama.LlamaSession;
import dev.squint.engine.llama.PerplexityEval;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code squint imatrix MODEL --text FILE -o imatrix.gguf}: an importance matrix in llama.cpp's GGUF format. */
@Command(name = "imatrix", mixinStandardHelpOptions = true,
        description = {"Collect an importance matrix (per-column mean of squared activations at each matrix input) over a text,",
                "written in llama.cpp's GGUF imatrix format (readable by llama-quantize --imatrix and squint quantize --imatrix).",
                ""},
        footer = {"", "Example:", "  squint imatrix model.gguf --text calibration.txt -o imatrix.gguf --ctx 512"})
final class ImatrixCommand implements Callable<Integer> {

    record Options(Path model, Path text, Path out, int ctx, int threads) {
        Options {
            if (ctx < 4) throw new SquintException("--ctx must be at least 4, got " + ctx);
        }
    }

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL", description = "GGUF file, Hugging Face folder or llama2.c checkpoint.")
    String model;

    @Option(names = "--text", required = true, paramLabel = "FILE", description = "Calibration text.")
    Path text;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT", description = "The imatrix GGUF to write.")
    Path out;

    @Option(names = "--ctx", defaultValue = "512", description = "Chunk length in tokens (default ${DEFAULT-VALUE}).")
    int ctx;

    @Option(names = "--threads", description = "Threads (default: available processors).")
    Integer threads;

    @Override public Integer call() {
        Options o = new Options(ModelAliases.resolve(model), text, out, ctx,
                threads != null ? threads : Runtime.getRuntime().availableProcessors());
        String content;
        try {
            content = Files.readString(o.text(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new SquintException("cannot read " + o.text() + ": " + e.getMessage());
        }
        try (Decoder d = Decoder.open(o.model(), null, false); LlamaSession s = d.model().newSession(o.ctx(), o.threads())) {
            int[] tokens = d.tokenizeForEval(content);
            int chunks = PerplexityEval.chunks(tokens, o.ctx());
            ImatrixCollector c;
            try (Progress p = Progress.start("imatrix", chunks)) {
                c = ImatrixCollector.collect(s, tokens, o.ctx(), d.bos(), i -> p.step());
            }
            c.write(o.out(), o.text().toString(), List.of(o.model(), o.text()));
            spec.commandLine().getOut().printf("wrote %s: %d chunks of %d tokens%n", o.out(), c.chunks(), o.ctx());
        }
        return 0;
    }
}
