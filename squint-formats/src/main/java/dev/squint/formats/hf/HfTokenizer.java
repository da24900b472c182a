package dev.squint.formats.hf;

import com.fasterxml.jackson.databind.JsonNode;
import dev.squint.core.ModelFormatException;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * A Hugging Face tokenizers {@code tokenizer.json}: the model (BPE, WordPiece, Unigram or
 * WordLevel) with its vocabulary and merges, the added tokens, and the pipeline stages
 * (normalizer, pre-tokenizer, post-processor, decoder) as a tree of typed components whose
 * settings stay available by key, and the truncation and padding settings as plain maps.
 *
 * <p>Checked as the tokenizers library checks on load: ids are non-negative integers, merges are
 * pairs whose two parts are in the vocabulary, added tokens have an id and content.
 */
public record HfTokenizer(
        TokenizerModel model,
        List<AddedToken> addedTokens,
        Optional<Component> normalizer,
        Optional<Component> preTokenizer,
        Optional<Component> postProcessor,
        Optional<Component> decoder,
        Optional<Map<String, Object>> truncation,
        Optional<Map<String, Object>> padding) {

    public static final String FILE_NAME = "tokenizer.json";

    public HfTokenizer {
        addedTokens = List.copyOf(addedTokens);
    }

    /** The kinds of tokenization model tokenizers has. */
    public enum ModelType { BPE, WORD_PIECE, UNIGRAM, WORD_LEVEL }

    /** One merge rule of a BPE model: {@code left + right} becomes one token. */
    public record Merge(String left, String right) {}

    /** A token added on top of the model's vocabulary (special tokens and user additions). */
    public record AddedToken(int id, String content, boolean special, boolean singleWord,
                             boolean lstrip, boolean rstrip, boolean normalized) {}

    /**
     * The tokenization model.
     *
     * @param vocab  token to id (for Unigram, the token's index in its scored vocabulary)
     * @param merges BPE merge rules in priority order (empty for the other types); tokenizer.json
     *               writes them either as {@code "a b"} strings or as {@code ["a", "b"]} pairs
     * @param scores Unigram log-probabilities by id (empty for the other types)
     * @param unkId  Unigram's {@code unk_id}; for the other types the id of {@code unk_token}
     */
    public record TokenizerModel(
            ModelType type,
            Map<String, Integer> vocab,
            List<Merge> merges,
            List<Double> scores,
            Optional<String> unkToken,
            OptionalInt unkId,
            Optional<String> continuingSubwordPrefix,
            Optional<String> endOfWordSuffix,
            OptionalInt maxInputCharsPerWord,
            boolean byteFallback,
            boolean fuseUnk,
            boolean ignoreMerges) {
        public TokenizerModel {
            vocab = Map.copyOf(vocab);
            merges = List.copyOf(merges);
            scores = List.copyOf(scores);
        }

        public int vocabSize() { return vocab.size(); }
    }

    /**
     * One stage of the pipeline, e.g. {@code BertNormalizer}, {@code ByteLevel}, {@code Split},
     * {@code TemplateProcessing}. A {@code Sequence} lists its parts as {@link #children}.
     *
     * @param settings the stage's other keys as plain immutable Java values
     */
    public record Component(String type, Map<String, Object> settings, List<Component> children) {
        public Component {
            children = List.copyOf(children);
        }

        public Optional<Boolean> bool(String key) {
            return settings.get(key) instanceof Boolean b ? Optional.of(b) : Optional.empty();
        }

        public Optional<String> string(String key) {
            return settings.get(key) instanceof String s ? Optional.of(s) : Optional.empty();
        }

        /** This component and all nested ones, depth first. */
        public List<Component> flatten() {
            List<Component> out = new ArrayList<>();
            out.add(this);
            for (Component c : children) out.addAll(c.flatten());
            return out;
        }
    }

    /** A {@code Split} pre-tokenizer's pattern. @param regex true for {"Regex": ...}, false for {"String": ...} */
    public record SplitPattern(String pattern, boolean regex, String behavior, boolean invert) {}

    /** Id of {@code token} in the vocabulary or among the added tokens. */
    public OptionalInt id(String token) {
        Integer id = model.vocab().get(token);
        if (id != null) return OptionalInt.of(id);
        for (AddedToken t : addedTokens) if (t.content().equals(token)) return OptionalInt.of(t.id());
        return OptionalInt.empty();
    }

    /** True if the normalizer lowercases (a Lowercase stage, or BertNormalizer with lowercase on, its default). */
    public boolean lowercases() {
        return normalizer.stream().flatMap(c -> c.flatten().stream()).anyMatch(c ->
                c.type().equals("Lowercase") || (c.type().equals("BertNormalizer") && c.bool("lowercase").orElse(true)));
    }

    /**
     * True if the normalizer strips accents: a StripAccents stage, or BertNormalizer whose
     * {@code strip_accents} is true, or is null while it lowercases (tokenizers' rule).
     */
    public boolean stripsAccents() {
        return normalizer.stream().flatMap(c -> c.flatten().stream()).anyMatch(c ->
                c.type().equals("StripAccents") || (c.type().equals("BertNormalizer")
                        && c.bool("strip_accents").orElse(c.bool("lowercase").orElse(true))));
    }

    /** True if a BertNormalizer puts spaces around CJK characters ({@code handle_chinese_chars}, default on). */
    public boolean handlesChineseChars() {
        return normalizer.stream().flatMap(c -> c.flatten().stream()).anyMatch(c ->
                c.type().equals("BertNormalizer") && c.bool("handle_chinese_chars").orElse(true));
    }

    /** True if a ByteLevel pre-tokenizer maps bytes to printable characters (GPT-2 style BPE). */
    public boolean byteLevel() {
        return preTokenizer.stream().flatMap(c -> c.flatten().stream()).anyMatch(c -> c.type().equals("ByteLevel"));
    }

    /** The patterns of every Split pre-tokenizer, in pipeline order. */
    public List<SplitPattern> splitPatterns() {
        List<SplitPattern> out = new ArrayList<>();
        for (Component c : preTokenizer.map(Component::flatten).orElse(List.of())) {
            if (!c.type().equals("Split") || !(c.settings().get("pattern") instanceof Map<?, ?> p)) continue;
            boolean regex = p.containsKey("Regex");
            Object pattern = regex ? p.get("Regex") : p.get("String");
            if (pattern instanceof String s) {
                out.add(new SplitPattern(s, regex, c.string("behavior").orElse("Isolated"), c.bool("invert").orElse(false)));
            }
        }
        return out;
    }

    public static HfTokenizer read(Path file) {
        JsonNode root = HfJson.read(file);
        if (!root.isObject()) throw new ModelFormatException(file, "top level is " + HfJson.kind(root) + ", not a JSON object");
        HfJson.Fields f = new HfJson.Fields(file, root, "");
        HfJson.Fields modelFields = f.object("model").orElseThrow(() -> f.fault("model", "missing"));
        return new HfTokenizer(
                parseModel(modelFields),
                parseAddedTokens(f),
                component(f, "normalizer"),
                component(f, "pre_tokenizer"),
                component(f, "post_processor"),
                component(f, "decoder"),
                f.object("truncation").map(HfJson.Fields::plain),
                f.object("padding").map(HfJson.Fields::plain));
    }

    private static TokenizerModel parseModel(HfJson.Fields m) {
        JsonNode vocabNode = m.first("vocab");
        if (vocabNode == null) throw m.fault("vocab", "missing");
        ModelType type = modelType(m, vocabNode);
        Map<String, Integer> vocab = new HashMap<>(Math.max(16, vocabNode.size() * 2));
        List<Double> scores = new ArrayList<>();
        if (type == ModelType.UNIGRAM) {
            if (!vocabNode.isArray()) throw m.fault("vocab", "a Unigram vocab must be a list of [token, score], found " + HfJson.kind(vocabNode));
            int index = 0;
            for (JsonNode entry : vocabNode) {
                if (!entry.isArray() || entry.size() != 2 || !entry.get(0).isTextual() || !entry.get(1).isNumber()) {
                    throw m.fault("vocab", "entry " + index + " is not a [token, score] pair");
                }
                if (vocab.putIfAbsent(entry.get(0).textValue(), index) != null) {
                    throw m.fault("vocab", "token '" + entry.get(0).textValue() + "' appears twice");
                }
                scores.add(entry.get(1).doubleValue());
                index++;
            }
        } else {
            if (!vocabNode.isObject()) throw m.fault("vocab", "expected an object of token to id, found " + HfJson.kind(vocabNode));
            for (var e : vocabNode.properties()) {
                JsonNode id = e.getValue();
                if (!id.isIntegralNumber() || !id.canConvertToInt() || id.intValue() < 0) {
                    throw m.fault("vocab", "token '" + e.getKey() + "' has id " + id + ", not a non-negative integer");
                }
                vocab.put(e.getKey(), id.intValue());
            }
        }
        Optional<String> prefix = m.optString("continuing_subword_prefix");
        List<Merge> merges = type == ModelType.BPE ? parseMerges(m, vocab, prefix) : List.of();
        Optional<String> unkToken = m.optString("unk_token");
        OptionalInt unkId = m.optInt("unk_id");
        if (type == ModelType.UNIGRAM && unkId.isPresent()) {
            int id = unkId.getAsInt();
            if (id < 0 || id >= scores.size()) throw m.fault("unk_id", id + " is outside the vocabulary of " + scores.size());
            final int fid = id;
            unkToken = vocab.entrySet().stream().filter(e -> e.getValue() == fid).map(Map.Entry::getKey).findFirst();
        } else if (unkToken.isPresent() && vocab.containsKey(unkToken.get())) {
            unkId = OptionalInt.of(vocab.get(unkToken.get()));
        }
        return new TokenizerModel(type, vocab, merges, scores, unkToken, unkId, prefix,
                m.optString("end_of_word_suffix"), m.optPositive("max_input_chars_per_word"),
                m.optBool("byte_fallback").orElse(false), m.optBool("fuse_unk").orElse(false),
                m.optBool("ignore_merges").orElse(false));
    }

    /** The "type" tag, or (older files omit it) the type its fields imply, as tokenizers does. */
    private static ModelType modelType(HfJson.Fields m, JsonNode vocab) {
        Optional<String> tag = m.optString("type");
        if (tag.isPresent()) {
            return switch (tag.get()) {
                case "BPE" -> ModelType.BPE;
                case "WordPiece" -> ModelType.WORD_PIECE;
                case "Unigram" -> ModelType.UNIGRAM;
                case "WordLevel" -> ModelType.WORD_LEVEL;
                default -> throw m.fault("type", "unknown tokenizer model '" + tag.get() + "'");
            };
        }
        if (m.node.has("merges")) return ModelType.BPE;
        if (vocab.isArray()) return ModelType.UNIGRAM;
        if (m.node.has("max_input_chars_per_word")) return ModelType.WORD_PIECE;
        return ModelType.WORD_LEVEL;
    }

    private static List<Merge> parseMerges(HfJson.Fields m, Map<String, Integer> vocab, Optional<String> prefix) {
        JsonNode node = m.first("merges");
        if (node == null) return List.of();
        if (!node.isArray()) throw m.fault("merges", "expected a list, found " + HfJson.kind(node));
        List<Merge> merges = new ArrayList<>(node.size());
        int i = 0;
        for (JsonNode item : node) {
            Merge merge;
            if (item.isTextual()) {
                String s = item.textValue();
                int space = s.indexOf(' ');
                if (space < 0 || s.indexOf(' ', space + 1) >= 0) throw m.fault("merges", "merge " + i + " '" + s + "' is not two tokens separated by one space");
                merge = new Merge(s.substring(0, space), s.substring(space + 1));
            } else if (item.isArray() && item.size() == 2 && item.get(0).isTextual() && item.get(1).isTextual()) {
                merge = new Merge(item.get(0).textValue(), item.get(1).textValue());
            } else {
                throw m.fault("merges", "merge " + i + " is neither \"a b\" nor [\"a\", \"b\"]");
            }
            for (String part : new String[] {merge.left(), merge.right()}) {
                if (!vocab.containsKey(part)) throw m.fault("merges", "merge " + i + " uses '" + part + "', which is not in the vocabulary");
            }
            String right = merge.right();
            if (prefix.isPresent() && right.startsWith(prefix.get())) right = right.substring(prefix.get().length());
            if (!vocab.containsKey(merge.left() + right)) {
                throw m.fault("merges", "merge " + i + " makes '" + merge.left() + right + "', which is not in the vocabulary");
            }
            merges.add(merge);
            i++;
        }
        return merges;
    }

    private static List<AddedToken> parseAddedTokens(HfJson.Fields f) {
        JsonNode node = f.first("added_tokens");
        if (node == null) return List.of();
        if (!node.isArray()) throw f.fault("added_tokens", "expected a list, found " + HfJson.kind(node));
        List<AddedToken> out = new ArrayList<>(node.size());
        int i = 0;
        for (JsonNode item : node) {
            if (!item.isObject()) throw f.fault("added_tokens", "entry " + i + " is " + HfJson.kind(item) + ", not an object");
            HfJson.Fields t = new HfJson.Fields(f.file, item, "added_tokens[" + i + "].");
            int id = t.optInt("id").orElseThrow(() -> t.fault("id", "missing"));
            if (id < 0) throw t.fault("id", "negative id " + id);
            String content = t.optString("content").orElseThrow(() -> t.fault("content", "missing"));
            out.add(new AddedToken(id, content, t.optBool("special").orElse(false), t.optBool("single_word").orElse(false),
                    t.optBool("lstrip").orElse(false), t.optBool("rstrip").orElse(false), t.optBool("normalized").orElse(true)));
            i++;
        }
        return out;
    }

    private static final List<String> SEQUENCE_KEYS = List.of("normalizers", "pretokenizers", "processors", "decoders");

    private static Optional<Component> component(HfJson.Fields f, String key) {
        return f.object(key).map(HfTokenizer::component);
    }

    private static Component component(HfJson.Fields c) {
        String type = c.optString("type").orElseThrow(() -> c.fault("type", "missing"));
        List<Component> children = new ArrayList<>();
        Map<String, Object> settings = new java.util.LinkedHashMap<>();
        for (var e : c.node.properties()) {
            String k = e.getKey();
            if (k.equals("type")) continue;
            if (SEQUENCE_KEYS.contains(k) && e.getValue().isArray()) {
                int i = 0;
                for (JsonNode child : e.getValue()) {
                    if (!child.isObject()) throw c.fault(k, "entry " + i + " is " + HfJson.kind(child) + ", not an object");
                    children.add(component(new HfJson.Fields(c.file, child, c.prefix + k + "[" + i + "].")));
                    i++;
                }
            } else {
                settings.put(k, HfJson.toPlain(e.getValue()));
            }
        }
        return new Component(type, java.util.Collections.unmodifiableMap(settings), children);
    }
}
