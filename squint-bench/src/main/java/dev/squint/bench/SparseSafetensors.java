package dev.squint.bench;

import dev.squint.core.AtomicOutput;
import dev.squint.core.Metadata;
import dev.squint.core.ScalarType;
import dev.squint.core.Shape;
import dev.squint.formats.safetensors.SafetensorsWriter;
import dev.squint.formats.safetensors.SafetensorsWriter.Entry;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A memory benchmark fixture: a multi-gigabyte safetensors file whose header is real (Llama-3-8B
 * shaped BF16 tensors, layers added until the size is reached) and whose data section is a hole,
 * so it takes a few KB of disk. Measure opening it with {@link OpenModel} under a small heap:
 * <pre>
 *   java -cp squint-bench.jar dev.squint.bench.SparseSafetensors /tmp/big.safetensors 10
 *   java -Xmx64m -cp squint-bench.jar dev.squint.bench.OpenModel /tmp/big.safetensors
 * </pre>
 * Opening maps the file and parses only the header, so heap use must not grow with the file.
 */
public final class SparseSafetensors {
    private SparseSafetensors() {}

    private static final long HIDDEN = 4096, INTERMEDIATE = 14336, KV = 1024, VOCAB = 128256;

    /** Usage: {@code SparseSafetensors OUTPUT.safetensors [GIB=10]} */
    public static void main(String[] args) throws IOException {
        if (args.length < 1 || args.length > 2) {
            System.err.println("usage: SparseSafetensors OUTPUT.safetensors [GIB=10]");
            System.exit(2);
        }
        double gib = args.length > 1 ? Double.parseDouble(args[1]) : 10;
        write(Path.of(args[0]), (long) (gib * (1L << 30)));
    }

    static List<Entry> layout(long targetBytes) {
        List<Entry> tensors = new ArrayList<>();
        tensors.add(tensor("model.embed_tokens.weight", VOCAB, HIDDEN));
        tensors.add(tensor("lm_head.weight", VOCAB, HIDDEN));
        tensors.add(tensor("model.norm.weight", HIDDEN));
        long size = tensors.stream().mapToLong(Entry::byteSize).sum();
        for (int layer = 0; size < targetBytes; layer++) {
            String p = "model.layers." + layer + ".";
            List<Entry> block = List.of(
                    tensor(p + "input_layernorm.weight", HIDDEN),
                    tensor(p + "self_attn.q_proj.weight", HIDDEN, HIDDEN),
                    tensor(p + "self_attn.k_proj.weight", KV, HIDDEN),
                    tensor(p + "self_attn.v_proj.weight", KV, HIDDEN),
                    tensor(p + "self_attn.o_proj.weight", HIDDEN, HIDDEN),
                    tensor(p + "post_attention_layernorm.weight", HIDDEN),
                    tensor(p + "mlp.gate_proj.weight", INTERMEDIATE, HIDDEN),
                    tensor(p + "mlp.up_proj.weight", INTERMEDIATE, HIDDEN),
                    tensor(p + "mlp.down_proj.weight", HIDDEN, INTERMEDIATE));
            tensors.addAll(block);
            size += block.stream().mapToLong(Entry::byteSize).sum();
        }
        return tensors;
    }

    private static Entry tensor(String name, long... dims) {
        return new Entry(name, ScalarType.BF16, Shape.of(dims), out -> {
            throw new IOException("the sparse file's data is a hole; nothing is streamed");
        });
    }

    static void write(Path file, long targetBytes) throws IOException {
        List<Entry> tensors = layout(targetBytes);
        byte[] header = SafetensorsWriter.fileHeader(tensors, Metadata.builder().putString("format", "pt").build());
        long data = tensors.stream().mapToLong(Entry::byteSize).sum();
        long total = header.length + data;
        try (AtomicOutput out = AtomicOutput.create(file)) {
            var ch = out.channel();
            ByteBuffer h = ByteBuffer.wrap(header);
            while (h.hasRemaining()) ch.write(h);
            // One byte at the very end sets the length; everything between is a hole.
            ch.write(ByteBuffer.wrap(new byte[1]), total - 1);
            out.commit();
        }
        System.out.printf("wrote %s: %d tensors, %.2f GiB apparent (data section is a hole), header %d bytes%n",
                file, tensors.size(), total / (double) (1L << 30), header.length);
    }
}
