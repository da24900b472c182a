package dev.squint.quantize.onnx;

import org.junit.jupiter.api.Assumptions;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** all-MiniLM-L6-v2 test fixtures: model paths, sentences, mean-pooled normalised embeddings. */
final class MiniLm {
    private MiniLm() {}

    static Path dir() {
        String models = System.getProperty("squint.models");
        Assumptions.assumeTrue(models != null, "squint.models is not set (run through Maven)");
        Path d = Path.of(models);
        Assumptions.assumeTrue(Files.exists(d.resolve("all-minilm-l6-v2/all-minilm-l6-v2.onnx")), "all-MiniLM-L6-v2 is not unpacked");
        return d;
    }

    static Path fp32() { return dir().resolve("all-minilm-l6-v2/all-minilm-l6-v2.onnx"); }

    static Path ortInt8() { return dir().resolve("all-minilm-l6-v2-q/all-minilm-l6-v2-q.onnx"); }

    static Path tokenizer() { return dir().resolve("all-minilm-l6-v2/all-minilm-l6-v2-tokenizer.json"); }

    static final List<String> SENTENCES = List.of(
            "A man is playing a guitar on stage.",
            "The quick brown fox jumps over the lazy dog.",
            "Quantization reduces the size of neural network weights.",
            "She sold seashells by the seashore in the early morning.",
            "How do I reset my password if I forgot the old one?",
            "The stock market fell sharply after the announcement.",
            "Two children are building a sandcastle at the beach.",
            "Java runs on billions of devices around the world.",
            "A woman is slicing tomatoes in the kitchen.",
            "The weather forecast predicts heavy rain tomorrow afternoon.",
            "An orchestra performed Beethoven's ninth symphony last night.",
            "Please submit the quarterly report before Friday.",
            "The cat slept on the warm windowsill all day.",
            "Electric cars are becoming cheaper every year.",
            "He forgot his umbrella and got soaked on the way home.",
            "Researchers discovered a new species of frog in the rainforest.");

    static Map<String, HostTensor> batch(List<String> sentences) {
        return CalibrationData.tokenInputs(CalibrationData.wordPiece(tokenizer()), sentences, 128, Set.of("input_ids", "attention_mask", "token_type_ids"));
    }

    /** Mean-pooled (over the attention mask), L2-normalised sentence embeddings. */
    static float[][] embed(Path model, Map<String, HostTensor> batch) {
        try (OrtRunner r = new OrtRunner(model)) {
            OrtRunner.Output out = r.run(batch).get("last_hidden_state");
            long[] s = out.shape();
            int b = (int) s[0], len = (int) s[1], dim = (int) s[2];
            var mask = batch.get("attention_mask").data();
            float[][] e = new float[b][dim];
            for (int i = 0; i < b; i++) {
                int count = 0;
                for (int j = 0; j < len; j++) {
                    if (mask.getLong((i * len + j) * 8) == 0) continue;
                    count++;
                    for (int d = 0; d < dim; d++) e[i][d] += out.values()[(i * len + j) * dim + d];
                }
                double norm = 0;
                for (int d = 0; d < dim; d++) { e[i][d] /= count; norm += e[i][d] * e[i][d]; }
                for (int d = 0; d < dim; d++) e[i][d] /= (float) Math.sqrt(norm);
            }
            return e;
        }
    }

    /** Mean cosine between matching rows of normalised embeddings. */
    static double meanCosine(float[][] a, float[][] b) {
        double sum = 0;
        for (int i = 0; i < a.length; i++) {
            double dot = 0;
            for (int d = 0; d < a[i].length; d++) dot += a[i][d] * b[i][d];
            sum += dot;
        }
        return sum / a.length;
    }

    static List<Map<String, HostTensor>> calibration(int batches) {
        List<Map<String, HostTensor>> out = new ArrayList<>();
        for (int i = 0; i < batches; i++) out.add(batch(SENTENCES.subList(i * 4 % SENTENCES.size(), i * 4 % SENTENCES.size() + 4)));
        return out;
    }
}
