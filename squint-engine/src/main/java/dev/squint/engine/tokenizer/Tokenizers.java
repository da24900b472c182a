package dev.squint.engine.tokenizer;

import dev.squint.core.Metadata;
import dev.squint.core.Model;
import dev.squint.core.ModelFormatException;
import dev.squint.core.SquintException;
import dev.squint.formats.gguf.GgufFile;
import dev.squint.formats.gguf.GgufReader;
import dev.squint.formats.hf.HfTokenizer;
import dev.squint.formats.llama2c.Llama2cTokenizer;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

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

    /** The tokenizer of the GGUF file at {@code path}; the file is closed again (the tokenizer keeps no view of it). */
    public static ModelTokenizer fromGguf(Path path) {
        try (GgufFile file = GgufReader.open(path)) {
            return fromModel(file);
        }
    }

    /**
     * The tokenizer described by GGUF metadata. {@code tokenizer.ggml.model} "llama" gives an
     * {@link SpmTokenizer}, "gpt2" a {@link BpeTokenizer} whose pre-tokenizer is chosen by
     * {@code tokenizer.ggml.pre} as in llama.cpp (gpt-2, llama-bpe/llama3, qwen2 families and the default).
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
            case "gpt2" -> bpeFromMetadata(metadata, source);
            default -> throw new SquintException("tokenizer model '" + model + "' of " + source
                    + " is not supported; supported: llama (SentencePiece BPE), gpt2 (byte-level BPE)");
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

    private static BpeTokenizer bpeFromMetadata(Metadata m, Path source) {
        List<String> tokens = tokens(m, source);
        int n = tokens.size();
        String mergesKey = PREFIX + "merges";
        if (!m.contains(mergesKey)) throw new ModelFormatException(source, mergesKey + " is missing; a gpt2 tokenizer needs its merges");
        List<String> merges = m.strings(mergesKey).orElseThrow(() -> new ModelFormatException(source, mergesKey + " is not an array of strings"));
        String pre = m.string(PREFIX + "pre").orElse(null);
        PreTokenizer preTokenizer = PreTokenizer.forGgufName(pre);
        if (preTokenizer == null) {
            throw new SquintException("pre-tokenizer '" + pre + "' of " + source + " is not supported; supported: default, gpt-2, llama-bpe, qwen2 and their aliases");
        }
        boolean llama3 = preTokenizer.regexes().equals(List.of(PreTokenizer.LLAMA3));
        int bos = specialId(m, "bos_token_id", 11, n);
        int eos = specialId(m, "eos_token_id", 11, n);
        int unk = specialId(m, "unknown_token_id", -1, n);
        boolean addBos = bool(m, source, "add_bos_token", llama3);
        boolean addEos = bool(m, source, "add_eos_token", false);
        Vocabulary vocab = vocabulary(source, tokens, scores(m, source, n), types(m, source, n), bos, eos, unk, addBos, addEos);
        try {
            return new BpeTokenizer(vocab, merges, preTokenizer, llama3, false, null);
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(source, mergesKey + ": " + e.getMessage());
        }
    }

    /**
     * The tokenizer of a Hugging Face {@code tokenizer.json} with a BPE model, either byte-level (GPT-2,
     * Llama 3, Qwen2: the Split regexes and ByteLevel stage of the pre-tokenizer) or SentencePiece-style
     * (Llama 2, Mistral, TinyLlama: {@code ▁} for spaces through Prepend/Replace normalizers or a Metaspace
     * pre-tokenizer, {@code <0xXX>} byte fallback). The vocabulary takes the added tokens (special ones
     * CONTROL, others USER_DEFINED with their lstrip/rstrip), ids used by neither are UNUSED
     * {@code [PAD<id>]} as llama.cpp's converter fills them; NFC/NFKC normalizers apply; BOS/EOS come from
     * a TemplateProcessing post-processor.
     *
     * @param source the file, named in errors
     * @throws SquintException for tokenizer.json features this class does not implement
     */
    public static BpeTokenizer fromHf(HfTokenizer hf, Path source) {
        HfTokenizer.TokenizerModel model = hf.model();
        if (model.type() != HfTokenizer.ModelType.BPE) {
            throw new SquintException(source + ": only BPE tokenizer.json files are supported here, this one is " + model.type());
        }
        boolean byteLevel = hf.byteLevel();
        int size = 0;
        for (int id : model.vocab().values()) size = Math.max(size, id + 1);
        for (HfTokenizer.AddedToken t : hf.addedTokens()) size = Math.max(size, t.id() + 1);
        String[] texts = new String[size];
        TokenType[] types = new TokenType[size];
        for (var e : model.vocab().entrySet()) {
            texts[e.getValue()] = e.getKey();
            types[e.getValue()] = !byteLevel && model.byteFallback() && isByteToken(e.getKey()) ? TokenType.BYTE : TokenType.NORMAL;
        }
        BitSet lstrip = new BitSet();
        BitSet rstrip = new BitSet();
        for (HfTokenizer.AddedToken t : hf.addedTokens()) {
            texts[t.id()] = t.content();
            types[t.id()] = t.special() ? TokenType.CONTROL : TokenType.USER_DEFINED;
            if (t.lstrip()) lstrip.set(t.id());
            if (t.rstrip()) rstrip.set(t.id());
        }
        int unk = model.unkId().orElse(-1);
        if (unk >= size) unk = -1;
        if (unk >= 0) types[unk] = TokenType.UNKNOWN;
        for (int id = 0; id < size; id++) {
            if (texts[id] == null) {
                texts[id] = "[PAD" + id + "]";
                types[id] = TokenType.UNUSED;
            }
        }
        List<String> regexes = new ArrayList<>();
        boolean addPrefixSpace = false;
        String metaspace = null;          // Metaspace replacement character, if that pre-tokenizer is used
        String metaspaceScheme = "never";
        for (HfTokenizer.Component c : hf.preTokenizer().map(HfTokenizer.Component::flatten).orElse(List.of())) {
            switch (c.type()) {
                case "Sequence" -> { }
                case "Split" -> {
                    HfTokenizer.SplitPattern p = splitPattern(c, source);
                    regexes.add(p.regex() ? p.pattern() : Pattern.quote(p.pattern()));
                }
                case "ByteLevel" -> {
                    if (c.bool("use_regex").orElse(true)) regexes.add(PreTokenizer.GPT2);
                    addPrefixSpace = c.bool("add_prefix_space").orElse(true);
                }
                case "Metaspace" -> {
                    metaspace = c.string("replacement").orElse("\u2581");
                    metaspaceScheme = c.string("prepend_scheme").orElse(c.bool("add_prefix_space").orElse(true) ? "always" : "never");
                    if (c.bool("split").orElse(true)) {
                        String q = Pattern.quote(metaspace);
                        // MergedWithNext: each piece starts at a replacement character
                        regexes.add("(?s)" + q + "(?:(?!" + q + ").)*|(?:(?!" + q + ").)+");
                    }
                }
                default -> throw new SquintException(source + ": pre-tokenizer " + c.type() + " is not supported");
            }
        }
        Normalizer.Form form = null;
        List<UnaryOperator<String>> replacements = new ArrayList<>();
        String prepend = null;
        for (HfTokenizer.Component c : hf.normalizer().map(HfTokenizer.Component::flatten).orElse(List.of())) {
            switch (c.type()) {
                case "Sequence" -> { }
                case "NFC" -> form = Normalizer.Form.NFC;
                case "NFKC" -> form = Normalizer.Form.NFKC;
                case "Prepend" -> prepend = c.string("prepend").orElse("");
                case "Replace" -> {
                    if (!(c.settings().get("pattern") instanceof Map<?, ?> p) || !(c.settings().get("content") instanceof String content)) {
                        throw new ModelFormatException(source, "normalizer Replace needs a pattern and a content");
                    }
                    if (p.get("String") instanceof String literal) {
                        replacements.add(x -> x.replace(literal, content));
                    } else if (p.get("Regex") instanceof String regex) {
                        Pattern compiled = compile(regex, source, "normalizer Replace");
                        replacements.add(x -> compiled.matcher(x).replaceAll(Matcher.quoteReplacement(content)));
                    } else {
                        throw new ModelFormatException(source, "normalizer Replace pattern is neither String nor Regex");
                    }
                }
                default -> throw new SquintException(source + ": normalizer " + c.type() + " is not supported");
            }
        }
        if (!byteLevel && metaspace == null && prepend == null && replacements.isEmpty()) {
            throw new SquintException(source + ": a BPE tokenizer.json without ByteLevel, Metaspace or a \u2581 normalizer is not supported");
        }
        final Normalizer.Form nf = form;
        final String prefix = prepend;
        final String ms = metaspace;
        final String scheme = metaspaceScheme;
        final boolean prefixSpace = addPrefixSpace;
        BpeTokenizer.FragmentNormalizer normalizer = (text, atStart) -> {
            String x = nf == null ? text : Normalizer.normalize(text, nf);
            if (prefix != null && !x.isEmpty()) x = prefix + x;
            for (UnaryOperator<String> r : replacements) x = r.apply(x);
            if (ms != null) {
                x = x.replace(" ", ms);
                boolean add = scheme.equals("always") || (scheme.equals("first") && atStart);
                if (add && !x.startsWith(ms)) x = ms + x;
            }
            if (prefixSpace && !x.startsWith(" ")) x = " " + x;
            return x;
        };
        boolean stripLeadingSpace = !byteLevel && (prepend != null || (metaspace != null && !scheme.equals("never")));
        int[] bosEos = templateSpecials(hf);
        Vocabulary vocab;
        PreTokenizer preTokenizer;
        try {
            vocab = new Vocabulary(List.of(texts), null, types, bosEos[0], bosEos[1], unk,
                    bosEos[0] >= 0, bosEos[1] >= 0, lstrip, rstrip);
            preTokenizer = new PreTokenizer(regexes);
        } catch (PatternSyntaxException e) {
            throw new ModelFormatException(source, "pre_tokenizer regex does not compile: " + e.getDescription());
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(source, "tokenizer: " + e.getMessage());
        }
        List<String> merges = model.merges().stream().map(x -> x.left() + " " + x.right()).toList();
        return new BpeTokenizer(vocab, merges, preTokenizer, model.ignoreMerges(), normalizer, byteLevel, stripLeadingSpace);
    }

    /** As {@link #fromHf(HfTokenizer, Path)} for a {@code tokenizer.json} file. */
    public static BpeTokenizer fromHf(Path tokenizerJson) {
        return fromHf(HfTokenizer.read(tokenizerJson), tokenizerJson);
    }

    private static Pattern compile(String regex, Path source, String where) {
        try {
            return Pattern.compile(regex, Pattern.UNICODE_CHARACTER_CLASS);
        } catch (PatternSyntaxException e) {
            throw new ModelFormatException(source, where + " regex does not compile: " + e.getDescription());
        }
    }

    private static HfTokenizer.SplitPattern splitPattern(HfTokenizer.Component c, Path source) {
        if (!(c.settings().get("pattern") instanceof Map<?, ?> p)) {
            throw new ModelFormatException(source, "pre_tokenizer Split has no pattern");
        }
        boolean regex = p.containsKey("Regex");
        if (!((regex ? p.get("Regex") : p.get("String")) instanceof String pattern)) {
            throw new ModelFormatException(source, "pre_tokenizer Split pattern is neither {\"Regex\": ...} nor {\"String\": ...}");
        }
        String behavior = c.string("behavior").orElse("Isolated");
        if (!behavior.equals("Isolated") || c.bool("invert").orElse(false)) {
            throw new SquintException(source + ": Split behavior " + behavior + (c.bool("invert").orElse(false) ? " inverted" : "")
                    + " is not supported (only Isolated)");
        }
        return new HfTokenizer.SplitPattern(pattern, regex, behavior, false);
    }

    /** BOS and EOS ids a TemplateProcessing post-processor puts around a single sequence, or -1. */
    private static int[] templateSpecials(HfTokenizer hf) {
        int[] result = {-1, -1};
        for (HfTokenizer.Component c : hf.postProcessor().map(HfTokenizer.Component::flatten).orElse(List.of())) {
            if (!c.type().equals("TemplateProcessing") || !(c.settings().get("single") instanceof List<?> single)) continue;
            boolean beforeSequence = true;
            for (Object piece : single) {
                if (!(piece instanceof Map<?, ?> m)) continue;
                if (m.containsKey("Sequence")) {
                    beforeSequence = false;
                } else if (m.get("SpecialToken") instanceof Map<?, ?> st && st.get("id") instanceof String name) {
                    int id = hf.id(name).orElse(-1);
                    if (beforeSequence && result[0] < 0) result[0] = id;
                    if (!beforeSequence) result[1] = id;
                }
            }
        }
        return result;
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
        return scores.length == n ? scores : Arrays.copyOf(scores, n);
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
