package dev.squint.engine.tokenizer;

import dev.squint.core.Metadata;
import dev.squint.core.Model;
import dev.squint.core.ModelFormatException;
import dev.squint.core.SquintException;
import dev.squint.formats.llama2c.Llama2cTokenizer;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds the tokenizer a model file describes: from GGUF metadata ({@code tokenizer.ggml.*}, as
 * llama.cpp's {@code llama_vocab::load} reads it) or from a llama2.c {@code tokenizer.bin}.
 */
public final class Tokenizers {

    private static final String PREFIX = "tokenizer.ggml.";

    private Tokenizers() {}

    /** The tokenizer of a GGUF model. */
    public static ModelTokenizer fromModel(Model model) {
        return fromMetadata(model.metadata(), model.path());
    }

    /**
     * The tokenizer described by GGUF metadata. {@code tokenizer.ggml.model} "llama" gives an
     * {@link SpmTokenizer}.
     *
     * @param source the file the metadata came from, named in errors
     * @throws ModelFormatException if the keys are missing, of the wrong kind or inconsistent
     * @throws SquintException      for a tokenizer model this class does not build
     */
    public static ModelTokenizer fromMetadata(Metadata metadata, Path source) {
        String model = metadata.string(PREFIX + "model")
                .orElseThrow(() -> new ModelFormatException(source, PREFIX + "model is missing; the file has no tokenizer"));
        return switch (model) {
            case "llama" -> spmFromMetadata(metadata, source);
            default -> throw new SquintException("tokenizer model '" + model + "' of " + source
                    + " is not supported; supported: llama (SentencePiece BPE)");
        };
    }

    private static SpmTokenizer spmFromMetadata(Metadata m, Path source) {
        List<String> tokens = tokens(m, source);
        int n = tokens.size();
        float[] scores = scores(m, source, n);
        TokenType[] types = types(m, source, n);
        int bos = specialId(m, "bos_token_id", 1, n);
        int eos = specialId(m, "eos_token_id", 2, n);
        int unk = specialId(m, "unknown_token_id", 0, n);
        boolean addBos = bool(m, source, "add_bos_token", true);
        boolean addEos = bool(m, source, "add_eos_token", false);
        boolean addSpacePrefix = bool(m, source, "add_space_prefix", true);
        return new SpmTokenizer(vocabulary(source, tokens, scores, types, bos, eos, unk, addBos, addEos), addSpacePrefix);
    }

    /**
     * The tokenizer of a llama2.c {@code tokenizer.bin}, as llama.cpp's llama2.c converter turns it into a
     * vocabulary: id 0 is {@code <unk>} (UNKNOWN), 1 {@code <s>} and 2 {@code </s>} (CONTROL), pieces of
     * the form {@code <0xXX>} are BYTE, empty pieces CONTROL, and spaces in the other pieces become
     * {@code ▁}. BOS is added, as llama2.c's {@code run} does.
     */
    public static SpmTokenizer fromLlama2c(Path tokenizerBin, int vocabSize) {
        return fromLlama2c(Llama2cTokenizer.read(tokenizerBin, vocabSize), tokenizerBin);
    }

    /** As {@link #fromLlama2c(Path, int)} for an already read tokenizer; {@code source} is named in errors. */
    public static SpmTokenizer fromLlama2c(Llama2cTokenizer file, Path source) {
        int n = file.size();
        if (n < 3) throw new ModelFormatException(source, "a llama2.c vocabulary needs at least <unk>, <s>, </s>; it has " + n + " tokens");
        List<String> tokens = new ArrayList<>(n);
        TokenType[] types = new TokenType[n];
        for (int id = 0; id < n; id++) {
            String text = new String(file.tokens().get(id), StandardCharsets.UTF_8);
            TokenType type = TokenType.NORMAL;
            if (id == 0) {
                text = "<unk>";
                type = TokenType.UNKNOWN;
            } else if (id == 1 || id == 2) {
                text = id == 1 ? "<s>" : "</s>";
                type = TokenType.CONTROL;
            } else if (text.isEmpty()) {
                type = TokenType.CONTROL;
            } else if (isByteToken(text)) {
                type = TokenType.BYTE;
            } else {
                text = text.replace(' ', SpmTokenizer.ESCAPED_SPACE);
            }
            tokens.add(text);
            types[id] = type;
        }
        return new SpmTokenizer(vocabulary(source, tokens, file.scores(), types, 1, 2, 0, true, false), true);
    }

    private static boolean isByteToken(String text) {
        return text.length() == 6 && text.startsWith("<0x") && text.charAt(5) == '>'
                && Character.digit(text.charAt(3), 16) >= 0 && Character.digit(text.charAt(4), 16) >= 0;
    }

    private static Vocabulary vocabulary(Path source, List<String> tokens, float[] scores, TokenType[] types,
                                         int bos, int eos, int unk, boolean addBos, boolean addEos) {
        for (int id = 0; types != null && id < types.length; id++) {
            if (types[id] == TokenType.BYTE && !isByteToken(tokens.get(id))) {
                throw new ModelFormatException(source, PREFIX + "token_type: token " + id + " '" + tokens.get(id)
                        + "' is typed BYTE but is not of the form <0xXX>");
            }
        }
        try {
            return new Vocabulary(tokens, scores, types, bos, eos, unk, addBos, addEos, null, null);
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(source, "tokenizer vocabulary: " + e.getMessage());
        }
    }

    static List<String> tokens(Metadata m, Path source) {
        String key = PREFIX + "tokens";
        if (!m.contains(key)) throw new ModelFormatException(source, key + " is missing");
        List<String> tokens = m.strings(key).orElseThrow(() -> new ModelFormatException(source, key + " is not an array of strings"));
        if (tokens.isEmpty()) throw new ModelFormatException(source, key + " is empty");
        return tokens;
    }

    static float[] scores(Metadata m, Path source, int n) {
        String key = PREFIX + "scores";
        if (!m.contains(key)) return null;
        float[] scores = m.floats(key).orElseThrow(() -> new ModelFormatException(source, key + " is not an array of numbers"));
        if (scores.length < n) throw new ModelFormatException(source, key + " has " + scores.length + " entries for " + n + " tokens");
        return scores.length == n ? scores : java.util.Arrays.copyOf(scores, n);
    }

    static TokenType[] types(Metadata m, Path source, int n) {
        String key = PREFIX + "token_type";
        if (!m.contains(key)) return null;
        long[] raw = m.longs(key).orElseThrow(() -> new ModelFormatException(source, key + " is not an array of integers"));
        if (raw.length < n) throw new ModelFormatException(source, key + " has " + raw.length + " entries for " + n + " tokens");
        TokenType[] types = new TokenType[n];
        for (int i = 0; i < n; i++) types[i] = TokenType.ofGguf(raw[i]);
        return types;
    }

    /** llama.cpp keeps the default when the key is absent or its id is outside the vocabulary (e.g. 0xFFFFFFFF). */
    static int specialId(Metadata m, String key, int defaultId, int n) {
        int id = defaultId < n ? defaultId : -1;
        long value = m.integer(PREFIX + key).orElse(-1L);
        return value >= 0 && value < n ? (int) value : id;
    }

    static boolean bool(Metadata m, Path source, String key, boolean defaultValue) {
        if (!m.contains(PREFIX + key)) return defaultValue;
        return m.bool(PREFIX + key).orElseThrow(() -> new ModelFormatException(source, PREFIX + key + " is not a bool"));
    }
}
