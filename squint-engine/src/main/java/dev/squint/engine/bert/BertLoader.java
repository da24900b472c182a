package dev.squint.engine.bert;

import dev.squint.core.GgmlType;
import dev.squint.core.Model;
import dev.squint.core.ScalarType;
import dev.squint.core.Shape;
import dev.squint.core.SquintException;
import dev.squint.core.Tensor;
import dev.squint.core.TensorInfo;
import dev.squint.core.codec.BlockCodec;
import dev.squint.core.codec.Codecs;
import dev.squint.convert.OnnxBertWeights;
import dev.squint.engine.ops.Linear;
import dev.squint.engine.tokenizer.WordPieceTokenizer;
import dev.squint.formats.ModelOpener;
import dev.squint.formats.hf.HfConfig;
import dev.squint.formats.hf.HfFolder;
import dev.squint.formats.hf.HfTokenizer;
import dev.squint.formats.hf.SentenceTransformersConfig;
import dev.squint.formats.hf.TokenizerConfig;
import dev.squint.formats.onnx.OnnxModel;
import dev.squint.kernels.RowParallel;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * Opens a BERT encoder (weights, config, tokenizer, pooling) from
 * <ul>
 *   <li>an <b>ONNX</b> export ({@code .onnx}): weights are initializers; the unnamed MatMul weights
 *       are named by {@link OnnxBertWeights} (squint-quantize) and transposed once, at load, from ONNX's {@code [in, out]}
 *       into {@code [out, in]} off-heap copies; sizes come from the tables, the head count and
 *       LayerNorm epsilon from the graph (or a {@code config.json} beside it);</li>
 *   <li>a Hugging Face <b>safetensors</b> folder ({@code BertModel} names, optionally under a
 *       {@code bert.} prefix) with its {@code config.json};</li>
 *   <li>a <b>GGUF</b> file with {@code general.architecture = bert} (llama.cpp names and
 *       {@code bert.*} keys).</li>
 * </ul>
 * Projection weights stored as F32, F16 or BF16 are widened to F32 and packed once at load for the
 * blocked GEMM ({@link FloatDense}); block-quantized (GGUF) weights run through {@link Linear} in
 * their stored type.
 * The tokenizer is the {@code tokenizer.json} beside the model (also {@code <name>-tokenizer.json},
 * as the langchain4j jars ship it), or for GGUF the vocabulary in the file. Pooling and
 * normalisation follow the sentence-transformers files ({@code modules.json},
 * {@code 1_Pooling/config.json}); without them: mean pooling and normalisation, as
 * all-MiniLM-L6-v2 is used (for GGUF: {@code bert.pooling_type}).
 *
 * <p>The longest sequence (special tokens included) is the smallest of the position count and
 * the tokenizer's own limit: tokenizer.json's truncation {@code max_length}, else
 * tokenizer_config.json's {@code model_max_length}. For the langchain4j all-MiniLM-L6-v2 that is
 * 128 tokens; longer texts are cut at the end.
 */
public final class BertLoader {
    private static final double DEFAULT_LAYER_NORM_EPS = 1e-12;

    private BertLoader() {}

    public static BertEncoder open(Path path, RowParallel threads) {
        Model model = ModelOpener.open(path);
        Arena arena = Arena.ofShared();
        AutoCloseable owner = () -> {
            arena.close();
            model.close();
        };
        try {
            Parts parts = switch (model.container()) {
                case ONNX -> onnx((OnnxModel) model, arena);
                case SAFETENSORS -> safetensors(model);
                case GGUF -> gguf(model);
                default -> throw new SquintException(path + ": a " + model.container().displayName() + " file is not a BERT encoder");
            };
            BertWeights weights = build(parts, owner, arena);
            WordPieceTokenizer tokenizer = WordPieceTokenizer.of(parts.tokenizer, maxLength(parts, weights.config()));
            return new BertEncoder(weights, tokenizer, threads);
        } catch (RuntimeException e) {
            arena.close();
            model.close();
            throw e;
        }
    }

    /** What each container supplies: tensors by BertModel name (linear weights [out, in]), config, tokenizer. */
    private record Parts(Function<String, Tensor> tensor, BertConfig config, HfTokenizer tokenizer,
                         OptionalInt tokenizerLimit) {}

    private static BertWeights build(Parts p, AutoCloseable owner, Arena arena) {
        BertConfig c = p.config;
        Function<String, BertWeights.Norm> norm = prefix -> new BertWeights.Norm(
                floats(p.tensor.apply(prefix + ".weight"), c.hidden()), floats(p.tensor.apply(prefix + ".bias"), c.hidden()));
        Function<String, Dense> dense = prefix -> {
            Tensor w = p.tensor.apply(prefix + ".weight");
            Tensor b = p.tensor.apply(prefix + ".bias");
            Linear linear = Linear.of(w, null);
            Dense stored = Dense.of(linear, floats(b, linear.out()), w.byteSize());
            // float weights (F16/BF16 widened) run through the packed GEMM; block-quantized ones stay in Linear
            GgmlType type = linear.type();
            return type == GgmlType.F32 || type == GgmlType.F16 || type == GgmlType.BF16 ? FloatDense.of(stored) : stored;
        };
        List<BertWeights.Layer> layers = new ArrayList<>();
        for (int i = 0; i < c.layers(); i++) {
            String l = "encoder.layer." + i + ".";
            layers.add(new BertWeights.Layer(dense.apply(l + "attention.self.query"), dense.apply(l + "attention.self.key"),
                    dense.apply(l + "attention.self.value"), dense.apply(l + "attention.output.dense"),
                    norm.apply(l + "attention.output.LayerNorm"), dense.apply(l + "intermediate.dense"),
                    dense.apply(l + "output.dense"), norm.apply(l + "output.LayerNorm")));
            checkShape(layers.get(i).query(), c.hidden(), c.hidden(), l + "attention.self.query");
            checkShape(layers.get(i).intermediate(), c.hidden(), c.intermediate(), l + "intermediate.dense");
            checkShape(layers.get(i).output(), c.intermediate(), c.hidden(), l + "output.dense");
        }
        return new BertWeights(c, p.tensor.apply("embeddings.word_embeddings.weight"),
                p.tensor.apply("embeddings.position_embeddings.weight"), p.tensor.apply("embeddings.token_type_embeddings.weight"),
                norm.apply("embeddings.LayerNorm"), layers, owner);
    }

    private static void checkShape(Dense d, int in, int out, String name) {
        if (d.in() != in || d.out() != out) {
            throw new SquintException(name + ": expected a [" + out + ", " + in + "] weight, got [" + d.out() + ", " + d.in() + "]");
        }
    }

    private static int maxLength(Parts p, BertConfig c) {
        int limit = p.tokenizerLimit.orElse(c.maxPositions());
        return Math.min(c.maxPositions(), limit);
    }

    /** A 1-D tensor of {@code n} values in any decodable type, as floats. */
    static float[] floats(Tensor t, int n) {
        if (t.shape().elementCount() != n) throw new SquintException("tensor " + t.name() + ": expected " + n + " values, got shape " + t.shape());
        BlockCodec codec = Codecs.find(GgmlType.of(t.dtype()).orElseThrow(() -> new SquintException("tensor " + t.name() + ": cannot decode " + t.dtype().name())))
                .orElseThrow(() -> new SquintException("tensor " + t.name() + ": no codec for " + t.dtype().name()));
        float[] out = new float[n];
        codec.dequantizeRow(t.data(), 0, out, 0, n);
        return out;
    }

    // ---- ONNX ----

    private static Parts onnx(OnnxModel model, Arena arena) {
        Path dir = parent(model.path());
        OnnxBertWeights traced = OnnxBertWeights.trace(model);
        if (traced.weights().values().stream().noneMatch(OnnxBertWeights.Weight::transposed)) {
            throw new SquintException(model.path() + ": no MatMul + bias projections found; a quantized ONNX export (MatMulInteger, QLinear ops) "
                    + "cannot be loaded, use the FP32 export");
        }
        Map<String, Tensor> transposed = new HashMap<>();
        Function<String, Tensor> tensor = name -> {
            OnnxBertWeights.Weight w = traced.weight(name)
                    .orElseThrow(() -> new SquintException(model.path() + ": tensor " + name + " is missing"));
            if (w.transposed()) return transposed.computeIfAbsent(name, n -> transpose(w.tensor(), n, arena));
            return w.tensor();
        };
        Tensor word = tensor.apply("embeddings.word_embeddings.weight");
        Tensor pos = tensor.apply("embeddings.position_embeddings.weight");
        Tensor types = tensor.apply("embeddings.token_type_embeddings.weight");
        int layers = 0;
        while (traced.weight("encoder.layer." + layers + ".attention.self.query.bias").isPresent()) layers++;
        if (layers == 0) throw new SquintException(model.path() + ": no encoder.layer.0 weights: not a BERT export");
        int intermediate = (int) tensor.apply("encoder.layer.0.intermediate.dense.bias").shape().elementCount();
        HfFolder folder = HfFolder.of(dir);
        Optional<HfConfig> config = folder.config();
        int hidden = (int) word.shape().dim(1);
        OptionalInt heads = traced.headCount();
        if (heads.isEmpty()) heads = config.flatMap(cfg -> box(cfg.numAttentionHeads())).map(OptionalInt::of).orElse(OptionalInt.empty());
        int h = heads.orElseThrow(() -> new SquintException(model.path() + ": cannot tell the attention head count from the graph; put the model's config.json beside it"));
        double eps = traced.layerNormEpsilon().orElse(
                config.flatMap(cfg -> cfg.layerNormEps().isPresent() ? Optional.of(cfg.layerNormEps().getAsDouble()) : Optional.empty())
                        .orElse(DEFAULT_LAYER_NORM_EPS));
        Pool pool = pooling(folder);
        BertConfig c = new BertConfig(hidden, layers, h, intermediate, (int) word.shape().dim(0), (int) pos.shape().dim(0),
                (int) types.shape().dim(0), (float) eps, pool.pooling, pool.normalize);
        HfTokenizer tok = tokenizerBeside(model.path());
        return new Parts(tensor, c, tok, tokenizerLimit(tok, folder));
    }

    /** Copies an ONNX MatMul weight {@code [in, out]} into an off-heap {@code [out, in]} tensor of the same scalar type. */
    private static Tensor transpose(Tensor t, String name, Arena arena) {
        if (t.shape().rank() != 2 || !(t.dtype() instanceof ScalarType s) || !(s == ScalarType.F32 || s == ScalarType.F16 || s == ScalarType.BF16)) {
            throw new SquintException("tensor " + t.name() + " (" + name + "): expected a 2-D F32/F16/BF16 MatMul weight, got "
                    + t.dtype().name() + " " + t.shape());
        }
        int in = (int) t.shape().dim(0), out = (int) t.shape().dim(1);
        int e = s.bits() / 8;
        MemorySegment src = t.data();
        MemorySegment dst = arena.allocate((long) in * out * e, 64);
        for (int r = 0; r < out; r++) {
            for (int c = 0; c < in; c++) {
                MemorySegment.copy(src, ((long) c * out + r) * e, dst, ((long) r * in + c) * e, e);
            }
        }
        return new Tensor(TensorInfo.of(name, s, Shape.of(out, in)), dst);
    }

    // ---- safetensors ----

    private static Parts safetensors(Model model) {
        Path dir = Files.isDirectory(model.path()) ? model.path() : parent(model.path());
        HfFolder folder = HfFolder.of(dir);
        HfConfig cfg = folder.config().orElseThrow(() -> new SquintException(dir + ": a safetensors BERT model needs its config.json"));
        Function<String, Tensor> tensor = name -> model.tensor(name).or(() -> model.tensor("bert." + name))
                .orElseThrow(() -> new SquintException(model.path() + ": tensor " + name + " is missing"));
        Tensor word = tensor.apply("embeddings.word_embeddings.weight");
        Tensor pos = tensor.apply("embeddings.position_embeddings.weight");
        Tensor types = tensor.apply("embeddings.token_type_embeddings.weight");
        int hidden = (int) word.shape().dim(1);
        int layers = cfg.numHiddenLayers().orElseThrow(() -> new SquintException(dir + ": config.json has no num_hidden_layers"));
        int heads = cfg.numAttentionHeads().orElseThrow(() -> new SquintException(dir + ": config.json has no num_attention_heads"));
        int intermediate = (int) tensor.apply("encoder.layer.0.intermediate.dense.bias").shape().elementCount();
        Pool pool = pooling(folder);
        BertConfig c = new BertConfig(hidden, layers, heads, intermediate, (int) word.shape().dim(0), (int) pos.shape().dim(0),
                (int) types.shape().dim(0), (float) cfg.layerNormEps().orElse(DEFAULT_LAYER_NORM_EPS), pool.pooling, pool.normalize);
        HfTokenizer tok = tokenizerBeside(dir.resolve("model.safetensors"));
        return new Parts(tensor, c, tok, tokenizerLimit(tok, folder));
    }

    // ---- GGUF ----

    private static Parts gguf(Model model) {
        var md = model.metadata();
        String arch = md.string("general.architecture").orElse("");
        if (!arch.equals("bert")) throw new SquintException(model.path() + ": GGUF architecture is '" + arch + "', not bert");
        Function<String, Tensor> tensor = name -> {
            String g = ggufName(name);
            return model.tensor(g).orElseThrow(() -> new SquintException(model.path() + ": tensor " + g + " (" + name + ") is missing"));
        };
        Tensor word = tensor.apply("embeddings.word_embeddings.weight");
        Tensor pos = tensor.apply("embeddings.position_embeddings.weight");
        Tensor types = tensor.apply("embeddings.token_type_embeddings.weight");
        int layers = (int) (long) md.integer("bert.block_count").orElseThrow(() -> new SquintException(model.path() + ": bert.block_count is missing"));
        int heads = (int) (long) md.integer("bert.attention.head_count").orElseThrow(() -> new SquintException(model.path() + ": bert.attention.head_count is missing"));
        double eps = md.number("bert.attention.layer_norm_epsilon").orElse(DEFAULT_LAYER_NORM_EPS);
        long poolingType = md.integer("bert.pooling_type").orElse(1L);
        BertConfig.Pooling pooling = switch ((int) poolingType) {
            case 1 -> BertConfig.Pooling.MEAN;
            case 2 -> BertConfig.Pooling.CLS;
            default -> throw new SquintException(model.path() + ": bert.pooling_type " + poolingType + " is not supported (1 = mean, 2 = cls)");
        };
        int intermediate = (int) tensor.apply("encoder.layer.0.intermediate.dense.bias").shape().elementCount();
        BertConfig c = new BertConfig((int) word.shape().dim(1), layers, heads, intermediate, (int) word.shape().dim(0),
                (int) pos.shape().dim(0), (int) types.shape().dim(0), (float) eps, pooling, true);
        HfTokenizer tok = findTokenizerFile(model.path()).map(HfTokenizer::read).orElseGet(() -> GgufVocab.tokenizer(model));
        OptionalInt limit = md.integer("bert.context_length").map(v -> OptionalInt.of((int) Math.min(Integer.MAX_VALUE, v))).orElse(OptionalInt.empty());
        return new Parts(tensor, c, tok, limit);
    }

    /** llama.cpp's tensor name for a BertModel name. */
    static String ggufName(String name) {
        return switch (name) {
            case "embeddings.word_embeddings.weight" -> "token_embd.weight";
            case "embeddings.position_embeddings.weight" -> "position_embd.weight";
            case "embeddings.token_type_embeddings.weight" -> "token_types.weight";
            case "embeddings.LayerNorm.weight" -> "token_embd_norm.weight";
            case "embeddings.LayerNorm.bias" -> "token_embd_norm.bias";
            default -> {
                if (!name.startsWith("encoder.layer.")) yield name;
                String rest = name.substring("encoder.layer.".length());
                int dot = rest.indexOf('.');
                String layer = rest.substring(0, dot), part = rest.substring(dot + 1);
                String suffix = part.substring(part.lastIndexOf('.'));
                String module = part.substring(0, part.lastIndexOf('.'));
                String g = switch (module) {
                    case "attention.self.query" -> "attn_q";
                    case "attention.self.key" -> "attn_k";
                    case "attention.self.value" -> "attn_v";
                    case "attention.output.dense" -> "attn_output";
                    case "attention.output.LayerNorm" -> "attn_output_norm";
                    case "intermediate.dense" -> "ffn_up";
                    case "output.dense" -> "ffn_down";
                    case "output.LayerNorm" -> "layer_output_norm";
                    default -> module;
                };
                yield "blk." + layer + "." + g + suffix;
            }
        };
    }

    // ---- shared ----

    private record Pool(BertConfig.Pooling pooling, boolean normalize) {}

    private static Pool pooling(HfFolder folder) {
        Optional<SentenceTransformersConfig> st = folder.sentenceTransformers();
        if (st.isEmpty()) return new Pool(BertConfig.Pooling.MEAN, true);
        var modes = st.get().pooling().map(SentenceTransformersConfig.Pooling::modes).orElse(java.util.Set.of());
        BertConfig.Pooling pooling;
        if (modes.isEmpty() || modes.equals(java.util.Set.of(SentenceTransformersConfig.PoolingMode.MEAN_TOKENS))) {
            pooling = BertConfig.Pooling.MEAN;
        } else if (modes.equals(java.util.Set.of(SentenceTransformersConfig.PoolingMode.CLS_TOKEN))) {
            pooling = BertConfig.Pooling.CLS;
        } else {
            throw new SquintException(folder.dir() + ": pooling " + modes + " is not supported (mean or CLS)");
        }
        return new Pool(pooling, st.get().normalize());
    }

    private static OptionalInt tokenizerLimit(HfTokenizer tok, HfFolder folder) {
        OptionalInt own = WordPieceTokenizer.truncationLength(tok);
        if (own.isPresent()) return own;
        Optional<TokenizerConfig> tc = folder.tokenizerConfig();
        if (tc.isPresent() && tc.get().modelMaxLength().isPresent() && tc.get().modelMaxLength().getAsLong() < 1_000_000) {
            return OptionalInt.of((int) tc.get().modelMaxLength().getAsLong());
        }
        return OptionalInt.empty();
    }

    private static HfTokenizer tokenizerBeside(Path model) {
        Path file = findTokenizerFile(model).orElseThrow(() -> new SquintException(
                "no tokenizer.json beside " + model + " (also looked for <name>-tokenizer.json)"));
        return HfTokenizer.read(file);
    }

    private static Optional<Path> findTokenizerFile(Path model) {
        Path dir = parent(model);
        Path plain = dir.resolve(HfTokenizer.FILE_NAME);
        if (Files.exists(plain)) return Optional.of(plain);
        String stem = model.getFileName().toString().replaceFirst("\\.[^.]+$", "");
        Path named = dir.resolve(stem + "-tokenizer.json");
        if (Files.exists(named)) return Optional.of(named);
        try (Stream<Path> files = Files.list(dir)) {
            List<Path> any = files.filter(f -> f.getFileName().toString().endsWith("tokenizer.json")).toList();
            return any.size() == 1 ? Optional.of(any.get(0)) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static Path parent(Path p) {
        Path parent = p.toAbsolutePath().getParent();
        return parent == null ? Path.of(".") : parent;
    }

    private static Optional<Integer> box(OptionalInt v) {
        return v.isPresent() ? Optional.of(v.getAsInt()) : Optional.empty();
    }
}
