package dev.squint.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.squint.engine.bert.BertEncoder;
import dev.squint.engine.bert.BertLoader;
import dev.squint.engine.bert.EncoderEval;
import dev.squint.engine.bert.WeightFormat;
import dev.squint.engine.tokenizer.WordPieceTokenizer;
import dev.squint.kernels.RowParallel;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * squint's BERT encoder against ONNX Runtime on all-MiniLM-L6-v2, same machine, same thread count:
 * <ol>
 *   <li>STS Spearman of squint FP32 and of ORT running the FP32 ONNX on squint's token ids
 *       (then the same mean pooling and normalisation);</li>
 *   <li>sentences/s (of wall time, and per CPU-second of the process: the fairer number on a shared
 *       machine) for ORT FP32, ORT on the langchain4j {@code -q} (int8) model, squint FP32 and squint
 *       INT8 dynamic (W8A8).</li>
 * </ol>
 * Usage: {@code EncoderVsOnnxRuntime MODELS_DIR STS_FILE [pairs (0 = all, -1 = skip the STS part)] [threads] [seconds] [batch]}, where
 * MODELS_DIR holds {@code all-minilm-l6-v2/} and {@code all-minilm-l6-v2-q/} as the build unpacks them.
 */
public final class EncoderVsOnnxRuntime {
    public static void main(String[] args) throws Exception {
        Path models = Path.of(args[0]);
        Path sts = Path.of(args[1]);
        int limit = args.length > 2 ? Integer.parseInt(args[2]) : 0;
        int threads = args.length > 3 ? Integer.parseInt(args[3]) : Runtime.getRuntime().availableProcessors();
        double seconds = args.length > 4 ? Double.parseDouble(args[4]) : 10;
        int batch = args.length > 5 ? Integer.parseInt(args[5]) : 32;
        Path fp32 = models.resolve("all-minilm-l6-v2/all-minilm-l6-v2.onnx");
        Path q = models.resolve("all-minilm-l6-v2-q/all-minilm-l6-v2-q.onnx");
        List<EncoderEval.StsPair> pairs = EncoderEval.readSts(sts);
        if (limit > 0 && limit < pairs.size()) pairs = pairs.subList(0, limit);
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        options.setIntraOpNumThreads(threads);
        options.setInterOpNumThreads(1);
        try (RowParallel pool = new RowParallel(threads); BertEncoder squint = BertLoader.open(fp32, pool);
             OrtSession ortFp32 = env.createSession(fp32.toString(), options); OrtSession ortQ = env.createSession(q.toString(), options)) {
            WordPieceTokenizer tok = squint.tokenizer();
            if (limit >= 0) {
                System.out.printf(Locale.ROOT, "threads %d, STS %s, %d pairs%n", threads, sts.getFileName(), pairs.size());
                var ortSts = EncoderEval.sts(pairs, t -> ortEmbed(ortFp32, tok, t, 32));
                System.out.printf(Locale.ROOT, "ONNX Runtime FP32: Spearman %.6f, Pearson %.6f%n", ortSts.spearman(), ortSts.pearson());
                var ortQSts = EncoderEval.sts(pairs, t -> ortEmbed(ortQ, tok, t, 32));
                System.out.printf(Locale.ROOT, "ONNX Runtime -q  : Spearman %.6f, Pearson %.6f%n", ortQSts.spearman(), ortQSts.pearson());
                var ours = EncoderEval.sts(pairs, t -> squint.embedAll(t, 32));
                System.out.printf(Locale.ROOT, "squint FP32      : Spearman %.6f, Pearson %.6f (|Δ Spearman| vs ORT %.2e)%n",
                        ours.spearman(), ours.pearson(), Math.abs(ours.spearman() - ortSts.spearman()));
            }

            List<String> sentences = new ArrayList<>();
            for (int i = 0; sentences.size() < 64 && i < pairs.size(); i++) sentences.add(pairs.get(i).first());
            System.out.printf(Locale.ROOT, "speed, threads %d, batch %d, %d STS sentences, >= %.0f s each; sentences/s of wall time and per CPU-second of the process:%n",
                    threads, batch, sentences.size(), seconds);
            report("ONNX Runtime FP32", time(sentences, seconds, s -> ortEmbed(ortFp32, tok, s, batch)));
            report("ONNX Runtime -q (int8)", time(sentences, seconds, s -> ortEmbed(ortQ, tok, s, batch)));
            report("squint FP32", time(sentences, seconds, s -> squint.embedAll(s, batch)));
            try (BertEncoder dyn = squint.withWeights(WeightFormat.INT8_DYNAMIC.apply(squint.weights()))) {
                report("squint INT8 dynamic", time(sentences, seconds, s -> dyn.embedAll(s, batch)));
            }
        }
    }

    private static void report(String name, double[] rates) {
        System.out.printf(Locale.ROOT, "  %-24s %8.1f sentences/s  %7.2f ms/sentence  %8.1f sentences/CPU-s%n", name, rates[0], 1000 / rates[0], rates[1]);
    }

    /** {sentences per wall second, sentences per CPU-second of the whole process}. */
    private static double[] time(List<String> sentences, double seconds, Function<List<String>, float[][]> embed) {
        var os = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        embed.apply(sentences); // warm-up
        embed.apply(sentences);
        long start = System.nanoTime(), cpu = os.getProcessCpuTime();
        long done = 0;
        do {
            embed.apply(sentences);
            done += sentences.size();
        } while (System.nanoTime() - start < seconds * 1e9);
        return new double[] {done / ((System.nanoTime() - start) / 1e9), done / ((os.getProcessCpuTime() - cpu) / 1e9)};
    }

    /** ORT embeddings in batches of {@code batchSize} from squint's token ids: last_hidden_state, mean over the mask, unit length. */
    static float[][] ortEmbed(OrtSession session, WordPieceTokenizer tok, List<String> texts, int batchSize) {
        try {
            OrtEnvironment env = OrtEnvironment.getEnvironment();
            float[][] out = new float[texts.size()][];
            for (int from = 0; from < texts.size(); from += batchSize) {
                var batch = tok.batch(texts.subList(from, Math.min(texts.size(), from + batchSize)));
                int n = batch.size(), len = batch.length();
                long[][] ids = new long[n][len], mask = new long[n][len], types = new long[n][len];
                for (int b = 0; b < n; b++) {
                    for (int t = 0; t < len; t++) {
                        ids[b][t] = batch.ids()[b * len + t];
                        mask[b][t] = batch.attentionMask()[b * len + t];
                        types[b][t] = batch.typeIds()[b * len + t];
                    }
                }
                try (OnnxTensor i = OnnxTensor.createTensor(env, ids); OnnxTensor m = OnnxTensor.createTensor(env, mask);
                     OnnxTensor y = OnnxTensor.createTensor(env, types);
                     OrtSession.Result r = session.run(Map.of("input_ids", i, "attention_mask", m, "token_type_ids", y))) {
                    float[][][] hidden = (float[][][]) r.get(0).getValue();
                    for (int b = 0; b < n; b++) {
                        int h = hidden[b][0].length;
                        double[] sum = new double[h];
                        int count = 0;
                        for (int t = 0; t < len; t++) {
                            if (mask[b][t] == 0) continue;
                            count++;
                            for (int d = 0; d < h; d++) sum[d] += hidden[b][t][d];
                        }
                        double norm = 0;
                        for (int d = 0; d < h; d++) {
                            sum[d] /= count;
                            norm += sum[d] * sum[d];
                        }
                        float[] e = new float[h];
                        for (int d = 0; d < h; d++) e[d] = (float) (sum[d] / Math.sqrt(norm));
                        out[from + b] = e;
                    }
                }
            }
            return out;
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime: " + e.getMessage(), e);
        }
    }
}
