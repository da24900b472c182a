package dev.squint.bench;

import dev.squint.core.AtomicOutput;
import dev.squint.core.Metadata;
import dev.squint.core.ScalarType;
import dev.squint.core.Shape;
import dev.squint.core.Tensor;
import dev.squint.formats.safetensors.SafetensorsModel;
import dev.squint.formats.safetensors.SafetensorsReader;
import dev.squint.formats.safetensors.SafetensorsWriter;
import dev.squint.formats.safetensors.SafetensorsWriter.Entry;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A memory benchmark fixture: a multi-gigabyte safetensors file whose header is real (Llama-3-8B
 * shaped BF16 tensors) and whose data section is a hole, so it takes almost no disk.
 *
 * <pre>
 *   SparseSafetensors write &lt;file&gt; [gigabytes=10]   write the sparse file (layers are added until the size is reached)
 *   SparseSafetensors open &lt;file&gt;                   open it through SafetensorsReader, touch the last tensor's last byte,
 *                                                    print peak heap and peak RSS (run with e.g. -Xmx64m)
 * </pre>
 * Opening maps the file and parses only the header, so heap use must not grow with the file.
 */
public final class SparseSafetensors {
    private SparseSafetensors() {}

    private static final long HIDDEN = 4096, INTERMEDIATE = 14336, KV = 1024, VOCAB = 128256;

    public static void main(String[] args) throws IOException {
        if (args.length >= 2 && args[0].equals("write")) {
            double gb = args.length > 2 ? Double.parseDouble(args[2]) : 10;
            write(Path.of(args[1]), (long) (gb * (1L << 30)));
        } else if (args.length == 2 && args[0].equals("open")) {
            open(Path.of(args[1]));
        } else {
            System.err.println("usage: SparseSafetensors write <file> [gigabytes=10] | open <file>");
            System.exit(2);
        }
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

    static void open(Path file) throws IOException {
        long t0 = System.nanoTime();
        try (SafetensorsModel model = SafetensorsReader.open(file)) {
            long openMs = (System.nanoTime() - t0) / 1_000_000;
            Tensor last = model.tensors().getLast();
            byte b = last.data().get(ValueLayout.JAVA_BYTE, last.byteSize() - 1);
            System.out.printf("opened %s in %d ms: %d tensors, %.2f GiB of tensor data; last tensor %s %s, last byte %d%n",
                    file, openMs, model.tensors().size(), model.tensorBytes() / (double) (1L << 30), last.name(), last.shape(), b);
        }
        long peakHeap = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) peakHeap += pool.getPeakUsage().getUsed();
        }
        System.out.printf("max heap %d MiB, peak heap used %.1f MiB (sum of pool peaks), peak RSS %s%n",
                Runtime.getRuntime().maxMemory() >> 20, peakHeap / (double) (1 << 20), procStatus("VmHWM"));
    }

    private static String procStatus(String key) throws IOException {
        Path status = Path.of("/proc/self/status");
        if (!Files.exists(status)) return "n/a";
        for (String line : Files.readAllLines(status)) {
            if (line.startsWith(key + ":")) return line.substring(key.length() + 1).trim();
        }
        return "n/a";
    }
}
