package dev.squint.bench;

import dev.squint.core.GgmlType;
import dev.squint.formats.gguf.GgufPlan;
import dev.squint.quantize.RandomLlamaModel;

import java.nio.file.Path;

/**
 * Writes a random llama-shaped GGUF (streaming, seeded) for the quantize benchmark; see
 * {@link RandomLlamaModel}. The default shape is the ~1B TinyLlama-like model of
 * {@code ../shared/testdata/llama.cpp/README.md} (dim 2048, 22 layers, 32 heads, 4 KV heads,
 * FFN 5632, vocab 512): 971,073,536 weights, 1.94 GB in F16.
 *
 * <p>Usage: {@code RandomLlamaGguf OUTPUT [--dim N] [--layers N] [--heads N] [--kv-heads N] [--ffn N]
 * [--vocab N] [--type f16|f32] [--seed N]}
 */
public final class RandomLlamaGguf {
    private RandomLlamaGguf() {}

    public static void main(String[] args) {
        if (args.length < 1 || args[0].startsWith("-")) {
            System.err.println("usage: RandomLlamaGguf OUTPUT [--dim N] [--layers N] [--heads N] [--kv-heads N] [--ffn N] [--vocab N] [--type f16|f32] [--seed N]");
            System.exit(2);
        }
        RandomLlamaModel.Shape d = RandomLlamaModel.Shape.tinyLlama512();
        int dim = d.dim(), layers = d.layers(), heads = d.heads(), kv = d.kvHeads(), ffn = d.ffn(), vocab = d.vocab();
        GgmlType type = GgmlType.F16;
        long seed = 1;
        for (int i = 1; i + 1 < args.length; i += 2) {
            String v = args[i + 1];
            switch (args[i]) {
                case "--dim" -> dim = Integer.parseInt(v);
                case "--layers" -> layers = Integer.parseInt(v);
                case "--heads" -> heads = Integer.parseInt(v);
                case "--kv-heads" -> kv = Integer.parseInt(v);
                case "--ffn" -> ffn = Integer.parseInt(v);
                case "--vocab" -> vocab = Integer.parseInt(v);
                case "--type" -> type = GgmlType.valueOf(v.toUpperCase(java.util.Locale.ROOT));
                case "--seed" -> seed = Long.parseLong(v);
                default -> {
                    System.err.println("unknown option " + args[i]);
                    System.exit(2);
                }
            }
        }
        RandomLlamaModel.Shape shape = new RandomLlamaModel.Shape(dim, layers, heads, kv, ffn, vocab);
        long t0 = System.nanoTime();
        GgufPlan plan = RandomLlamaModel.write(Path.of(args[0]), shape, type, seed);
        System.out.printf("wrote %s: %s, %,d weights, %,d bytes, %.1f s%n", args[0], shape, shape.weights(), plan.fileSize(),
                (System.nanoTime() - t0) / 1e9);
    }
}
