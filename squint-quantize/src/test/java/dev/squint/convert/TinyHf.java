package dev.squint.convert;

import dev.squint.core.ScalarType;
import dev.squint.core.Shape;
import dev.squint.core.codec.FloatFormats;
import dev.squint.formats.safetensors.SafetensorsWriter;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Writes tiny random Hugging Face folders (config.json, tokenizer files, safetensors) for conversion tests. */
final class TinyHf {
    static final int HIDDEN = 32, HEADS = 4, KV_HEADS = 2, HEAD_DIM = 8, FF = 64, LAYERS = 2, VOCAB = 20;

    /** Every tensor written, as float32 values (after any rounding to the stored dtype), by HF name. */
    final Map<String, float[]> values = new LinkedHashMap<>();
    final Map<String, Shape> shapes = new LinkedHashMap<>();
    private final Random random = new Random(42);

    Path llamaFamily(Path dir, String architecture, ScalarType dtype, boolean tied, boolean sharded) throws IOException {
        Files.createDirectories(dir);
        boolean qwen = architecture.startsWith("Qwen");
        boolean qwen3 = architecture.equals("Qwen3ForCausalLM");
        String modelType = switch (architecture) {
            case "MistralForCausalLM" -> "mistral";
            case "Qwen2ForCausalLM" -> "qwen2";
            case "Qwen3ForCausalLM" -> "qwen3";
            default -> "llama";
        };
        Files.writeString(dir.resolve("config.json"), """
                {"architectures": ["%s"], "model_type": "%s", "hidden_size": %d, "intermediate_size": %d,
                 "num_hidden_layers": %d, "num_attention_heads": %d, "num_key_value_heads": %d, %s
                 "max_position_embeddings": 256, "rms_norm_eps": 1e-06, "rope_theta": 500000.0, "vocab_size": %d,
                 "tie_word_embeddings": %s, "bos_token_id": 1, "eos_token_id": 2, "torch_dtype": "%s"%s}
                """.formatted(architecture, modelType, HIDDEN, FF, LAYERS, HEADS, KV_HEADS,
                qwen3 ? "\"head_dim\": " + HEAD_DIM + "," : "", VOCAB, tied,
                dtype == ScalarType.BF16 ? "bfloat16" : dtype == ScalarType.F16 ? "float16" : "float32",
                architecture.equals("LlamaForCausalLM") ? ", \"rope_scaling\": {\"type\": \"linear\", \"factor\": 2.0}" : ""));
        if (qwen) writeByteLevelTokenizer(dir); else writeSentencePieceTokenizer(dir);
        List<SafetensorsWriter.Entry> entries = new ArrayList<>();
        add(entries, "model.embed_tokens.weight", dtype, VOCAB, HIDDEN);
        for (int i = 0; i < LAYERS; i++) {
            String p = "model.layers." + i + ".";
            add(entries, p + "self_attn.q_proj.weight", dtype, HEADS * HEAD_DIM, HIDDEN);
            add(entries, p + "self_attn.k_proj.weight", dtype, KV_HEADS * HEAD_DIM, HIDDEN);
            add(entries, p + "self_attn.v_proj.weight", dtype, KV_HEADS * HEAD_DIM, HIDDEN);
            add(entries, p + "self_attn.o_proj.weight", dtype, HIDDEN, HEADS * HEAD_DIM);
            if (architecture.equals("Qwen2ForCausalLM")) {
                add(entries, p + "self_attn.q_proj.bias", dtype, HEADS * HEAD_DIM);
                add(entries, p + "self_attn.k_proj.bias", dtype, KV_HEADS * HEAD_DIM);
                add(entries, p + "self_attn.v_proj.bias", dtype, KV_HEADS * HEAD_DIM);
            }
            if (qwen3) {
                add(entries, p + "self_attn.q_norm.weight", dtype, HEAD_DIM);
                add(entries, p + "self_attn.k_norm.weight", dtype, HEAD_DIM);
            }
            add(entries, p + "mlp.gate_proj.weight", dtype, FF, HIDDEN);
            add(entries, p + "mlp.up_proj.weight", dtype, FF, HIDDEN);
            add(entries, p + "mlp.down_proj.weight", dtype, HIDDEN, FF);
            add(entries, p + "input_layernorm.weight", dtype, HIDDEN);
            add(entries, p + "post_attention_layernorm.weight", dtype, HIDDEN);
        }
        add(entries, "model.norm.weight", dtype, HIDDEN);
        if (!tied) add(entries, "lm_head.weight", dtype, VOCAB, HIDDEN);
        if (sharded) {
            SafetensorsWriter.writeSharded(dir, entries, 40_000, SafetensorsWriter.Options.defaults());
        } else {
            SafetensorsWriter.write(dir.resolve("model.safetensors"), entries);
        }
        return dir;
    }

    Path bert(Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), """
                {"architectures": ["BertModel"], "model_type": "bert", "hidden_size": %d, "intermediate_size": %d,
                 "num_hidden_layers": %d, "num_attention_heads": %d, "max_position_embeddings": 64,
                 "layer_norm_eps": 1e-12, "vocab_size": %d, "type_vocab_size": 2, "pad_token_id": 0}
                """.formatted(HIDDEN, FF, LAYERS, HEADS, VOCAB));
        Files.writeString(dir.resolve("modules.json"), """
                [{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
                 {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}]
                """);
        Files.createDirectories(dir.resolve("1_Pooling"));
        Files.writeString(dir.resolve("1_Pooling/config.json"), """
                {"word_embedding_dimension": %d, "pooling_mode_cls_token": false, "pooling_mode_mean_tokens": true,
                 "pooling_mode_max_tokens": false, "pooling_mode_mean_sqrt_len_tokens": false}
                """.formatted(HIDDEN));
        writeWordPieceTokenizer(dir);
        List<SafetensorsWriter.Entry> entries = new ArrayList<>();
        ScalarType f = ScalarType.F32;
        add(entries, "embeddings.word_embeddings.weight", f, VOCAB, HIDDEN);
        add(entries, "embeddings.position_embeddings.weight", f, 64, HIDDEN);
        add(entries, "embeddings.token_type_embeddings.weight", f, 2, HIDDEN);
        add(entries, "embeddings.LayerNorm.weight", f, HIDDEN);
        add(entries, "embeddings.LayerNorm.bias", f, HIDDEN);
        for (int i = 0; i < LAYERS; i++) {
            String p = "encoder.layer." + i + ".";
            for (String m : List.of("attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense")) {
                add(entries, p + m + ".weight", f, HIDDEN, HIDDEN);
                add(entries, p + m + ".bias", f, HIDDEN);
            }
            add(entries, p + "attention.output.LayerNorm.weight", f, HIDDEN);
            add(entries, p + "attention.output.LayerNorm.bias", f, HIDDEN);
            add(entries, p + "intermediate.dense.weight", f, FF, HIDDEN);
            add(entries, p + "intermediate.dense.bias", f, FF);
            add(entries, p + "output.dense.weight", f, HIDDEN, FF);
            add(entries, p + "output.dense.bias", f, HIDDEN);
            add(entries, p + "output.LayerNorm.weight", f, HIDDEN);
            add(entries, p + "output.LayerNorm.bias", f, HIDDEN);
        }
        add(entries, "pooler.dense.weight", f, HIDDEN, HIDDEN);
        add(entries, "pooler.dense.bias", f, HIDDEN);
        SafetensorsWriter.write(dir.resolve("model.safetensors"), entries);
        return dir;
    }

    private void add(List<SafetensorsWriter.Entry> entries, String name, ScalarType dtype, long... dims) {
        Shape shape = Shape.of(dims);
        int n = (int) shape.elementCount();
        float[] v = new float[n];
        MemorySegment seg = MemorySegment.ofArray(new byte[n * (dtype == ScalarType.F32 ? 4 : 2)]);
        for (int i = 0; i < n; i++) {
            float x = (float) random.nextGaussian() * 0.5f;
            if (dtype == ScalarType.F32) {
                seg.set(SourceTensor.F32_LE, 4L * i, x);
            } else if (dtype == ScalarType.F16) {
                short h = FloatFormats.f32ToF16(x);
                seg.set(SourceTensor.I16_LE, 2L * i, h);
                x = FloatFormats.f16ToF32(h);
            } else {
                short b = FloatFormats.f32ToBf16(x);
                seg.set(SourceTensor.I16_LE, 2L * i, b);
                x = FloatFormats.bf16ToF32(b);
            }
            v[i] = x;
        }
        values.put(name, v);
        shapes.put(name, shape);
        entries.add(SafetensorsWriter.Entry.of(name, dtype, shape, seg));
    }

    /** A SentencePiece-style BPE with byte fallback (as Llama 2 and Mistral ship it), 20 tokens. */
    private static void writeSentencePieceTokenizer(Path dir) throws IOException {
        String[] pieces = {"<unk>", "<s>", "</s>", "<0x00>", "<0x01>", "<0x0A>", "\u2581", "a", "b", "c", "\u2581a", "\u2581b",
                "ab", "\u2581ab", "bc", "ca", "abc", "\u2581abc", "cc", "bb"};
        StringBuilder vocab = new StringBuilder();
        for (int i = 0; i < pieces.length; i++) vocab.append(i == 0 ? "" : ", ").append('"').append(pieces[i]).append("\": ").append(i);
        Files.writeString(dir.resolve("tokenizer.json"), """
                {"version": "1.0", "truncation": null, "padding": null,
                 "added_tokens": [
                  {"id": 0, "content": "<unk>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
                  {"id": 1, "content": "<s>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
                  {"id": 2, "content": "</s>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}],
                 "normalizer": {"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "\u2581"},
                    {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"}]},
                 "pre_tokenizer": null, "post_processor": null,
                 "decoder": {"type": "Sequence", "decoders": [{"type": "ByteFallback"}, {"type": "Fuse"}]},
                 "model": {"type": "BPE", "dropout": null, "unk_token": "<unk>", "continuing_subword_prefix": null,
                   "end_of_word_suffix": null, "fuse_unk": true, "byte_fallback": true,
                   "vocab": {%s}, "merges": ["\u2581 a", "a b", "\u2581 b", "\u2581a b", "b c", "c a", "ab c", "\u2581ab c", "c c", "b b"]}}
                """.formatted(vocab));
        Files.writeString(dir.resolve("tokenizer_config.json"), """
                {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "add_bos_token": true, "add_eos_token": false,
                 "chat_template": "{{ messages }}"}
                """);
    }

    /** A byte-level BPE (as Qwen ships it): 16 base tokens, 2 added, config vocab_size 20 leaves 2 gaps. */
    private static void writeByteLevelTokenizer(Path dir) throws IOException {
        String[] pieces = {"a", "b", "c", "\u0120", "\u0120a", "ab", "bc", "\u0120ab", "ca", "cc", "bb", "abc", "d", "e", "de", "\u0120d"};
        StringBuilder vocab = new StringBuilder();
        for (int i = 0; i < pieces.length; i++) vocab.append(i == 0 ? "" : ", ").append('"').append(pieces[i]).append("\": ").append(i);
        Files.writeString(dir.resolve("tokenizer.json"), """
                {"version": "1.0", "truncation": null, "padding": null,
                 "added_tokens": [
                  {"id": 16, "content": "<|endoftext|>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
                  {"id": 17, "content": "<|im_start|>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}],
                 "normalizer": {"type": "NFC"},
                 "pre_tokenizer": {"type": "Sequence", "pretokenizers": [{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": false, "use_regex": false}]},
                 "post_processor": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": false, "use_regex": false},
                 "decoder": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": false, "use_regex": false},
                 "model": {"type": "BPE", "dropout": null, "unk_token": null, "continuing_subword_prefix": "", "end_of_word_suffix": "",
                   "fuse_unk": false, "byte_fallback": false, "ignore_merges": false,
                   "vocab": {%s}, "merges": ["\u0120 a", "a b", "b c", "\u0120a b", "c a", "c c", "b b", "ab c", "d e", "\u0120 d"]}}
                """.formatted(vocab));
        Files.writeString(dir.resolve("tokenizer_config.json"), """
                {"bos_token": null, "eos_token": "<|endoftext|>", "pad_token": "<|endoftext|>", "unk_token": null,
                 "add_bos_token": false}
                """);
    }

    private static void writeWordPieceTokenizer(Path dir) throws IOException {
        String[] pieces = {"[PAD]", "[unused0]", "the", "a", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "cat", "##s", "dog", "##gy",
                "sat", "on", "mat", ".", ",", "is", "big", "##ger"};
        StringBuilder vocab = new StringBuilder();
        for (int i = 0; i < pieces.length; i++) vocab.append(i == 0 ? "" : ", ").append('"').append(pieces[i]).append("\": ").append(i);
        StringBuilder added = new StringBuilder();
        int[] special = {0, 4, 5, 6, 7};
        for (int k = 0; k < special.length; k++) {
            added.append(k == 0 ? "" : ", ").append("""
                    {"id": %d, "content": "%s", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}"""
                    .formatted(special[k], pieces[special[k]]));
        }
        Files.writeString(dir.resolve("tokenizer.json"), """
                {"version": "1.0", "truncation": null, "padding": null, "added_tokens": [%s],
                 "normalizer": {"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true, "strip_accents": null, "lowercase": true},
                 "pre_tokenizer": {"type": "BertPreTokenizer"},
                 "post_processor": null, "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": true},
                 "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##", "max_input_chars_per_word": 100,
                   "vocab": {%s}}}
                """.formatted(added, vocab));
        Files.writeString(dir.resolve("tokenizer_config.json"), """
                {"cls_token": "[CLS]", "sep_token": "[SEP]", "pad_token": "[PAD]", "unk_token": "[UNK]", "mask_token": "[MASK]",
                 "do_lower_case": true}
                """);
    }
}
