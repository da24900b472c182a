package dev.squint.convert;

import dev.squint.core.MetaValue;
import dev.squint.core.Metadata;
import dev.squint.core.SquintException;
import dev.squint.formats.hf.HfConfig;
import dev.squint.formats.hf.HfFolder;
import dev.squint.formats.hf.HfTokenizer;
import dev.squint.formats.hf.TokenizerConfig;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.regex.Pattern;

/**
 * The {@code tokenizer.ggml.*} keys of a Hugging Face folder, as gguf-py's vocabulary classes write
 * them (from {@code tokenizer.json}, {@code tokenizer_config.json} and {@code config.json}; no
 * Python tokenizer is run):
 * <ul>
 *   <li><b>llama</b> (SentencePiece as a BPE with byte fallback, gguf-py's {@code LlamaHfVocab}):
 *       base vocabulary by id, then added tokens beyond it; types byte ({@code <0xXX>}), control
 *       (special tokens), user-defined (other added tokens) or normal. <em>Scores differ from
 *       LlamaHfVocab</em>, which writes -1000 for every token and so leaves llama.cpp's SentencePiece
 *       merger without priorities: normal pieces score minus the rank of the merge that makes them
 *       ({@link #scoresFromMerges}), the order the SentencePiece model's own scores have (what
 *       llama.cpp's tokenizer.model path writes); byte and control tokens 0, added tokens -1000; padded with {@code [PADn]} (user-defined) up to config's vocab_size
 *       as gguf-py's SentencePiece path pads, so llama.cpp finds one token per embedding row;
 *       {@code tokenizer.ggml.pre = default}. "Special" means the added token's {@code special} flag
 *       (transformers' {@code all_special_ids}, which LlamaHfVocab uses, is not computed).</li>
 *   <li><b>gpt2</b> (byte-level BPE, {@code _set_vocab_gpt2}): ids up to config's vocab_size, gaps
 *       filled with {@code [PADn]} (user-defined); added tokens control if special, else
 *       user-defined; merges as {@code "left right"}; {@code pre} from the pre-tokenizer in
 *       tokenizer.json ({@link #bpePre}) because llama.cpp picks it by hashing the Python tokenizer's
 *       output, which squint does not run.</li>
 *   <li><b>bert</b> (WordPiece): as gpt2's vocabulary, then written in SentencePiece's "phantom
 *       space" form: {@code ##piece} becomes {@code piece}, {@code [X]} stays, any other token gets
 *       a leading U+2581; {@code pre = jina-v2-en} (what llama.cpp's hash table gives BERT's
 *       uncased vocabulary).</li>
 * </ul>
 * Special ids: {@code bos, eos, unk, sep, pad, cls, mask} from tokenizer_config's token strings,
 * else from config.json's {@code *_token_id}; then {@code add_bos_token}/{@code add_eos_token}
 * from tokenizer_config, and the chat template.
 */
final class HfVocab {
    static final int NORMAL = 1, UNKNOWN = 2, CONTROL = 3, USER_DEFINED = 4, BYTE = 6;

    /** The Split regex of Llama 3's tokenizer.json (digits in groups of up to three). */
    static final String LLAMA3_SPLIT = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}"
            + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    /** The Split regex of Qwen2's (and Qwen3's) tokenizer.json: as Llama 3's but one digit at a time. */
    static final String QWEN2_SPLIT = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}"
            + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    /**
     * {@code tokenizer.ggml.pre} for a byte-level BPE vocabulary. llama.cpp's converter names it by
     * hashing the Python tokenizer's output on a fixed text ({@code get_vocab_base_pre}), which squint
     * does not run; the pre-tokenizer in tokenizer.json decides those hashes, so it is read instead:
     * Llama 3's split regex gives {@code llama-bpe}, Qwen2's {@code qwen2}; GPT-2's own regex (a
     * ByteLevel pre-tokenizer that splits, with no Split before it) gives {@code smollm} when digits are
     * split one by one first (SmolLM) and {@code gpt-2} otherwise. Anything else is named by
     * architecture ({@code qwen2} for Qwen, {@code llama-bpe} for llama), else {@code default}.
     */
    static String bpePre(HfTokenizer tok, String ggufArch) {
        List<String> regexes = tok.splitPatterns().stream().filter(HfTokenizer.SplitPattern::regex)
                .map(HfTokenizer.SplitPattern::pattern).toList();
        if (regexes.equals(List.of(LLAMA3_SPLIT))) return "llama-bpe";
        if (regexes.equals(List.of(QWEN2_SPLIT))) return "qwen2";
        List<HfTokenizer.Component> parts = tok.preTokenizer().map(HfTokenizer.Component::flatten).orElse(List.of());
        boolean gpt2Split = tok.splitPatterns().isEmpty() && parts.stream().anyMatch(c ->
                c.type().equals("ByteLevel") && c.bool("use_regex").orElse(true));
        if (gpt2Split) {
            boolean digits = parts.stream().anyMatch(c -> c.type().equals("Digits") && c.bool("individual_digits").orElse(false));
            return digits ? "smollm" : "gpt-2";
        }
        return ggufArch.startsWith("qwen") ? "qwen2" : ggufArch.equals("llama") ? "llama-bpe" : "default";
    }
    private static final Pattern BYTE_TOKEN = Pattern.compile("<0x[0-9A-Fa-f]{2}>");

    private HfVocab() {}

    enum Kind { LLAMA, GPT2, BERT }

    static Kind kindOf(HfTokenizer tok, boolean bert) {
        if (bert) {
            if (tok.model().type() != HfTokenizer.ModelType.WORD_PIECE) {
                throw new SquintException("tokenizer.json: a BERT model needs a WordPiece tokenizer, found " + tok.model().type());
            }
            return Kind.BERT;
        }
        if (tok.model().type() != HfTokenizer.ModelType.BPE) {
            throw new SquintException("tokenizer.json: model type " + tok.model().type()
                    + " is not supported for llama-family conversion (BPE with byte fallback, or byte-level BPE)");
        }
        return tok.model().byteFallback() && !tok.byteLevel() ? Kind.LLAMA : Kind.GPT2;
    }

    /** Appends the tokenizer keys to {@code meta}. */
    static void add(Metadata.Builder meta, HfFolder hf, HfConfig config, String ggufArch, boolean bert) {
        Path dir = hf.dir();
        HfTokenizer tok = hf.tokenizer().orElseThrow(() -> new SquintException(dir
                + ": no tokenizer.json; squint converts the vocabulary from it (tokenizer.model alone is not read)"));
        add(meta, dir, tok, hf.tokenizerConfig(), Optional.of(config), config.vocabSize(), ggufArch, bert);
    }

    /**
     * Appends the tokenizer keys to {@code meta} from the parsed files.
     *
     * @param vocabSize the model's vocabulary (embedding rows); gpt2 and bert vocabularies are padded to it
     */
    static void add(Metadata.Builder meta, Path dir, HfTokenizer tok, Optional<TokenizerConfig> tc, Optional<HfConfig> config,
                    OptionalInt vocabSize, String ggufArch, boolean bert) {
        Kind kind = kindOf(tok, bert);
        Map<Integer, String> byId = new HashMap<>();
        tok.model().vocab().forEach((text, id) -> byId.put(id, text));
        Map<Integer, HfTokenizer.AddedToken> added = new HashMap<>();
        for (HfTokenizer.AddedToken a : tok.addedTokens()) {
            added.put(a.id(), a);
            byId.putIfAbsent(a.id(), a.content());
        }
        List<MetaValue> tokens = new ArrayList<>(), scores = new ArrayList<>(), types = new ArrayList<>();
        if (kind == Kind.LLAMA) {
            int base = tok.model().vocabSize();
            float[] mergeScores = scoresFromMerges(tok, base);
            for (int id = 0; id < base; id++) {
                String text = byId.get(id);
                if (text == null) throw new SquintException(dir + ": tokenizer.json has no token with id " + id + " below its vocabulary size " + base);
                HfTokenizer.AddedToken a = added.get(id);
                int type = BYTE_TOKEN.matcher(text).matches() ? BYTE : a != null && a.special() ? CONTROL : NORMAL;
                tokens.add(MetaValue.Str.of(text));
                scores.add(new MetaValue.F32(type == NORMAL ? mergeScores[id] : 0f));
                types.add(new MetaValue.I32(type));
            }
            added.keySet().stream().filter(id -> id >= base).sorted().forEach(id -> {
                HfTokenizer.AddedToken a = added.get(id);
                tokens.add(MetaValue.Str.of(a.content()));
                scores.add(new MetaValue.F32(-1000f));
                types.add(new MetaValue.I32(a.special() ? CONTROL : USER_DEFINED));
            });
            // llama.cpp needs one token per embedding row; its SentencePiece path pads the same way
            for (int id = tokens.size(); id < vocabSize.orElse(0); id++) {
                tokens.add(MetaValue.Str.of("[PAD" + id + "]"));
                scores.add(new MetaValue.F32(-1000f));
                types.add(new MetaValue.I32(USER_DEFINED));
            }
        } else {
            int maxId = byId.keySet().stream().mapToInt(Integer::intValue).max().orElse(-1);
            int size = vocabSize.orElse(maxId + 1);
            if (maxId >= size) {
                throw new SquintException(dir + ": tokenizer has token id " + maxId + " but model's vocabulary size is " + size);
            }
            for (int id = 0; id < size; id++) {
                String text = byId.get(id);
                int type;
                if (text == null) {
                    text = "[PAD" + id + "]";
                    type = USER_DEFINED;
                } else if (added.containsKey(id)) {
                    type = added.get(id).special() || looksSpecial(text) ? CONTROL : USER_DEFINED;
                } else {
                    type = NORMAL;
                }
                if (kind == Kind.BERT) text = phantom(text);
                tokens.add(MetaValue.Str.of(text));
                types.add(new MetaValue.I32(type));
            }
        }
        if (kind == Kind.BERT) {
            meta.putU32("tokenizer.ggml.token_type_count", config.map(cf -> intOf(cf.raw().get("type_vocab_size"), 2)).orElse(2));
        }
        meta.putString("tokenizer.ggml.model", kind == Kind.LLAMA ? "llama" : kind == Kind.GPT2 ? "gpt2" : "bert");
        meta.putString("tokenizer.ggml.pre", switch (kind) {
            case LLAMA -> "default";
            case BERT -> "jina-v2-en";
            case GPT2 -> bpePre(tok, ggufArch);
        });
        meta.put("tokenizer.ggml.tokens", new MetaValue.Array(MetaValue.Kind.STRING, tokens));
        if (kind == Kind.LLAMA) meta.put("tokenizer.ggml.scores", new MetaValue.Array(MetaValue.Kind.FLOAT32, scores));
        meta.put("tokenizer.ggml.token_type", new MetaValue.Array(MetaValue.Kind.INT32, types));
        if (kind == Kind.GPT2) {
            List<MetaValue> merges = new ArrayList<>();
            for (HfTokenizer.Merge m : tok.model().merges()) merges.add(MetaValue.Str.of(m.left() + " " + m.right()));
            meta.put("tokenizer.ggml.merges", new MetaValue.Array(MetaValue.Kind.STRING, merges));
        }
        String[] kinds = {"bos", "eos", "unk", "sep", "pad", "cls", "mask"};
        String[] keys = {"bos_token_id", "eos_token_id", "unknown_token_id", "seperator_token_id", "padding_token_id", "cls_token_id", "mask_token_id"};
        for (int i = 0; i < kinds.length; i++) {
            OptionalInt id = specialId(kinds[i], tok, tc, config, tokens.size(), bert);
            if (id.isPresent()) meta.putU32("tokenizer.ggml." + keys[i], id.getAsInt());
        }
        tc.flatMap(TokenizerConfig::addBosToken).ifPresent(b -> meta.putBool("tokenizer.ggml.add_bos_token", b));
        tc.flatMap(TokenizerConfig::addEosToken).ifPresent(b -> meta.putBool("tokenizer.ggml.add_eos_token", b));
        tc.flatMap(TokenizerConfig::chatTemplate).ifPresent(t -> meta.putString("tokenizer.chat_template", t));
    }

    /**
     * SentencePiece scores recovered from a BPE tokenizer.json: Hugging Face's converter lists a
     * SentencePiece BPE model's merges in the order of the merged pieces' scores, so a piece scores
     * minus the rank of the first merge that makes it (pieces no merge makes, e.g. single
     * characters, score -1e9; llama.cpp only compares the scores of merge results).
     */
    static float[] scoresFromMerges(HfTokenizer tok, int size) {
        float[] scores = new float[size];
        java.util.Arrays.fill(scores, -1e9f);
        List<HfTokenizer.Merge> merges = tok.model().merges();
        for (int rank = merges.size() - 1; rank >= 0; rank--) {
            HfTokenizer.Merge m = merges.get(rank);
            Integer made = tok.model().vocab().get(m.left() + m.right());
            if (made != null && made < size) scores[made] = -rank;
        }
        return scores;
    }

    private static OptionalInt specialId(String kind, HfTokenizer tok, Optional<TokenizerConfig> tc, Optional<HfConfig> cfg, int vocab,
                                         boolean bert) {
        Optional<String> text = tc.flatMap(c -> switch (kind) {
            case "bos" -> c.bosToken();
            case "eos" -> c.eosToken();
            case "unk" -> c.unkToken();
            case "sep" -> c.sepToken();
            case "pad" -> c.padToken();
            case "cls" -> c.clsToken();
            default -> c.maskToken();
        });
        if (text.isEmpty() && tc.isEmpty() && bert) {
            // no tokenizer_config.json (e.g. beside an ONNX export): BERT's fixed special tokens
            text = Optional.ofNullable(Map.of("unk", "[UNK]", "sep", "[SEP]", "pad", "[PAD]", "cls", "[CLS]", "mask", "[MASK]").get(kind));
        }
        OptionalInt id = text.isPresent() ? tok.id(text.get()) : OptionalInt.empty();
        if (id.isEmpty() && cfg.isPresent()) {
            HfConfig config = cfg.get();
            id = switch (kind) {
                case "bos" -> config.bosTokenId();
                case "eos" -> config.eosTokenIds().isEmpty() ? OptionalInt.empty() : OptionalInt.of(config.eosTokenIds().getFirst());
                case "pad" -> config.padTokenId();
                default -> OptionalInt.empty();
            };
        }
        // gguf-py's SpecialVocab drops ids outside the vocabulary
        return id.isPresent() && id.getAsInt() >= 0 && id.getAsInt() < vocab ? id : OptionalInt.empty();
    }

    /** gguf-py's does_token_look_special: {@code <|x|>}, {@code <｜x｜>}, {@code [X]} and {@code <x>} forms. */
    static boolean looksSpecial(String t) {
        return (t.startsWith("<|") && t.endsWith("|>")) || (t.startsWith("<｜") && t.endsWith("｜>"))
                || t.equals("<pad>") || t.equals("<mask>") || t.equals("<2mass>") || t.equals("[@BOS@]")
                || (t.startsWith("[") && t.endsWith("]") && t.length() > 2 && t.substring(1, t.length() - 1).chars().allMatch(c -> Character.isUpperCase(c) || c == '_'));
    }

    /** BERT's WordPiece pieces in SentencePiece form (llama.cpp's BertModel.set_vocab). */
    static String phantom(String tok) {
        if (tok.startsWith("[") && tok.endsWith("]")) return tok;
        if (tok.startsWith("##")) return tok.substring(2);
        return "\u2581" + tok;
    }

    static int intOf(Object o, int dflt) {
        return o instanceof Number n ? n.intValue() : dflt;
    }
}
