package dev.squint.quantize.onnx;

import dev.squint.formats.onnx.proto.AttributeProto;
import dev.squint.formats.onnx.proto.NodeProto;
import dev.squint.formats.onnx.proto.TensorProto;

import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.squint.quantize.onnx.OnnxGraphEditor.FLOAT;
import static dev.squint.quantize.onnx.OnnxGraphEditor.node;

/**
 * SmoothQuant (Xiao et al., 2023) for dynamic INT8: per-tensor activation quantization loses most
 * where a few input channels of a MatMul carry values far larger than the rest (transformers' outlier
 * features), because those channels set the scale for every value. With
 * {@code s_j = max|X_j|^α / max|W_j,:|^(1-α)} over the calibration data, {@code X·W = (X / s)·(s·W)}
 * exactly in float; the divided activation has flatter channels and the multiplied weight rows absorb
 * the range, which per-channel weight scales handle.
 *
 * <p>The division is folded into the activation's producer when that is a Mul by a constant (scalar or
 * one value per channel) read by nothing but the smoothed nodes, as the last Mul of an exported GELU is;
 * otherwise one Mul by 1/s is inserted in front of the quantized readers (other readers, such as a
 * residual Add, keep the original activation).
 */
final class Smoothing {
    static final Smoothing NONE = new Smoothing(Map.of(), Map.of());

    /** activation → s (one per input channel). */
    private final Map<String, float[]> factors;
    /** producer node output (= activation) → input index of its constant operand to divide by s. */
    private final Map<String, Integer> folds;
    private final Map<String, String> inserted = new HashMap<>();

    private Smoothing(Map<String, float[]> factors, Map<String, Integer> folds) {
        this.factors = factors;
        this.folds = folds;
    }

    float[] factors(String activation) { return factors.get(activation); }

    /**
     * @param vetoes node index → "" for a node that will be quantized, the reason otherwise (MatMul, Gemm
     *               and Gather nodes only)
     */
    static Smoothing plan(OnnxGraphEditor g, float alpha, Map<Integer, String> vetoes, List<Map<String, HostTensor>> calibration,
                          OnnxQuantizeReport report) {
        // Activations read as input A by quantized MatMul/Gemm, with the weights' largest |w| per input channel.
        Map<String, float[]> weightMax = new LinkedHashMap<>();
        Map<String, Integer> readers = new HashMap<>();
        for (var e : vetoes.entrySet()) {
            NodeProto n = g.nodes.get(e.getKey());
            if (!e.getValue().isEmpty() || n.getOpType().equals("Gather")) continue;
            long[] d = g.dims(n.getInput(1));
            boolean transB = n.getOpType().equals("Gemm") && OnnxGraphEditor.attrInt(n, "transB", 0) != 0;
            int k = (int) (transB ? d[1] : d[0]), cols = (int) (transB ? d[0] : d[1]);
            float[] w = g.floats(n.getInput(1));
            float[] wm = weightMax.get(n.getInput(0));
            if (wm != null && wm.length != k) { weightMax.put(n.getInput(0), null); continue; }
            if (wm == null) {
                if (weightMax.containsKey(n.getInput(0))) continue; // already found inconsistent
                wm = new float[k];
                weightMax.put(n.getInput(0), wm);
            }
            for (int r = 0; r < k; r++) {
                for (int c = 0; c < cols; c++) {
                    float v = Math.abs(transB ? w[c * k + r] : w[r * cols + c]);
                    if (v > wm[r]) wm[r] = v;
                }
            }
            readers.merge(n.getInput(0), 1, Integer::sum);
        }
        weightMax.values().removeIf(v -> v == null);
        if (weightMax.isEmpty()) return NONE;
        Map<String, float[]> actMax = new HashMap<>();
        try (ActivationProbe probe = new ActivationProbe(g, weightMax.keySet())) {
            for (Map<String, HostTensor> batch : calibration) {
                for (var e : probe.run(batch).entrySet()) {
                    float[] wm = weightMax.get(e.getKey());
                    long[] shape = e.getValue().shape();
                    if (shape.length == 0 || shape[shape.length - 1] != wm.length) continue;
                    float[] am = actMax.computeIfAbsent(e.getKey(), x -> new float[wm.length]);
                    float[] v = e.getValue().values();
                    for (int i = 0; i < v.length; i++) {
                        float a = Math.abs(v[i]);
                        int ch = i % am.length;
                        if (a > am[ch]) am[ch] = a;
                    }
                }
            }
        }
        Map<String, float[]> factors = new LinkedHashMap<>();
        for (var e : actMax.entrySet()) {
            float[] wm = weightMax.get(e.getKey()), am = e.getValue(), s = new float[am.length];
            for (int j = 0; j < s.length; j++) {
                double f = am[j] > 0 && wm[j] > 0 ? Math.pow(am[j], alpha) / Math.pow(wm[j], 1 - alpha) : 1;
                s[j] = (float) Math.min(1e4, Math.max(1e-4, f));
            }
            factors.put(e.getKey(), s);
        }
        // Producers the division folds into.
        Map<String, List<Integer>> consumers = g.consumers();
        Set<String> graphOutputs = g.graphOutputNames();
        Map<String, Integer> folds = new HashMap<>();
        for (NodeProto n : g.nodes) {
            if (!n.getDomain().isEmpty() || !n.getOpType().equals("Mul") || n.getOutputCount() != 1) continue;
            String y = n.getOutput(0);
            float[] s = factors.get(y);
            if (s == null || graphOutputs.contains(y) || consumers.getOrDefault(y, List.of()).size() != readers.getOrDefault(y, 0)) continue;
            for (int k = 0; k < 2 && k < n.getInputCount(); k++) {
                float[] c = constant(g, n.getInput(k));
                if (c != null && (c.length == 1 || c.length == s.length)) {
                    folds.put(y, k);
                    break;
                }
            }
        }
        report.note(String.format(java.util.Locale.ROOT, "SmoothQuant α=%.2f on %d activations (%d folded into their producer, %d with an inserted Mul); "
                + "channel maxima from %d calibration batch(es)", alpha, factors.size(), folds.size(), factors.size() - folds.size(), calibration.size()));
        return new Smoothing(factors, folds);
    }

    /** Values of a float constant: an initializer or the output of a Constant node; null otherwise. */
    private static float[] constant(OnnxGraphEditor g, String name) {
        if (g.isInitializer(name)) return g.floats(name);
        for (NodeProto n : g.nodes) {
            if (!n.getOpType().equals("Constant") || !n.getOutputList().contains(name)) continue;
            for (AttributeProto a : n.getAttributeList()) {
                if (a.getName().equals("value_float")) return new float[] {a.getF()};
                if (a.hasT() && a.getT().getDataType() == FLOAT) {
                    TensorProto t = a.getT();
                    if (t.getFloatDataCount() > 0) {
                        float[] v = new float[t.getFloatDataCount()];
                        for (int i = 0; i < v.length; i++) v[i] = t.getFloatData(i);
                        return v;
                    }
                    MemorySegment seg = g.source.bytes(t);
                    float[] v = new float[(int) (seg.byteSize() / 4)];
                    MemorySegment.copy(seg, OnnxGraphEditor.F32, 0, v, 0, v.length);
                    return v;
                }
            }
        }
        return null;
    }

    /** {@code n}, or, if it produces a smoothed activation the division folds into, {@code n} with its constant divided by s. */
    NodeProto rewriteProducer(OnnxGraphEditor g, NodeProto n) {
        if (n.getOutputCount() != 1) return n;
        Integer k = folds.get(n.getOutput(0));
        if (k == null) return n;
        float[] s = factors.get(n.getOutput(0)), c = constant(g, n.getInput(k)), v = new float[s.length];
        for (int j = 0; j < s.length; j++) v[j] = c[c.length == 1 ? 0 : j] / s[j];
        String name = g.addFloats(g.unique(n.getInput(k) + "_smoothed"), new long[] {s.length}, v);
        return n.toBuilder().setInput(k, name).build();
    }

    /** The activation a quantized node reads: {@code a} itself, or {@code a / s} (the Mul emitted on first use). */
    String input(OnnxGraphEditor g, String a, List<NodeProto> out) {
        float[] s = factors.get(a);
        if (s == null || folds.containsKey(a)) return a;
        return inserted.computeIfAbsent(a, x -> {
            float[] inv = new float[s.length];
            for (int j = 0; j < s.length; j++) inv[j] = 1 / s[j];
            String invName = g.addFloats(g.unique(a + "_smoothing"), new long[] {s.length}, inv);
            String y = g.unique(a + "_smoothed");
            out.add(node("Mul", g.unique(a + "_smoothing_Mul"), List.of(a, invName), List.of(y)));
            return y;
        });
    }
}
