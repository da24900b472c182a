package dev.squint.engine.llama;

import dev.squint.core.Container;
import dev.squint.core.Model;
import dev.squint.core.SquintException;
import dev.squint.engine.tokenizer.ModelTokenizer;
import dev.squint.engine.tokenizer.Tokenizers;
import dev.squint.formats.ModelOpener;
import dev.squint.formats.safetensors.SafetensorsModel;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * An opened decoder: the model file, the engine over it and its tokenizer. The one entry point the
 * commands use. The tokenizer comes from GGUF metadata, a Hugging Face folder's {@code tokenizer.json},
 * or for llama2.c checkpoints a {@code tokenizer.bin} / {@code tok<vocab>.bin} beside the checkpoint
 * (or the file given explicitly).
 */
public final class Decoder implements AutoCloseable {
    private final Model file;
    private final LlamaModel model;
    private final ModelTokenizer tokenizer;

    private Decoder(Model file, LlamaModel model, ModelTokenizer tokenizer) {
        this.file = file;
        this.model = model;
        this.tokenizer = tokenizer;
    }

    /**
     * @param tokenizerFile a tokenizer.json or llama2.c tokenizer.bin to use instead of the model's own, or null
     * @param dynamic       W8A8 dynamic quantization ({@link LlamaModel#load(Model, boolean)})
     */
    public static Decoder open(Path path, Path tokenizerFile, boolean dynamic) {
        Model file = ModelOpener.open(path);
        try {
            LlamaModel model = LlamaModel.load(file, dynamic);
            ModelTokenizer tok = tokenizerFor(file, tokenizerFile, model.config().vocab());
            return new Decoder(file, model, tok);
        } catch (RuntimeException e) {
            file.close();
            throw e;
        }
    }

    private static ModelTokenizer tokenizerFor(Model file, Path explicit, int vocab) {
        if (explicit != null) {
            if (!Files.isRegularFile(explicit)) throw new SquintException("tokenizer file " + explicit + " does not exist");
            return explicit.getFileName().toString().endsWith(".json") ? Tokenizers.fromHf(explicit)
                    : Tokenizers.fromLlama2c(explicit, vocab);
        }
        if (file instanceof SafetensorsModel st) {
            return Tokenizers.fromHf(st.tokenizer().orElseThrow(() -> new SquintException(
                    file.path() + ": no tokenizer.json in the folder; pass --tokenizer")), file.path());
        }
        if (file.container() == Container.LLAMA2C) {
            Path dir = file.path().toAbsolutePath().getParent();
            for (String name : new String[] {"tokenizer.bin", "tok" + vocab + ".bin"}) {
                Path p = dir.resolve(name);
                if (Files.isRegularFile(p)) return Tokenizers.fromLlama2c(p, vocab);
            }
            throw new SquintException(file.path() + ": a llama2.c checkpoint has no vocabulary; put tokenizer.bin (or tok"
                    + vocab + ".bin) beside it or pass --tokenizer");
        }
        return Tokenizers.fromModel(file);
    }

    public LlamaModel model() { return model; }

    public ModelTokenizer tokenizer() { return tokenizer; }

    public Model file() { return file; }

    /** BOS id (llama.cpp's perplexity puts it at the start of each chunk); the first token id if there is none. */
    public int bos() { return tokenizer.vocabulary().bos().orElse(0); }

    /** The whole text tokenized as llama.cpp's perplexity does: BOS added when the vocabulary asks. */
    public int[] tokenizeForEval(String text) {
        return tokenizer.encode(text, true, false);
    }

    @Override public void close() {
        model.close();
        file.close();
    }
}
