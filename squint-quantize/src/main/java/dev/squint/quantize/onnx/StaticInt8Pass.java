package dev.squint.quantize.onnx;

import dev.squint.formats.onnx.proto.NodeProto;
import dev.squint.formats.onnx.proto.ValueInfoProto;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.squint.quantize.onnx.OnnxGraphEditor.FLOAT;
import static dev.squint.quantize.onnx.OnnxGraphEditor.INT8;
import static dev.squint.quantize.onnx.OnnxGraphEditor.UINT8;
import static dev.squint.quantize.onnx.OnnxGraphEditor.intAttr;
import static dev.squint.quantize.onnx.OnnxGraphEditor.node;

/**
 * Static INT8 (post-training quantization) in QDQ form: QuantizeLinear/DequantizeLinear pairs on the
 * activations around each quantized node, with ranges from calibration data run through ONNX Runtime
 * (a copy of the graph that also outputs every such activation), and int8 weights behind
 * DequantizeLinear. ONNX Runtime's CPU provider fuses the QDQ patterns into QLinearConv,
 * QLinearMatMul, QLinearAdd, ... and runs whatever it does not fuse as float, so everything emitted
 * executes there (no ConvInteger).
 *
 * <p>Activations are uint8 asymmetric; weights int8 symmetric, per output channel when asked and the
 * opset is at least 13 (DequantizeLinear's axis); Conv and Gemm biases int32 with scale
 * s<sub>x</sub>·s<sub>w</sub>. Activations whose calibrated range is wider than
 * {@value #MAX_RANGE} (attention masks of -3.4e38, say) are not quantized and their nodes stay float.
 */
final class StaticInt8Pass {
    private StaticInt8Pass() {}

    static final float MAX_RANGE = 1e5f;
    static final Set<String> OPS = Set.of("Conv", "MatMul", "Gemm", "Add", "Mul", "Relu", "MaxPool", "AveragePool", "GlobalAveragePool");

    /**
     * Quantized only when --include names them: on all-MiniLM-L6-v2 (min-max, 16 sentences) the mean
     * embedding cosine to FP32 was 0.857 with Add and Mul in QDQ and 0.966 without.
     */
    static final Set<String> OPT_IN = Set.of("Add", "Mul");

    record QParams(float scale, int zeroPoint) {}

    static void run(OnnxGraphEditor g, OnnxQuantizeOptions o, List<Map<String, HostTensor>> calibration, OnnxQuantizeReport report) {
        Map<String, Integer> types = g.elementTypes();
        boolean perChannel = o.perChannel() && g.opset() >= 13;
        if (o.perChannel() && !perChannel) {
            String veto = OpsetUpgrade.veto(g);
            if (veto == null) {
                report.note("opset " + g.opset() + " raised to 13 for per-channel weights (DequantizeLinear axis)");
                OpsetUpgrade.to13(g);
                perChannel = true;
            } else {
                report.note("per-channel weights need opset 13 and the model has opset " + g.opset() + " (" + veto + "), so weights are per tensor");
            }
        }
        g.requireOpset("", 10);

        // 1. Candidate nodes and the activations they need.
        Map<Integer, List<String>> needs = new LinkedHashMap<>();
        Set<String> activations = new LinkedHashSet<>();
        for (int i = 0; i < g.nodes.size(); i++) {
            NodeProto n = g.nodes.get(i);
            if (!n.getDomain().isEmpty() || !OPS.contains(n.getOpType())) continue;
            String veto = o.selectionVeto(n.getName(), n.getOpType());
            if (veto == null && OPT_IN.contains(n.getOpType()) && !o.includeNodes().contains(n.getOpType()) && !o.includeNodes().contains(n.getName())) {
                veto = n.getOpType() + " stays float unless named in --include (residual and normalisation arithmetic loses most under static int8)";
            }
            if (veto == null) veto = structureVeto(g, n, types);
            if (veto != null) { report.keptFloat(n.getName(), n.getOpType(), veto); continue; }
            List<String> acts = new ArrayList<>();
            for (int k = 0; k < inputsToQuantize(n); k++) {
                String in = n.getInput(k);
                if (!g.isInitializer(in)) acts.add(in);
            }
            acts.add(n.getOutput(0));
            needs.put(i, acts);
            activations.addAll(acts);
        }
        if (needs.isEmpty()) { report.note("no node could be statically quantized"); return; }

        // 2. Calibrate.
        Map<String, ActivationRanges> stats = calibrate(g, activations, calibration, o.calibrator() != OnnxQuantizeOptions.Calibrator.MIN_MAX);
        Map<String, QParams> qp = new HashMap<>();
        Map<String, String> tooWide = new HashMap<>();
        for (String a : activations) {
            ActivationRanges r = stats.get(a);
            if (r == null || r.count == 0) { tooWide.put(a, "activation '" + a + "' was not observed in calibration"); continue; }
            if (!Float.isFinite(r.min) || !Float.isFinite(r.max) || r.absMax() > MAX_RANGE) {
                tooWide.put(a, "activation '" + a + "' ranges over [" + r.min + ", " + r.max + "], too wide for 8 bits");
                continue;
            }
            float[] range = r.range(o.calibrator());
            float scale = range[1] > range[0] ? (range[1] - range[0]) / 255f : 1f;
            int zp = WeightQuant.clamp((int) Math.rint(-range[0] / scale), 0, 255);
            qp.put(a, new QParams(scale, zp));
        }
        Set<Integer> quantized = new HashSet<>();
        for (var e : needs.entrySet()) {
            NodeProto n = g.nodes.get(e.getKey());
            String why = null;
            for (String a : e.getValue()) if (tooWide.containsKey(a)) { why = tooWide.get(a); break; }
            if (why != null) report.keptFloat(n.getName(), n.getOpType(), why);
            else quantized.add(e.getKey());
        }
        Set<String> used = new HashSet<>();
        for (int i : quantized) used.addAll(needs.get(i));

        // 3. Emit QDQ.
        Map<String, String> dq = new HashMap<>();
        Set<String> fusedOutputs = new HashSet<>();
        Set<String> graphOutputs = g.graphOutputNames();
        for (int i : o.fuseQdq() ? quantized : Set.<Integer>of()) {
            String y = g.nodes.get(i).getOutput(0);
            if (!graphOutputs.contains(y)) fusedOutputs.add(y);
        }
        List<NodeProto> out = new ArrayList<>();
        for (ValueInfoProto in : g.inputs()) if (used.contains(in.getName())) emitQdq(g, in.getName(), qp.get(in.getName()), out, dq);
        for (int i = 0; i < g.nodes.size(); i++) {
            NodeProto n = g.nodes.get(i);
            if (quantized.contains(i)) {
                out.add(rewrite(g, n, perChannel, qp, dq, out, report));
            } else if (n.getOpType().equals("Gather") && n.getDomain().isEmpty() && o.selectionVeto(n.getName(), "Gather") == null
                    && DynamicInt8Pass.gatherVeto(g, n) == null) {
                // Embedding tables: weight-only int8 with per-column scales (no activation to calibrate).
                DynamicInt8Pass.gather(g, o.withPerChannel(true), n, out, report);
            } else {
                // Float readers of a quantized node's output read its DequantizeLinear too: ONNX Runtime fuses
                // DQ → op → Q into one QLinear op only when Q is the op's sole reader.
                NodeProto.Builder b = null;
                for (int k = 0; k < n.getInputCount(); k++) {
                    String d = fusedOutputs.contains(n.getInput(k)) ? dq.get(n.getInput(k)) : null;
                    if (d == null) continue;
                    if (b == null) b = n.toBuilder();
                    b.setInput(k, d);
                }
                out.add(b == null ? n : b.build());
            }
            for (String y : n.getOutputList()) if (used.contains(y)) emitQdq(g, y, qp.get(y), out, dq);
        }
        g.nodes.clear();
        g.nodes.addAll(out);
        g.removeUnusedInitializers();
    }

    /** How many leading inputs are quantized (weights and activations); a bias beyond them is handled apart. */
    private static int inputsToQuantize(NodeProto n) {
        return switch (n.getOpType()) {
            case "Conv", "Gemm", "MatMul", "Add", "Mul" -> Math.min(2, n.getInputCount());
            default -> 1;
        };
    }

    private static String structureVeto(OnnxGraphEditor g, NodeProto n, Map<String, Integer> types) {
        for (int k = 0; k < Math.min(inputsToQuantize(n), n.getInputCount()); k++) {
            String in = n.getInput(k);
            if (!Integer.valueOf(FLOAT).equals(types.get(in))) return "input '" + in + "' is not float32";
        }
        if (!Integer.valueOf(FLOAT).equals(types.get(n.getOutput(0)))) return "output is not float32";
        if (g.isInitializer(n.getInput(0)) && !n.getOpType().equals("Add") && !n.getOpType().equals("Mul")) return "first input is a constant";
        switch (n.getOpType()) {
            case "Conv" -> { if (!g.isInitializer(n.getInput(1))) return "Conv weight is not a constant"; }
            case "Gemm" -> {
                if (OnnxGraphEditor.attrInt(n, "transA", 0) != 0) return "Gemm with transA=1";
                if (OnnxGraphEditor.attrFloat(n, "alpha", 1f) != 1f || OnnxGraphEditor.attrFloat(n, "beta", 1f) != 1f) return "Gemm with alpha or beta != 1";
            }
            case "MatMul" -> { if (g.isInitializer(n.getInput(1)) && g.dims(n.getInput(1)).length != 2) return "MatMul weight is not 2-D"; }
            default -> { }
        }
        if (n.getOutputCount() > 1 && n.getOpType().equals("MaxPool") && !n.getOutput(1).isEmpty()) return "MaxPool with indices output";
        return null;
    }

    private static void emitQdq(OnnxGraphEditor g, String t, QParams p, List<NodeProto> out, Map<String, String> dq) {
        String s = g.addFloats(g.unique(t + "_scale"), new long[0], new float[] {p.scale()});
        String z = g.addBytes(g.unique(t + "_zero_point"), UINT8, new long[0], new byte[] {(byte) p.zeroPoint()});
        String q = g.unique(t + "_QuantizeLinear_Output");
        String d = g.unique(t + "_DequantizeLinear_Output");
        out.add(node("QuantizeLinear", g.unique(t + "_QuantizeLinear"), List.of(t, s, z), List.of(q)));
        out.add(node("DequantizeLinear", g.unique(t + "_DequantizeLinear"), List.of(q, s, z), List.of(d)));
        dq.put(t, d);
    }

    private static NodeProto rewrite(OnnxGraphEditor g, NodeProto n, boolean perChannel, Map<String, QParams> qp, Map<String, String> dq,
                                     List<NodeProto> out, OnnxQuantizeReport report) {
        NodeProto.Builder b = n.toBuilder();
        String op = n.getOpType();
        float[] weightScales = null;
        int weightAxisLen = 0;
        for (int k = 0; k < Math.min(inputsToQuantize(n), n.getInputCount()); k++) {
            String in = n.getInput(k);
            if (!g.isInitializer(in)) { b.setInput(k, dq.get(in)); continue; }
            long[] d = g.dims(in);
            float[] w = g.floats(in);
            boolean weight = k == 1 && (op.equals("Conv") || op.equals("MatMul") || op.equals("Gemm"));
            int rows, cols, axis;
            if (op.equals("Conv")) { rows = (int) d[0]; cols = w.length / Math.max(1, rows); axis = 0; }
            else if (weight && op.equals("Gemm") && OnnxGraphEditor.attrInt(n, "transB", 0) != 0) { rows = (int) d[0]; cols = (int) d[1]; axis = 0; }
            else if (weight) { rows = (int) d[0]; cols = (int) d[1]; axis = 1; }
            else { rows = 1; cols = w.length; axis = 1; }
            boolean pc = weight && perChannel;
            WeightQuant.Result q = weight
                    ? WeightQuant.quantize(w, rows, cols, pc, axis, true, false)
                    : WeightQuant.quantize(w, rows, cols, false, 0, false, false); // constant operand of Add/Mul: uint8 like activations
            int type = q.signed() ? INT8 : UINT8;
            String qn = g.addBytes(g.unique(in + "_quantized"), type, d, q.q());
            long[] pd = pc ? new long[] {q.scales().length} : new long[0];
            String sn = g.addFloats(g.unique(in + "_scale"), pd, q.scales());
            String zn = g.addBytes(g.unique(in + "_zero_point"), type, pd, q.zeroPoints());
            String dn = g.unique(in + "_DequantizeLinear_Output");
            NodeProto.Builder dqn = node("DequantizeLinear", g.unique(in + "_DequantizeLinear"), List.of(qn, sn, zn), List.of(dn)).toBuilder();
            if (pc) dqn.addAttribute(intAttr("axis", axis));
            out.add(dqn.build());
            b.setInput(k, dn);
            if (weight) { weightScales = q.scales(); weightAxisLen = pc ? q.scales().length : 1; }
        }
        // Bias of Conv/Gemm: int32 with scale s_x * s_w.
        if ((op.equals("Conv") || op.equals("Gemm")) && n.getInputCount() > 2 && g.isInitializer(n.getInput(2)) && weightScales != null
                && g.dims(n.getInput(2)).length == 1) {
            String bias = n.getInput(2);
            float[] bv = g.floats(bias);
            float sx = qp.get(n.getInput(0)).scale();
            if (weightAxisLen == 1 || weightAxisLen == bv.length) {
                float[] bs = new float[weightAxisLen];
                for (int c = 0; c < weightAxisLen; c++) bs[c] = sx * weightScales[c];
                int[] bq = new int[bv.length];
                for (int c = 0; c < bv.length; c++) {
                    double v = Math.rint(bv[c] / bs[weightAxisLen == 1 ? 0 : c]);
                    bq[c] = (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, v));
                }
                String qn = g.addInts(g.unique(bias + "_quantized"), new long[] {bv.length}, bq);
                String sn = g.addFloats(g.unique(bias + "_scale"), weightAxisLen == 1 ? new long[0] : new long[] {weightAxisLen}, bs);
                String dn = g.unique(bias + "_DequantizeLinear_Output");
                NodeProto.Builder dqn = node("DequantizeLinear", g.unique(bias + "_DequantizeLinear"), List.of(qn, sn), List.of(dn)).toBuilder();
                if (weightAxisLen > 1) dqn.addAttribute(intAttr("axis", 0));
                out.add(dqn.build());
                b.setInput(2, dn);
            }
        }
        report.quantized(n.getName(), op, "QDQ uint8 activations" + (weightScales != null ? ", int8 weights "
                + (weightAxisLen > 1 ? "per channel" : "per tensor") : ""));
        return b.build();
    }

    /** Runs the calibration batches through a copy of the graph that outputs every activation in {@code names}. */
    private static Map<String, ActivationRanges> calibrate(OnnxGraphEditor g, Set<String> names, List<Map<String, HostTensor>> batches,
                                                           boolean histograms) {
        Map<String, ActivationRanges> stats = new HashMap<>();
        try (ActivationProbe probe = new ActivationProbe(g, names)) {
            for (Map<String, HostTensor> batch : batches) {
                for (var e : probe.run(batch).entrySet()) stats.computeIfAbsent(e.getKey(), k -> new ActivationRanges()).observe(e.getValue().values());
            }
            if (histograms) {
                for (Map<String, HostTensor> batch : batches) {
                    for (var e : probe.run(batch).entrySet()) stats.get(e.getKey()).histogram(e.getValue().values());
                }
            }
        }
        return stats;
    }
}
