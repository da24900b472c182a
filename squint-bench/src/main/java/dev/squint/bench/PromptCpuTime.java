package dev.squint.bench;

import dev.squint.core.Model;
import dev.squint.engine.llama.LlamaModel;
import dev.squint.engine.llama.LlamaSession;
import dev.squint.formats.ModelOpener;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * Prompt-processing speed of the decoder measured in CPU time as well as wall time, for a machine shared
 * with other work: a pp run of {@code tokens} random tokens from an empty cache, repeated, printing wall
 * tokens/s and "CPU tokens/s" = tokens / (process CPU seconds / threads), i.e. the rate the run would have
 * if each of its threads had a core to itself (idle waits are not CPU time, so it flatters uneven splits).
 *
 * <p>Usage: {@code PromptCpuTime MODEL.gguf [threads=2] [tokens=128] [reps=3]}
 */
public final class PromptCpuTime {
    private PromptCpuTime() {}

    public static void main(String[] args) {
        Path path = Path.of(args[0]);
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        int tokens = args.length > 2 ? Integer.parseInt(args[2]) : 128;
        int reps = args.length > 3 ? Integer.parseInt(args[3]) : 3;
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        try (Model m = ModelOpener.open(path); LlamaModel model = LlamaModel.load(m);
             LlamaSession s = model.newSession(tokens + 1, threads)) {
            SplittableRandom rnd = new SplittableRandom(1);
            int[] prompt = new int[tokens];
            for (int i = 0; i < tokens; i++) prompt[i] = rnd.nextInt(model.config().vocab());
            for (int r = -1; r < reps; r++) {
                s.reset();
                long c0 = os.getProcessCpuTime(), t0 = System.nanoTime();
                s.forward(prompt, 0, tokens, false);
                long c1 = os.getProcessCpuTime(), t1 = System.nanoTime();
                System.out.printf("%s pp%d threads %d: wall %.2f tok/s, cpu %.2f tok/s (%.2f s wall, %.2f s cpu)%s%n",
                        path.getFileName(), tokens, threads, tokens / ((t1 - t0) / 1e9), tokens / ((c1 - c0) / 1e9 / threads),
                        (t1 - t0) / 1e9, (c1 - c0) / 1e9, r < 0 ? " [warm-up]" : "");
            }
        }
    }
}
