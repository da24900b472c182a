package dev.squint.convert;

import dev.squint.core.MetaValue;
import dev.squint.core.Metadata;
import dev.squint.core.Model;
import dev.squint.core.SquintException;
import dev.squint.core.Tensor;
import dev.squint.formats.llama2c.Llama2cConfig;
import dev.squint.formats.llama2c.Llama2cModel;
import dev.squint.formats.llama2c.Llama2cTokenizer;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * llama2.c checkpoint + tokenizer.bin to GGUF, reproducing llama.cpp's
 * {@code convert-llama2c-to-ggml} byte for byte at the default f32:
 * <ul>
 *   <li>metadata in its order and types: tokens, scores (f32[]), token_type (i32[]),
 *       {@code tokenizer.ggml.model = llama}, {@code general.architecture = llama},
 *       {@code general.name = llama}, unknown/bos/eos ids 0/1/2 and separator/padding ids
 *       {@code 0xFFFFFFFF} (u32, "no token"), then the llama hyperparameters (u32) and the RMS epsilon
 *       {@code 1e-5} (f32); no rope.freq_base, vocab_size or alignment key;</li>
 *   <li>{@code llama.context_length} is the converter's default 128, not the checkpoint's seq_len
 *       (change with {@link ConvertOptions#contextLength()}); {@code rope.dimension_count} is
 *       min(64, dim / heads);</li>
 *   <li>vocabulary: ids 0, 1, 2 are renamed {@code <unk>}, {@code <s>}, {@code </s>} (types
 *       unknown, control, control), empty pieces are control, {@code <0xXX>} pieces are byte tokens,
 *       everything else normal; spaces become U+2581; scores are copied;</li>
 *   <li>tensors: token_embd, output_norm, output (a separate copy of the embedding when the
 *       classifier is shared), then per layer attn_q, attn_k, attn_v, attn_output, attn_norm,
 *       ffn_gate, ffn_down, ffn_up, ffn_norm; 32-byte alignment. The RoPE tables are dropped.</li>
 * </ul>
 * Q/K rows are not permuted: llama2.c's export already wrote them in the order llama.cpp uses.
 */
final class Llama2cConverter {
    static final int DEFAULT_CONTEXT_LENGTH = 128;
    private static final int TYPE_NORMAL = 1, TYPE_UNKNOWN = 2, TYPE_CONTROL = 3, TYPE_BYTE = 6;

    private Llama2cConverter() {}

    static GgufTensorPlan plan(Llama2cModel model, Path tokenizerPath, ConvertOptions options, OutType outType) {
        Llama2cConfig c = model.config();
        Llama2cTokenizer tok = Llama2cTokenizer.read(tokenizerPath, c.vocabSize());
        int n = tok.size();
        List<MetaValue> tokens = new ArrayList<>(n), scores = new ArrayList<>(n), types = new ArrayList<>(n);
        for (int id = 0; id < n; id++) {
            byte[] text = tok.token(id);
            int type;
            if (id == 0) { text = bytes("<unk>"); type = TYPE_UNKNOWN; }
            else if (id == 1) { text = bytes("<s>"); type = TYPE_CONTROL; }
            else if (id == 2) { text = bytes("</s>"); type = TYPE_CONTROL; }
            else if (text.length == 0) type = TYPE_CONTROL;
            else if (isByteToken(text)) type = TYPE_BYTE;
            else type = TYPE_NORMAL;
            tokens.add(new MetaValue.Str(escapeSpaces(text)));
            scores.add(new MetaValue.F32(tok.score(id)));
            types.add(new MetaValue.I32(type));
        }
        int ctx = options.contextLength().orElse(DEFAULT_CONTEXT_LENGTH);
        Metadata meta = Metadata.builder()
                .put("tokenizer.ggml.tokens", new MetaValue.Array(MetaValue.Kind.STRING, tokens))
                .put("tokenizer.ggml.scores", new MetaValue.Array(MetaValue.Kind.FLOAT32, scores))
                .put("tokenizer.ggml.token_type", new MetaValue.Array(MetaValue.Kind.INT32, types))
                .putString("tokenizer.ggml.model", "llama")
                .putString("general.architecture", "llama")
                .putString("general.name", "llama")
                .putU32("tokenizer.ggml.unknown_token_id", 0)
                .putU32("tokenizer.ggml.bos_token_id", 1)
                .putU32("tokenizer.ggml.eos_token_id", 2)
                .putU32("tokenizer.ggml.seperator_token_id", -1) // sic: llama.cpp's key spelling
                .putU32("tokenizer.ggml.padding_token_id", -1)
                .putU32("llama.context_length", ctx)
                .putU32("llama.embedding_length", c.dim())
                .putU32("llama.feed_forward_length", c.hiddenDim())
                .putU32("llama.attention.head_count", c.heads())
                .putU32("llama.attention.head_count_kv", c.kvHeads())
                .putU32("llama.block_count", c.layers())
                .putU32("llama.rope.dimension_count", Math.min(64, c.dim() / c.heads()))
                .putF32("llama.attention.layer_norm_rms_epsilon", 1e-5f)
                .build();
        GgufTensorPlan plan = new GgufTensorPlan();
        plan.metadata(meta);
        Tensor embd = need(model, "token_embd.weight");
        plan.addTyped("token_embd.weight", "token_embedding_table", SourceTensor.of(embd), outType, false);
        plan.addTyped("output_norm.weight", "rms_final_weight", SourceTensor.of(need(model, "output_norm.weight")), outType, false);
        Optional<Tensor> cls = model.tensor("output.weight");
        plan.addTyped("output.weight", cls.isPresent() ? "wcls" : "token_embedding_table (shared)",
                SourceTensor.of(cls.orElse(embd)), outType, false);
        String[] order = {"attn_q", "attn_k", "attn_v", "attn_output", "attn_norm", "ffn_gate", "ffn_down", "ffn_up", "ffn_norm"};
        for (int i = 0; i < c.layers(); i++) {
            for (String kind : order) {
                String name = "blk." + i + "." + kind + ".weight";
                plan.addTyped(name, name, SourceTensor.of(need(model, name)), outType, false);
            }
        }
        return plan;
    }

    /** The tokenizer given, else tokenizer.bin, else tok512.bin beside the model. */
    static Path tokenizerPath(Model model, Optional<Path> given) {
        if (given.isPresent()) return given.get();
        Path dir = model.path().toAbsolutePath().getParent();
        for (String name : List.of("tokenizer.bin", "tok512.bin")) {
            Path p = dir.resolve(name);
            if (Files.isRegularFile(p)) return p;
        }
        throw new SquintException(model.path() + ": llama2.c conversion needs the tokenizer; none found beside the model "
                + "(tokenizer.bin, tok512.bin): pass --vocab FILE");
    }

    private static Tensor need(Model model, String name) {
        return model.tensor(name).orElseThrow(() -> new SquintException(model.path() + ": has no tensor " + name));
    }

    private static byte[] bytes(String s) { return s.getBytes(StandardCharsets.UTF_8); }

    /**
     * llama.cpp tests {@code sscanf(text, "<0x%02hhX>", &b) == 1}, which holds when {@code <0x} is
     * followed by a hex number: sscanf skips white space, then reads at most two characters, an
     * optional sign counting as one; the closing '>' does not affect the count.
     */
    static boolean isByteToken(byte[] t) {
        if (t.length < 4 || t[0] != '<' || t[1] != '0' || t[2] != 'x') return false;
        int i = 3;
        while (i < t.length && (t[i] == ' ' || (t[i] >= '\t' && t[i] <= '\r'))) i++;
        if (i < t.length && (t[i] == '+' || t[i] == '-')) i++;
        return i < t.length && hex(t[i]);
    }

    private static boolean hex(byte b) {
        return (b >= '0' && b <= '9') || (b >= 'a' && b <= 'f') || (b >= 'A' && b <= 'F');
    }

    /** Each ASCII space becomes U+2581 (SentencePiece's word marker), bytewise as llama.cpp does. */
    static byte[] escapeSpaces(byte[] t) {
        int spaces = 0;
        for (byte b : t) if (b == ' ') spaces++;
        if (spaces == 0) return t;
        byte[] out = new byte[t.length + 2 * spaces];
        int j = 0;
        for (byte b : t) {
            if (b == ' ') { out[j++] = (byte) 0xE2; out[j++] = (byte) 0x96; out[j++] = (byte) 0x81; }
            else out[j++] = b;
        }
        return out;
    }
}
