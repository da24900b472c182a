package dev.squint.engine.bert;

import dev.squint.core.GgmlType;
import dev.squint.core.MetaValue;
import dev.squint.core.Metadata;
import dev.squint.core.ScalarType;
import dev.squint.core.Shape;
import dev.squint.core.SquintException;
import dev.squint.core.Tensor;
import dev.squint.core.codec.Codecs;
import dev.squint.formats.gguf.GgufPlan;
import dev.squint.formats.gguf.GgufWriter;
import dev.squint.formats.safetensors.SafetensorsWriter;
import dev.squint.kernels.RowParallel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The same all-MiniLM-L6-v2 weights written as a Hugging Face safetensors folder (BertModel names)
 * and as a llama.cpp-style bert GGUF (with its phantom-space vocabulary instead of tokenizer.json)
 * load into encoders that agree with the ONNX one.
 */
class BertLoaderRoundTripTest {
    static final List<String> TEXTS = List.of("A girl is styling her hair.", "Café au lait, s'il vous plaît!", "中文 text", "");
    static RowParallel threads;
    static BertEncoder onnx;
    static Path onnxPath;
    static float[][] reference;

    @BeforeAll
    static void load() {
        onnxPath = Path.of(System.getProperty("squint.models", "target/models"), "all-minilm-l6-v2", "all-minilm-l6-v2.onnx");
        assumeTrue(Files.exists(onnxPath), "all-MiniLM-L6-v2 not unpacked at " + onnxPath);
        threads = new RowParallel(2);
        onnx = BertLoader.open(onnxPath, threads);
        reference = onnx.embed(TEXTS);
    }

    @AfterAll
    static void close() {
        if (onnx != null) onnx.close();
        if (threads != null) threads.close();
    }

    /** BertModel-named tensors of the ONNX model, linear weights as [out, in] F32 (or {@code linearType}). */
    static Map<String, Tensor> bertModelTensors(Arena arena, GgmlType linearType) {
        BertWeights w = onnx.weights();
        Map<String, Tensor> out = new LinkedHashMap<>();
        out.put("embeddings.word_embeddings.weight", w.wordEmbeddings());
        out.put("embeddings.position_embeddings.weight", w.positionEmbeddings());
        out.put("embeddings.token_type_embeddings.weight", w.tokenTypeEmbeddings());
        putNorm(out, "embeddings.LayerNorm", w.embeddingNorm(), arena);
        for (int i = 0; i < w.layers().size(); i++) {
            BertWeights.Layer l = w.layers().get(i);
            String p = "encoder.layer." + i + ".";
            putDense(out, p + "attention.self.query", l.query(), arena, linearType);
            putDense(out, p + "attention.self.key", l.key(), arena, linearType);
            putDense(out, p + "attention.self.value", l.value(), arena, linearType);
            putDense(out, p + "attention.output.dense", l.attentionOutput(), arena, linearType);
            putNorm(out, p + "attention.output.LayerNorm", l.attentionNorm(), arena);
            putDense(out, p + "intermediate.dense", l.intermediate(), arena, linearType);
            putDense(out, p + "output.dense", l.output(), arena, linearType);
            putNorm(out, p + "output.LayerNorm", l.outputNorm(), arena);
        }
        return out;
    }

    static Tensor f32(String name, float[] v, Shape shape, Arena arena) {
        MemorySegment s = arena.allocate(4L * v.length, 64);
        MemorySegment.copy(v, 0, s, ValueLayout.JAVA_FLOAT_UNALIGNED, 0, v.length);
        return new Tensor(dev.squint.core.TensorInfo.of(name, ScalarType.F32, shape), s);
    }

    static void putNorm(Map<String, Tensor> out, String prefix, BertWeights.Norm n, Arena arena) {
        out.put(prefix + ".weight", f32(prefix + ".weight", n.weight(), Shape.of(n.weight().length), arena));
        out.put(prefix + ".bias", f32(prefix + ".bias", n.bias(), Shape.of(n.bias().length), arena));
    }

    static void putDense(Map<String, Tensor> out, String prefix, Dense d, Arena arena, GgmlType type) {
        float[] w = d.weights();
        if (type == GgmlType.F32) {
            out.put(prefix + ".weight", f32(prefix + ".weight", w, Shape.of(d.out(), d.in()), arena));
        } else {
            long bytes = Codecs.of(type).rowBytes(d.in()) * d.out();
            MemorySegment s = arena.allocate(bytes, 64);
            Codecs.quantizeChunk(type, w, 0, d.out(), d.in(), s, 0, null);
            out.put(prefix + ".weight", new Tensor(dev.squint.core.TensorInfo.of(prefix + ".weight", type.toDType(), Shape.of(d.out(), d.in())), s));
        }
        out.put(prefix + ".bias", f32(prefix + ".bias", d.bias(), Shape.of(d.out()), arena));
    }

    @Test
    void safetensorsFolderMatchesOnnx(@TempDir Path dir) throws Exception {
        try (Arena arena = Arena.ofConfined()) {
            List<SafetensorsWriter.Entry> entries = new ArrayList<>();
            for (var e : bertModelTensors(arena, GgmlType.F32).entrySet()) {
                entries.add(SafetensorsWriter.Entry.of("bert." + e.getKey(), (ScalarType) e.getValue().dtype(), e.getValue().shape(), e.getValue().data()));
            }
            SafetensorsWriter.write(dir.resolve("model.safetensors"), entries);
        }
        Files.writeString(dir.resolve("config.json"), """
                {"architectures": ["BertModel"], "model_type": "bert", "hidden_size": 384, "num_hidden_layers": 6,
                 "num_attention_heads": 12, "intermediate_size": 1536, "layer_norm_eps": 1e-12, "max_position_embeddings": 512}""");
        Files.copy(onnxPath.resolveSibling("all-minilm-l6-v2-tokenizer.json"), dir.resolve("tokenizer.json"));
        try (BertEncoder st = BertLoader.open(dir, threads)) {
            assertThat(st.config()).isEqualTo(onnx.config());
            float[][] e = st.embed(TEXTS);
            for (int i = 0; i < TEXTS.size(); i++) assertThat(EncoderEval.cosine(e[i], reference[i])).isGreaterThan(0.999999);
        }
    }

    private static Path writeGguf(Path file, GgmlType linearType) {
        try (Arena arena = Arena.ofConfined()) {
            Map<String, Tensor> tensors = bertModelTensors(arena, linearType);
            List<MetaValue> tokens = new ArrayList<>();
            var tok = onnx.tokenizer();
            for (int id = 0; id < tok.vocabSize(); id++) {
                String t = tok.token(id);
                String phantom = t.startsWith("[") && t.endsWith("]") ? t : t.startsWith("##") ? t.substring(2) : "\u2581" + t;
                tokens.add(MetaValue.Str.of(phantom));
            }
            Metadata md = Metadata.builder().putString("general.architecture", "bert").putU32("bert.block_count", 6)
                    .putU32("bert.attention.head_count", 12).putF32("bert.attention.layer_norm_epsilon", 1e-12f)
                    .putU32("bert.pooling_type", 1).putU32("bert.context_length", 512)
                    .putString("tokenizer.ggml.model", "bert")
                    .put("tokenizer.ggml.tokens", new MetaValue.Array(MetaValue.Kind.STRING, tokens)).build();
            GgufPlan.Builder plan = GgufPlan.builder().metadata(md);
            Map<String, MemorySegment> data = new LinkedHashMap<>();
            for (var e : tensors.entrySet()) {
                String name = BertLoader.ggufName(e.getKey());
                plan.tensor(name, GgmlType.of(e.getValue().dtype()).orElseThrow(), e.getValue().shape());
                data.put(name, e.getValue().data());
            }
            GgufWriter.write(file, plan.build(), GgufWriter.from(data), List.of());
        }
        return file;
    }

    @Test
    void ggufWithItsOwnVocabularyMatchesOnnx(@TempDir Path dir) {
        Path file = writeGguf(dir.resolve("minilm-f32.gguf"), GgmlType.F32);
        try (BertEncoder g = BertLoader.open(file, threads)) {
            assertThat(g.config()).isEqualTo(onnx.config());
            for (String t : TEXTS) assertThat(g.tokenizer().encodeForModel(t).ids()).containsExactly(onnx.tokenizer().encodeForModel(t).ids());
            float[][] e = g.embed(TEXTS);
            for (int i = 0; i < TEXTS.size(); i++) assertThat(EncoderEval.cosine(e[i], reference[i])).isGreaterThan(0.999999);
        }
    }

    @Test
    void quantizedGgufComputesWhatTheInMemoryFormatDoes(@TempDir Path dir) {
        Path file = writeGguf(dir.resolve("minilm-q8_0.gguf"), GgmlType.Q8_0);
        try (BertEncoder g = BertLoader.open(file, threads);
             BertWeights q8 = WeightFormat.Q8_0.apply(onnx.weights())) {
            float[][] fromFile = g.embed(TEXTS);
            float[][] inMemory = onnx.withWeights(q8).embed(TEXTS);
            for (int i = 0; i < TEXTS.size(); i++) assertThat(fromFile[i]).containsExactly(inMemory[i]);
        }
    }

    @Test
    void wrongModelsAreOneLineErrors(@TempDir Path dir) throws Exception {
        Path q = onnxPath.getParent().getParent().resolve("all-minilm-l6-v2-q").resolve("all-minilm-l6-v2-q.onnx");
        if (Files.exists(q)) {
            assertThatThrownBy(() -> BertLoader.open(q, threads)).isInstanceOf(SquintException.class).hasMessageContaining("quantized ONNX");
        }
        Path folder = Files.createDirectories(dir.resolve("empty"));
        assertThatThrownBy(() -> BertLoader.open(folder, threads)).isInstanceOf(RuntimeException.class);
    }
}
