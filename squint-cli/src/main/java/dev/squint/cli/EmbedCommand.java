package dev.squint.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code squint embed MODEL --text T | --file F}: sentence embeddings. */
@Command(name = "embed", mixinStandardHelpOptions = true,
        description = {"Sentence embeddings of a BERT-family model (all-MiniLM-L6-v2, bge-small, e5-small, ...).",
                "",
                "Loads an ONNX export, a Hugging Face safetensors folder or a GGUF bert file with the tokenizer beside it; "
                        + "pooling and normalisation follow the sentence-transformers config (mean pooling and unit length when "
                        + "there is none). Texts longer than the model's maximum are cut at the end (the output says so).",
                ""},
        footer = {"", "Examples:", "  squint embed all-minilm-l6-v2 --text 'A girl is styling her hair.'",
                "  squint embed model.onnx --file sentences.txt --json", "  squint embed all-minilm-l6-v2 --format q4_k --text hello"})
final class EmbedCommand implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL", description = "Model file, folder or alias.")
    String model;

    @Option(names = "--text", description = "Text to embed (repeatable).")
    List<String> texts;

    @Option(names = "--file", description = "File with one text per line.")
    Path file;

    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    @Option(names = "--format", description = "Convert the weights in memory first: fp16, bf16, int8, int8-dynamic, int4, q8_0, q5_k, q4_k, q4_0.")
    String format;

    @Option(names = "--threads", description = "Threads (default: all processors).")
    Integer threads;

    @Override public Integer call() throws Exception {
        if ((texts == null || texts.isEmpty()) == (file == null)) throw new SquintException("give either --text or --file");
        List<String> input = file != null ? EncoderEval.readSentences(file) : texts;
        PrintWriter out = spec.commandLine().getOut();
        try (RowParallel pool = EncoderModels.threads(threads); BertEncoder enc = EncoderModels.open(model, pool, format)) {
            float[][] e = enc.embedAll(input, 32);
            if (json) {
                ObjectMapper m = new ObjectMapper();
                ObjectNode root = m.createObjectNode();
                root.put("model", model);
                root.put("dimensions", enc.config().hidden());
                root.put("max_tokens", enc.tokenizer().maxLength());
                root.put("pooling", enc.config().pooling().name().toLowerCase(Locale.ROOT));
                root.put("normalized", enc.config().normalize());
                ArrayNode items = root.putArray("embeddings");
                for (int i = 0; i < e.length; i++) {
                    var enc1 = enc.tokenizer().encodeForModel(input.get(i));
                    ObjectNode item = items.addObject();
                    item.put("text", input.get(i));
                    item.put("tokens", enc1.ids().length);
                    item.put("truncated", enc1.truncated());
                    ArrayNode v = item.putArray("embedding");
                    for (float x : e[i]) v.add(x);
                }
                out.println(m.writerWithDefaultPrettyPrinter().writeValueAsString(root));
            } else {
                for (int i = 0; i < e.length; i++) {
                    var enc1 = enc.tokenizer().encodeForModel(input.get(i));
                    out.printf(Locale.ROOT, "# %s (%d tokens%s)%n", input.get(i), enc1.ids().length,
                            enc1.truncated() ? ", truncated to the model's " + enc.tokenizer().maxLength() : "");
                    StringBuilder sb = new StringBuilder();
                    for (int d = 0; d < e[i].length; d++) sb.append(d == 0 ? "" : " ").append(String.format(Locale.ROOT, "%.6f", e[i][d]));
                    out.println(sb);
                }
            }
            out.flush();
        }
        return 0;
    }
}
