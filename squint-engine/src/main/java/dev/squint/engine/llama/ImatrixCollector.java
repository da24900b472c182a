package dev.squint.engine.llama;

import dev.squint.core.GgmlType;
import dev.squint.core.MetaValue;
import dev.squint.core.Metadata;
import dev.squint.engine.ops.Linear;
import dev.squint.formats.gguf.GgufPlan;
import dev.squint.formats.gguf.GgufWriter;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.IntConsumer;

/**
 * Collects an importance matrix as llama.cpp's {@code llama-imatrix}: for every matrix's input, the
 * per-column sum of squared activations over all tokens seen, and the token count (the importance of
 * column {@code j} is {@code in_sum2[j] / counts}). The text runs in chunks of {@code ctx} tokens, each
 * starting with BOS, every token of a chunk counted. As llama-imatrix by default, the output matrix is left
 * out (it only sees the last layer's activations).
 *
 * <p>Written in llama.cpp's GGUF imatrix format: {@code general.type = "imatrix"},
 * {@code imatrix.datasets} (string array), {@code imatrix.chunk_count}, {@code imatrix.chunk_size} (uint32),
 * and per weight tensor {@code NAME} (llama.cpp names, e.g. {@code blk.0.attn_q.weight}) an F32 tensor
 * {@code NAME.in_sum2} with ne = [columns, 1] and an F32 {@code NAME.counts} with ne = [1, 1], in name order.
 */
public final class ImatrixCollector {
    private final Map<Linear, double[]> sums = new LinkedHashMap<>();
    private final Map<Linear, long[]> counts = new HashMap<>();
    private final Map<Linear, String> names = new HashMap<>();
    private int chunks;
    private int chunkSize;

    /** Runs {@code tokens} through {@code session}'s model and collects the statistics. */
    public static ImatrixCollector collect(LlamaSession session, int[] tokens, int ctx, int bos, IntConsumer progress) {
        ImatrixCollector c = new ImatrixCollector();
        LlamaModel model = session.model();
        List<Linear> all = model.linears();
        List<Linear> collected = new ArrayList<>(all.subList(0, all.size() - 1)); // not the output matrix
        for (int l = 0; l < model.config().layers(); l++) {
            String p = "blk." + l + ".";
            String[] n = {"attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down"};
            for (int i = 0; i < n.length; i++) c.names.put(collected.get(l * n.length + i), p + n[i] + ".weight");
        }
        for (Linear lin : collected) {
            c.sums.put(lin, new double[lin.in()]);
            c.counts.put(lin, new long[1]);
            lin.observe((layer, x, n) -> {
                double[] s = c.sums.get(layer);
                int in = layer.in();
                for (int t = 0; t < n; t++) {
                    for (int j = 0; j < in; j++) {
                        double v = x[t * in + j];
                        s[j] += v * v;
                    }
                }
                c.counts.get(layer)[0] += n;
            });
        }
        try {
            int chunks = PerplexityEval.chunks(tokens, ctx);
            int[] batch = new int[ctx];
            for (int k = 0; k < chunks; k++) {
                System.arraycopy(tokens, k * ctx, batch, 0, ctx);
                batch[0] = bos;
                session.reset();
                session.forward(batch, 0, ctx, false);
                progress.accept(k + 1);
            }
            c.chunks = chunks;
            c.chunkSize = ctx;
        } finally {
            for (Linear lin : collected) lin.observe(null);
        }
        return c;
    }

    /** Per-column mean of squared inputs of the matrix named {@code name} (llama.cpp name), or null. */
    public float[] importance(String name) {
        for (Map.Entry<Linear, String> e : names.entrySet()) {
            if (e.getValue().equals(name)) {
                double[] s = sums.get(e.getKey());
                long n = counts.get(e.getKey())[0];
                float[] r = new float[s.length];
                for (int j = 0; j < s.length; j++) r[j] = (float) (s[j] / n);
                return r;
            }
        }
        return null;
    }

    public int chunks() { return chunks; }

    /** Writes the GGUF imatrix file (atomically; refuses to overwrite {@code inputs}). */
    public void write(Path out, String dataset, List<Path> inputs) {
        TreeMap<String, Linear> byName = new TreeMap<>();
        for (Map.Entry<Linear, String> e : names.entrySet()) byName.put(e.getValue(), e.getKey());
        Metadata meta = Metadata.builder()
                .putString("general.type", "imatrix")
                .put("imatrix.datasets", new MetaValue.Array(MetaValue.Kind.STRING, List.of(MetaValue.Str.of(dataset))))
                .putU32("imatrix.chunk_count", chunks)
                .putU32("imatrix.chunk_size", chunkSize)
                .build();
        GgufPlan.Builder plan = GgufPlan.builder().metadata(meta);
        Map<String, MemorySegment> data = new HashMap<>();
        ValueLayout.OfFloat f32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        for (Map.Entry<String, Linear> e : byName.entrySet()) {
            double[] s = sums.get(e.getValue());
            MemorySegment sum2 = MemorySegment.ofArray(new byte[4 * s.length]);
            for (int j = 0; j < s.length; j++) sum2.setAtIndex(f32, j, (float) s[j]);
            MemorySegment cnt = MemorySegment.ofArray(new byte[4]);
            cnt.set(f32, 0, (float) counts.get(e.getValue())[0]);
            plan.tensor(e.getKey() + ".in_sum2", GgmlType.F32, s.length, 1);
            plan.tensor(e.getKey() + ".counts", GgmlType.F32, 1, 1);
            data.put(e.getKey() + ".in_sum2", sum2);
            data.put(e.getKey() + ".counts", cnt);
        }
        GgufWriter.write(out, plan.build(), GgufWriter.from(data), inputs);
    }
}
