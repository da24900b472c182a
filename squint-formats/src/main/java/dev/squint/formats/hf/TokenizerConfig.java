package dev.squint.formats.hf;

import com.fasterxml.jackson.databind.JsonNode;
import dev.squint.core.ModelFormatException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;

/**
 * A transformers {@code tokenizer_config.json}. Special tokens are written either as a plain
 * string or as an AddedToken object ({@code {"__type": "AddedToken", "content": ...}}); both
 * give the token text here. {@code chat_template} is a string or a list of
 * {@code {"name", "template"}}; both give a name-to-template map (a lone string is named
 * {@code default}). When the file has no template, a {@code chat_template.jinja} beside it is used,
 * as newer transformers save it there.
 *
 * @param modelMaxLength {@code model_max_length}; Python's "no limit" sentinel (about 1e30) saturates to {@link Long#MAX_VALUE}
 * @param addedTokensDecoder {@code added_tokens_decoder}: id to added token
 * @param raw every key as plain immutable Java values
 */
public record TokenizerConfig(
        Optional<String> bosToken,
        Optional<String> eosToken,
        Optional<String> padToken,
        Optional<String> unkToken,
        Optional<String> sepToken,
        Optional<String> clsToken,
        Optional<String> maskToken,
        Optional<Boolean> addBosToken,
        Optional<Boolean> addEosToken,
        OptionalLong modelMaxLength,
        Map<String, String> chatTemplates,
        Optional<Boolean> doLowerCase,
        Optional<String> tokenizerClass,
        Map<Integer, HfTokenizer.AddedToken> addedTokensDecoder,
        Map<String, Object> raw) {

    public static final String FILE_NAME = "tokenizer_config.json";
    public static final String JINJA_FILE_NAME = "chat_template.jinja";

    public TokenizerConfig {
        chatTemplates = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(chatTemplates));
        addedTokensDecoder = java.util.Collections.unmodifiableMap(new TreeMap<>(addedTokensDecoder));
    }

    /** The default chat template, if any. */
    public Optional<String> chatTemplate() {
        return Optional.ofNullable(chatTemplates.get("default"))
                .or(() -> chatTemplates.values().stream().findFirst());
    }

    public static TokenizerConfig read(Path file) {
        JsonNode root = HfJson.read(file);
        if (!root.isObject()) throw new ModelFormatException(file, "top level is " + HfJson.kind(root) + ", not a JSON object");
        HfJson.Fields f = new HfJson.Fields(file, root, "");
        Map<String, String> templates = chatTemplates(f);
        Path jinja = file.resolveSibling(JINJA_FILE_NAME);
        if (templates.isEmpty() && Files.isRegularFile(jinja)) {
            try {
                templates.put("default", Files.readString(jinja, StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new ModelFormatException(jinja, "cannot read: " + e.getMessage());
            }
        }
        return new TokenizerConfig(
                token(f, "bos_token"), token(f, "eos_token"), token(f, "pad_token"), token(f, "unk_token"),
                token(f, "sep_token"), token(f, "cls_token"), token(f, "mask_token"),
                f.optBool("add_bos_token"), f.optBool("add_eos_token"),
                f.optLong("model_max_length"),
                templates,
                f.optBool("do_lower_case"),
                f.optString("tokenizer_class"),
                addedTokensDecoder(f),
                f.plain());
    }

    private static Optional<String> token(HfJson.Fields f, String key) {
        JsonNode v = f.first(key);
        if (v == null) return Optional.empty();
        if (v.isTextual()) return Optional.of(v.textValue());
        if (v.isObject()) {
            JsonNode content = v.get("content");
            if (content != null && content.isTextual()) return Optional.of(content.textValue());
            throw f.fault(key, "AddedToken object has no string 'content'");
        }
        throw f.fault(key, "expected a string or an AddedToken object, found " + HfJson.kind(v));
    }

    private static Map<String, String> chatTemplates(HfJson.Fields f) {
        Map<String, String> out = new LinkedHashMap<>();
        JsonNode v = f.first("chat_template");
        if (v == null) return out;
        if (v.isTextual()) {
            out.put("default", v.textValue());
        } else if (v.isArray()) {
            int i = 0;
            for (JsonNode item : v) {
                JsonNode name = item.get("name");
                JsonNode template = item.get("template");
                if (name == null || !name.isTextual() || template == null || !template.isTextual()) {
                    throw f.fault("chat_template", "entry " + i + " is not {\"name\": string, \"template\": string}");
                }
                out.put(name.textValue(), template.textValue());
                i++;
            }
        } else {
            throw f.fault("chat_template", "expected a string or a list of named templates, found " + HfJson.kind(v));
        }
        return out;
    }

    private static Map<Integer, HfTokenizer.AddedToken> addedTokensDecoder(HfJson.Fields f) {
        Map<Integer, HfTokenizer.AddedToken> out = new TreeMap<>();
        Optional<HfJson.Fields> decoder = f.object("added_tokens_decoder");
        if (decoder.isEmpty()) return out;
        for (var e : decoder.get().node.properties()) {
            int id;
            try {
                id = Integer.parseInt(e.getKey());
            } catch (NumberFormatException ex) {
                throw f.fault("added_tokens_decoder", "key '" + e.getKey() + "' is not a token id");
            }
            if (id < 0) throw f.fault("added_tokens_decoder", "negative token id " + id);
            if (!e.getValue().isObject()) throw f.fault("added_tokens_decoder." + id, "expected an object, found " + HfJson.kind(e.getValue()));
            HfJson.Fields t = new HfJson.Fields(f.file, e.getValue(), "added_tokens_decoder." + id + ".");
            String content = t.optString("content").orElseThrow(() -> t.fault("content", "missing"));
            out.put(id, new HfTokenizer.AddedToken(id, content, t.optBool("special").orElse(false), t.optBool("single_word").orElse(false),
                    t.optBool("lstrip").orElse(false), t.optBool("rstrip").orElse(false), t.optBool("normalized").orElse(true)));
        }
        return out;
    }
}
