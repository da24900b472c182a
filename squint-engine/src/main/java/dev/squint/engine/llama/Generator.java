package dev.squint.engine.llama;

import dev.squint.core.SquintException;
import dev.squint.engine.tokenizer.ModelTokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * Text generation: the prompt (BOS first when the vocabulary asks) runs as one batch, then one token at a
 * time until {@code maxTokens} are generated or an end-of-generation token comes. Text is streamed as
 * soon as its bytes form whole UTF-8 characters.
 */
public final class Generator {
    private Generator() {}

    /** What a run produced, with timings. */
    public record Output(String text, int promptTokens, int generatedTokens, double promptSeconds, double generateSeconds) {}

    public static Output generate(LlamaSession session, ModelTokenizer tokenizer, String prompt, int maxTokens,
                                  Sampler sampler, Consumer<String> stream) {
        int[] promptIds = tokenizer.encode(prompt, true, false);
        if (promptIds.length == 0) throw new SquintException("the prompt is empty and the vocabulary adds no BOS");
        int vocab = session.model().config().vocab();
        if (promptIds.length + maxTokens > session.contextLength()) {
            throw new SquintException("prompt (" + promptIds.length + " tokens) + " + maxTokens + " new tokens exceed the context of "
                    + session.contextLength() + "; shorten the prompt, lower -n or raise --ctx");
        }
        session.reset();
        long t0 = System.nanoTime();
        float[] logits = session.forward(promptIds, 0, promptIds.length, false);
        long t1 = System.nanoTime();
        StringBuilder text = new StringBuilder();
        ByteArrayOutputStream pending = new ByteArrayOutputStream();
        int[] one = new int[1];
        int generated = 0;
        for (; generated < maxTokens; ) {
            int next = sampler.sample(logits, vocab);
            if (tokenizer.vocabulary().endsGeneration(next)) break;
            generated++;
            pending.writeBytes(tokenizer.piece(next, false));
            String done = completeUtf8(pending);
            if (!done.isEmpty()) {
                text.append(done);
                stream.accept(done);
            }
            if (generated == maxTokens) break;
            one[0] = next;
            logits = session.forward(one, 0, 1, false);
        }
        if (pending.size() > 0) {
            String rest = pending.toString(StandardCharsets.UTF_8);
            text.append(rest);
            stream.accept(rest);
        }
        long t2 = System.nanoTime();
        return new Output(text.toString(), promptIds.length, generated, (t1 - t0) / 1e9, (t2 - t1) / 1e9);
    }

    /** Removes and returns the longest prefix of {@code buf} that ends on a UTF-8 character boundary. */
    private static String completeUtf8(ByteArrayOutputStream buf) {
        byte[] b = buf.toByteArray();
        int end = b.length;
        int i = end - 1, back = 0;
        while (i >= 0 && back < 4 && (b[i] & 0xC0) == 0x80) { i--; back++; }
        if (i >= 0) {
            int lead = b[i] & 0xFF;
            int len = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
            if (end - i < len) end = i;
        }
        buf.reset();
        buf.write(b, end, b.length - end);
        return new String(b, 0, end, StandardCharsets.UTF_8);
    }
}
