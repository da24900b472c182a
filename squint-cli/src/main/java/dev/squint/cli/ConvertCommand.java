package dev.squint.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.squint.convert.ConvertListener;
import dev.squint.convert.ConvertOptions;
import dev.squint.convert.ConvertReport;
import dev.squint.convert.GgufConverter;
import dev.squint.convert.OutType;
import dev.squint.core.SquintException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;

/** {@code squint convert IN OUT}: a published model to GGUF, or a Hugging Face folder to a safetensors cast. */
@Command(name = "convert", mixinStandardHelpOptions = true,
        description = {"Convert a model to GGUF (llama.cpp's metadata, names and types), or cast a Hugging Face folder's safetensors.",
                "",
                "IN is a llama2.c checkpoint (.bin, with its tokenizer.bin), a Hugging Face folder (LlamaForCausalLM, "
                        + "MistralForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM, BertModel) or an ONNX BERT export (.onnx, "
                        + "with tokenizer.json beside it). OUT ending in .gguf writes GGUF; any other OUT is a folder that receives "
                        + "a safetensors cast of the Hugging Face folder IN (--outtype f16, bf16 or fp8) with its config and "
                        + "tokenizer files. One pass, tensor by tensor; the output appears whole or not at all.",
                ""},
        footer = {"", "Examples:",
                "  squint convert stories260K.bin stories.gguf --vocab tok512.bin",
                "  squint convert ./Qwen3-0.6B qwen3-q8.gguf --outtype q8_0",
                "  squint convert all-minilm-l6-v2 minilm.gguf",
                "  squint convert ./Llama-3.2-1B ./Llama-3.2-1B-fp8 --outtype fp8 --json"})
final class ConvertCommand implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "IN", description = "llama2.c .bin, Hugging Face folder, ONNX BERT export, or the alias all-minilm-l6-v2.")
    String input;

    @Parameters(index = "1", paramLabel = "OUT", description = "OUT.gguf, or a folder for a safetensors cast.")
    Path output;

    @Option(names = "--outtype", paramLabel = "TYPE",
            description = "Type of 2-D weights: GGUF f32, f16, bf16, q8_0 (default f32 for llama2.c, f16 otherwise, as llama.cpp); "
                    + "safetensors f16, bf16, fp8. 1-D tensors and norms stay F32 in GGUF.")
    String outType;

    @Option(names = {"--vocab", "--tokenizer"}, paramLabel = "FILE",
            description = "llama2.c tokenizer (default tokenizer.bin, then tok512.bin, beside the model).")
    Path vocab;

    @Option(names = "--context-length", paramLabel = "N",
            description = "llama2.c only: llama.context_length to record (default 128, as llama.cpp's converter).")
    Integer contextLength;

    @Option(names = "--shard-size", paramLabel = "SIZE",
            description = "safetensors casts: maximum shard size, e.g. 5GB or 500MB (default: the input's shard files).")
    String shardSize;

    @Option(names = "--json", description = "Print the summary as JSON (every tensor).")
    boolean json;

    @Override public Integer call() {
        ConvertOptions options = ConvertOptions.of(ModelAliases.resolve(input), output);
        if (outType != null) options = options.withOutType(OutType.parse(outType));
        if (vocab != null) options = options.withVocab(vocab);
        if (contextLength != null) {
            if (contextLength <= 0) throw new SquintException("--context-length must be positive, got " + contextLength);
            options = options.withContextLength(contextLength);
        }
        if (shardSize != null) options = options.withMaxShardBytes(parseSize(shardSize));
        ConvertReport report;
        try (BarListener bar = new BarListener()) {
            report = GgufConverter.convert(options.withListener(bar));
        }
        PrintWriter out = spec.commandLine().getOut();
        out.print(json ? json(report) : text(report));
        out.flush();
        return 0;
    }

    /** {@code 5GB}, {@code 500MB}, {@code 2GiB}, {@code 1000000}: decimal units (KB, MB, GB, TB) or binary (KiB, MiB, GiB, TiB). */
    static long parseSize(String s) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?i)\\s*([0-9]+(?:\\.[0-9]+)?)\\s*([KMGT]i?B|B)?\\s*").matcher(s);
        if (!m.matches()) throw new SquintException("--shard-size '" + s + "' is not a size such as 5GB, 500MB, 2GiB or 1000000");
        double v = Double.parseDouble(m.group(1));
        String unit = m.group(2) == null ? "B" : m.group(2).toUpperCase(Locale.ROOT);
        int power = "BKMGT".indexOf(unit.charAt(0));
        double scale = Math.pow(unit.contains("I") ? 1024 : 1000, power);
        long bytes = (long) Math.ceil(v * scale);
        if (bytes <= 0) throw new SquintException("--shard-size must be positive, got '" + s + "'");
        return bytes;
    }

    /** The progress bar (drawn only on a terminal), stepped per tensor byte. */
    private static final class BarListener implements ConvertListener, AutoCloseable {
        private Progress progress = Progress.quiet();

        @Override public void started(int tensorCount, long outputTensorBytes) {
            progress = Progress.startBytes("convert", outputTensorBytes);
        }

        @Override public void tensorWritten(String name, long bytes) {
            progress.message(name);
            progress.stepBy(bytes);
        }

        @Override public void close() { progress.close(); }
    }

    static String text(ConvertReport r) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%s -> %s (%s)%n", r.input(), r.output(), r.format()));
        sb.append(String.format(Locale.ROOT, "  source        %s%n", r.source()));
        sb.append(String.format(Locale.ROOT, "  architecture  %s%n", r.architecture()));
        sb.append(String.format(Locale.ROOT, "  tensors       %,d (%,d parameters)%n", r.tensors().size(), r.parameterCount()));
        Map<String, long[]> byType = new TreeMap<>();
        long tensorBytes = 0;
        for (ConvertReport.TensorEntry t : r.tensors()) {
            long[] c = byType.computeIfAbsent(t.type(), k -> new long[2]);
            c[0]++;
            c[1] += t.bytes();
            tensorBytes += t.bytes();
        }
        StringBuilder types = new StringBuilder();
        byType.forEach((k, v) -> types.append(types.isEmpty() ? "" : ", ").append(k).append(" ").append(v[0]));
        sb.append(String.format(Locale.ROOT, "  types         %s%n", types));
        sb.append(String.format(Locale.ROOT, "  size          %,d -> %,d bytes of tensors, %,d bytes written%n", r.inputBytes(), tensorBytes, r.outputBytes()));
        long params = r.parameterCount();
        if (params > 0) sb.append(String.format(Locale.ROOT, "  bits/weight   %.2f%n", 8.0 * tensorBytes / params));
        sb.append(String.format(Locale.ROOT, "  time          %.2f s%n", r.seconds()));
        r.tensors().stream().filter(t -> t.error().isPresent() && t.error().get().rmse() > 0)
                .min(java.util.Comparator.comparingDouble(t -> t.error().get().snrDb()))
                .ifPresent(t -> sb.append(String.format(Locale.ROOT, "  worst SNR     %.1f dB (%s, %s, RMSE %.3g)%n",
                        t.error().get().snrDb(), t.name(), t.type(), t.error().get().rmse())));
        for (ConvertReport.TensorEntry t : r.tensors()) {
            t.note().filter(n -> !n.startsWith("FP8 dequantization")).ifPresent(n -> sb.append("  note: ").append(t.name()).append(" ")
                    .append(t.type()).append(": ").append(n).append(System.lineSeparator()));
        }
        return sb.toString();
    }

    static String json(ConvertReport r) {
        ObjectMapper m = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = m.createObjectNode();
        root.put("input", r.input().toString());
        root.put("output", r.output().toString());
        root.put("format", r.format());
        root.put("source", r.source());
        root.put("architecture", r.architecture());
        ArrayNode files = root.putArray("output_files");
        r.outputFiles().forEach(p -> files.add(p.toString()));
        root.put("parameters", r.parameterCount());
        root.put("input_tensor_bytes", r.inputBytes());
        long tensorBytes = r.tensors().stream().mapToLong(ConvertReport.TensorEntry::bytes).sum();
        root.put("output_tensor_bytes", tensorBytes);
        root.put("output_bytes", r.outputBytes());
        root.put("bits_per_weight", r.parameterCount() == 0 ? 0 : 8.0 * tensorBytes / r.parameterCount());
        root.put("seconds", r.seconds());
        ArrayNode tensors = root.putArray("tensors");
        for (ConvertReport.TensorEntry t : r.tensors()) {
            ObjectNode o = tensors.addObject();
            o.put("name", t.name());
            o.put("source_name", t.sourceName());
            o.put("source_type", t.sourceType());
            o.put("type", t.type());
            ArrayNode shape = o.putArray("shape");
            for (long d : t.shape().dims()) shape.add(d);
            o.put("bytes", t.bytes());
            t.note().ifPresent(n -> o.put("note", n));
            t.error().ifPresent(e -> {
                o.put("rmse", e.rmse());
                o.put("max_abs_error", e.maxAbsError());
                if (Double.isFinite(e.snrDb())) o.put("snr_db", e.snrDb());
                else o.putNull("snr_db"); // +Infinity: exact
            });
        }
        try {
            return m.writeValueAsString(root) + System.lineSeparator();
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
