package dev.squint.convert;

import dev.squint.formats.hf.HfTokenizer;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code tokenizer.ggml.pre} follows the pre-tokenizer that llama.cpp's hash would identify, then the architecture. */
class BpePreTest {
    @TempDir Path dir;

    private static final String LLAMA3 = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\\\r\\\\n\\\\p{L}\\\\p{N}]?\\\\p{L}+|\\\\p{N}{1,3}"
            + "| ?[^\\\\s\\\\p{L}\\\\p{N}]+[\\\\r\\\\n]*|\\\\s*[\\\\r\\\\n]+|\\\\s+(?!\\\\S)|\\\\s+";
    private static final String QWEN2 = LLAMA3.replace("\\\\p{N}{1,3}", "\\\\p{N}");

    private static String split(String regex) {
        return """
                {"type": "Sequence", "pretokenizers": [
                  {"type": "Split", "pattern": {"Regex": "%s"}, "behavior": "Isolated", "invert": false},
                  {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false}]}""".formatted(regex);
    }

    private HfTokenizer tokenizer(String preTokenizer) throws IOException {
        Path f = dir.resolve("tokenizer.json");
        Files.writeString(f, """
                {"version": "1.0", "truncation": null, "padding": null, "added_tokens": [], "normalizer": null,
                 "pre_tokenizer": %s, "post_processor": null, "decoder": null,
                 "model": {"type": "BPE", "dropout": null, "unk_token": null, "fuse_unk": false, "byte_fallback": false,
                   "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b"]}}
                """.formatted(preTokenizer));
        return HfTokenizer.read(f);
    }

    @ParameterizedTest(name = "{0} on {1}")
    @CsvSource({
            "llama3, mistral, llama-bpe", "llama3, llama, llama-bpe", "qwen2, llama, qwen2", "qwen2, qwen3, qwen2",
            "gpt2, llama, gpt-2", "smollm, llama, smollm",
            "bytelevel-only, llama, llama-bpe", "bytelevel-only, qwen2, qwen2", "bytelevel-only, mistral, default",
            "unknown-split, llama, llama-bpe"})
    void namedByThePreTokenizerThenByArchitecture(String pre, String arch, String expected) throws IOException {
        String json = switch (pre) {
            case "llama3" -> split(LLAMA3);
            case "qwen2" -> split(QWEN2);
            case "gpt2" -> """
                    {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true}""";
            case "smollm" -> """
                    {"type": "Sequence", "pretokenizers": [{"type": "Digits", "individual_digits": true},
                      {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true}]}""";
            case "bytelevel-only" -> """
                    {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false}""";
            default -> split("\\\\p{L}+|\\\\s+");
        };
        assertThat(HfVocab.bpePre(tokenizer(json), arch)).isEqualTo(expected);
    }
}
