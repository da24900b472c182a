package dev.squint.cli;

import dev.squint.core.SquintException;
import dev.squint.engine.bert.BertEncoder;
import dev.squint.engine.bert.EncoderEval;
import dev.squint.kernels.RowParallel;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code squint bench MODEL}: embedding throughput at batch 1 and batch 32. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Embedding speed: sentences per second at batch 1 and batch 32, and latency per sentence.",
                "",
                "Each batch size is warmed up once over the sentences, then timed over them for at least --seconds.",
                ""},
        footer = {"", "Examples:", "  squint bench all-minilm-l6-v2", "  squint bench all-minilm-l6-v2 --dynamic --sentences sentences.txt"})
final class EncoderBenchCommand implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL", description = "Model file, folder or alias.")
    String model;

    @Option(names = "--dynamic", description = "W8A8: INT8 per-row weights, activations quantized per token, integer dot products.")
    boolean dynamic;

    @Option(names = "--format", description = "Convert the weights in memory first (fp16, q8_0, q4_k, ...).")
    String format;

    @Option(names = "--sentences", description = "One sentence per line (default: a built-in set of 64 short sentences).")
    Path sentences;

    @Option(names = "--seconds", description = "Minimum timed seconds per batch size (default ${DEFAULT-VALUE}).", defaultValue = "5")
    double seconds;

    @Option(names = "--threads", description = "Threads (default: all processors).")
    Integer threads;

    @Override public Integer call() {
        if (dynamic && format != null) throw new SquintException("give --dynamic or --format, not both");
        if (!(seconds > 0)) throw new SquintException("--seconds must be positive");
        List<String> s = sentences != null ? EncoderEval.readSentences(sentences) : builtIn();
        PrintWriter out = spec.commandLine().getOut();
        try (RowParallel pool = EncoderModels.threads(threads); BertEncoder enc = EncoderModels.open(model, pool, dynamic ? "int8-dynamic" : format)) {
            out.printf(Locale.ROOT, "%s%s, %d threads, %d sentences%n", model, dynamic ? " (INT8 dynamic)" : format != null ? " (" + format + ")" : "",
                    pool.threads(), s.size());
            for (int batch : new int[]{1, 32}) {
                enc.embedAll(s, batch); // warm-up
                long start = System.nanoTime();
                long done = 0;
                do {
                    enc.embedAll(s, batch);
                    done += s.size();
                } while (System.nanoTime() - start < seconds * 1e9);
                double secs = (System.nanoTime() - start) / 1e9;
                out.printf(Locale.ROOT, "batch %2d: %8.1f sentences/s, %7.2f ms per sentence%n", batch, done / secs, 1000 * secs / done);
                out.flush();
            }
        }
        return 0;
    }

    /** 64 sentences of 5 to 20 words, the lengths STS sentences have. */
    static List<String> builtIn() {
        String[] subjects = {"A girl", "The old man", "Two dogs", "A group of students", "The company", "My neighbour", "A small bird", "The committee"};
        String[] verbs = {"is reading", "quickly crossed", "announced", "is playing with", "carefully examined", "was looking for", "painted", "discussed"};
        String[] objects = {"a book about the history of the city.", "the busy street near the station.", "new results on Monday morning.",
                "a red ball in the garden.", "the contract before signing it.", "the keys she lost yesterday.", "the fence.", "the budget for next year in detail."};
        List<String> out = new ArrayList<>();
        for (int i = 0; i < 64; i++) out.add(subjects[i % 8] + " " + verbs[(i / 8 + i) % 8] + " " + objects[(i * 3) % 8]);
        return out;
    }
}
