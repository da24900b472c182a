package dev.squint.compare;

import ai.onnxruntime.OrtEnvironment;
import dev.squint.core.SquintException;
import dev.squint.engine.bert.BertEncoder;
import dev.squint.engine.bert.BertLoader;
import dev.squint.formats.hf.HfFolder;
import dev.squint.formats.hf.HfTokenizer;
import dev.squint.formats.hf.SentenceTransformersConfig;
import dev.squint.formats.hf.WordPiece;
import dev.squint.formats.onnx.OnnxModel;
import dev.squint.formats.onnx.OnnxReader;
import dev.squint.kernels.RowParallel;
import dev.squint.quantize.onnx.CalibrationData;
import dev.squint.quantize.onnx.HostTensor;
import dev.squint.quantize.onnx.OrtRunner;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * A sentence encoder as compare runs it: squint's BERT engine for GGUF and Hugging Face folders, ONNX Runtime for
 * ONNX files (the runtime an ONNX model ships to, and the only one for graphs squint's engine cannot load, such as
 * ONNX Runtime's own int8 exports).
 */
interface EncoderRunner extends AutoCloseable {
    /** What runs it, for the report row. */
    String runtime();

    /** The ids the model sees for {@code text} ({@code [CLS] ... [SEP]}): tokenizers must agree to compare. */
    int[] tokenIds(String text);

    /** Sentence embeddings, {@code batch} sentences per forward pass. */
    float[][] embed(List<String> texts, int batch);

    @Override void close();

    /**
     * @param squintFirst for ONNX files: try squint's engine first, falling back to ONNX Runtime for graphs it cannot
     *                    load (quantized exports)
     */
    static EncoderRunner open(Path path, int threads, boolean squintFirst) {
        if (!path.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".onnx")) return new Squint(path, threads);
        if (squintFirst) {
            try {
                return new Squint(path, threads);
            } catch (SquintException e) {
                // not a graph squint's BERT loader reads (e.g. MatMulInteger): ONNX Runtime runs it
            }
        }
        return new Ort(path);
    }

    /** squint's engine ({@link BertLoader}). */
    final class Squint implements EncoderRunner {
        private final RowParallel pool;
        private final BertEncoder encoder;

        Squint(Path path, int threads) {
            pool = new RowParallel(threads);
            try {
                encoder = BertLoader.open(path, pool);
            } catch (RuntimeException e) {
                pool.close();
                throw e;
            }
        }

        @Override public String runtime() { return "squint engine, " + pool.threads() + " threads"; }

        @Override public int[] tokenIds(String text) { return encoder.tokenizer().encodeForModel(text).ids(); }

        @Override public float[][] embed(List<String> texts, int batch) { return encoder.embedAll(texts, batch); }

        @Override public void close() {
            try {
                encoder.close();
            } finally {
                pool.close();
            }
        }
    }

    /**
     * An ONNX text encoder in ONNX Runtime: WordPiece ids from the {@code tokenizer.json} beside the file, the first
     * output pooled as the sentence-transformers files beside it say (mean over the attention mask unless they say
     * CLS; unit length unless they leave out Normalize). An output that is already {@code [batch, hidden]} is used as is.
     */
    final class Ort implements EncoderRunner {
        private static final int DEFAULT_MAX_LENGTH = 512;
        private final Path path;
        private final OrtRunner runner;
        private final WordPiece wordPiece;
        private final int maxLength;
        private final Set<String> inputs;
        private final boolean cls;
        private final boolean normalize;

        Ort(Path path) {
            this.path = path;
            Path tokenizerFile = tokenizerBeside(path).orElseThrow(() -> new SquintException(
                    "no tokenizer.json beside " + path + " (also looked for <name>-tokenizer.json); an ONNX encoder needs it"));
            HfTokenizer tokenizer = HfTokenizer.read(tokenizerFile);
            this.wordPiece = CalibrationData.wordPiece(tokenizerFile);
            HfFolder folder = HfFolder.of(parent(path));
            this.maxLength = WordPiece.truncationLength(tokenizer).orElseGet(() -> folder.tokenizerConfig()
                    .flatMap(c -> c.modelMaxLength().isPresent() && c.modelMaxLength().getAsLong() < 1_000_000
                            ? Optional.of((int) c.modelMaxLength().getAsLong()) : Optional.<Integer>empty())
                    .orElse(DEFAULT_MAX_LENGTH));
            Optional<SentenceTransformersConfig> st = folder.sentenceTransformers();
            Set<SentenceTransformersConfig.PoolingMode> modes = st.flatMap(SentenceTransformersConfig::pooling)
                    .map(SentenceTransformersConfig.Pooling::modes).orElse(Set.of());
            this.cls = modes.equals(Set.of(SentenceTransformersConfig.PoolingMode.CLS_TOKEN));
            if (!modes.isEmpty() && !cls && !modes.equals(Set.of(SentenceTransformersConfig.PoolingMode.MEAN_TOKENS))) {
                throw new SquintException(parent(path) + ": pooling " + modes + " is not supported (mean or CLS)");
            }
            this.normalize = st.map(SentenceTransformersConfig::normalize).orElse(true);
            try (OnnxModel m = OnnxReader.open(path)) {
                Set<String> inits = new HashSet<>(m.graph().initializerNames());
                Set<String> names = new java.util.LinkedHashSet<>();
                m.graph().inputs().stream().filter(v -> !inits.contains(v.name())).forEach(v -> names.add(v.name()));
                this.inputs = names;
            }
            this.runner = new OrtRunner(path);
        }

        @Override public String runtime() { return "ONNX Runtime " + OrtEnvironment.getEnvironment().getVersion(); }

        @Override public int[] tokenIds(String text) { return wordPiece.encodeForModel(text, maxLength).ids(); }

        @Override public float[][] embed(List<String> texts, int batch) {
            List<float[]> out = new ArrayList<>(texts.size());
            for (int from = 0; from < texts.size(); from += batch) {
                List<String> part = texts.subList(from, Math.min(texts.size(), from + batch));
                Map<String, HostTensor> feed = CalibrationData.tokenInputs(wordPiece, part, maxLength, inputs);
                int[] lengths = part.stream().mapToInt(s -> tokenIds(s).length).toArray();
                OrtRunner.Output first = runner.run(feed).values().iterator().next();
                out.addAll(pool(first, lengths));
            }
            return out.toArray(float[][]::new);
        }

        private List<float[]> pool(OrtRunner.Output o, int[] lengths) {
            long[] s = o.shape();
            int n = lengths.length;
            List<float[]> out = new ArrayList<>(n);
            if (s.length == 2 && s[0] == n) {
                int h = (int) s[1];
                for (int b = 0; b < n; b++) out.add(SentenceEmbedder.pool(o.values(), b * h, 1, h, normalize));
                return out;
            }
            if (s.length != 3 || s[0] != n) {
                throw new SquintException(path + ": first output '" + o.name() + "' has shape " + java.util.Arrays.toString(s)
                        + "; a sentence encoder gives [batch, tokens, hidden] or [batch, hidden]");
            }
            int len = (int) s[1], h = (int) s[2];
            for (int b = 0; b < n; b++) out.add(SentenceEmbedder.pool(o.values(), b * len * h, cls ? 1 : lengths[b], h, normalize));
            return out;
        }

        @Override public void close() { runner.close(); }

        /** tokenizer.json, {@code <name>-tokenizer.json}, or the only {@code *tokenizer.json} in the folder. */
        static Optional<Path> tokenizerBeside(Path model) {
            Path dir = parent(model);
            Path plain = dir.resolve(HfTokenizer.FILE_NAME);
            if (Files.exists(plain)) return Optional.of(plain);
            String stem = model.getFileName().toString().replaceFirst("\\.[^.]+$", "");
            Path named = dir.resolve(stem + "-tokenizer.json");
            if (Files.exists(named)) return Optional.of(named);
            try (Stream<Path> files = Files.list(dir)) {
                List<Path> any = files.filter(f -> f.getFileName().toString().endsWith("tokenizer.json")).toList();
                return any.size() == 1 ? Optional.of(any.getFirst()) : Optional.empty();
            } catch (IOException e) {
                return Optional.empty();
            }
        }

        private static Path parent(Path p) {
            Path parent = p.toAbsolutePath().getParent();
            return parent == null ? Path.of(".") : parent;
        }
    }
}
