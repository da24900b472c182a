package dev.squint.cli;

import dev.squint.quantize.QuantType;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * A verb with one name and several forms, chosen by what the arguments name: {@code eval} of a
 * decoder (perplexity) or an embedding model (STS), {@code bench} of either, {@code quantize} of a
 * GGUF or an ONNX model. The verb collects its arguments untouched and hands them to the form's own
 * command, so each form keeps its options, validation and help; {@code --help} shows every form.
 */
abstract class VerbDispatch implements Callable<Integer> {
    @CommandLine.Spec CommandSpec spec;

    @CommandLine.Unmatched List<String> args = new ArrayList<>();

    /** The command that handles these arguments. */
    abstract Object formFor(List<String> args);

    /** Every form, for help. */
    abstract List<Object> forms();

    @Override public Integer call() {
        CommandLine self = spec.commandLine();
        PrintWriter out = self.getOut();
        if (args.contains("-h") || args.contains("--help") || args.isEmpty()) {
            self.usage(out);
            for (Object form : forms()) {
                out.println();
                new CommandLine(form).setCommandName("squint " + self.getCommandName()).usage(out);
            }
            out.flush();
            return args.isEmpty() ? 2 : 0;
        }
        CommandLine form = new CommandLine(formFor(args)).setCommandName("squint " + self.getCommandName());
        form.setOut(out);
        form.setErr(self.getErr());
        form.setExecutionExceptionHandler(self.getExecutionExceptionHandler());
        form.setParameterExceptionHandler(self.getParameterExceptionHandler());
        return form.execute(args.toArray(String[]::new));
    }

    /** True if any argument names an embedding (BERT-family) model: an alias, an ONNX file, a BERT folder or GGUF. */
    static boolean namesEncoder(List<String> args) {
        for (String a : args) {
            if (a.startsWith("-")) continue;
            if (ModelAliases.NAMES.contains(a)) return true;
            String lower = a.toLowerCase(Locale.ROOT);
            if (lower.endsWith(".onnx")) return true;
            Path p = Path.of(a);
            try {
                if (Files.isDirectory(p) && Files.isRegularFile(p.resolve("config.json"))) {
                    String config = Files.readString(p.resolve("config.json"), StandardCharsets.UTF_8);
                    if (config.contains("\"BertModel\"") || config.matches("(?s).*\"model_type\"\\s*:\\s*\"bert\".*")) return true;
                } else if (lower.endsWith(".gguf") && Files.isRegularFile(p) && ggufArchitectureIsBert(p)) {
                    return true;
                }
            } catch (IOException | RuntimeException e) {
                // not readable here: the chosen form reports it properly
            }
        }
        return false;
    }

    /** Reads only the start of a GGUF header: enough to see {@code general.architecture = bert}. */
    private static boolean ggufArchitectureIsBert(Path p) throws IOException {
        byte[] head = new byte[1 << 16];
        int n;
        try (InputStream in = Files.newInputStream(p)) {
            n = in.readNBytes(head, 0, head.length);
        }
        String s = new String(head, 0, n, StandardCharsets.ISO_8859_1);
        int k = s.indexOf("general.architecture");
        return k >= 0 && s.startsWith("bert", k + "general.architecture".length() + 4 + 8);
    }

    @CommandLine.Command(name = "eval", customSynopsis = "squint eval [-h] ARGS... (the forms below)", description = {
            "Measure a model. Two forms, chosen by the options:",
            "  decoders (GGUF, Hugging Face llama-family folders, llama2.c): --perplexity FILE [--kl-divergence-base OUT | --kl-divergence BASE]",
            "  embedding models (ONNX, BERT folders or GGUF, aliases): --sts FILE [--formats all] | --reference BASE --sentences FILE",
            "Each form's options follow."})
    static final class EvalVerb extends VerbDispatch {
        @Override Object formFor(List<String> a) {
            boolean encoderOptions = a.stream().anyMatch(x -> x.equals("--sts") || x.equals("--reference")
                    || x.startsWith("--sts=") || x.startsWith("--reference="));
            boolean perplexity = a.stream().anyMatch(x -> x.equals("--perplexity") || x.startsWith("--perplexity="));
            return encoderOptions || (!perplexity && namesEncoder(a)) ? new EncoderEvalCommand() : new EvalCommand();
        }

        @Override List<Object> forms() { return List.of(new EvalCommand(), new EncoderEvalCommand()); }
    }

    @CommandLine.Command(name = "bench", customSynopsis = "squint bench [-h] ARGS... (the forms below)", description = {
            "Measure speed. Two forms, chosen by the model:",
            "  decoders: prompt-processing and generation tokens/s, and the share of memory bandwidth reached",
            "  embedding models (ONNX, BERT folders or GGUF, aliases): sentences/s at batch 1 and 32",
            "Each form's options follow."})
    static final class BenchVerb extends VerbDispatch {
        @Override Object formFor(List<String> a) {
            return namesEncoder(a) ? new EncoderBenchCommand() : new BenchCommand();
        }

        @Override List<Object> forms() { return List.of(new BenchCommand(), new EncoderBenchCommand()); }
    }

    @CommandLine.Command(name = "quantize", customSynopsis = "squint quantize [-h] ARGS... (the forms below)", description = {
            "Quantize a model. The container decides the form:",
            "  GGUF output (IN OUT.gguf TYPE): llama.cpp's types and mixes, same bytes as llama-quantize",
            "  ONNX (model.onnx out.onnx --mode fp16|dynamic|static|int4|int8-weight|nf4): graph passes checked in ONNX Runtime",
            "Each form's options follow."})
    static final class QuantizeVerb extends VerbDispatch {
        @Override Object formFor(List<String> a) {
            boolean mode = a.stream().anyMatch(x -> x.equals("--mode") || x.startsWith("--mode="));
            boolean ggufOut = a.stream().anyMatch(x -> x.toLowerCase(Locale.ROOT).endsWith(".gguf"));
            boolean onnx = a.stream().anyMatch(x -> x.toLowerCase(Locale.ROOT).endsWith(".onnx"));
            boolean ggufType = a.stream().anyMatch(x -> !x.startsWith("-") && isQuantType(x));
            return mode || (onnx && !ggufOut && !ggufType) ? new OnnxQuantizeCommand() : new QuantizeCommand();
        }

        @Override List<Object> forms() { return List.of(new QuantizeCommand(), new OnnxQuantizeCommand()); }

        private static boolean isQuantType(String s) {
            try {
                QuantType.parse(s);
                return true;
            } catch (RuntimeException e) {
                return false;
            }
        }
    }
}
