package dev.squint.quantize;

import dev.squint.core.GgmlType;
import dev.squint.core.Metadata;
import dev.squint.formats.gguf.GgufPlan;
import dev.squint.formats.gguf.GgufWriter;
import dev.squint.kernels.VectorFloatFormats;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;

/**
 * Writes a GGUF of random weights shaped like a llama model, for tests and benchmarks: the tensor
 * names, order and metadata of llama.cpp's converter, F32 or F16 data drawn from a seeded generator.
 * Streams: a few MiB of memory whatever the size, so a model larger than RAM can be made.
 *
 * <p>Weights are uniform in ±{@code 2/sqrt(columns)} (roughly the scale of trained matrices) with a
 * sparse sprinkling of larger outliers, so quantizers meet realistic blocks; norm weights are near 1.
 * Each tensor has its own stream (seed and tensor index), so content does not depend on chunking.
 */
public final class RandomLlamaModel {

    /** A llama shape. {@code vocab} rows in token_embd and output. */
    public record Shape(int dim, int layers, int heads, int kvHeads, int ffn, int vocab) {
        /** TinyLlama-1.1B's shape with a 512-token vocabulary (../shared/testdata/llama.cpp/README.md): 971,073,536 weights. */
        public static Shape tinyLlama512() { return new Shape(2048, 22, 32, 4, 5632, 512); }

        public long weights() {
            long kv = (long) dim / heads * kvHeads;
            long perLayer = 2L * dim * dim + 2L * kv * dim + 3L * dim * ffn + 2L * dim;
            return 2L * vocab * dim + dim + layers * perLayer;
        }
    }

    private RandomLlamaModel() {}

    /** Writes the model to {@code out} (atomically) and returns the file's plan. */
    public static GgufPlan write(Path out, Shape s, GgmlType type, long seed) {
        if (type != GgmlType.F16 && type != GgmlType.F32) throw new IllegalArgumentException("F16 or F32, not " + type);
        Metadata meta = Metadata.builder()
                .putString("general.architecture", "llama")
                .putString("general.name", "random-llama")
                .putU32("llama.context_length", 2048)
                .putU32("llama.embedding_length", s.dim())
                .putU32("llama.feed_forward_length", s.ffn())
                .putU32("llama.attention.head_count", s.heads())
                .putU32("llama.attention.head_count_kv", s.kvHeads())
                .putU32("llama.block_count", s.layers())
                .putU32("llama.rope.dimension_count", s.dim() / s.heads())
                .putF32("llama.attention.layer_norm_rms_epsilon", 1e-5f)
                .putU32("general.file_type", type == GgmlType.F16 ? 1 : 0)
                .build();
        int kv = s.dim() / s.heads() * s.kvHeads();
        GgufPlan.Builder b = GgufPlan.builder().metadata(meta);
        b.tensor("token_embd.weight", type, s.dim(), s.vocab());
        b.tensor("output_norm.weight", GgmlType.F32, s.dim());
        b.tensor("output.weight", type, s.dim(), s.vocab());
        for (int l = 0; l < s.layers(); l++) {
            String p = "blk." + l + ".";
            b.tensor(p + "attn_q.weight", type, s.dim(), s.dim());
            b.tensor(p + "attn_k.weight", type, s.dim(), kv);
            b.tensor(p + "attn_v.weight", type, s.dim(), kv);
            b.tensor(p + "attn_output.weight", type, s.dim(), s.dim());
            b.tensor(p + "attn_norm.weight", GgmlType.F32, s.dim());
            b.tensor(p + "ffn_gate.weight", type, s.dim(), s.ffn());
            b.tensor(p + "ffn_down.weight", type, s.ffn(), s.dim());
            b.tensor(p + "ffn_up.weight", type, s.dim(), s.ffn());
            b.tensor(p + "ffn_norm.weight", GgmlType.F32, s.dim());
        }
        GgufPlan plan = b.build();
        List<String> names = plan.tensors().stream().map(t -> t.name()).toList();
        try (Arena arena = Arena.ofConfined()) {
            int chunk = 1 << 20;
            float[] f = new float[chunk];
            MemorySegment bytes = arena.allocate(chunk * 4L, 64);
            GgufWriter.write(out, plan, (tensor, sink) -> {
                long n = tensor.elementCount();
                long cols = tensor.ne()[0];
                boolean norm = tensor.nDims() == 1;
                float scale = (float) (2 / Math.sqrt(cols));
                long state = mix(seed * 0x9E3779B97F4A7C15L + names.indexOf(tensor.name()));
                int esize = tensor.type() == GgmlType.F32 ? 4 : 2;
                for (long done = 0; done < n; ) {
                    int m = (int) Math.min(chunk, n - done);
                    for (int i = 0; i < m; i++) {
                        state = state * 6364136223846793005L + 1442695040888963407L;
                        long z = mix(state);
                        float u = (z >>> 40) * 0x1.0p-24f * 2 - 1; // uniform in [-1, 1)
                        if (norm) f[i] = 1 + 0.1f * u;
                        else f[i] = ((z & 0x3FF) == 0 ? 8 * scale : scale) * u; // one weight in 1024 is an outlier
                    }
                    if (esize == 2) VectorFloatFormats.f32ToF16Row(f, 0, bytes, 0, m);
                    else MemorySegment.copy(f, 0, bytes, ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0, m);
                    sink.write(bytes.asSlice(0, (long) m * esize));
                    done += m;
                }
            }, List.of());
        }
        return plan;
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
