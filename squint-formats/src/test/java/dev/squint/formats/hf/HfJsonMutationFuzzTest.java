package dev.squint.formats.hf;

import dev.squint.core.ModelFormatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Seeded mutation fuzzing of the Hugging Face JSON readers over the test fixtures: values are
 * swapped for values of other types, tokens inserted and spans deleted. Whatever comes out, a
 * reader returns a record or throws a one-line {@link ModelFormatException}; nothing else.
 */
class HfJsonMutationFuzzTest {
    private static final long SEED = 0x4F5EEDL;
    private static final String[] VALUES = {"null", "true", "0", "-1", "1e400", "2147483648", "99999999999999999999", "1.5",
            "\"\"", "\"x\"", "[]", "[1]", "[[\"a\"]]", "{}", "{\"type\":\"Split\"}", "\"\\u0000\"", "\"../../x\""};
    private static final String[] TOKENS = {"{", "}", "[", "]", ",", ":", "\"", "\\", " "};

    @TempDir Path dir;

    private record Target(String fixture, String fileName, Function<Path, Object> reader) {}

    @Test
    void mutatedHfFilesOnlyEverFailAsFormatFaults() throws IOException {
        List<Target> targets = List.of(
                new Target("llama3/config.json", "config.json", HfConfig::read),
                new Target("qwen2/config.json", "config.json", HfConfig::read),
                new Target("llama3/generation_config.json", "generation_config.json", GenerationConfig::read),
                new Target("llama3/tokenizer_config.json", "tokenizer_config.json", TokenizerConfig::read),
                new Target("qwen2/tokenizer_config.json", "tokenizer_config.json", TokenizerConfig::read),
                new Target("bpe-strings/tokenizer.json", "tokenizer.json", HfTokenizer::read),
                new Target("bpe-pairs/tokenizer.json", "tokenizer.json", HfTokenizer::read),
                new Target("unigram/tokenizer.json", "tokenizer.json", HfTokenizer::read),
                new Target("st/modules.json", "modules.json", p -> SentenceTransformersConfig.read(p.getParent())),
                new Target("st/1_Pooling/config.json", "config.json", SentenceTransformersConfig.Pooling::read));
        Random r = new Random(SEED);
        int faults = 0, parsed = 0;
        for (int i = 0; i < 1500; i++) {
            Target t = targets.get(r.nextInt(targets.size()));
            String text = Files.readString(HfFilesTest.fixture(t.fixture()), StandardCharsets.UTF_8);
            int rounds = 1 + r.nextInt(3);
            for (int k = 0; k < rounds; k++) text = mutate(r, text);
            Path file = dir.resolve(t.fileName());
            Files.writeString(file, text, StandardCharsets.UTF_8);
            try {
                assertThat(t.reader().apply(file)).isNotNull();
                parsed++;
            } catch (ModelFormatException e) {
                assertThat(e.getMessage()).doesNotContain("\n");
                faults++;
            } catch (Throwable e) {
                throw new AssertionError("seed " + SEED + ", iteration " + i + ", " + t.fixture() + ": " + e + "\n" + text, e);
            }
        }
        assertThat(faults).isPositive();
        assertThat(parsed).isPositive();
    }

    private static String mutate(Random r, String s) {
        int at = r.nextInt(s.length());
        return switch (r.nextInt(4)) {
            case 0 -> { // replace the value after some ':' with another type
                int colon = s.indexOf(':', at);
                if (colon < 0) yield s;
                int end = colon + 1;
                while (end < s.length() && ",}\n".indexOf(s.charAt(end)) < 0) end++;
                yield s.substring(0, colon + 1) + VALUES[r.nextInt(VALUES.length)] + s.substring(end);
            }
            case 1 -> s.substring(0, at) + TOKENS[r.nextInt(TOKENS.length)] + s.substring(at);
            case 2 -> s.substring(0, at) + s.substring(Math.min(s.length(), at + 1 + r.nextInt(20)));
            default -> { // replace an array element or a number somewhere with another value
                int d = at;
                while (d < s.length() && !Character.isDigit(s.charAt(d))) d++;
                if (d >= s.length()) yield s;
                int e = d;
                while (e < s.length() && Character.isDigit(s.charAt(e))) e++;
                yield s.substring(0, d) + VALUES[r.nextInt(VALUES.length)] + s.substring(e);
            }
        };
    }
}
