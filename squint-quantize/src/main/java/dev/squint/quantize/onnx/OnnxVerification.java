package dev.squint.quantize.onnx;

import ai.onnxruntime.OnnxJavaType;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A quantized model checked against its original in ONNX Runtime: it loads, its outputs keep the
 * original names, types and shapes, how close its outputs are, and how fast it runs.
 *
 * @param problems  interface differences (missing or renamed outputs, other types or shapes); empty if none
 * @param fidelity  per float output: cosine, max abs error, top-1 agreement
 * @param originalMs / quantizedMs median milliseconds per run over the verification batches
 */
public record OnnxVerification(List<String> problems, Map<String, OutputFidelity> fidelity, double originalMs, double quantizedMs,
                               long samplesPerRun) {

    /**
     * @param cosine      mean over samples (first axis) of the cosine between original and quantized values
     * @param minCosine   the worst sample's cosine
     * @param maxAbsError largest absolute difference
     * @param top1        fraction of rows whose arg-max agrees, for outputs of rank 2 (classifier-like); NaN otherwise
     */
    public record OutputFidelity(double cosine, double minCosine, double maxAbsError, double top1) {}

    public double worstCosine() {
        return fidelity.values().stream().mapToDouble(OutputFidelity::cosine).min().orElse(Double.NaN);
    }

    public boolean slower() { return quantizedMs > originalMs; }

    public double throughputOriginal() { return samplesPerRun * 1000.0 / originalMs; }

    public double throughputQuantized() { return samplesPerRun * 1000.0 / quantizedMs; }

    /**
     * Runs both models on {@code batches} ({@code timedRuns} timed passes over them after a warm-up). The
     * models are loaded one after the other, never both at once, so that a large model and its quantized
     * copy need not fit in memory together; only their outputs are kept.
     */
    public static OnnxVerification check(Path original, Path quantized, List<Map<String, HostTensor>> batches, int timedRuns) {
        List<String> problems = new ArrayList<>();
        Map<String, Acc> acc = new LinkedHashMap<>();
        List<Map<String, OrtRunner.Output>> expected = new ArrayList<>();
        List<String> originalOutputs, originalInputs;
        double origMs, quantMs;
        try (OrtRunner a = new OrtRunner(original)) {
            originalOutputs = a.outputNames();
            originalInputs = a.inputNames();
            for (Map<String, HostTensor> batch : batches) expected.add(a.run(batch));
            origMs = time(a, batches, timedRuns);
        }
        try (OrtRunner b = new OrtRunner(quantized)) {
            if (!originalOutputs.equals(b.outputNames())) problems.add("outputs " + b.outputNames() + " differ from the original's " + originalOutputs);
            if (!new java.util.HashSet<>(originalInputs).equals(new java.util.HashSet<>(b.inputNames()))) {
                problems.add("inputs " + b.inputNames() + " differ from the original's " + originalInputs);
            }
            for (int i = 0; i < batches.size(); i++) {
                Map<String, OrtRunner.Output> ra = expected.get(i);
                Map<String, OrtRunner.Output> rb = b.run(batches.get(i));
                for (var e : ra.entrySet()) {
                    OrtRunner.Output x = e.getValue(), y = rb.get(e.getKey());
                    if (y == null) continue;
                    if (x.type() != y.type()) { problems.add("output '" + e.getKey() + "' is " + y.type() + ", was " + x.type()); continue; }
                    if (!Arrays.equals(x.shape(), y.shape())) {
                        problems.add("output '" + e.getKey() + "' has shape " + Arrays.toString(y.shape()) + ", was " + Arrays.toString(x.shape()));
                        continue;
                    }
                    if (x.type() == OnnxJavaType.FLOAT || x.type() == OnnxJavaType.FLOAT16 || x.type() == OnnxJavaType.DOUBLE) {
                        acc.computeIfAbsent(e.getKey(), k -> new Acc()).add(x, y);
                    }
                }
            }
            quantMs = time(b, batches, timedRuns);
        }
        Map<String, OutputFidelity> fid = new LinkedHashMap<>();
        acc.forEach((k, v) -> fid.put(k, v.result()));
        long samples = batches.isEmpty() ? 0 : batches.getFirst().values().iterator().next().shape().length == 0 ? 1
                : batches.getFirst().values().iterator().next().shape()[0];
        return new OnnxVerification(problems.stream().distinct().toList(), fid, origMs, quantMs, samples);
    }

    private static double time(OrtRunner r, List<Map<String, HostTensor>> batches, int runs) {
        Map<String, HostTensor> first = batches.getFirst();
        r.run(first); // warm-up
        double[] ms = new double[Math.max(1, runs)];
        for (int i = 0; i < ms.length; i++) {
            long t0 = System.nanoTime();
            r.run(first);
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        Arrays.sort(ms);
        return ms[ms.length / 2];
    }

    private static final class Acc {
        double cosSum, minCos = 1, maxAbs;
        long samples, rows, agree;
        boolean rank2 = true;

        void add(OrtRunner.Output x, OrtRunner.Output y) {
            long[] s = x.shape();
            int n0 = s.length == 0 ? 1 : (int) Math.max(1, s[0]);
            int per = x.values().length / n0;
            rank2 &= s.length == 2;
            for (int i = 0; i < n0; i++) {
                double dot = 0, na = 0, nb = 0;
                int am = 0, bm = 0;
                for (int j = 0; j < per; j++) {
                    float a = x.values()[i * per + j], b = y.values()[i * per + j];
                    dot += (double) a * b;
                    na += (double) a * a;
                    nb += (double) b * b;
                    maxAbs = Math.max(maxAbs, Math.abs(a - b));
                    if (a > x.values()[i * per + am]) am = j;
                    if (b > y.values()[i * per + bm]) bm = j;
                }
                double cos = na == 0 && nb == 0 ? 1 : dot / Math.sqrt(na * nb);
                if (Double.isNaN(cos)) cos = 0;
                cosSum += cos;
                minCos = Math.min(minCos, cos);
                samples++;
                rows++;
                if (am == bm) agree++;
            }
        }

        OutputFidelity result() {
            return new OutputFidelity(cosSum / Math.max(1, samples), minCos, maxAbs, rank2 ? (double) agree / rows : Double.NaN);
        }
    }
}
