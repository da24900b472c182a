package dev.squint.bench;

import dev.squint.core.Model;
import dev.squint.engine.llama.LlamaModel;
import dev.squint.engine.llama.LlamaSession;
import dev.squint.formats.ModelOpener;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;

/**
 * Token-by-token generation speed measured in <b>CPU time</b> as well as wall time, for a shared,
 * loaded machine where {@code squint bench}'s wall-clock tokens/s swings with other processes.
 * With one thread, the calling thread's CPU time is all the work, so "tokens per CPU second" is what
 * one fully available core would do. With more threads the process CPU time is reported too
 * (it includes the JIT and GC threads).
 *
 * <pre>java --add-modules jdk.incubator.vector -cp squint-bench/target/squint-bench.jar \
 *     dev.squint.bench.DecodeCpuTime MODEL.gguf [tokens=32] [threads=1] [reps=2]</pre>
 */
public final class DecodeCpuTime {
    private DecodeCpuTime() {}

    private static int argmax(float[] logits, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) if (logits[i] > logits[best]) best = i;
        return best;
    }

    public static void main(String[] args) {
        if (args.length < 1) {
            System.err.println("usage: DecodeCpuTime MODEL [tokens] [threads] [reps]");
            System.exit(2);
        }
        int tokens = args.length > 1 ? Integer.parseInt(args[1]) : 32;
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : 1;
        int reps = args.length > 3 ? Integer.parseInt(args[3]) : 2;
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        try (Model file = ModelOpener.open(Path.of(args[0]));
             LlamaModel m = LlamaModel.load(file);
             LlamaSession s = m.newSession(tokens + 1, threads)) {
            int vocab = m.config().vocab();
            System.out.printf("%s: %d threads, %d tokens, %.1f MB of weights per token%n",
                    args[0], threads, tokens, m.weightBytesPerToken() / 1e6);
            for (int r = -1; r < reps; r++) {
                s.reset();
                int[] one = {1};
                long c0 = mx.getCurrentThreadCpuTime(), p0 = os.getProcessCpuTime(), w0 = System.nanoTime();
                for (int i = 0; i < tokens; i++) one[0] = argmax(s.forward(one, 0, 1, false), vocab);
                double cpu = (mx.getCurrentThreadCpuTime() - c0) / 1e9, proc = (os.getProcessCpuTime() - p0) / 1e9;
                double wall = (System.nanoTime() - w0) / 1e9;
                System.out.printf("%s: wall %.2f tok/s | caller-thread CPU %.2f tok/s | process CPU %.2f s/token%n",
                        r < 0 ? "warm-up" : "rep " + r, tokens / wall, tokens / cpu, proc / tokens);
            }
        }
    }
}
