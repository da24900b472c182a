package dev.squint.formats.llama2c;

import dev.squint.core.MappedFile;
import dev.squint.core.Metadata;
import dev.squint.core.Model;
import dev.squint.core.ModelFormatException;
import dev.squint.core.ScalarType;
import dev.squint.core.Shape;
import dev.squint.core.Tensor;
import dev.squint.core.TensorInfo;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads legacy llama2.c checkpoints (Karpathy's {@code run.c} format, {@code export.py --version 0}).
 *
 * <p>Layout: a 28-byte header of seven little-endian int32 — dim, hidden_dim, n_layers, n_heads,
 * n_kv_heads, vocab_size, seq_len — then float32 arrays back to back, matrices {@code [out × in]}
 * row-major, each weight kind for all layers before the next kind:
 * <pre>
 *   token_embedding [vocab, dim]
 *   rms_att [L, dim]   wq [L, dim, dim]   wk [L, kv_dim, dim]   wv [L, kv_dim, dim]   wo [L, dim, dim]
 *   rms_ffn [L, dim]   w1 [L, hidden, dim]   w2 [L, dim, hidden]   w3 [L, hidden, dim]
 *   rms_final [dim]    freq_cis_real [seq_len, head_size/2]   freq_cis_imag [seq_len, head_size/2]
 *   wcls [vocab, dim]  -- only when the header's vocab_size is negative (unshared classifier)
 * </pre>
 * A positive vocab_size means the classifier is the token embedding table (shared).
 *
 * <p>Tensors get llama.cpp's GGUF names, one per layer, listed layer by layer:
 * {@code token_embd.weight}; {@code blk.N.attn_norm.weight} (rms_att), {@code attn_q}, {@code attn_k},
 * {@code attn_v}, {@code attn_output} (wo), {@code ffn_norm} (rms_ffn), {@code ffn_gate} (w1),
 * {@code ffn_down} (w2), {@code ffn_up} (w3); {@code output_norm.weight} (rms_final);
 * {@code output.weight} (wcls) only when unshared. The RoPE tables run.c no longer reads are
 * exposed as {@code rope_freqs_real} and {@code rope_freqs_imag} ({@code [seq_len, head_size/2]},
 * the cos and sin of position × frequency); they are not llama.cpp's {@code rope_freqs.weight}
 * (frequency factors) and a GGUF conversion drops them.
 *
 * <p>Metadata uses GGUF's llama keys (uint32): {@code llama.embedding_length}, {@code llama.feed_forward_length},
 * {@code llama.block_count}, {@code llama.attention.head_count}, {@code llama.attention.head_count_kv},
 * {@code llama.context_length}, {@code llama.vocab_size}, {@code llama.rope.dimension_count}; plus
 * {@code general.architecture = llama} and {@code llama2c.shared_classifier} (bool). The format
 * itself implies two more that run.c hard-codes, recorded so an engine need not know:
 * {@code llama.attention.layer_norm_rms_epsilon = 1e-5} and {@code llama.rope.freq_base = 10000}.
 */
public final class Llama2cReader {
    static final int HEADER_BYTES = 7 * Integer.BYTES;
    /** export.py version 1 and later start with this uint32 ("ak42") instead of the legacy header. */
    static final int VERSIONED_MAGIC = 0x616b3432;
    static final float RMS_EPSILON = 1e-5f;
    static final float ROPE_FREQ_BASE = 10000f;

    private static final ValueLayout.OfInt INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private Llama2cReader() {}

    /**
     * Maps the checkpoint and exposes its weights as views.
     *
     * @throws ModelFormatException if the file is missing, unreadable, or its header and size disagree
     */
    public static Model open(Path path) {
        long size = fileSize(path);
        if (size < HEADER_BYTES) {
            throw new ModelFormatException(path, "file is " + size + " bytes, shorter than the " + HEADER_BYTES + "-byte llama2.c header");
        }
        MappedFile file;
        try {
            file = MappedFile.open(path);
        } catch (UncheckedIOException e) {
            throw new ModelFormatException(path, "cannot map the file: " + e.getCause().getMessage(), e);
        }
        try {
            MemorySegment seg = file.segment();
            int[] h = new int[7];
            for (int i = 0; i < h.length; i++) h[i] = seg.get(INT_LE, (long) i * Integer.BYTES);
            if (isPyTorch(seg)) throw pyTorch(path);
            Llama2cConfig config;
            try {
                config = validateHeader(path, h);
            } catch (ModelFormatException e) {
                if (looksLikeTokenizer(seg)) {
                    throw new ModelFormatException(path, "this is a llama2.c tokenizer (tokenizer.bin layout), not a model checkpoint");
                }
                throw e;
            }
            Layout layout = Layout.of(path, config);
            checkSize(path, config, layout, file.size());
            return build(path, file, config, layout);
        } catch (RuntimeException e) {
            file.close();
            throw e;
        }
    }

    private static long fileSize(Path path) {
        try {
            if (Files.isDirectory(path)) throw new ModelFormatException(path, "is a folder, not a llama2.c checkpoint");
            return Files.size(path);
        } catch (NoSuchFileException e) {
            throw new ModelFormatException(path, "no such file");
        } catch (IOException e) {
            throw new ModelFormatException(path, "cannot read: " + e.getMessage(), e);
        }
    }

    static Llama2cConfig validateHeader(Path path, int[] h) {
        if (h[0] == VERSIONED_MAGIC) {
            throw new ModelFormatException(path, "llama2.c export version " + h[1]
                    + " ('ak42' header) is not supported; only the legacy format (export.py --version 0) is");
        }
        String[] names = {"dim", "hidden_dim", "n_layers", "n_heads", "n_kv_heads", "vocab_size", "seq_len"};
        for (int i = 0; i < h.length; i++) {
            boolean bad = i == 5 ? (h[i] == 0 || h[i] == Integer.MIN_VALUE) : h[i] <= 0;
            if (bad) {
                throw new ModelFormatException(path, "header field " + names[i] + " is " + h[i]
                        + (i == 5 ? ", expected a nonzero vocabulary size" : ", expected a positive number") + " (not a llama2.c checkpoint?)");
            }
        }
        int dim = h[0], heads = h[3], kvHeads = h[4];
        if (dim % heads != 0) {
            throw new ModelFormatException(path, "header: dim " + dim + " is not divisible by n_heads " + heads);
        }
        if (heads % kvHeads != 0) {
            throw new ModelFormatException(path, "header: n_heads " + heads + " is not divisible by n_kv_heads " + kvHeads);
        }
        if ((dim / heads) % 2 != 0) {
            throw new ModelFormatException(path, "header: head size " + dim / heads + " (dim/n_heads) is odd; RoPE rotates pairs");
        }
        return new Llama2cConfig(dim, h[1], h[2], heads, kvHeads, Math.abs(h[5]), h[6], h[5] > 0);
    }

    /**
     * Whether the bytes start like a llama2.c {@code tokenizer.bin}: a small max_token_length, then
     * a few (finite score, length within the maximum, bytes) entries. Used only to explain a
     * rejected header, since both files are {@code .bin}.
     */
    static boolean looksLikeTokenizer(MemorySegment seg) {
        long size = seg.byteSize();
        int maxLength = seg.get(INT_LE, 0);
        if (maxLength <= 0 || maxLength > 4096) return false;
        long pos = Integer.BYTES;
        for (int token = 0; token < 3; token++) {
            if (size - pos < 8) return false;
            float score = Float.intBitsToFloat(seg.get(INT_LE, pos));
            int length = seg.get(INT_LE, pos + 4);
            if (!Float.isFinite(score) || length <= 0 || length > maxLength || length > size - pos - 8) return false;
            pos += 8 + length;
        }
        return true;
    }

    /**
     * PyTorch's .bin files: a zip archive (torch.save since 1.6), or the legacy pickle stream that
     * opens with torch's magic number as a protocol-2 LONG1 ({@code 80 02 8a 0a}), or a framed
     * protocol 4/5 pickle ({@code 80 0n 95}). Read as a llama2.c dim, each of these is absurd
     * (67 million, 177 million, or negative), so recognising them cannot reject a real checkpoint.
     */
    static boolean isPyTorch(MemorySegment seg) {
        int b0 = seg.get(ValueLayout.JAVA_BYTE, 0) & 0xFF, b1 = seg.get(ValueLayout.JAVA_BYTE, 1) & 0xFF;
        int b2 = seg.get(ValueLayout.JAVA_BYTE, 2) & 0xFF, b3 = seg.get(ValueLayout.JAVA_BYTE, 3) & 0xFF;
        boolean zip = b0 == 'P' && b1 == 'K' && b2 == 3 && b3 == 4;
        boolean legacyTorch = b0 == 0x80 && b1 == 2 && b2 == 0x8a && b3 == 0x0a;
        boolean framedPickle = b0 == 0x80 && (b1 == 4 || b1 == 5) && b2 == 0x95;
        return zip || legacyTorch || framedPickle;
    }

    private static ModelFormatException pyTorch(Path path) {
        return new ModelFormatException(path, "this is a PyTorch checkpoint (zip or pickle), which squint does not read; "
                + "convert it to safetensors first");
    }

    /** Element offsets (in floats, after the header) of each weight kind, and the total. */
    record Layout(long embedding, long rmsAtt, long wq, long wk, long wv, long wo, long rmsFfn, long w1, long w2, long w3,
                  long rmsFinal, long freqReal, long freqImag, long classifier, long totalFloats) {

        static Layout of(Path path, Llama2cConfig c) {
            try {
                long dim = c.dim(), hidden = c.hiddenDim(), layers = c.layers(), kvDim = c.kvDim();
                long pos = 0;
                long embedding = pos; pos = Math.addExact(pos, Math.multiplyExact((long) c.vocabSize(), dim));
                long rmsAtt = pos;    pos = Math.addExact(pos, Math.multiplyExact(layers, dim));
                long wq = pos;        pos = Math.addExact(pos, Math.multiplyExact(layers, Math.multiplyExact(dim, dim)));
                long wk = pos;        pos = Math.addExact(pos, Math.multiplyExact(layers, Math.multiplyExact(kvDim, dim)));
                long wv = pos;        pos = Math.addExact(pos, Math.multiplyExact(layers, Math.multiplyExact(kvDim, dim)));
                long wo = pos;        pos = Math.addExact(pos, Math.multiplyExact(layers, Math.multiplyExact(dim, dim)));
                long rmsFfn = pos;    pos = Math.addExact(pos, Math.multiplyExact(layers, dim));
                long w1 = pos;        pos = Math.addExact(pos, Math.multiplyExact(layers, Math.multiplyExact(hidden, dim)));
                long w2 = pos;        pos = Math.addExact(pos, Math.multiplyExact(layers, Math.multiplyExact(dim, hidden)));
                long w3 = pos;        pos = Math.addExact(pos, Math.multiplyExact(layers, Math.multiplyExact(hidden, dim)));
                long rmsFinal = pos;  pos = Math.addExact(pos, dim);
                long rope = Math.multiplyExact((long) c.seqLen(), c.headSize() / 2);
                long freqReal = pos;  pos = Math.addExact(pos, rope);
                long freqImag = pos;  pos = Math.addExact(pos, rope);
                long classifier = pos;
                if (!c.sharedClassifier()) pos = Math.addExact(pos, Math.multiplyExact((long) c.vocabSize(), dim));
                Math.addExact(Math.multiplyExact(pos, (long) Float.BYTES), HEADER_BYTES); // the byte size must fit too
                return new Layout(embedding, rmsAtt, wq, wk, wv, wo, rmsFfn, w1, w2, w3, rmsFinal, freqReal, freqImag, classifier, pos);
            } catch (ArithmeticException e) {
                throw new ModelFormatException(path, "header " + describe(c) + " describes more weights than a 64-bit size can hold; the header is corrupt");
            }
        }

        long expectedBytes() { return HEADER_BYTES + totalFloats * Float.BYTES; }
    }

    static String describe(Llama2cConfig c) {
        return "(dim " + c.dim() + ", hidden_dim " + c.hiddenDim() + ", n_layers " + c.layers() + ", n_heads " + c.heads()
                + ", n_kv_heads " + c.kvHeads() + ", vocab_size " + (c.sharedClassifier() ? "" : "-") + c.vocabSize()
                + ", seq_len " + c.seqLen() + ")";
    }

    private static void checkSize(Path path, Llama2cConfig c, Layout layout, long size) {
        long expected = layout.expectedBytes();
        if (size < expected) {
            throw new ModelFormatException(path, "truncated: header " + describe(c) + " needs " + expected + " bytes, the file has "
                    + size + " (" + (expected - size) + " missing)");
        }
        if (size > expected) {
            long extra = size - expected;
            String why = c.sharedClassifier() && extra == (long) c.vocabSize() * c.dim() * Float.BYTES
                    ? "; the extra bytes are exactly one [vocab, dim] classifier, so vocab_size should have been negative (unshared)"
                    : "; not a legacy llama2.c checkpoint with this header";
            throw new ModelFormatException(path, "file is " + size + " bytes, " + extra + " more than header " + describe(c)
                    + " describes (" + expected + ")" + why);
        }
    }

    private static Model build(Path path, MappedFile file, Llama2cConfig c, Layout l) {
        MemorySegment seg = file.segment();
        List<Tensor> tensors = new ArrayList<>((int) Math.min(9L * c.layers() + 5, 1 << 16));
        Map<String, Long> offsets = new LinkedHashMap<>();
        long dim = c.dim(), hidden = c.hiddenDim(), kvDim = c.kvDim();
        TensorAdder add = (name, floatOffset, dims) -> {
            TensorInfo info = TensorInfo.of(name, ScalarType.F32, Shape.of(dims));
            long byteOffset = HEADER_BYTES + floatOffset * Float.BYTES;
            tensors.add(new Tensor(info, seg.asSlice(byteOffset, info.byteSize())));
            offsets.put(name, byteOffset);
        };
        add.add("token_embd.weight", l.embedding(), c.vocabSize(), dim);
        for (int i = 0; i < c.layers(); i++) {
            String p = "blk." + i + ".";
            add.add(p + "attn_norm.weight", l.rmsAtt() + i * dim, dim);
            add.add(p + "attn_q.weight", l.wq() + i * dim * dim, dim, dim);
            add.add(p + "attn_k.weight", l.wk() + i * kvDim * dim, kvDim, dim);
            add.add(p + "attn_v.weight", l.wv() + i * kvDim * dim, kvDim, dim);
            add.add(p + "attn_output.weight", l.wo() + i * dim * dim, dim, dim);
            add.add(p + "ffn_norm.weight", l.rmsFfn() + i * dim, dim);
            add.add(p + "ffn_gate.weight", l.w1() + i * hidden * dim, hidden, dim);
            add.add(p + "ffn_down.weight", l.w2() + i * dim * hidden, dim, hidden);
            add.add(p + "ffn_up.weight", l.w3() + i * hidden * dim, hidden, dim);
        }
        add.add("output_norm.weight", l.rmsFinal(), dim);
        if (!c.sharedClassifier()) add.add("output.weight", l.classifier(), c.vocabSize(), dim);
        add.add("rope_freqs_real", l.freqReal(), c.seqLen(), c.headSize() / 2);
        add.add("rope_freqs_imag", l.freqImag(), c.seqLen(), c.headSize() / 2);

        Metadata metadata = Metadata.builder()
                .putString("general.architecture", "llama")
                .putU32("llama.context_length", c.seqLen())
                .putU32("llama.embedding_length", c.dim())
                .putU32("llama.feed_forward_length", c.hiddenDim())
                .putU32("llama.block_count", c.layers())
                .putU32("llama.attention.head_count", c.heads())
                .putU32("llama.attention.head_count_kv", c.kvHeads())
                .putU32("llama.rope.dimension_count", c.headSize())
                .putF32("llama.rope.freq_base", ROPE_FREQ_BASE)
                .putF32("llama.attention.layer_norm_rms_epsilon", RMS_EPSILON)
                .putU32("llama.vocab_size", c.vocabSize())
                .putBool("llama2c.shared_classifier", c.sharedClassifier())
                .build();
        return new Llama2cModel(path, file, c, metadata, tensors, offsets);
    }

    @FunctionalInterface
    private interface TensorAdder {
        void add(String name, long floatOffset, long... dims);
    }
}
