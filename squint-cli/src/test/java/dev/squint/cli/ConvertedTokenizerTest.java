package dev.squint.cli;

import dev.squint.convert.ConvertOptions;
import dev.squint.convert.GgufConverter;
import dev.squint.core.ScalarType;
import dev.squint.core.Shape;
import dev.squint.engine.tokenizer.Tokenizer;
import dev.squint.engine.tokenizer.Tokenizers;
import dev.squint.formats.safetensors.SafetensorsWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The vocabulary squint convert writes tokenizes as the tokenizer.json it came from (via squint's GGUF and HF tokenizers). */
class ConvertedTokenizerTest {
    @TempDir Path dir;

    static final String[] SPM_PIECES = {"<unk>", "<s>", "</s>", "<0x00>", "<0x01>", "<0x0A>", "\u2581", "a", "b", "c", "\u2581a", "\u2581b",
            "ab", "\u2581ab", "bc", "ca", "abc", "\u2581abc", "cc", "bb"};
    static final String SPM_MERGES = "[\"\u2581 a\", \"a b\", \"\u2581 b\", \"\u2581a b\", \"b c\", \"c a\", \"ab c\", \"\u2581ab c\", \"c c\", \"b b\"]";

    @Test
    void sentencePieceVocabularyTokenizesAsTheTokenizerJson() throws Exception {
        Path folder = folder("llama", SPM_PIECES, """
                "added_tokens": [
                  {"id": 0, "content": "<unk>", "special": true}, {"id": 1, "content": "<s>", "special": true},
                  {"id": 2, "content": "</s>", "special": true}],
                "normalizer": {"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "\u2581"},
                   {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"}]},
                "pre_tokenizer": null, "post_processor": null,
                "decoder": {"type": "Sequence", "decoders": [{"type": "ByteFallback"}, {"type": "Fuse"}]},
                "model": {"type": "BPE", "unk_token": "<unk>", "fuse_unk": true, "byte_fallback": true,
                  "vocab": %s, "merges": %s}""".formatted(vocab(SPM_PIECES), SPM_MERGES));
        assertSameTokens(folder, "abc abc", "cab bca", "abcabc ccbb", "a b c", "ab\nca");
    }

    @Test
    void byteLevelVocabularyTokenizesAsTheTokenizerJson() throws Exception {
        String[] pieces = {"a", "b", "c", "\u0120", "\u0120a", "ab", "bc", "\u0120ab", "ca", "cc", "bb", "abc", "d", "e", "de", "\u0120d"};
        Path folder = folder("qwen2", pieces, """
                "added_tokens": [{"id": 16, "content": "<|endoftext|>", "special": true}],
                "normalizer": {"type": "NFC"},
                "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
                   {"type": "Split", "pattern": {"Regex": "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\\\r\\\\n\\\\p{L}\\\\p{N}]?\\\\p{L}+|\\\\p{N}| ?[^\\\\s\\\\p{L}\\\\p{N}]+[\\\\r\\\\n]*|\\\\s*[\\\\r\\\\n]+|\\\\s+(?!\\\\S)|\\\\s+"}, "behavior": "Isolated", "invert": false},
                   {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": false, "use_regex": false}]},
                "post_processor": null,
                "decoder": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": false, "use_regex": false},
                "model": {"type": "BPE", "unk_token": null, "byte_fallback": false,
                  "vocab": %s, "merges": ["\u0120 a", "a b", "b c", "\u0120a b", "c a", "c c", "b b", "ab c", "d e", "\u0120 d"]}"""
                .formatted(vocab(pieces)));
        assertSameTokens(folder, "abc abc", "cab bca de", "dede abcd", "a b c d e");
    }

    private void assertSameTokens(Path folder, String... texts) {
        Path out = dir.resolve(folder.getFileName() + ".gguf");
        GgufConverter.convert(ConvertOptions.of(folder, out));
        Tokenizer fromGguf = Tokenizers.fromGguf(out);
        Tokenizer fromJson = Tokenizers.fromHf(folder.resolve("tokenizer.json"));
        for (String text : texts) {
            assertThat(fromGguf.encode(text)).as(text).containsExactly(fromJson.encode(text));
            assertThat(fromGguf.decode(fromGguf.encode(text))).isEqualTo(text);
        }
    }

    private Path folder(String kind, String[] pieces, String tokenizerBody) throws Exception {
        Path folder = Files.createDirectories(dir.resolve(kind));
        int vocab = 20, hidden = 32;
        String arch = kind.equals("llama") ? "LlamaForCausalLM" : "Qwen2ForCausalLM";
        Files.writeString(folder.resolve("config.json"), """
                {"architectures": ["%s"], "hidden_size": %d, "intermediate_size": 64, "num_hidden_layers": 1,
                 "num_attention_heads": 4, "num_key_value_heads": 4, "vocab_size": %d, "max_position_embeddings": 64,
                 "rms_norm_eps": 1e-6, "tie_word_embeddings": true}""".formatted(arch, hidden, vocab));
        Files.writeString(folder.resolve("tokenizer.json"), "{\"version\": \"1.0\", " + tokenizerBody + "}");
        List<SafetensorsWriter.Entry> e = new ArrayList<>();
        e.add(zeros("model.embed_tokens.weight", vocab, hidden));
        for (String w : List.of("q_proj", "k_proj", "v_proj", "o_proj")) e.add(zeros("model.layers.0.self_attn." + w + ".weight", hidden, hidden));
        for (String w : List.of("gate_proj", "up_proj")) e.add(zeros("model.layers.0.mlp." + w + ".weight", 64, hidden));
        e.add(zeros("model.layers.0.mlp.down_proj.weight", hidden, 64));
        e.add(zeros("model.layers.0.input_layernorm.weight", hidden));
        e.add(zeros("model.layers.0.post_attention_layernorm.weight", hidden));
        e.add(zeros("model.norm.weight", hidden));
        SafetensorsWriter.write(folder.resolve("model.safetensors"), e);
        return folder;
    }

    private static SafetensorsWriter.Entry zeros(String name, long... dims) {
        Shape s = Shape.of(dims);
        return SafetensorsWriter.Entry.of(name, ScalarType.F32, s, MemorySegment.ofArray(new byte[(int) s.elementCount() * 4]));
    }

    private static String vocab(String[] pieces) {
        StringBuilder sb = new StringBuilder("{");
        for (int i = 0; i < pieces.length; i++) sb.append(i == 0 ? "" : ", ").append('"').append(pieces[i]).append("\": ").append(i);
        return sb.append('}').toString();
    }
}
