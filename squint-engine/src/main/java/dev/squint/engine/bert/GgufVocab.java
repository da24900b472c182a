package dev.squint.engine.bert;

import dev.squint.core.Model;
import dev.squint.core.SquintException;
import dev.squint.formats.hf.HfTokenizer;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * A WordPiece tokenizer from the vocabulary llama.cpp stores in a {@code bert} GGUF
 * ({@code tokenizer.ggml.model = bert}). llama.cpp's converter rewrites the vocabulary into
 * "phantom space" form — a word-initial piece gets a leading U+2581, a {@code ##} continuation
 * loses its prefix, {@code [BRACKETED]} specials stay — so this undoes that. The normalizer is
 * BERT's uncased one (GGUF does not record casing).
 */
final class GgufVocab {
    private GgufVocab() {}

    static HfTokenizer tokenizer(Model model) {
        List<String> tokens = model.metadata().strings("tokenizer.ggml.tokens").orElseThrow(() ->
                new SquintException(model.path() + ": no tokenizer.json beside it and no tokenizer.ggml.tokens inside"));
        Map<String, Integer> vocab = new HashMap<>();
        for (int i = 0; i < tokens.size(); i++) {
            String t = tokens.get(i);
            String piece;
            if (t.startsWith("\u2581")) piece = t.substring(1);
            else if (t.startsWith("[") && t.endsWith("]")) piece = t;
            else piece = "##" + t;
            vocab.putIfAbsent(piece, i);
        }
        Integer unk = vocab.get("[UNK]");
        HfTokenizer.TokenizerModel m = new HfTokenizer.TokenizerModel(HfTokenizer.ModelType.WORD_PIECE, vocab, List.of(), List.of(),
                Optional.of("[UNK]"), unk == null ? OptionalInt.empty() : OptionalInt.of(unk), Optional.of("##"), Optional.empty(),
                OptionalInt.of(100), false, false, false);
        HfTokenizer.Component normalizer = new HfTokenizer.Component("BertNormalizer",
                Map.of("clean_text", true, "handle_chinese_chars", true, "lowercase", true), List.of());
        return new HfTokenizer(m, List.of(), Optional.of(normalizer), Optional.of(new HfTokenizer.Component("BertPreTokenizer", Map.of(), List.of())),
                Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());
    }
}
