package dev.squint.quantize.onnx;

import dev.squint.core.SquintException;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;

/**
 * GPTQ's input statistics: for each activation X that a quantized MatMul/Gemm reads, {@code H = 2·XᵀX}
 * summed over every token of the calibration data (the FP32 graph's activations, from ONNX Runtime on a
 * copy of the graph that outputs them, {@link ActivationProbe}), and from it the factor GPTQ rounds with
 * ({@link Gptq#inverseFactor}).
 *
 * <p>Tokens whose attention mask is 0 (padding in a batch of unequal sentences) are left out when the
 * batch has a 2-D integer input named like {@code *mask*} whose shape is the activation's first two axes.
 *
 * <p>Memory: one K×K double matrix per activation. They are collected in groups of at most
 * {@value #BUDGET_MIB} MiB (system property {@value #BUDGET_PROPERTY} changes it; one calibration pass per
 * group, in graph order) and each is dropped when
 * the last weight reading it has been rounded, so a very wide model costs more calibration passes, not
 * more memory. Weights reading the same activation (attention's Q, K and V) share one factorization.
 */
final class Hessians {
    static final int BUDGET_MIB = 512;
    static final String BUDGET_PROPERTY = "squint.gptq.hessianMiB";
    private static final int TILE = 32;

    private final OnnxGraphEditor g;
    private final List<Map<String, HostTensor>> calibration;
    private final LinkedHashMap<String, Integer> widths;
    private final Map<String, Integer> readers;
    private final Map<String, double[]> hessians = new HashMap<>();
    private final Map<String, double[]> factors = new HashMap<>();
    private final Set<String> collected = new LinkedHashSet<>();
    private long tokens = -1;
    private int passes;
    private boolean masked;

    /**
     * @param widths  activation → its last axis K (the weight's rows), in graph order
     * @param readers activation → how many weights will ask for its factor
     */
    Hessians(OnnxGraphEditor g, List<Map<String, HostTensor>> calibration, LinkedHashMap<String, Integer> widths, Map<String, Integer> readers) {
        if (calibration.isEmpty()) throw new SquintException("GPTQ needs calibration data (--calibration FILE: text with --tokenizer, or .npy/.npz/.safetensors inputs)");
        this.g = g;
        this.calibration = calibration;
        this.widths = widths;
        this.readers = new HashMap<>(readers);
    }

    /**
     * The GPTQ plan for the weights of {@code nodes} (MatMul or Gemm, input 1 a 2-D float initializer that
     * the pass quantizes), or null when {@code o} does not ask for GPTQ.
     *
     * @throws SquintException when GPTQ is asked for without calibration data
     */
    static Hessians plan(OnnxGraphEditor g, OnnxQuantizeOptions o, List<dev.squint.formats.onnx.proto.NodeProto> nodes,
                         List<Map<String, HostTensor>> calibration) {
        if (!o.gptq()) return null;
        LinkedHashMap<String, Integer> widths = new LinkedHashMap<>();
        Map<String, Integer> readers = new HashMap<>();
        for (var n : nodes) {
            String a = n.getInput(0);
            if (g.isInitializer(a)) continue;
            long[] d = g.dims(n.getInput(1));
            boolean transB = n.getOpType().equals("Gemm") && OnnxGraphEditor.attrInt(n, "transB", 0) != 0;
            int k = (int) (transB ? d[1] : d[0]);
            Integer seen = widths.putIfAbsent(a, k);
            if (seen != null && seen != k) widths.put(a, -1); // read with two different widths: not a plain x·W input
            readers.merge(a, 1, Integer::sum);
        }
        // The factorization holds two K×K double matrices at once, and the Hessians of a group more: say so
        // up front rather than fail with an OutOfMemoryError half way.
        long heap = Runtime.getRuntime().maxMemory();
        for (var e : widths.entrySet()) {
            long need = 16L * e.getValue() * e.getValue();
            if (e.getValue() > 0 && need > heap / 2) {
                throw new SquintException(String.format(Locale.ROOT, "GPTQ: input '%s' has %d channels; its Hessian and factor need %,d MiB and "
                        + "the heap is %,d MiB; give Java more (SQUINT_JAVA_OPTS=-Xmx…) or quantize with --no-gptq",
                        e.getKey(), e.getValue(), need >> 20, heap >> 20));
            }
        }
        return new Hessians(g, calibration, widths, readers);
    }

    /** Whether the weight of {@code n} can be rounded with GPTQ (its input is an activation with a Hessian). */
    boolean covers(dev.squint.formats.onnx.proto.NodeProto n) {
        Integer k = widths.get(n.getInput(0));
        return k != null && k > 0;
    }

    /** Why {@link #covers} is false for {@code n}. */
    String whyNot(dev.squint.formats.onnx.proto.NodeProto n) {
        if (g.isInitializer(n.getInput(0))) return "GPTQ needs a computed input, input A is a constant";
        Integer k = widths.get(n.getInput(0));
        if (k == null) return "GPTQ was not planned for this node";
        return "GPTQ: input '" + n.getInput(0) + "' is read by weights of different widths";
    }

    /**
     * The GPTQ factor for a weight read through {@code activation}; {@code inputScales} (one per input
     * channel, or null) are smoothing factors the activation is divided by before the MatMul, which
     * scale H to {@code H[i,j] / (s_i·s_j)}.
     */
    double[] factor(String activation, float[] inputScales) {
        Integer k = widths.get(activation);
        if (k == null || k <= 0) throw new IllegalStateException("no Hessian planned for " + activation);
        double[] u = factors.get(activation);
        if (u == null) {
            if (!hessians.containsKey(activation)) collect(activation);
            double[] h = hessians.remove(activation);
            if (inputScales != null) {
                for (int i = 0; i < k; i++) for (int j = i; j < k; j++) h[i * k + j] /= (double) inputScales[i] * inputScales[j];
            }
            u = Gptq.inverseFactor(h, k);
            factors.put(activation, u);
        }
        if (readers.merge(activation, -1, Integer::sum) <= 0) factors.remove(activation);
        return u;
    }

    /** Calibration tokens each Hessian was summed over (the last group's count; every group sees the same data). */
    long tokens() { return tokens; }

    int passes() { return passes; }

    boolean masked() { return masked; }

    /** Runs the calibration data once and sums the Hessians of {@code first} and the activations after it that fit the budget. */
    private void collect(String first) {
        long budget = (long) Integer.getInteger(BUDGET_PROPERTY, BUDGET_MIB) << 20, used = 0;
        Map<String, double[]> group = new LinkedHashMap<>();
        boolean started = false;
        for (var e : widths.entrySet()) {
            if (e.getKey().equals(first)) started = true;
            if (!started || e.getValue() <= 0 || collected.contains(e.getKey())) continue;
            long bytes = 8L * e.getValue() * e.getValue();
            if (!group.isEmpty() && used + bytes > budget) break;
            group.put(e.getKey(), new double[e.getValue() * e.getValue()]);
            used += bytes;
        }
        long count = 0;
        try (ActivationProbe probe = new ActivationProbe(g, group.keySet())) {
            for (Map<String, HostTensor> batch : calibration) {
                Map<String, OrtRunner.Output> acts = probe.run(batch);
                long batchTokens = -1;
                for (var e : group.entrySet()) {
                    OrtRunner.Output x = acts.get(e.getKey());
                    int k = widths.get(e.getKey());
                    if (x == null) throw new SquintException("GPTQ: ONNX Runtime did not return activation '" + e.getKey() + "'");
                    long[] shape = x.shape();
                    if (shape.length == 0 || shape[shape.length - 1] != k) {
                        throw new SquintException("GPTQ: activation '" + e.getKey() + "' has shape " + java.util.Arrays.toString(shape)
                                + ", its MatMul weight expects a last axis of " + k);
                    }
                    long[] mask = mask(batch, shape);
                    if (mask != null) masked = true;
                    long t = accumulate(e.getValue(), x.values(), k, mask);
                    batchTokens = Math.max(batchTokens, t);
                }
                count += Math.max(0, batchTokens);
            }
        }
        passes++;
        tokens = count;
        for (var e : group.entrySet()) {
            double[] h = e.getValue();
            int k = widths.get(e.getKey());
            for (int i = 0; i < k; i++) for (int j = i; j < k; j++) h[i * k + j] *= 2;
            hessians.put(e.getKey(), h);
            collected.add(e.getKey());
        }
    }

    /** The batch's attention mask flattened over the activation's first two axes, or null when there is none that fits. */
    static long[] mask(Map<String, HostTensor> batch, long[] activationShape) {
        if (activationShape.length != 3) return null;
        for (HostTensor t : batch.values()) {
            if (t.elemType() != OnnxGraphEditor.INT64 || t.shape().length != 2 || !t.name().toLowerCase(Locale.ROOT).contains("mask")) continue;
            if (t.shape()[0] != activationShape[0] || t.shape()[1] != activationShape[1]) continue;
            long[] m = new long[(int) (t.shape()[0] * t.shape()[1])];
            for (int i = 0; i < m.length; i++) m[i] = t.data().getLong(i * 8);
            return m;
        }
        return null;
    }

    /**
     * Adds {@code Σ xᵀx} over the rows of {@code x} ([T, k], T = x.length / k) to the upper triangle of
     * {@code h}, skipping rows whose {@code mask} entry is 0. Tokens go in tiles so that a row of H stays in
     * cache while a tile's tokens update it; rows of H are split among threads (each row's sums keep their
     * order, so the result does not depend on the split). Returns the tokens counted.
     */
    static long accumulate(double[] h, float[] x, int k, long[] mask) {
        int rows = x.length / k;
        double[][] tile = new double[TILE][k];
        long counted = 0;
        int filled = 0;
        for (int r = 0; r <= rows; r++) {
            if (r < rows) {
                if (mask != null && mask[r] == 0) continue;
                double[] dst = tile[filled++];
                for (int i = 0; i < k; i++) dst[i] = x[r * k + i];
                counted++;
                if (filled < TILE) continue;
            }
            if (filled == 0) continue;
            int n = filled, workers = Math.max(1, Math.min(Runtime.getRuntime().availableProcessors(), k / 64));
            IntStream.range(0, workers).parallel().forEach(p -> {
                for (int i = p; i < k; i += workers) {
                    int rowH = i * k;
                    int t = 0;
                    // Four tokens per sweep of the row: one load and store of H per four multiply-adds.
                    for (; t + 4 <= n; t += 4) {
                        double[] x0 = tile[t], x1 = tile[t + 1], x2 = tile[t + 2], x3 = tile[t + 3];
                        double a0 = x0[i], a1 = x1[i], a2 = x2[i], a3 = x3[i];
                        for (int j = i; j < k; j++) h[rowH + j] += a0 * x0[j] + a1 * x1[j] + a2 * x2[j] + a3 * x3[j];
                    }
                    for (; t < n; t++) {
                        double[] xt = tile[t];
                        double a = xt[i];
                        for (int j = i; j < k; j++) h[rowH + j] += a * xt[j];
                    }
                }
            });
            filled = 0;
        }
        return counted;
    }

    /** One line for the report. */
    String describe(int weights) {
        return String.format(Locale.ROOT, "GPTQ on %d weight(s): H = 2·XᵀX of %d activation(s) over %,d calibration tokens (%d batch(es)%s, %d pass(es)), "
                        + "damping %.0f%% of the mean diagonal, blocks of %d rows", weights, collected.size(), tokens, calibration.size(),
                masked ? ", padding left out" : "", passes, Gptq.DAMP * 100, Gptq.BLOCK);
    }
}
