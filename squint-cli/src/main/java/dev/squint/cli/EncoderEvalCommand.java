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

/**
 * {@code squint eval MODEL --sts FILE [--formats all]} and {@code squint eval MODEL --reference BASE --sentences FILE}
 * for embedding models.
 */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = {"Quality of an embedding model.",
                "",
                "--sts FILE: Spearman and Pearson correlation of cosine similarity with the gold scores of an "
                        + "STS-benchmark file (tab-separated: genre, file, year, id, score, sentence 1, sentence 2). "
                        + "With --formats, the model's projections are converted in memory to each format and every format is scored "
                        + "(and compared with FP32: mean/min cosine of the embeddings).",
                "--reference BASE --sentences FILE: fidelity of MODEL to BASE: mean and minimum cosine of the embeddings and "
                        + "retrieval agreement (mean overlap of each sentence's top-10 neighbours).",
                ""},
        footer = {"", "Examples:", "  squint eval all-minilm-l6-v2 --sts sts-test.csv",
                "  squint eval all-minilm-l6-v2 --sts sts-test.csv --formats all",
                "  squint eval model-q4_k.gguf --reference all-minilm-l6-v2 --sentences sentences.txt"})
final class EncoderEvalCommand implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL", description = "Model file, folder or alias.")
    String model;

    @Option(names = "--sts", description = "STS-benchmark file.")
    Path sts;

    @Option(names = "--limit", description = "Use only the first N pairs (or sentences).")
    Integer limit;

    @Option(names = "--formats", description = "With --sts: 'all' or a comma-separated list (fp32, fp16, bf16, int8, int8-dynamic, int4, q8_0, q5_k, q4_k, q4_0).")
    String formats;

    @Option(names = "--format", description = "Convert MODEL's weights in memory to this format first.")
    String format;

    @Option(names = "--reference", description = "Base model to compare MODEL with.")
    String reference;

    @Option(names = "--sentences", description = "With --reference: one sentence per line.")
    Path sentences;

    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    @Option(names = "--threads", description = "Threads (default: all processors).")
    Integer threads;

    @Override public Integer call() throws Exception {
        if ((sts == null) == (reference == null)) throw new SquintException("give either --sts FILE or --reference BASE --sentences FILE");
        if (limit != null && limit < 2) throw new SquintException("--limit must be at least 2");
        PrintWriter out = spec.commandLine().getOut();
        ObjectMapper m = new ObjectMapper();
        ObjectNode root = m.createObjectNode();
        root.put("model", model);
        try (RowParallel pool = EncoderModels.threads(threads)) {
            if (sts != null) {
                List<EncoderEval.StsPair> pairs = EncoderEval.readSts(sts);
                if (limit != null && limit < pairs.size()) pairs = pairs.subList(0, limit);
                try (BertEncoder enc = EncoderModels.open(model, pool, formats != null ? null : format)) {
                    root.put("pairs", pairs.size());
                    if (formats == null) {
                        EncoderEval.StsResult r = EncoderEval.sts(pairs, t -> enc.embedAll(t, 32));
                        root.put("spearman", r.spearman());
                        root.put("pearson", r.pearson());
                        if (!json) out.printf(Locale.ROOT, "STS %s, %d pairs: Spearman %.4f, Pearson %.4f%n", sts.getFileName(), r.pairs(), r.spearman(), r.pearson());
                    } else {
                        ArrayNode rows = root.putArray("formats");
                        if (!json) out.printf(Locale.ROOT, "STS %s, %d pairs; projections converted in memory from FP32%n%-26s %-12s %10s %9s %9s %12s %12s%n",
                                sts.getFileName(), pairs.size(), "format", "stored as", "proj. MiB", "Spearman", "Pearson", "mean cos", "min cos");
                        EncoderEval.formatTable(enc, pairs, EncoderModels.parseFormats(formats), 32, row -> {
                            ObjectNode o = rows.addObject();
                            o.put("format", row.format().name().toLowerCase(Locale.ROOT));
                            o.put("stored_as", row.storedAs());
                            o.put("projection_bytes", row.projectionBytes());
                            o.put("spearman", row.sts().spearman());
                            o.put("pearson", row.sts().pearson());
                            o.put("mean_cosine_to_fp32", row.meanCosineToFp32());
                            o.put("min_cosine_to_fp32", row.minCosineToFp32());
                            if (!json) {
                                out.printf(Locale.ROOT, "%-26s %-12s %10.2f %9.4f %9.4f %12.6f %12.6f%n", row.format().label(), row.storedAs(),
                                        row.projectionBytes() / 1048576.0, row.sts().spearman(), row.sts().pearson(),
                                        row.meanCosineToFp32(), row.minCosineToFp32());
                                out.flush();
                            }
                        });
                    }
                }
            } else {
                if (sentences == null) throw new SquintException("--reference needs --sentences FILE");
                List<String> s = EncoderEval.readSentences(sentences);
                if (limit != null && limit < s.size()) s = s.subList(0, limit);
                float[][] base, other;
                try (BertEncoder b = EncoderModels.open(reference, pool, null)) {
                    base = b.embedAll(s, 32);
                }
                try (BertEncoder o = EncoderModels.open(model, pool, format)) {
                    other = o.embedAll(s, 32);
                }
                if (base[0].length != other[0].length) {
                    throw new SquintException("MODEL gives " + other[0].length + "-dimensional embeddings, BASE " + base[0].length);
                }
                EncoderEval.Fidelity f = EncoderEval.fidelity(base, other, 10);
                root.put("reference", reference);
                root.put("sentences", f.sentences());
                root.put("mean_cosine", f.meanCosine());
                root.put("min_cosine", f.minCosine());
                root.put("top_k", f.k());
                root.put("retrieval_agreement", f.retrievalAgreement());
                if (!json) out.printf(Locale.ROOT, "%d sentences vs %s: mean cosine %.6f, min cosine %.6f, top-%d retrieval agreement %.4f%n",
                        f.sentences(), reference, f.meanCosine(), f.minCosine(), f.k(), f.retrievalAgreement());
            }
        }
        if (json) out.println(m.writerWithDefaultPrettyPrinter().writeValueAsString(root));
        out.flush();
        return 0;
    }
}
