package dev.squint.formats.hf;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Function;

/**
 * The Hugging Face JSON files of one model folder, each parsed the first time it is asked for and
 * kept. A file that is absent gives {@link Optional#empty()}; one that is present but malformed
 * throws a {@link dev.squint.core.ModelFormatException} naming it (every time it is asked for).
 * Thread-safe.
 */
public final class HfFolder {
    private final Path dir;
    private final Lazy<HfConfig> config;
    private final Lazy<GenerationConfig> generationConfig;
    private final Lazy<HfTokenizer> tokenizer;
    private final Lazy<TokenizerConfig> tokenizerConfig;
    private Optional<SentenceTransformersConfig> sentenceTransformers;

    private HfFolder(Path dir) {
        this.dir = dir;
        this.config = new Lazy<>(dir.resolve(HfConfig.FILE_NAME), HfConfig::read);
        this.generationConfig = new Lazy<>(dir.resolve(GenerationConfig.FILE_NAME), GenerationConfig::read);
        this.tokenizer = new Lazy<>(dir.resolve(HfTokenizer.FILE_NAME), HfTokenizer::read);
        this.tokenizerConfig = new Lazy<>(dir.resolve(TokenizerConfig.FILE_NAME), TokenizerConfig::read);
    }

    public static HfFolder of(Path dir) {
        return new HfFolder(dir);
    }

    public Path dir() { return dir; }

    /** config.json */
    public Optional<HfConfig> config() { return config.get(); }

    /** generation_config.json */
    public Optional<GenerationConfig> generationConfig() { return generationConfig.get(); }

    /** tokenizer.json */
    public Optional<HfTokenizer> tokenizer() { return tokenizer.get(); }

    /** tokenizer_config.json (with chat_template.jinja when the JSON has no template) */
    public Optional<TokenizerConfig> tokenizerConfig() { return tokenizerConfig.get(); }

    /** modules.json and the Pooling config it names */
    public synchronized Optional<SentenceTransformersConfig> sentenceTransformers() {
        if (sentenceTransformers == null) sentenceTransformers = SentenceTransformersConfig.read(dir);
        return sentenceTransformers;
    }

    private static final class Lazy<T> {
        private final Path file;
        private final Function<Path, T> parser;
        private Optional<T> value;

        Lazy(Path file, Function<Path, T> parser) {
            this.file = file;
            this.parser = parser;
        }

        synchronized Optional<T> get() {
            if (value == null) value = Files.exists(file) ? Optional.of(parser.apply(file)) : Optional.empty();
            return value;
        }
    }
}
