package dev.squint.bench;

import dev.squint.core.AtomicOutput;
import dev.squint.core.GgmlType;
import dev.squint.core.MetaValue;
import dev.squint.core.Metadata;
import dev.squint.formats.gguf.GgufPlan;
import dev.squint.formats.gguf.GgufTensorInfo;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes a large llama-shaped F16 GGUF whose tensor data is a hole: only the header (real
 * metadata, a 32000-token vocabulary, every tensor info) and two 8-byte markers are written, and
 * the file length is set past the last tensor, so a "10 GB" model costs a few MB of disk. The
 * markers ({@value #FIRST_MARKER} at the first tensor, {@value #LAST_MARKER} at the last) let a
 * reader check that it finds tensors at the right offsets, including beyond 4 GiB.
 *
 * <p>Usage: {@code SparseGguf OUTPUT [GiB=10]}; the layer count is chosen to reach about that size
 * with LLaMA-7B widths (dim 4096, FFN 11008, vocab 32000).
 */
public final class SparseGguf {
    static final String FIRST_MARKER = "SQFIRST!";
    static final String LAST_MARKER = "SQLAST!!";
    private static final long DIM = 4096, FFN = 11008, VOCAB = 32000;

    private SparseGguf() {}

    public static void main(String[] args) throws IOException {
        if (args.length < 1) {
            System.err.println("usage: SparseGguf OUTPUT [GiB=10]");
            System.exit(2);
        }
        Path out = Path.of(args[0]);
        double gib = args.length > 1 ? Double.parseDouble(args[1]) : 10;
        GgufPlan plan = plan(gib);
        write(plan, out);
        GgufTensorInfo last = plan.tensors().getLast();
        System.out.printf("wrote %s: %,d bytes (sparse), %d tensors, header %,d bytes, last tensor %s at absolute offset %,d%n",
                out, plan.fileSize(), plan.tensors().size(), plan.headerSize(), last.name(), plan.dataOffset() + last.offset());
    }

    /** The llama-shaped plan with as many layers as fit in about {@code gib} GiB. */
    public static GgufPlan plan(double gib) {
        long perLayer = 2 * (4 * DIM * DIM + 3 * DIM * FFN) + 2 * 4 * DIM;
        long fixed = 2 * 2 * DIM * VOCAB + 4 * DIM;
        int layers = (int) Math.max(1, Math.round((gib * (1L << 30) - fixed) / perLayer));

        List<MetaValue> tokens = new ArrayList<>();
        List<MetaValue> scores = new ArrayList<>();
        List<MetaValue> types = new ArrayList<>();
        for (int i = 0; i < VOCAB; i++) {
            tokens.add(MetaValue.Str.of(i < 3 ? new String[] {"<unk>", "<s>", "</s>"}[i] : "tok" + i));
            scores.add(new MetaValue.F32(-i));
            types.add(new MetaValue.I32(i < 3 ? 3 : 1));
        }
        Metadata meta = Metadata.builder()
                .putString("general.architecture", "llama")
                .putString("general.name", "squint sparse benchmark model")
                .putU32("general.file_type", 1)
                .putU32("llama.context_length", 4096)
                .putU32("llama.embedding_length", (int) DIM)
                .putU32("llama.block_count", layers)
                .putU32("llama.feed_forward_length", (int) FFN)
                .putU32("llama.rope.dimension_count", 128)
                .putU32("llama.attention.head_count", 32)
                .putU32("llama.attention.head_count_kv", 32)
                .putF32("llama.attention.layer_norm_rms_epsilon", 1e-5f)
                .putString("tokenizer.ggml.model", "llama")
                .put("tokenizer.ggml.tokens", new MetaValue.Array(MetaValue.Kind.STRING, tokens))
                .put("tokenizer.ggml.scores", new MetaValue.Array(MetaValue.Kind.FLOAT32, scores))
                .put("tokenizer.ggml.token_type", new MetaValue.Array(MetaValue.Kind.INT32, types))
                .putU32("tokenizer.ggml.bos_token_id", 1)
                .putU32("tokenizer.ggml.eos_token_id", 2)
                .build();

        GgufPlan.Builder b = GgufPlan.builder().metadata(meta);
        b.tensor("token_embd.weight", GgmlType.F16, DIM, VOCAB);
        for (int l = 0; l < layers; l++) {
            String p = "blk." + l + ".";
            b.tensor(p + "attn_norm.weight", GgmlType.F32, DIM);
            b.tensor(p + "attn_q.weight", GgmlType.F16, DIM, DIM);
            b.tensor(p + "attn_k.weight", GgmlType.F16, DIM, DIM);
            b.tensor(p + "attn_v.weight", GgmlType.F16, DIM, DIM);
            b.tensor(p + "attn_output.weight", GgmlType.F16, DIM, DIM);
            b.tensor(p + "ffn_norm.weight", GgmlType.F32, DIM);
            b.tensor(p + "ffn_gate.weight", GgmlType.F16, DIM, FFN);
            b.tensor(p + "ffn_up.weight", GgmlType.F16, DIM, FFN);
            b.tensor(p + "ffn_down.weight", GgmlType.F16, FFN, DIM);
        }
        b.tensor("output_norm.weight", GgmlType.F32, DIM);
        b.tensor("output.weight", GgmlType.F16, DIM, VOCAB);
        return b.build();
    }

    /** Header, the two markers and the file length; everything else stays a hole. */
    static void write(GgufPlan plan, Path out) throws IOException {
        try (AtomicOutput o = AtomicOutput.create(out)) {
            FileChannel ch = o.channel();
            ByteBuffer header = ByteBuffer.wrap(plan.headerBytes());
            while (header.hasRemaining()) ch.write(header);
            List<GgufTensorInfo> ts = plan.tensors();
            writeAt(ch, plan.dataOffset() + ts.getFirst().offset(), FIRST_MARKER);
            writeAt(ch, plan.dataOffset() + ts.getLast().offset(), LAST_MARKER);
            writeAt(ch, plan.fileSize() - 1, "\0");
            o.commit();
        }
    }

    private static void writeAt(FileChannel ch, long at, String text) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII));
        while (b.hasRemaining()) at += ch.write(b, at);
    }
}
