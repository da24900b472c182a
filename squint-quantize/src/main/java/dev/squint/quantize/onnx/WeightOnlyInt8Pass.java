package dev.squint.quantize.onnx;

import dev.squint.formats.onnx.proto.NodeProto;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static dev.squint.quantize.onnx.OnnxGraphEditor.FLOAT;
import static dev.squint.quantize.onnx.OnnxGraphEditor.INT8;
import static dev.squint.quantize.onnx.OnnxGraphEditor.intAttr;
import static dev.squint.quantize.onnx.OnnxGraphEditor.node;

/**
 * Weight-only INT8: the constant weight of MatMul and Gemm is stored as int8 and dequantized in
 * the graph; the activations and the matrix product stay float.
 * <pre>
 *   MatMul(A, W)  →  DequantizeLinear(Wq int8, scale[, axis]) → W' float → MatMul(A, W')
 * </pre>
 * Symmetric (no zero point, so int8 0 is float 0), {@code scale = absmax / 127} per output channel:
 * axis 1 of a MatMul weight [K, N] and of a Gemm B [K, N]; axis 0 of a Gemm B stored transposed
 * ([N, K], transB = 1). Per-axis DequantizeLinear needs opset 13 (ONNX Runtime's CPU provider runs
 * int8 → float DequantizeLinear with {@code axis} from opset 13 on); an older graph is raised to 13 as
 * for static INT8, or, when it cannot be (subgraphs), gets per-tensor scales. A weight read by several
 * nodes is stored once. Embedding Gathers get int8 tables with per-column scales, as in dynamic INT8.
 *
 * <p>What this buys: a file about a quarter the size with the float model's arithmetic. ONNX Runtime
 * keeps DequantizeLinear on constants out of constant folding (QDQ-aware optimisation), so the weight is
 * dequantized on every run; the result is not faster than FP32 and may be a little slower.
 */
final class WeightOnlyInt8Pass {
    private WeightOnlyInt8Pass() {}

    static void run(OnnxGraphEditor g, OnnxQuantizeOptions o, List<Map<String, HostTensor>> calibration, OnnxQuantizeReport report) {
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
        g.requireOpset("", 10); // DequantizeLinear
        // GPTQ rounds a weight for the inputs it multiplies; a weight stored once for readers of different
        // inputs is rounded to nearest.
        List<NodeProto> chosen = new ArrayList<>();
        Map<String, java.util.Set<String>> inputsOf = new HashMap<>();
        for (NodeProto n : g.nodes) {
            String op = n.getOpType();
            if (!n.getDomain().isEmpty() || !(op.equals("MatMul") || op.equals("Gemm"))) continue;
            if (o.selectionVeto(n.getName(), op) != null || weightVeto(g, n) != null) continue;
            chosen.add(n);
            inputsOf.computeIfAbsent(n.getInput(1), x -> new java.util.HashSet<>()).add(n.getInput(0));
        }
        chosen.removeIf(n -> inputsOf.get(n.getInput(1)).size() > 1);
        Hessians gptq = Hessians.plan(g, o, chosen, calibration);
        int rounded = 0;
        List<NodeProto> out = new ArrayList<>(g.nodes.size() + 64);
        Map<String, String> dequantized = new HashMap<>(); // weight name + axis -> DequantizeLinear output
        for (NodeProto n : g.nodes) {
            String op = n.getOpType();
            boolean candidate = n.getDomain().isEmpty() && (op.equals("MatMul") || op.equals("Gemm") || op.equals("Gather"));
            if (!candidate) {
                out.add(n);
                continue;
            }
            String veto = o.selectionVeto(n.getName(), op);
            if (veto == null) veto = op.equals("Gather") ? DynamicInt8Pass.gatherVeto(g, n) : weightVeto(g, n);
            if (veto != null) {
                report.keptFloat(n.getName(), op, veto);
                out.add(n);
                continue;
            }
            if (op.equals("Gather")) {
                DynamicInt8Pass.gather(g, o.withPerChannel(true), n, out, report);
                continue;
            }
            String wName = n.getInput(1);
            long[] d = g.dims(wName);
            int axis = op.equals("Gemm") && OnnxGraphEditor.attrInt(n, "transB", 0) != 0 ? 0 : 1;
            String key = wName + "\u0000" + (perChannel ? axis : -1);
            String dq = dequantized.get(key);
            boolean withGptq = gptq != null && gptq.covers(n) && inputsOf.get(wName).size() == 1;
            if (dq == null) {
                dq = dequantize(g, wName, d, perChannel, axis, withGptq ? n.getInput(0) : null, gptq, out);
                dequantized.put(key, dq);
                if (withGptq) rounded++;
            }
            String how = !withGptq && gptq != null
                    ? ", round to nearest (" + (inputsOf.get(wName).size() > 1 ? "GPTQ: the weight is shared by readers of different inputs" : gptq.whyNot(n)) + ")"
                    : withGptq ? ", GPTQ" : "";
            out.add(n.toBuilder().setInput(1, dq).build());
            report.quantized(n.getName(), op, "int8 weights " + (perChannel ? "per channel (axis " + axis + ")" : "per tensor")
                    + how + ", DequantizeLinear → float " + op + " [" + d[0] + "x" + d[1] + "]");
        }
        if (gptq != null) report.note(gptq.describe(rounded));
        g.nodes.clear();
        g.nodes.addAll(out);
        g.removeUnusedInitializers();
    }

    /** Why the weight of MatMul/Gemm {@code n} is not stored as int8, or null if it can be. */
    static String weightVeto(OnnxGraphEditor g, NodeProto n) {
        if (n.getInputCount() < 2) return "malformed: fewer than 2 inputs";
        String w = n.getInput(1);
        if (!g.isInitializer(w)) return "weight '" + w + "' is not a constant initializer";
        if (g.initializers.get(w).getDataType() != FLOAT) return "weight '" + w + "' is not float32";
        if (g.dims(w).length != 2) return "weight '" + w + "' is not 2-D";
        return null;
    }

    /** @param activation the input the weight multiplies, to round with GPTQ for; null: round to nearest */
    private static String dequantize(OnnxGraphEditor g, String wName, long[] d, boolean perChannel, int axis, String activation, Hessians gptq,
                                     List<NodeProto> out) {
        int rows = (int) d[0], cols = (int) d[1];
        float[] w = g.floats(wName);
        WeightQuant.Result q = WeightQuant.quantize(w, rows, cols, perChannel, axis, true, false);
        byte[] codes = q.q();
        if (activation != null) {
            // GPTQ runs over the input axis K: a Gemm B stored [N, K] (axis 0) is rounded as its transpose.
            boolean transposed = axis == 0;
            int k = transposed ? cols : rows, n = transposed ? rows : cols;
            float[] wk = transposed ? WeightQuant.transpose(w, rows, cols) : w;
            WeightQuant.Result qk = transposed ? WeightQuant.quantize(wk, k, n, perChannel, 1, true, false) : q;
            Gptq.Int8Grid grid = new Gptq.Int8Grid(qk, k, n, false);
            Gptq.round(wk, k, n, gptq.factor(activation, null), grid, Runtime.getRuntime().availableProcessors());
            codes = grid.codes();
            if (transposed) {
                byte[] back = new byte[codes.length];
                for (int r = 0; r < k; r++) for (int c = 0; c < n; c++) back[c * k + r] = codes[r * n + c];
                codes = back;
            }
        }
        String qName = g.addBytes(g.unique(wName + "_int8"), INT8, d, codes);
        String sName = g.addFloats(g.unique(wName + "_scale"), perChannel ? new long[] {q.scales().length} : new long[0], q.scales());
        String y = g.unique(wName + "_dequantized");
        NodeProto.Builder dq = node("DequantizeLinear", g.unique(wName + "_DequantizeLinear"), List.of(qName, sName), List.of(y)).toBuilder();
        if (perChannel) dq.addAttribute(intAttr("axis", axis));
        out.add(dq.build());
        return y;
    }
}
