package dev.squint.convert;

import dev.squint.core.Metadata;
import dev.squint.core.SquintException;
import dev.squint.core.Tensor;
import dev.squint.formats.hf.HfConfig;
import dev.squint.formats.hf.HfTokenizer;
import dev.squint.formats.hf.SentenceTransformersConfig;
import dev.squint.formats.hf.TokenizerConfig;
import dev.squint.formats.onnx.OnnxModel;
import dev.squint.formats.safetensors.SafetensorsModel;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * BERT-family encoders ({@code BertModel}, e.g. all-MiniLM-L6-v2) to GGUF architecture {@code bert},
 * from a Hugging Face folder or an ONNX export (weights named by {@link OnnxBertWeights}), with
 * llama.cpp's names, metadata and types: position and token-type embeddings and every 1-D tensor
 * F32, other matrices the requested type; the pooler is dropped, as llama.cpp does.
 *
 * <p>Metadata, in convert_hf_to_gguf.py's order: architecture, type, name, block_count,
 * context_length, embedding_length, feed_forward_length, attention.head_count,
 * attention.layer_norm_epsilon, file_type, attention.causal (false), pooling_type (from the
 * sentence-transformers Pooling config: mean 1, cls 2, last-token 3), then the WordPiece vocabulary
 * ({@link HfVocab}) and quantization_version.
 *
 * <p>For an ONNX export the hyperparameters come from {@code config.json} beside the file if there
 * is one, else from the weights' shapes and the graph (head count, LayerNorm epsilon); the
 * vocabulary from a {@code tokenizer.json} (or {@code *tokenizer.json}) beside it; pooling from a
 * {@code modules.json} beside it, else mean (sentence-transformers' default for these exports).
 */
final class BertConverter {
    private static final Map<String, String> LAYER = new LinkedHashMap<>();
    static {
        LAYER.put("attention.self.query", "attn_q");
        LAYER.put("attention.self.key", "attn_k");
        LAYER.put("attention.self.value", "attn_v");
        LAYER.put("attention.output.dense", "attn_output");
        LAYER.put("attention.output.LayerNorm", "attn_output_norm");
        LAYER.put("intermediate.dense", "ffn_up");
        LAYER.put("output.dense", "ffn_down");
        LAYER.put("output.LayerNorm", "layer_output_norm");
    }

    private BertConverter() {}

    static GgufTensorPlan fromHf(SafetensorsModel model, OutType outType) {
        HfConfig c = model.config().orElseThrow();
        Function<String, Optional<SourceTensor>> lookup = name -> model.tensor(name).or(() -> model.tensor("bert." + name)).map(SourceTensor::of);
        Set<String> used = new HashSet<>();
        Function<String, Optional<SourceTensor>> tracking = name -> {
            Optional<SourceTensor> s = lookup.apply(name);
            if (s.isPresent()) { used.add(name); used.add("bert." + name); }
            return s;
        };
        int layers = c.numHiddenLayers().orElseThrow(() -> new SquintException(model.path() + ": config.json has no num_hidden_layers"));
        GgufTensorPlan plan = tensors(tracking, layers, outType, model.path().toString());
        for (Tensor t : model.tensors()) {
            String n = t.name().startsWith("bert.") ? t.name().substring(5) : t.name();
            if (used.contains(t.name()) || n.startsWith("pooler.") || n.equals("embeddings.position_ids")) continue;
            throw new SquintException(model.path() + ": tensor " + t.name() + " has no llama.cpp name for BertModel; nothing was written");
        }
        Shapes s = Shapes.of(plan);
        Metadata.Builder m = header(model.path(), layers,
                c.maxPositionEmbeddings().orElse((int) s.positions),
                c.hiddenSize().orElse((int) s.hidden),
                c.intermediateSize().orElse((int) s.ff),
                c.numAttentionHeads().orElseThrow(() -> new SquintException(model.path() + ": config.json has no num_attention_heads")),
                c.layerNormEps().orElse(1e-12), outType, pooling(model.sentenceTransformers()));
        HfVocab.add(m, model.hf(), c, "bert", true);
        m.putU32("general.quantization_version", 2);
        plan.metadata(m.build());
        return plan;
    }

    static GgufTensorPlan fromOnnx(OnnxModel model, OutType outType) {
        OnnxBertWeights w = OnnxBertWeights.trace(model);
        if (w.weight("embeddings.word_embeddings.weight_quantized").isPresent()) {
            throw new SquintException(model.path() + ": this ONNX export is quantized (int8 *_quantized initializers with scales); "
                    + "convert the float32 export instead");
        }
        if (w.layerCount() == 0 || w.weight("embeddings.word_embeddings.weight").isEmpty()) {
            throw new SquintException(model.path() + ": not a BERT export (no embeddings.word_embeddings.weight and encoder.layer.N weights); "
                    + "squint convert supports ONNX BertModel exports");
        }
        Function<String, Optional<SourceTensor>> lookup = name -> w.weight(name)
                .map(x -> x.transposed() ? SourceTensor.transposed(x.tensor()) : SourceTensor.of(x.tensor()));
        GgufTensorPlan plan = tensors(lookup, w.layerCount(), outType, model.path().toString());
        Path dir = model.path().toAbsolutePath().getParent();
        Optional<HfConfig> config = Files.isRegularFile(dir.resolve(HfConfig.FILE_NAME))
                ? Optional.of(HfConfig.read(dir.resolve(HfConfig.FILE_NAME))) : Optional.empty();
        Shapes s = Shapes.of(plan);
        OptionalInt heads = config.map(HfConfig::numAttentionHeads).orElse(OptionalInt.empty());
        if (heads.isEmpty()) heads = w.headCount();
        int headCount = heads.orElseThrow(() -> new SquintException(model.path()
                + ": cannot find the attention head count in the graph; put the model's config.json beside it"));
        double eps = config.map(HfConfig::layerNormEps).orElse(java.util.OptionalDouble.empty())
                .orElse(w.layerNormEpsilon().orElse(1e-12));
        Optional<SentenceTransformersConfig> st = Files.isRegularFile(dir.resolve(SentenceTransformersConfig.MODULES_FILE_NAME))
                ? SentenceTransformersConfig.read(dir) : Optional.empty();
        int pooling = st.isPresent() ? pooling(st) : 1;
        Metadata.Builder m = header(model.path(), w.layerCount(), (int) s.positions, (int) s.hidden, (int) s.ff, headCount, eps, outType, pooling);
        Path tokFile = tokenizerBeside(model.path());
        HfTokenizer tok = HfTokenizer.read(tokFile);
        Optional<TokenizerConfig> tc = Files.isRegularFile(dir.resolve(TokenizerConfig.FILE_NAME))
                ? Optional.of(TokenizerConfig.read(dir.resolve(TokenizerConfig.FILE_NAME))) : Optional.empty();
        HfVocab.add(m, dir, tok, tc, config, OptionalInt.of((int) s.vocab), "bert", true);
        m.putU32("general.quantization_version", 2);
        plan.metadata(m.build());
        return plan;
    }

    private static Metadata.Builder header(Path path, int layers, int context, int hidden, int ff, int heads, double eps,
                                           OutType outType, int pooling) {
        String name = path.toAbsolutePath().getFileName().toString().replaceFirst("\\.onnx$", "");
        return Metadata.builder()
                .putString("general.architecture", "bert")
                .putString("general.type", "model")
                .putString("general.name", name)
                .putU32("bert.block_count", layers)
                .putU32("bert.context_length", context)
                .putU32("bert.embedding_length", hidden)
                .putU32("bert.feed_forward_length", ff)
                .putU32("bert.attention.head_count", heads)
                .putF32("bert.attention.layer_norm_epsilon", (float) eps)
                .putU32("general.file_type", HfLlamaConverter.fileType(outType))
                .putBool("bert.attention.causal", false)
                .putU32("bert.pooling_type", pooling);
    }

    private static GgufTensorPlan tensors(Function<String, Optional<SourceTensor>> lookup, int layers, OutType outType, String where) {
        GgufTensorPlan plan = new GgufTensorPlan();
        add(plan, lookup, "embeddings.word_embeddings.weight", "token_embd.weight", outType, true, false, where);
        add(plan, lookup, "embeddings.token_type_embeddings.weight", "token_types.weight", outType, false, true, where);
        add(plan, lookup, "embeddings.position_embeddings.weight", "position_embd.weight", outType, true, true, where);
        add(plan, lookup, "embeddings.LayerNorm.weight", "token_embd_norm.weight", outType, true, false, where);
        add(plan, lookup, "embeddings.LayerNorm.bias", "token_embd_norm.bias", outType, true, false, where);
        for (int i = 0; i < layers; i++) {
            for (Map.Entry<String, String> e : LAYER.entrySet()) {
                for (String suffix : List.of("weight", "bias")) {
                    add(plan, lookup, "encoder.layer." + i + "." + e.getKey() + "." + suffix, "blk." + i + "." + e.getValue() + "." + suffix,
                            outType, true, false, where);
                }
            }
        }
        return plan;
    }

    private static void add(GgufTensorPlan plan, Function<String, Optional<SourceTensor>> lookup, String hf, String gguf,
                            OutType outType, boolean required, boolean forceF32, String where) {
        Optional<SourceTensor> s = lookup.apply(hf);
        if (s.isEmpty()) {
            if (required) throw new SquintException(where + ": BERT weight " + hf + " is missing");
            return;
        }
        plan.addTyped(gguf, hf, s.get(), outType, forceF32);
    }

    /** llama.cpp's pooling types: none 0, mean 1, cls 2, last 3. */
    static int pooling(Optional<SentenceTransformersConfig> st) {
        return st.flatMap(SentenceTransformersConfig::pooling).map(p -> {
            if (p.modes().contains(SentenceTransformersConfig.PoolingMode.MEAN_TOKENS)) return 1;
            if (p.modes().contains(SentenceTransformersConfig.PoolingMode.CLS_TOKEN)) return 2;
            if (p.modes().contains(SentenceTransformersConfig.PoolingMode.LASTTOKEN)) return 3;
            return 0;
        }).orElse(0);
    }

    private static Path tokenizerBeside(Path onnx) {
        Path dir = onnx.toAbsolutePath().getParent();
        Path plain = dir.resolve(HfTokenizer.FILE_NAME);
        if (Files.isRegularFile(plain)) return plain;
        String stem = onnx.getFileName().toString().replaceFirst("\\.onnx$", "");
        Path named = dir.resolve(stem + "-tokenizer.json");
        if (Files.isRegularFile(named)) return named;
        try (Stream<Path> files = Files.list(dir)) {
            List<Path> candidates = new ArrayList<>(files.filter(p -> p.getFileName().toString().endsWith("tokenizer.json")).sorted().toList());
            if (candidates.size() == 1) return candidates.getFirst();
        } catch (IOException e) {
            throw new SquintException(dir + ": cannot list: " + e.getMessage(), e);
        }
        throw new SquintException(onnx + ": no tokenizer.json beside the ONNX file; the GGUF needs the vocabulary");
    }

    /** Sizes read from the planned tensors. */
    private record Shapes(long vocab, long hidden, long positions, long ff) {
        static Shapes of(GgufTensorPlan plan) {
            long vocab = 0, hidden = 0, positions = 0, ff = 0;
            for (GgufTensorPlan.Item it : plan.items()) {
                var shape = it.source().shape();
                switch (it.name()) {
                    case "token_embd.weight" -> { vocab = shape.dim(0); hidden = shape.dim(1); }
                    case "position_embd.weight" -> positions = shape.dim(0);
                    case "blk.0.ffn_up.weight" -> ff = shape.dim(0);
                    default -> { }
                }
            }
            return new Shapes(vocab, hidden, positions, ff);
        }
    }
}
