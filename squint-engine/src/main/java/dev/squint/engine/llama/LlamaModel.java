package dev.squint.engine.llama;

import dev.squint.core.GgmlType;
import dev.squint.core.Model;
import dev.squint.core.SquintException;
import dev.squint.core.Tensor;
import dev.squint.core.codec.BlockCodec;
import dev.squint.core.codec.Codecs;
import dev.squint.engine.ops.Linear;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A llama-family decoder (llama 1/2/3, mistral, qwen2 with q/k/v biases, qwen3 with q/k norms) over the
 * tensors of an opened {@link Model}: GGUF, llama2.c (both with llama.cpp tensor names) or a Hugging Face
 * safetensors folder (transformers names). Matrices stay in their stored type and run through
 * {@link Linear}; small vectors (norm weights, biases) are decoded to floats once.
 *
 * <p>The model itself is immutable apart from per-layer activation scratch inside each {@link Linear}, so
 * one {@link LlamaSession} runs at a time per model. The {@link Model} must stay open while this is used.
 */
public final class LlamaModel implements AutoCloseable {

    /** One transformer block's weights. */
    record Layer(float[] attnNorm, Linear wq, Linear wk, Linear wv, Linear wo, float[] qNorm, float[] kNorm,
                 float[] ffnNorm, Linear gate, Linear up, Linear down) {}

    private final LlamaConfig config;
    private final Tensor embedding;
    private final BlockCodec embeddingCodec;
    private final long embeddingRowBytes;
    private final List<Layer> layers;
    private final float[] outputNorm;
    private final Linear output;
    private final float[] ropeFreqs;
    private final Arena arena;
    private final boolean dynamic;
    private java.nio.file.Path source;

    private LlamaModel(LlamaConfig config, Tensor embedding, List<Layer> layers, float[] outputNorm, Linear output,
                       float[] ropeFreqs, Arena arena, boolean dynamic) {
        this.config = config;
        this.embedding = embedding;
        GgmlType et = GgmlType.of(embedding.dtype()).orElseThrow(() -> new SquintException(
                "tensor " + embedding.name() + ": dtype " + embedding.dtype().name() + " is not supported for embeddings"));
        this.embeddingCodec = Codecs.find(et).orElseThrow(() -> new SquintException(
                "tensor " + embedding.name() + ": no codec for " + et));
        this.embeddingRowBytes = embeddingCodec.rowBytes(config.dim());
        this.layers = layers;
        this.outputNorm = outputNorm;
        this.output = output;
        this.ropeFreqs = ropeFreqs;
        this.arena = arena;
        this.dynamic = dynamic;
    }

    /** Loads the decoder with weights in their stored types. */
    public static LlamaModel load(Model model) {
        return load(model, false);
    }

    /**
     * Loads the decoder.
     *
     * @param dynamic W8A8: re-quantize every matrix to Q8_0 on load and quantize activations per token
     *                ({@link Linear#dynamic}); otherwise weights run in their stored type
     */
    public static LlamaModel load(Model model, boolean dynamic) {
        LlamaConfig c = LlamaConfig.of(model);
        Names n = c.hfNames() ? Names.HF : Names.GGUF;
        Arena arena = dynamic ? Arena.ofShared() : null;
        try {
            Tensor emb = need(model, n.embedding(), c.vocab(), c.dim());
            List<Layer> layers = new ArrayList<>(c.layers());
            for (int l = 0; l < c.layers(); l++) {
                boolean biases = model.tensor(n.layer(l, "q_bias")).isPresent();
                Layer layer = new Layer(
                        vector(model, n.layer(l, "attn_norm"), c.dim()),
                        linear(model, n.layer(l, "q"), c.qDim(), c.dim(), biases ? vector(model, n.layer(l, "q_bias"), c.qDim()) : null, arena),
                        linear(model, n.layer(l, "k"), c.kvDim(), c.dim(), biases ? vector(model, n.layer(l, "k_bias"), c.kvDim()) : null, arena),
                        linear(model, n.layer(l, "v"), c.kvDim(), c.dim(), biases ? vector(model, n.layer(l, "v_bias"), c.kvDim()) : null, arena),
                        linear(model, n.layer(l, "o"), c.dim(), c.qDim(), null, arena),
                        optionalVector(model, n.layer(l, "q_norm"), c.headDim()),
                        optionalVector(model, n.layer(l, "k_norm"), c.headDim()),
                        vector(model, n.layer(l, "ffn_norm"), c.dim()),
                        linear(model, n.layer(l, "gate"), c.ffnDim(), c.dim(), null, arena),
                        linear(model, n.layer(l, "up"), c.ffnDim(), c.dim(), null, arena),
                        linear(model, n.layer(l, "down"), c.dim(), c.ffnDim(), null, arena));
                layers.add(layer);
            }
            float[] norm = vector(model, n.outputNorm(), c.dim());
            Tensor out = model.tensor(n.output()).orElse(emb); // tied when the file has no separate output
            Linear output = linear(model, out.name(), c.vocab(), c.dim(), null, arena);
            float[] freqs = optionalVector(model, "rope_freqs.weight", c.ropeDim() / 2);
            LlamaModel lm = new LlamaModel(c, emb, List.copyOf(layers), norm, output, freqs, arena, dynamic);
            lm.source = model.path();
            return lm;
        } catch (RuntimeException e) {
            if (arena != null) arena.close();
            throw e;
        }
    }

    /** Tensor names of the two naming schemes. */
    private enum Names {
        GGUF, HF;

        String embedding() { return this == GGUF ? "token_embd.weight" : "model.embed_tokens.weight"; }

        String outputNorm() { return this == GGUF ? "output_norm.weight" : "model.norm.weight"; }

        String output() { return this == GGUF ? "output.weight" : "lm_head.weight"; }

        String layer(int l, String what) {
            if (this == GGUF) {
                String p = "blk." + l + ".";
                return p + switch (what) {
                    case "attn_norm" -> "attn_norm.weight";
                    case "q" -> "attn_q.weight";
                    case "k" -> "attn_k.weight";
                    case "v" -> "attn_v.weight";
                    case "o" -> "attn_output.weight";
                    case "q_bias" -> "attn_q.bias";
                    case "k_bias" -> "attn_k.bias";
                    case "v_bias" -> "attn_v.bias";
                    case "q_norm" -> "attn_q_norm.weight";
                    case "k_norm" -> "attn_k_norm.weight";
                    case "ffn_norm" -> "ffn_norm.weight";
                    case "gate" -> "ffn_gate.weight";
                    case "up" -> "ffn_up.weight";
                    case "down" -> "ffn_down.weight";
                    default -> throw new IllegalArgumentException(what);
                };
            }
            String p = "model.layers." + l + ".";
            return p + switch (what) {
                case "attn_norm" -> "input_layernorm.weight";
                case "q" -> "self_attn.q_proj.weight";
                case "k" -> "self_attn.k_proj.weight";
                case "v" -> "self_attn.v_proj.weight";
                case "o" -> "self_attn.o_proj.weight";
                case "q_bias" -> "self_attn.q_proj.bias";
                case "k_bias" -> "self_attn.k_proj.bias";
                case "v_bias" -> "self_attn.v_proj.bias";
                case "q_norm" -> "self_attn.q_norm.weight";
                case "k_norm" -> "self_attn.k_norm.weight";
                case "ffn_norm" -> "post_attention_layernorm.weight";
                case "gate" -> "mlp.gate_proj.weight";
                case "up" -> "mlp.up_proj.weight";
                case "down" -> "mlp.down_proj.weight";
                default -> throw new IllegalArgumentException(what);
            };
        }
    }

    private static Tensor need(Model m, String name, long rows, long cols) {
        Tensor t = m.tensor(name).orElseThrow(() -> new SquintException(m.path() + ": tensor " + name + " is missing"));
        if (t.shape().rank() != 2 || t.shape().dim(0) != rows || t.shape().dim(1) != cols) {
            throw new SquintException(m.path() + ": tensor " + name + " has shape " + t.shape() + ", expected [" + rows + ", " + cols + "]");
        }
        return t;
    }

    private static Linear linear(Model m, String name, int rows, int cols, float[] bias, Arena arena) {
        Tensor t = need(m, name, rows, cols);
        return arena != null ? Linear.dynamic(t, bias, arena) : Linear.of(t, bias);
    }

    private static float[] optionalVector(Model m, String name, int n) {
        return m.tensor(name).isPresent() ? vector(m, name, n) : null;
    }

    private static float[] vector(Model m, String name, int n) {
        Tensor t = m.tensor(name).orElseThrow(() -> new SquintException(m.path() + ": tensor " + name + " is missing"));
        if (t.shape().elementCount() != n) {
            throw new SquintException(m.path() + ": tensor " + name + " has shape " + t.shape() + ", expected " + n + " values");
        }
        Optional<GgmlType> type = GgmlType.of(t.dtype());
        BlockCodec codec = type.flatMap(Codecs::find).orElseThrow(() -> new SquintException(
                m.path() + ": tensor " + name + ": dtype " + t.dtype().name() + " is not supported for a vector"));
        if (n % codec.type().blockSize() != 0) {
            throw new SquintException(m.path() + ": tensor " + name + ": " + n + " values do not fill whole " + codec.type() + " blocks");
        }
        float[] v = new float[n];
        codec.dequantizeRow(t.data(), 0, v, 0, n);
        return v;
    }

    public LlamaConfig config() { return config; }

    /** The file or folder the weights were read from. */
    public java.nio.file.Path sourcePath() { return source; }

    public boolean dynamic() { return dynamic; }

    List<Layer> layers() { return layers; }

    float[] outputNorm() { return outputNorm; }

    Linear output() { return output; }

    float[] ropeFreqs() { return ropeFreqs; }

    /** Every matrix of the model, in forward order (for importance matrices and byte counts). */
    public List<Linear> linears() {
        List<Linear> all = new ArrayList<>();
        for (Layer l : layers) all.addAll(List.of(l.wq(), l.wk(), l.wv(), l.wo(), l.gate(), l.up(), l.down()));
        all.add(output);
        return all;
    }

    /** Bytes of weights one token's forward pass reads: every matrix once, plus one embedding row. */
    public long weightBytesPerToken() {
        long n = embeddingRowBytes;
        for (Linear l : linears()) n += l.weightBytes();
        return n;
    }

    /** Writes token {@code id}'s embedding into {@code dst[off, off + dim)}. */
    void embed(int id, float[] dst, int off) {
        if (id < 0 || id >= config.vocab()) {
            throw new SquintException("token id " + id + " is outside the vocabulary of " + config.vocab());
        }
        embeddingCodec.dequantizeRow(embedding.data(), id * embeddingRowBytes, dst, off, config.dim());
    }

    /** A new inference session with its own KV cache of {@code contextLength} positions. */
    public LlamaSession newSession(int contextLength, int threads) {
        return new LlamaSession(this, contextLength, threads);
    }

    @Override public void close() {
        if (arena != null) arena.close();
    }
}
