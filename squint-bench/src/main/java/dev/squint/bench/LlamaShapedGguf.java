package dev.squint.bench;

import dev.squint.core.GgmlType;
import dev.squint.core.Metadata;
import dev.squint.core.codec.BlockCodec;
import dev.squint.formats.gguf.GgufPlan;
import dev.squint.formats.gguf.GgufWriter;
import dev.squint.kernels.VectorCodecs;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Writes a llama-architecture GGUF with seeded random weights (Gaussian, sd 0.02; norms 1) for speed
 * benchmarks of the decoder, in one matrix type (F16, F32, Q8_0, Q4_0, Q4_K, ... anything with a codec).
 * The default shape is the README's TinyLlama-1.1B-like model with a 512-token vocabulary: dim 2048,
 * 22 layers, 32 heads, 4 KV heads, FFN 5632 (971 M parameters). Embedding and output matrices use the
 * same type; norms are F32. No tokenizer is written: {@code squint bench} does not need one.
 *
 * <p>Usage: {@code LlamaShapedGguf OUTPUT TYPE [dim layers heads kvHeads ffn vocab]}.
 */
public final class LlamaShapedGguf {
    private LlamaShapedGguf() {}

    public static void main(String[] args) {
        if (args.length < 2) {
            System.err.println("usage: LlamaShapedGguf OUTPUT TYPE [dim layers heads kvHeads ffn vocab]");
            System.exit(2);
        }
        Path out = Path.of(args[0]);
        GgmlType type = GgmlType.valueOf(args[1]);
        int[] s = {2048, 22, 32, 4, 5632, 512};
        for (int i = 0; i < s.length && i + 2 < args.length; i++) s[i] = Integer.parseInt(args[i + 2]);
        int dim = s[0], layers = s[1], heads = s[2], kvHeads = s[3], ffn = s[4], vocab = s[5];
        int kvDim = dim / heads * kvHeads;
        Metadata meta = Metadata.builder()
                .putString("general.architecture", "llama")
                .putString("general.name", "random llama " + dim + "x" + layers)
                .putU32("llama.context_length", 2048)
                .putU32("llama.embedding_length", dim)
                .putU32("llama.feed_forward_length", ffn)
                .putU32("llama.block_count", layers)
                .putU32("llama.attention.head_count", heads)
                .putU32("llama.attention.head_count_kv", kvHeads)
                .putU32("llama.rope.dimension_count", dim / heads)
                .putF32("llama.rope.freq_base", 10000f)
                .putF32("llama.attention.layer_norm_rms_epsilon", 1e-5f)
                .putU32("llama.vocab_size", vocab)
                .build();
        GgufPlan.Builder plan = GgufPlan.builder().metadata(meta);
        plan.tensor("token_embd.weight", type, dim, vocab);
        for (int l = 0; l < layers; l++) {
            String p = "blk." + l + ".";
            plan.tensor(p + "attn_norm.weight", GgmlType.F32, dim);
            plan.tensor(p + "attn_q.weight", type, dim, dim);
            plan.tensor(p + "attn_k.weight", type, dim, kvDim);
            plan.tensor(p + "attn_v.weight", type, dim, kvDim);
            plan.tensor(p + "attn_output.weight", type, dim, dim);
            plan.tensor(p + "ffn_norm.weight", GgmlType.F32, dim);
            plan.tensor(p + "ffn_gate.weight", type, dim, ffn);
            plan.tensor(p + "ffn_up.weight", type, dim, ffn);
            plan.tensor(p + "ffn_down.weight", type, ffn, dim);
        }
        plan.tensor("output_norm.weight", GgmlType.F32, dim);
        plan.tensor("output.weight", type, dim, vocab);
        long t0 = System.nanoTime();
        GgufWriter.write(out, plan.build(), (tensor, sink) -> {
            long[] ne = tensor.ne();
            int cols = (int) ne[0];
            long rows = ne.length > 1 ? ne[1] : 1;
            BlockCodec codec = VectorCodecs.of(tensor.type());
            SplittableRandom rnd = new SplittableRandom(tensor.name().hashCode());
            float[] row = new float[cols];
            long rowBytes = codec.rowBytes(cols);
            int batch = (int) Math.max(1, Math.min(rows, (4 << 20) / rowBytes));
            MemorySegment buf = MemorySegment.ofArray(new byte[(int) (rowBytes * batch)]);
            boolean norm = ne.length == 1;
            for (long r = 0; r < rows; ) {
                int n = (int) Math.min(batch, rows - r);
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j < cols; j++) row[j] = norm ? 1f : (float) (rnd.nextGaussian() * 0.02);
                    codec.quantizeRow(row, 0, cols, buf, i * rowBytes, null);
                }
                sink.write(buf.asSlice(0, n * rowBytes));
                r += n;
            }
        }, List.of());
        System.out.printf("wrote %s (%s) in %.1f s%n", out, type, (System.nanoTime() - t0) / 1e9);
    }
}
