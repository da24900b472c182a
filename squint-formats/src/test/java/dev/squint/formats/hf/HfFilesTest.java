package dev.squint.formats.hf;

import dev.squint.core.ModelFormatException;
import dev.squint.formats.hf.HfTokenizer.Merge;
import dev.squint.formats.hf.HfTokenizer.ModelType;
import dev.squint.formats.hf.SentenceTransformersConfig.PoolingMode;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HfFilesTest {
    @TempDir Path tmp;

    static Path fixture(String name) {
        try {
            return Path.of(HfFilesTest.class.getResource("/hf/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void llama3ConfigWithLlama3RopeScaling() {
        HfFolder f = HfFolder.of(fixture("llama3"));
        HfConfig c = f.config().orElseThrow();
        assertThat(c.architectures()).containsExactly("LlamaForCausalLM");
        assertThat(c.modelType()).contains("llama");
        assertThat(c.hiddenSize()).hasValue(4096);
        assertThat(c.intermediateSize()).hasValue(14336);
        assertThat(c.numHiddenLayers()).hasValue(32);
        assertThat(c.numAttentionHeads()).hasValue(32);
        assertThat(c.numKeyValueHeads()).hasValue(8);
        assertThat(c.headDim()).hasValue(128); // derived: 4096 / 32
        assertThat(c.vocabSize()).hasValue(128256);
        assertThat(c.maxPositionEmbeddings()).hasValue(131072);
        assertThat(c.rmsNormEps()).hasValue(1e-5);
        assertThat(c.hiddenAct()).contains("silu");
        assertThat(c.ropeTheta()).hasValue(500000.0);
        HfConfig.RopeScaling rope = c.ropeScaling().orElseThrow();
        assertThat(rope.type()).contains("llama3");
        assertThat(rope.factor()).hasValue(8.0);
        assertThat(rope.lowFreqFactor()).hasValue(1.0);
        assertThat(rope.highFreqFactor()).hasValue(4.0);
        assertThat(rope.originalMaxPositionEmbeddings()).hasValue(8192);
        assertThat(c.tieWordEmbeddings()).contains(false);
        assertThat(c.torchDtype()).contains("bfloat16");
        assertThat(c.bosTokenId()).hasValue(128000);
        assertThat(c.eosTokenIds()).containsExactly(128001, 128008, 128009);
        assertThat(c.attentionBias()).contains(false);
        assertThat(c.get("pretraining_tp")).contains(1L);
        assertThat(c.get("transformers_version")).contains("4.43.0.dev0");

        GenerationConfig g = f.generationConfig().orElseThrow();
        assertThat(g.eosTokenIds()).containsExactly(128001, 128008, 128009);
        assertThat(g.temperature()).hasValue(0.6);
        assertThat(g.topP()).hasValue(0.9);
        assertThat(g.doSample()).contains(true);
        assertThat(g.topK()).isEmpty();

        TokenizerConfig t = f.tokenizerConfig().orElseThrow();
        assertThat(t.bosToken()).contains("<|begin_of_text|>");
        assertThat(t.eosToken()).contains("<|eot_id|>");
        assertThat(t.addBosToken()).contains(true);
        assertThat(t.addEosToken()).contains(false);
        assertThat(t.modelMaxLength()).hasValue(131072);
        assertThat(t.chatTemplate().orElseThrow()).startsWith("{{- bos_token }}");
        assertThat(t.addedTokensDecoder().get(128009).content()).isEqualTo("<|eot_id|>");
        assertThat(t.addedTokensDecoder().get(128009).special()).isTrue();
        assertThat(t.tokenizerClass()).contains("PreTrainedTokenizerFast");

        assertThat(f.tokenizer()).isEmpty();
        assertThat(f.sentenceTransformers()).isEmpty();
    }

    @Test
    void qwen2ConfigDefaultsAndTokenizerConfigForms() {
        HfFolder f = HfFolder.of(fixture("qwen2"));
        HfConfig c = f.config().orElseThrow();
        assertThat(c.numKeyValueHeads()).hasValue(2);
        assertThat(c.headDim()).hasValue(64); // 896 / 14
        assertThat(c.ropeScaling()).isEmpty(); // null in the file
        assertThat(c.ropeTheta()).hasValue(1_000_000.0);
        assertThat(c.tieWordEmbeddings()).contains(true);
        assertThat(c.eosTokenIds()).containsExactly(151645);
        assertThat(c.attentionBias()).isEmpty();
        assertThat(c.get("sliding_window")).contains(32768L);
        assertThat(c.get("use_sliding_window")).contains(false);

        TokenizerConfig t = f.tokenizerConfig().orElseThrow();
        assertThat(t.bosToken()).isEmpty(); // null
        assertThat(t.eosToken()).contains("<|im_end|>"); // AddedToken object
        assertThat(t.padToken()).contains("<|endoftext|>");
        assertThat(t.modelMaxLength()).hasValue(Long.MAX_VALUE); // Python's 1e30 "no limit"
        assertThat(t.chatTemplates()).containsOnlyKeys("default", "tool_use");
        assertThat(t.chatTemplate().orElseThrow()).startsWith("{% for m in messages %}<|im_start|>");
        assertThat(f.generationConfig()).isEmpty();
    }

    @Test
    void mistralExplicitHeadDimAndGpt2Aliases() {
        HfConfig m = HfConfig.read(fixture("mistral/config.json"));
        assertThat(m.headDim()).hasValue(128); // explicit, not 5120 / 32 = 160
        assertThat(m.numKeyValueHeads()).hasValue(8);
        assertThat(m.get("sliding_window")).isEmpty(); // JSON null

        HfConfig g = HfConfig.read(fixture("gpt2/config.json"));
        assertThat(g.hiddenSize()).hasValue(768);
        assertThat(g.numHiddenLayers()).hasValue(12);
        assertThat(g.numAttentionHeads()).hasValue(12);
        assertThat(g.numKeyValueHeads()).hasValue(12);
        assertThat(g.headDim()).hasValue(64);
        assertThat(g.maxPositionEmbeddings()).hasValue(1024);
        assertThat(g.layerNormEps()).hasValue(1e-5);
        assertThat(g.intermediateSize()).isEmpty(); // n_inner: null
        assertThat(g.hiddenAct()).contains("gelu_new");
        assertThat(g.eosTokenIds()).containsExactly(50256);
    }

    @Test
    void ropeParametersAndTextConfigOfNewerConfigs() throws IOException {
        Path file = tmp.resolve("config.json");
        Files.writeString(file, """
                {"architectures": ["Gemma3ForConditionalGeneration"], "model_type": "gemma3",
                 "text_config": {"hidden_size": 2560, "num_attention_heads": 8, "head_dim": 256, "num_key_value_heads": 4,
                                 "rope_parameters": {"rope_type": "yarn", "rope_theta": 1000000.0, "factor": 8.0,
                                                     "beta_fast": 32.0, "beta_slow": 1.0, "original_max_position_embeddings": 32768}},
                 "dtype": "bfloat16"}
                """);
        HfConfig c = HfConfig.read(file);
        assertThat(c.torchDtype()).contains("bfloat16");
        assertThat(c.hiddenSize()).isEmpty();
        HfConfig text = c.textConfig().orElseThrow();
        assertThat(text.headDim()).hasValue(256);
        assertThat(text.ropeTheta()).hasValue(1_000_000.0);
        HfConfig.RopeScaling rope = text.ropeScaling().orElseThrow();
        assertThat(rope.type()).contains("yarn");
        assertThat(rope.betaFast()).hasValue(32.0);
        assertThat(rope.betaSlow()).hasValue(1.0);
        assertThat(rope.originalMaxPositionEmbeddings()).hasValue(32768);
    }

    @Test
    void byteLevelBpeMergesReadTheSameInBothForms() {
        HfTokenizer strings = HfTokenizer.read(fixture("bpe-strings/tokenizer.json"));
        HfTokenizer pairs = HfTokenizer.read(fixture("bpe-pairs/tokenizer.json"));
        for (HfTokenizer t : List.of(strings, pairs)) {
            assertThat(t.model().type()).isEqualTo(ModelType.BPE);
            assertThat(t.model().vocabSize()).isEqualTo(18);
            assertThat(t.model().merges()).hasSize(9);
            assertThat(t.model().merges().getFirst()).isEqualTo(new Merge("h", "e"));
            assertThat(t.model().merges().get(6)).isEqualTo(new Merge("Ġw", "or"));
            assertThat(t.model().ignoreMerges()).isTrue();
            assertThat(t.model().unkToken()).isEmpty();
            assertThat(t.byteLevel()).isTrue();
            assertThat(t.lowercases()).isFalse();
            assertThat(t.stripsAccents()).isFalse();
            assertThat(t.handlesChineseChars()).isFalse();
            assertThat(t.id("<|endoftext|>")).hasValue(20);
            assertThat(t.id("Ġworld")).hasValue(17);
            assertThat(t.addedTokens().getFirst().special()).isTrue();
            assertThat(t.normalizer().orElseThrow().type()).isEqualTo("NFC");
            assertThat(t.postProcessor().orElseThrow().type()).isEqualTo("ByteLevel");
            assertThat(t.preTokenizer().orElseThrow().children()).extracting(HfTokenizer.Component::type).containsExactly("Split", "ByteLevel");
            HfTokenizer.SplitPattern split = t.splitPatterns().getFirst();
            assertThat(split.regex()).isTrue();
            assertThat(split.pattern()).startsWith("(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+");
            assertThat(split.behavior()).isEqualTo("Isolated");
            assertThat(split.invert()).isFalse();
            assertThat(t.truncation()).isEmpty();
        }
        assertThat(strings.model().merges()).isEqualTo(pairs.model().merges());
        assertThat(strings.model().vocab()).isEqualTo(pairs.model().vocab());
    }

    @Test
    void unigramVocabWithScores() {
        HfTokenizer t = HfTokenizer.read(fixture("unigram/tokenizer.json"));
        assertThat(t.model().type()).isEqualTo(ModelType.UNIGRAM);
        assertThat(t.model().vocab()).containsExactlyInAnyOrderEntriesOf(Map.of("<unk>", 0, "▁a", 1, "b", 2));
        assertThat(t.model().scores()).containsExactly(0.0, -1.5, -2.25);
        assertThat(t.model().unkToken()).contains("<unk>");
        assertThat(t.model().byteFallback()).isTrue();
        assertThat(t.lowercases()).isTrue(); // Lowercase inside a Sequence
        assertThat(t.preTokenizer().orElseThrow().string("prepend_scheme")).contains("always");
        assertThat(t.postProcessor()).isEmpty();
    }

    @Test
    void allMiniLmWordPieceTokenizer() {
        String models = System.getProperty("squint.models");
        Assumptions.assumeTrue(models != null, "squint.models is not set (run through Maven)");
        Path file = Path.of(models, "all-minilm-l6-v2", "all-minilm-l6-v2-tokenizer.json");
        Assumptions.assumeTrue(Files.exists(file), "all-MiniLM-L6-v2 tokenizer.json not unpacked at " + file);
        HfTokenizer t = HfTokenizer.read(file);
        assertThat(t.model().type()).isEqualTo(ModelType.WORD_PIECE);
        assertThat(t.model().vocabSize()).isEqualTo(30522);
        assertThat(t.model().unkToken()).contains("[UNK]");
        assertThat(t.model().unkId()).hasValue(100);
        assertThat(t.model().continuingSubwordPrefix()).contains("##");
        assertThat(t.model().maxInputCharsPerWord()).hasValue(100);
        assertThat(t.model().merges()).isEmpty();
        assertThat(t.id("[CLS]")).hasValue(101);
        assertThat(t.id("[SEP]")).hasValue(102);
        assertThat(t.id("##ing")).isPresent();
        assertThat(t.lowercases()).isTrue();
        assertThat(t.stripsAccents()).isTrue(); // strip_accents null follows lowercase
        assertThat(t.handlesChineseChars()).isTrue();
        HfTokenizer.Component norm = t.normalizer().orElseThrow();
        assertThat(norm.type()).isEqualTo("BertNormalizer");
        assertThat(norm.bool("handle_chinese_chars")).contains(true);
        assertThat(norm.bool("clean_text")).contains(true);
        assertThat(norm.settings()).containsEntry("strip_accents", null);
        assertThat(t.preTokenizer().orElseThrow().type()).isEqualTo("BertPreTokenizer");
        assertThat(t.postProcessor().orElseThrow().type()).isEqualTo("TemplateProcessing");
        assertThat(t.decoder().orElseThrow().string("prefix")).contains("##");
        assertThat(t.addedTokens()).extracting(HfTokenizer.AddedToken::content).containsExactly("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]");
        assertThat(t.truncation().orElseThrow()).containsEntry("max_length", 128L);
        assertThat(t.byteLevel()).isFalse();
    }

    @Test
    void sentenceTransformersModulesAndPooling() {
        SentenceTransformersConfig st = HfFolder.of(fixture("st")).sentenceTransformers().orElseThrow();
        assertThat(st.modules()).extracting(SentenceTransformersConfig.Module::path).containsExactly("", "1_Pooling", "2_Normalize");
        SentenceTransformersConfig.Pooling p = st.pooling().orElseThrow();
        assertThat(p.modes()).isEqualTo(Set.of(PoolingMode.MEAN_TOKENS));
        assertThat(p.wordEmbeddingDimension()).hasValue(384);
        assertThat(p.includePrompt()).contains(true);
        assertThat(st.normalize()).isTrue();
    }

    @Test
    void chatTemplateJinjaFileIsUsedWhenTheConfigHasNone() throws IOException {
        Files.writeString(tmp.resolve("tokenizer_config.json"), "{\"eos_token\": \"</s>\"}");
        assertThat(HfFolder.of(tmp).tokenizerConfig().orElseThrow().chatTemplate()).isEmpty();
        Files.writeString(tmp.resolve("chat_template.jinja"), "{{ messages }}");
        assertThat(HfFolder.of(tmp).tokenizerConfig().orElseThrow().chatTemplate()).contains("{{ messages }}");
    }

    private void assertFault(String fileName, String json, String fault) throws IOException {
        Path file = tmp.resolve(fileName);
        Files.writeString(file, json);
        HfFolder folder = HfFolder.of(tmp);
        assertThatThrownBy(() -> {
            switch (fileName) {
                case "config.json" -> folder.config();
                case "generation_config.json" -> folder.generationConfig();
                case "tokenizer.json" -> folder.tokenizer();
                case "tokenizer_config.json" -> folder.tokenizerConfig();
                case "modules.json" -> folder.sentenceTransformers();
                default -> throw new AssertionError(fileName);
            }
        }).as(json).isInstanceOf(ModelFormatException.class)
                .hasMessageStartingWith(file + ": ").hasMessageContaining(fault).hasMessageNotContaining("\n");
        Files.delete(file);
    }

    @Test
    void malformedFilesAreOneLineFaultsNamingTheFileAndKey() throws IOException {
        assertFault("config.json", "{\"hidden_size\": ", "not valid JSON");
        assertFault("config.json", "[1, 2]", "top level is a list, not a JSON object");
        assertFault("config.json", "{\"hidden_size\": \"big\"}", "key 'hidden_size': expected an integer, found a string");
        assertFault("config.json", "{\"num_attention_heads\": 0}", "key 'num_attention_heads': must be positive");
        assertFault("config.json", "{\"hidden_size\": 4096, \"hidden_size\": 2048}", "Duplicate field 'hidden_size'");
        assertFault("config.json", "{\"eos_token_id\": [1, \"x\"]}", "key 'eos_token_id': expected an integer or a list of integers");
        assertFault("config.json", "{\"rope_scaling\": {\"factor\": \"eight\"}}", "key 'rope_scaling.factor': expected a number");
        assertFault("config.json", "{\"architectures\": \"Llama\"}", "key 'architectures': expected a list of strings");
        assertFault("config.json", "{\"hidden_size\": 1e12}", "does not fit a 32-bit integer");
        assertFault("generation_config.json", "{\"do_sample\": \"yes\"}", "key 'do_sample': expected true or false");
        assertFault("tokenizer.json", "{\"version\": \"1.0\"}", "key 'model': missing");
        assertFault("tokenizer.json", "{\"model\": {\"type\": \"Magic\", \"vocab\": {}}}", "unknown tokenizer model 'Magic'");
        assertFault("tokenizer.json", "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": -1}, \"merges\": []}}", "token 'a' has id -1");
        assertFault("tokenizer.json", "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": [\"a z\"]}}", "merge 0 uses 'z', which is not in the vocabulary");
        assertFault("tokenizer.json", "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": [\"a a\"]}}", "merge 0 makes 'aa', which is not in the vocabulary");
        assertFault("tokenizer.json", "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": [\"aa\"]}}", "is not two tokens separated by one space");
        assertFault("tokenizer.json", "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": [[\"a\"]]}}", "merge 0 is neither");
        assertFault("tokenizer.json", "{\"model\": {\"type\": \"Unigram\", \"vocab\": [[\"a\", 0.0]], \"unk_id\": 3}}", "key 'model.unk_id': 3 is outside the vocabulary");
        assertFault("tokenizer.json", "{\"model\": {\"type\": \"WordPiece\", \"vocab\": {}}, \"added_tokens\": [{\"content\": \"x\"}]}", "key 'added_tokens[0].id': missing");
        assertFault("tokenizer.json", "{\"model\": {\"type\": \"WordPiece\", \"vocab\": {}}, \"normalizer\": {\"lowercase\": true}}", "key 'normalizer.type': missing");
        assertFault("tokenizer_config.json", "{\"eos_token\": 5}", "key 'eos_token': expected a string or an AddedToken object");
        assertFault("tokenizer_config.json", "{\"chat_template\": [{\"name\": \"x\"}]}", "key 'chat_template': entry 0 is not");
        assertFault("tokenizer_config.json", "{\"added_tokens_decoder\": {\"abc\": {}}}", "key 'abc' is not a token id");
        assertFault("modules.json", "{}", "not a list of modules");
    }

    @Test
    void oversizedJsonIsRefusedBeforeParsing() throws IOException {
        Path file = tmp.resolve("config.json");
        try (var ch = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.wrap(new byte[] {'{'}), HfJson.MAX_JSON_BYTES); // sparse: one byte past the limit
        }
        assertThatThrownBy(() -> HfFolder.of(tmp).config()).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("config.json: JSON file is " + (HfJson.MAX_JSON_BYTES + 1) + " bytes, larger than the");
    }

    @Test
    void modelExposesTheFilesBesideItsWeights() throws IOException {
        Path weights = tmp.resolve("model.safetensors");
        dev.squint.formats.safetensors.SafetensorsWriter.write(weights, List.of());
        for (String name : List.of("config.json", "generation_config.json", "tokenizer_config.json")) {
            Files.copy(fixture("llama3/" + name), tmp.resolve(name));
        }
        Files.copy(fixture("bpe-strings/tokenizer.json"), tmp.resolve("tokenizer.json"));
        try (var m = dev.squint.formats.safetensors.SafetensorsReader.open(tmp)) {
            assertThat(m.architecture()).contains("LlamaForCausalLM");
            assertThat(m.config().orElseThrow().numKeyValueHeads()).hasValue(8);
            assertThat(m.generationConfig().orElseThrow().topP()).hasValue(0.9);
            assertThat(m.tokenizerConfig().orElseThrow().eosToken()).contains("<|eot_id|>");
            assertThat(m.tokenizer().orElseThrow().model().merges()).hasSize(9);
            assertThat(m.sentenceTransformers()).isEmpty();
        }
    }

    @Test
    void missingFilesAreEmpty() {
        HfFolder f = HfFolder.of(tmp);
        assertThat(f.config()).isEmpty();
        assertThat(f.generationConfig()).isEmpty();
        assertThat(f.tokenizer()).isEmpty();
        assertThat(f.tokenizerConfig()).isEmpty();
        assertThat(f.sentenceTransformers()).isEmpty();
    }

    @Test
    void recordsAreImmutable() {
        HfConfig c = HfConfig.read(fixture("llama3/config.json"));
        assertThatThrownBy(() -> c.architectures().add("x")).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> c.raw().put("x", 1)).isInstanceOf(UnsupportedOperationException.class);
        HfTokenizer t = HfTokenizer.read(fixture("bpe-strings/tokenizer.json"));
        assertThatThrownBy(() -> t.model().vocab().put("x", 1)).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> t.model().merges().clear()).isInstanceOf(UnsupportedOperationException.class);
    }
}
