package dev.squint.quantize.onnx;

import com.fasterxml.jackson.databind.JsonNode;
import dev.squint.core.ModelFormatException;

import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The minimum of BERT's WordPiece encoding needed to turn calibration sentences into token ids for
 * BERT-like ONNX models: lower-casing and accent stripping, splitting on whitespace and punctuation,
 * greedy longest-match-first subwords with the {@code ##} prefix, {@code [CLS] ... [SEP]}, padding to
 * the longest sentence of the batch. squint-quantize cannot use the engine's tokenizer (the engine
 * depends on this module), so this stays a calibration helper, not a general tokenizer.
 */
public final class WordPieceEncoder {
    private final Map<String, Integer> vocab;
    private final String prefix;
    private final int unk, cls, sep, pad;
    private final boolean lowercase;

    private WordPieceEncoder(Map<String, Integer> vocab, String prefix, String unkToken, boolean lowercase) {
        this.vocab = vocab;
        this.prefix = prefix;
        this.lowercase = lowercase;
        this.unk = vocab.getOrDefault(unkToken, 0);
        this.cls = vocab.getOrDefault("[CLS]", 101);
        this.sep = vocab.getOrDefault("[SEP]", 102);
        this.pad = vocab.getOrDefault("[PAD]", 0);
    }

    public static WordPieceEncoder load(Path tokenizerJson) {
        JsonNode root = CalibrationData.json(tokenizerJson);
        JsonNode model = root.path("model");
        if (!"WordPiece".equals(model.path("type").asText()) || !model.path("vocab").isObject()) {
            throw new ModelFormatException(tokenizerJson, "is not a WordPiece tokenizer (model.type '" + model.path("type").asText()
                    + "'); give calibration tensors (.npy/.npz/safetensors) instead");
        }
        Map<String, Integer> vocab = new HashMap<>();
        model.path("vocab").properties().forEach(e -> vocab.put(e.getKey(), e.getValue().asInt()));
        boolean lower = root.path("normalizer").path("lowercase").asBoolean(true);
        return new WordPieceEncoder(vocab, model.path("continuing_subword_prefix").asText("##"), model.path("unk_token").asText("[UNK]"), lower);
    }

    /** Token ids of one sentence, with [CLS] and [SEP], at most {@code maxLen} long. */
    List<Integer> ids(String text, int maxLen) {
        List<Integer> ids = new ArrayList<>();
        ids.add(cls);
        for (String word : words(text)) {
            if (ids.size() >= maxLen - 1) break;
            ids.addAll(subwords(word));
        }
        if (ids.size() > maxLen - 1) ids = new ArrayList<>(ids.subList(0, maxLen - 1));
        ids.add(sep);
        return ids;
    }

    /** input_ids, attention_mask and token_type_ids (those among {@code inputs}) for a batch, padded to its longest sentence. */
    public Map<String, HostTensor> encode(List<String> sentences, int maxLen, Set<String> inputs) {
        List<List<Integer>> all = sentences.stream().map(s -> ids(s, maxLen)).toList();
        int len = all.stream().mapToInt(List::size).max().orElse(2);
        int b = all.size();
        long[] ids = new long[b * len], mask = new long[b * len], types = new long[b * len];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < len; j++) {
                boolean real = j < all.get(i).size();
                ids[i * len + j] = real ? all.get(i).get(j) : pad;
                mask[i * len + j] = real ? 1 : 0;
            }
        }
        long[] shape = {b, len};
        Map<String, HostTensor> m = new LinkedHashMap<>();
        if (inputs.contains("input_ids")) m.put("input_ids", HostTensor.ofLongs("input_ids", shape, ids));
        if (inputs.contains("attention_mask")) m.put("attention_mask", HostTensor.ofLongs("attention_mask", shape, mask));
        if (inputs.contains("token_type_ids")) m.put("token_type_ids", HostTensor.ofLongs("token_type_ids", shape, types));
        return m;
    }

    private List<String> words(String text) {
        String t = lowercase ? text.toLowerCase(java.util.Locale.ROOT) : text;
        if (lowercase) t = Normalizer.normalize(t, Normalizer.Form.NFD).replaceAll("\\p{Mn}", "");
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        for (int i = 0; i < t.length(); ) {
            int cp = t.codePointAt(i);
            i += Character.charCount(cp);
            if (Character.isWhitespace(cp) || Character.isISOControl(cp)) {
                flush(cur, out);
            } else if (isPunctuation(cp) || isCjk(cp)) {
                flush(cur, out);
                out.add(new String(Character.toChars(cp)));
            } else {
                cur.appendCodePoint(cp);
            }
        }
        flush(cur, out);
        return out;
    }

    private static void flush(StringBuilder cur, List<String> out) {
        if (!cur.isEmpty()) out.add(cur.toString());
        cur.setLength(0);
    }

    private List<Integer> subwords(String word) {
        if (word.length() > 100) return List.of(unk);
        List<Integer> out = new ArrayList<>();
        int start = 0;
        while (start < word.length()) {
            int end = word.length();
            Integer found = null;
            while (start < end) {
                String piece = (start > 0 ? prefix : "") + word.substring(start, end);
                found = vocab.get(piece);
                if (found != null) break;
                end--;
            }
            if (found == null) return List.of(unk);
            out.add(found);
            start = end;
        }
        return out;
    }

    private static boolean isPunctuation(int cp) {
        if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126)) return true;
        int type = Character.getType(cp);
        return type == Character.CONNECTOR_PUNCTUATION || type == Character.DASH_PUNCTUATION || type == Character.START_PUNCTUATION
                || type == Character.END_PUNCTUATION || type == Character.INITIAL_QUOTE_PUNCTUATION
                || type == Character.FINAL_QUOTE_PUNCTUATION || type == Character.OTHER_PUNCTUATION;
    }

    private static boolean isCjk(int cp) {
        return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0xF900 && cp <= 0xFAFF)
                || (cp >= 0x20000 && cp <= 0x2FA1F);
    }
}
