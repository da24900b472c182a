package dev.squint.compare;

import dev.squint.core.SquintException;
import dev.squint.engine.bert.BertEncoder;
import dev.squint.engine.bert.BertLoader;
import dev.squint.engine.tokenizer.WordPieceTokenizer;
import dev.squint.kernels.RowParallel;
import dev.squint.quantize.onnx.HostTensor;
import dev.squint.quantize.onnx.OrtRunner;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Sentence embeddings of an already tokenized batch, whatever runs the model: ONNX Runtime on an ONNX file
 * ({@link #onnxRuntime}) or squint's BERT engine on a GGUF, safetensors or ONNX model ({@link #squintEngine}).
 * Taking tokens rather than text is what makes rows comparable: every runtime sees the same ids and masks.
 */
public interface SentenceEmbedder extends AutoCloseable {
    /** One unit-length embedding per sequence of {@code batch}. */
    float[][] embed(WordPieceTokenizer.Batch batch);

    @Override void close();

    /** squint's engine: the encoder's own pooling and normalisation (from the model's config). */
    static SentenceEmbedder squintEngine(Path model, RowParallel threads) {
        BertEncoder encoder = BertLoader.open(model, threads);
        return new SentenceEmbedder() {
            @Override public float[][] embed(WordPieceTokenizer.Batch batch) {
                float[] pooled = encoder.forward(batch);
                return split(pooled, batch.size(), encoder.config().hidden());
            }

            @Override public void close() { encoder.close(); }
        };
    }

    /**
     * ONNX Runtime's CPU provider with {@code threads} intra-op threads on an export whose first output is the
     * token states {@code [batch, tokens, hidden]} (as all-MiniLM-L6-v2's {@code last_hidden_state}); the
     * sentence embedding is their mean over the attention mask, scaled to unit length — the pooling
     * sentence-transformers configures for this model and squint's engine applies.
     */
    static SentenceEmbedder onnxRuntime(Path model, int threads) {
        OrtRunner runner = new OrtRunner(model, threads);
        List<String> inputs = runner.inputNames();
        return new SentenceEmbedder() {
            @Override public float[][] embed(WordPieceTokenizer.Batch batch) {
                Map<String, OrtRunner.Output> out = runner.run(inputs(batch, inputs));
                OrtRunner.Output states = out.values().iterator().next();
                long[] s = states.shape();
                if (s.length != 3 || s[0] != batch.size() || s[1] != batch.length()) {
                    throw new SquintException(model + ": first output '" + states.name() + "' has shape " + java.util.Arrays.toString(s)
                            + ", expected token states [" + batch.size() + ", " + batch.length() + ", hidden]");
                }
                return meanPool(states.values(), batch, (int) s[2]);
            }

            @Override public void close() { runner.close(); }
        };
    }

    /** The graph inputs a BERT export takes, built from the batch: input_ids, attention_mask, token_type_ids. */
    static Map<String, HostTensor> inputs(WordPieceTokenizer.Batch batch, List<String> inputs) {
        long[] shape = {batch.size(), batch.length()};
        Map<String, HostTensor> m = new LinkedHashMap<>();
        for (String name : inputs) {
            int[] source = switch (name) {
                case "input_ids" -> batch.ids();
                case "attention_mask" -> batch.attentionMask();
                case "token_type_ids" -> batch.typeIds();
                default -> throw new SquintException("ONNX input '" + name + "' is not one a BERT export takes "
                        + "(input_ids, attention_mask, token_type_ids)");
            };
            long[] values = new long[source.length];
            for (int i = 0; i < values.length; i++) values[i] = source[i];
            m.put(name, HostTensor.ofLongs(name, shape, values));
        }
        return m;
    }

    /** Mean of the unmasked token states of each sequence, then L2 normalisation; sums in double. */
    static float[][] meanPool(float[] states, WordPieceTokenizer.Batch batch, int hidden) {
        int len = batch.length();
        float[][] out = new float[batch.size()][];
        // WordPiece batches pad at the end, so a sequence's real tokens are its first tokens(b)
        for (int b = 0; b < batch.size(); b++) out[b] = pool(states, b * len * hidden, batch.tokens(b), hidden, true);
        return out;
    }

    /**
     * One sentence embedding from token states: the mean of the {@code count} token rows starting at
     * {@code offset} ({@code count} 1 gives CLS pooling), summed in double, then scaled to unit length if
     * {@code normalize}. Shared by the demo and {@code squint compare}, so both pool exactly alike.
     */
    static float[] pool(float[] states, int offset, int count, int hidden, boolean normalize) {
        double[] sum = new double[hidden];
        for (int t = 0; t < count; t++) {
            int base = offset + t * hidden;
            for (int d = 0; d < hidden; d++) sum[d] += states[base + d];
        }
        double norm = 0;
        for (int d = 0; d < hidden; d++) {
            sum[d] /= Math.max(1, count);
            norm += sum[d] * sum[d];
        }
        double scale = !normalize ? 1 : norm == 0 ? 0 : 1 / Math.sqrt(norm);
        float[] e = new float[hidden];
        for (int d = 0; d < hidden; d++) e[d] = (float) (sum[d] * scale);
        return e;
    }

    private static float[][] split(float[] pooled, int n, int hidden) {
        float[][] out = new float[n][];
        for (int b = 0; b < n; b++) out[b] = java.util.Arrays.copyOfRange(pooled, b * hidden, (b + 1) * hidden);
        return out;
    }
}
