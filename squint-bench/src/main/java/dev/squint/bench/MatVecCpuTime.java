package dev.squint.bench;

import dev.squint.core.Model;
import dev.squint.core.Tensor;
import dev.squint.engine.ops.Linear;
import dev.squint.formats.ModelOpener;
import dev.squint.kernels.RowParallel;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * One-token matrix × vector speed of each weight of one decoder block, in the calling thread's
 * <b>CPU time</b> (so a loaded machine does not skew it): {@link Linear#forward} with one token and
 * one thread, as generation runs it (activation quantization included). Prints, per weight, its type,
 * shape, microseconds per product and the bytes of weight read per CPU second; then the block total.
 * Repeated products re-read weights that may sit in cache (up to the L2/L3 size), so this isolates the
 * kernels' compute cost from memory bandwidth.
 *
 * <pre>java --add-modules jdk.incubator.vector -cp squint-bench/target/squint-bench.jar \
 *     dev.squint.bench.MatVecCpuTime MODEL.gguf [block=0] [milliseconds per weight=1500]</pre>
 */
public final class MatVecCpuTime {
    private MatVecCpuTime() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: MatVecCpuTime MODEL [block] [ms per weight]");
            System.exit(2);
        }
        int block = args.length > 1 ? Integer.parseInt(args[1]) : 0;
        long budget = (args.length > 2 ? Long.parseLong(args[2]) : 1500) * 1_000_000L;
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        try (Model file = ModelOpener.open(Path.of(args[0])); RowParallel one = new RowParallel(1)) {
            List<Tensor> weights = new ArrayList<>();
            for (Tensor t : file.tensors()) {
                if (t.name().startsWith("blk." + block + ".") && t.shape().rank() == 2) weights.add(t);
            }
            SplittableRandom rnd = new SplittableRandom(7);
            double totalUs = 0, totalBytes = 0;
            for (int pass = 0; pass < 2; pass++) { // pass 0 warms every kernel up before any is timed
                totalUs = 0;
                totalBytes = 0;
                for (Tensor t : weights) {
                    Linear layer = Linear.of(t, null);
                    float[] x = new float[layer.in()], y = new float[layer.out()];
                    for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
                    long c0 = mx.getCurrentThreadCpuTime(), c1;
                    int reps = 0;
                    do {
                        layer.forward(x, 1, y, one);
                        reps++;
                        c1 = mx.getCurrentThreadCpuTime();
                    } while (c1 - c0 < (pass == 0 ? budget / 3 : budget));
                    double us = (c1 - c0) / 1e3 / reps;
                    totalUs += us;
                    totalBytes += layer.weightBytes();
                    if (pass == 1) {
                        System.out.printf("%-28s %-5s %5d x %-5d %9.1f us  %6.2f GB/s%n", t.name(), layer.type(),
                                layer.out(), layer.in(), us, layer.weightBytes() / us / 1e3);
                    }
                }
            }
            System.out.printf("block %d: %.1f us per token (%.2f GB/s)%n", block, totalUs, totalBytes / totalUs / 1e3);
        }
    }
}
