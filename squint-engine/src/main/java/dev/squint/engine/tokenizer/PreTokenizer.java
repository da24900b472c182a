package dev.squint.engine.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits text into the words byte-level BPE merges within, by a sequence of regexes as llama.cpp's
 * {@code unicode_regex_split} and Hugging Face's {@code Split(behavior=Isolated)} do: each regex cuts
 * every piece left by the previous one into its matches and the text between matches, both kept.
 *
 * <p>Patterns are compiled once, with {@link Pattern#UNICODE_CHARACTER_CLASS} so that {@code \s} is
 * Unicode White_Space as in llama.cpp and Oniguruma ({@code \p{L}}, {@code \p{N}} are general categories
 * either way). Java's regex engine supports the lookahead {@code \s+(?!\S)} and possessive quantifiers
 * that llama.cpp has to hand-code or rewrite for std::regex. One difference: {@code (?i)} folds ASCII
 * only in Java, so presets use llama.cpp's spelled-out {@code '[sS]} forms.
 */
public final class PreTokenizer {

    /** GPT-2 (and gpt-2, phi-2, mpt, olmo in llama.cpp). */
    public static final String GPT2 = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

    /** Llama 3 ({@code llama-bpe}); digits in groups of up to three. */
    public static final String LLAMA3 = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+"
            + "|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    /** Qwen2: as Llama 3 but every digit on its own. */
    public static final String QWEN2 = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+"
            + "|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    /** llama.cpp's fallback when a GGUF names no pre-tokenizer. */
    static final List<String> LLAMA_CPP_DEFAULT = List.of(
            "[\\p{P}\\$\\+<=>\\^~\\|]+",
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)",
            "\\p{N}+",
            "[0-9][0-9][0-9]");

    private final List<Pattern> patterns;

    /** @throws java.util.regex.PatternSyntaxException if a regex does not compile */
    public PreTokenizer(List<String> regexes) {
        List<Pattern> compiled = new ArrayList<>(regexes.size());
        for (String r : regexes) compiled.add(Pattern.compile(r, Pattern.UNICODE_CHARACTER_CLASS));
        this.patterns = List.copyOf(compiled);
    }

    /**
     * The preset llama.cpp uses for a GGUF {@code tokenizer.ggml.pre} value, or null if this class
     * has none for it. An absent or "default" name gives llama.cpp's default split.
     */
    public static PreTokenizer forGgufName(String pre) {
        return switch (pre == null ? "default" : pre) {
            case "default" -> new PreTokenizer(LLAMA_CPP_DEFAULT);
            case "gpt-2", "phi-2", "mpt", "olmo", "jina-es", "jina-de", "jina-v2-es", "jina-v2-de", "roberta-bpe" ->
                    new PreTokenizer(List.of(GPT2));
            case "llama3", "llama-v3", "llama-bpe", "falcon3", "pixtral", "dbrx", "smaug-bpe" -> new PreTokenizer(List.of(LLAMA3));
            case "qwen2", "deepseek-r1-qwen", "stablelm2" -> new PreTokenizer(List.of(QWEN2));
            default -> null;
        };
    }

    public List<String> regexes() {
        return patterns.stream().map(Pattern::pattern).toList();
    }

    /** The words of {@code text}, in order; concatenated they give back the text. */
    public List<String> split(String text) {
        List<String> pieces = new ArrayList<>();
        if (text.isEmpty()) return pieces;
        pieces.add(text);
        for (Pattern pattern : patterns) {
            List<String> next = new ArrayList<>(pieces.size() * 2);
            for (String piece : pieces) {
                Matcher m = pattern.matcher(piece);
                int end = 0;
                while (m.find()) {
                    if (m.start() == m.end()) continue; // an empty match cuts nothing
                    if (m.start() > end) next.add(piece.substring(end, m.start()));
                    next.add(piece.substring(m.start(), m.end()));
                    end = m.end();
                }
                if (end < piece.length()) next.add(piece.substring(end));
            }
            pieces = next;
        }
        return pieces;
    }
}
