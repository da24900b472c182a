package dev.squint.compare;

import dev.squint.core.SquintException;
import dev.squint.engine.bert.EncoderEval;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The sentences {@code squint demo} measures on when the user gives none, and the ones it calibrates static
 * INT8 with. Both are resources written for squint (not taken from a dataset):
 * {@code demo-sentences.txt} has 20 topics of 12 sentences each, so that a sentence's ten nearest neighbours are
 * mostly its own topic and top-10 retrieval agreement measures something; {@code demo-calibration.txt} is a
 * disjoint mix of other sentences. Lines starting with {@code #} name a topic and are skipped.
 *
 * @param sentences   what fidelity and speed are measured on
 * @param calibration what static INT8 activation ranges are calibrated on (never among {@code sentences} when built in)
 * @param source      where the sentences came from, for the report
 */
public record DemoCorpus(List<String> sentences, List<String> calibration, String source) {
    static final String SENTENCES = "demo-sentences.txt";
    static final String CALIBRATION = "demo-calibration.txt";

    public DemoCorpus {
        sentences = List.copyOf(sentences);
        calibration = List.copyOf(calibration);
        if (sentences.size() < 2) throw new SquintException("the demo needs at least 2 sentences, got " + sentences.size());
    }

    /** The user's file if given (one sentence a non-blank line), else the built-in sentences; calibration is built in. */
    public static DemoCorpus load(Optional<Path> file) {
        List<String> calibration = resource(CALIBRATION);
        if (file.isPresent()) {
            List<String> s = EncoderEval.readSentences(file.get());
            return new DemoCorpus(s, calibration, s.size() + " sentences from " + file.get().getFileName());
        }
        List<String> s = resource(SENTENCES);
        return new DemoCorpus(s, calibration, s.size() + " built-in sentences in 20 topics");
    }

    static List<String> resource(String name) {
        try (InputStream in = DemoCorpus.class.getResourceAsStream(name)) {
            if (in == null) throw new IllegalStateException("resource " + name + " is missing from the build");
            List<String> out = new ArrayList<>();
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                String s = line.strip();
                if (!s.isEmpty() && !s.startsWith("#")) out.add(s);
            }
            return out;
        } catch (IOException e) {
            throw new IllegalStateException("cannot read resource " + name, e);
        }
    }
}
