package dev.squint.engine.bert;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.squint.engine.tokenizer.WordPieceTokenizer;
import dev.squint.kernels.RowParallel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * squint's all-MiniLM-L6-v2 against ONNX Runtime running the same ONNX file on the same token ids
 * (ORT's last_hidden_state, then the same mean pooling and normalisation), on the first 100 pairs
 * (200 sentences) of the STS-benchmark test set.
 */
class OnnxRuntimeOracleTest {
    static RowParallel threads;
    static BertEncoder encoder;
    static List<EncoderEval.StsPair> pairs;
    static Path onnx;

    @BeforeAll
    static void load() {
        onnx = Path.of(System.getProperty("squint.models", "target/models"), "all-minilm-l6-v2", "all-minilm-l6-v2.onnx");
        Path sts = Path.of(System.getProperty("squint.shared", "../shared"), "data", "stsbenchmark", "sts-test.csv");
        assumeTrue(Files.exists(onnx), "all-MiniLM-L6-v2 not unpacked at " + onnx);
        assumeTrue(Files.exists(sts), "STS benchmark not at " + sts);
        pairs = EncoderEval.readSts(sts).subList(0, 100);
        threads = new RowParallel(2);
        encoder = BertLoader.open(onnx, threads);
    }

    @AfterAll
    static void close() {
        if (encoder != null) encoder.close();
        if (threads != null) threads.close();
    }

    static List<String> sentences() {
        List<String> s = new ArrayList<>();
        for (var p : pairs) s.add(p.first());
        for (var p : pairs) s.add(p.second());
        return s;
    }

    /** ORT embeddings of {@code texts} in batches of 32, with squint's token ids. */
    static float[][] ort(OrtSession session, WordPieceTokenizer tok, List<String> texts) throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        float[][] out = new float[texts.size()][];
        for (int from = 0; from < texts.size(); from += 32) {
            var batch = tok.batch(texts.subList(from, Math.min(texts.size(), from + 32)));
            long[][] ids = new long[batch.size()][batch.length()], mask = new long[batch.size()][batch.length()], types = new long[batch.size()][batch.length()];
            for (int b = 0; b < batch.size(); b++) {
                for (int t = 0; t < batch.length(); t++) {
                    ids[b][t] = batch.ids()[b * batch.length() + t];
                    mask[b][t] = batch.attentionMask()[b * batch.length() + t];
                    types[b][t] = batch.typeIds()[b * batch.length() + t];
                }
            }
            try (OnnxTensor i = OnnxTensor.createTensor(env, ids); OnnxTensor m = OnnxTensor.createTensor(env, mask);
                 OnnxTensor y = OnnxTensor.createTensor(env, types);
                 OrtSession.Result r = session.run(Map.of("input_ids", i, "attention_mask", m, "token_type_ids", y))) {
                float[][][] hidden = (float[][][]) r.get(0).getValue();
                for (int b = 0; b < batch.size(); b++) {
                    int h = hidden[b][0].length;
                    float[] pooled = new float[h];
                    int n = 0;
                    for (int t = 0; t < batch.length(); t++) {
                        if (mask[b][t] == 0) continue;
                        n++;
                        for (int d = 0; d < h; d++) pooled[d] += hidden[b][t][d];
                    }
                    for (int d = 0; d < h; d++) pooled[d] /= n;
                    BertEncoder.normalize(pooled, 0, h);
                    out[from + b] = pooled;
                }
            }
        }
        return out;
    }

    @Test
    void embeddingsMatchOnnxRuntime() throws OrtException {
        List<String> texts = sentences();
        assertThat(texts).hasSize(200);
        float[][] ours = encoder.embedAll(texts, 32);
        try (OrtSession session = OrtEnvironment.getEnvironment().createSession(onnx.toString(), new OrtSession.SessionOptions())) {
            float[][] theirs = ort(session, encoder.tokenizer(), texts);
            double min = 1;
            for (int i = 0; i < texts.size(); i++) {
                double c = EncoderEval.cosine(ours[i], theirs[i]);
                min = Math.min(min, c);
                assertThat(c).as("cosine of sentence %d: %s", i, texts.get(i)).isGreaterThanOrEqualTo(0.99999);
            }
            System.out.printf("squint vs ONNX Runtime, 200 STS sentences: min cosine %.8f%n", min);
            // Spearman of the 100 pairs: the same to 4 decimals
            var squintSts = EncoderEval.sts(pairs, t -> encoder.embedAll(t, 32));
            var ortSts = EncoderEval.sts(pairs, t -> {
                try {
                    return ort(session, encoder.tokenizer(), t);
                } catch (OrtException e) {
                    throw new IllegalStateException(e);
                }
            });
            System.out.printf("STS Spearman on 100 pairs: squint %.6f, ONNX Runtime %.6f%n", squintSts.spearman(), ortSts.spearman());
            assertThat(Math.abs(squintSts.spearman() - ortSts.spearman())).isLessThan(0.00005);
        }
    }

    @Test
    void embeddingsAreUnitLengthAndBatchIndependent() {
        List<String> texts = sentences().subList(0, 5);
        float[][] batched = encoder.embed(texts);
        for (int i = 0; i < texts.size(); i++) {
            float[] alone = encoder.embed(List.of(texts.get(i)))[0];
            assertThat(EncoderEval.cosine(alone, batched[i])).isGreaterThan(0.999999);
            double norm = 0;
            for (float v : alone) norm += v * v;
            assertThat(Math.sqrt(norm)).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-5));
        }
    }

    /** Every kernel splits work so each output is computed one way: one thread and two give the same bits, FP32 and W8A8. */
    @Test
    void embeddingsAreIdenticalAtAnyThreadCount() {
        List<String> some = sentences().subList(0, 40);
        try (RowParallel one = new RowParallel(1); BertEncoder single = BertLoader.open(onnx, one);
             BertEncoder dyn = encoder.withWeights(WeightFormat.INT8_DYNAMIC.apply(encoder.weights()));
             BertEncoder dynSingle = single.withWeights(WeightFormat.INT8_DYNAMIC.apply(single.weights()))) {
            assertThat(single.embedAll(some, 32)).isDeepEqualTo(encoder.embedAll(some, 32));
            assertThat(dynSingle.embedAll(some, 32)).isDeepEqualTo(dyn.embedAll(some, 32));
            assertThat(dynSingle.embedAll(some.subList(0, 3), 1)).isDeepEqualTo(dyn.embedAll(some.subList(0, 3), 1));
        }
    }

    @Test
    void badInputGivesSensibleEmbeddings() {
        float[][] e = encoder.embed(List.of("", "☃☃☃ \u0000\uFFFD", "word ".repeat(2000), "A girl is styling her hair."));
        for (float[] v : e) {
            assertThat(v).hasSize(384);
            for (float x : v) assertThat(Float.isFinite(x)).isTrue();
        }
        assertThat(encoder.tokenizer().encodeForModel("word ".repeat(2000)).truncated()).isTrue();
        // the empty text and the unknown-only text are [CLS] [SEP] and [CLS] [UNK]... [SEP]: distinct, finite
        assertThat(EncoderEval.cosine(e[0], e[3])).isLessThan(0.9);
    }
}
