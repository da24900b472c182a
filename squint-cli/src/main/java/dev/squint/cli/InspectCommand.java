package dev.squint.cli;

import dev.squint.formats.inspect.InspectJson;
import dev.squint.formats.inspect.InspectReport;
import dev.squint.formats.inspect.InspectText;
import dev.squint.formats.inspect.Inspector;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.concurrent.Callable;

/** {@code squint inspect MODEL}: what a model file holds. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = {"Show what a model file holds: sizes, dtypes, metadata and tensors.",
                "",
                "Prints the container, architecture, parameter count, file and tensor sizes, bits per weight, "
                        + "a histogram of element types, the metadata and the tensor table (with file offsets where the "
                        + "container has them). Reads GGUF, safetensors (a file or a Hugging Face folder), ONNX and "
                        + "llama2.c checkpoints; tensor data is mapped, never copied into memory.",
                ""},
        footer = {"", "MODEL may be a bundled alias: " + ModelAliases.HELP,
                "", "Examples:", "  squint inspect model.gguf", "  squint inspect all-minilm-l6-v2-q --json | jq .tensors"})
final class InspectCommand implements Callable<Integer> {

    /** What {@code inspect} was asked to do, validated. */
    record Options(Path model, boolean json, boolean allTensors, boolean fullValues) {
        static Options of(String modelArgument, boolean json, boolean allTensors, boolean fullValues) {
            return new Options(ModelAliases.resolve(modelArgument), json, allTensors, fullValues);
        }
    }

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL", description = "Model file, Hugging Face folder, or alias (${COMPLETION-CANDIDATES}).",
            completionCandidates = AliasCandidates.class)
    String model;

    @Option(names = "--json", description = "Print JSON (every tensor, exact numbers) instead of text.")
    boolean json;

    @Option(names = "--all", description = "List every tensor (text output shows the first and last of a long table).")
    boolean all;

    @Option(names = "--full", description = "Show metadata arrays and long strings whole instead of abbreviated.")
    boolean full;

    @Override public Integer call() {
        Options options = Options.of(model, json, all, full);
        InspectReport report = Inspector.inspect(options.model());
        PrintWriter out = spec.commandLine().getOut();
        if (options.json()) out.println(InspectJson.render(report, options.fullValues()));
        else out.print(InspectText.render(report, options.allTensors(), options.fullValues()));
        out.flush();
        return 0;
    }

    /** Lists the aliases in help text. */
    static final class AliasCandidates implements Iterable<String> {
        @Override public Iterator<String> iterator() { return ModelAliases.NAMES.iterator(); }
    }
}
