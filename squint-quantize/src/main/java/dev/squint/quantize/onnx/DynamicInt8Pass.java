package dev.squint.quantize.onnx;

import dev.squint.formats.onnx.proto.NodeProto;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static dev.squint.quantize.onnx.OnnxGraphEditor.FLOAT;
import static dev.squint.quantize.onnx.OnnxGraphEditor.INT8;
import static dev.squint.quantize.onnx.OnnxGraphEditor.UINT8;
import static dev.squint.quantize.onnx.OnnxGraphEditor.intAttr;
import static dev.squint.quantize.onnx.OnnxGraphEditor.node;

/**
 * Dynamic INT8, in the form onnxruntime.quantization's quantize_dynamic emits (opset 11):
 * <pre>
 *   MatMul(A, W)  →  DynamicQuantizeLinear(A) → (Aq u8, As, Azp)      (shared by every consumer of A)
 *                    MatMulInteger(Aq, Wq, Azp[, Wzp]) → int32 → Cast float → Mul(·, As × Ws) → Y
 * </pre>
 * Gemm with a constant B (transA = 0) becomes the same plus alpha folded into the scale and the bias
 * C added back in float. Gather of a constant 2-D table (embeddings) gathers int8 rows: per tensor
 * through DequantizeLinear, per channel with one scale per column (a broadcast Mul after a Cast).
 *
 * <p>Weights are int8 symmetric by default (u8×s8 is the kernel ONNX Runtime's CPU provider
 * accelerates); per channel means one scale per output column of W, which MatMulInteger's 1-D
 * {@code b_zero_point} and a broadcast Mul express.
 */
final class DynamicInt8Pass {
    private DynamicInt8Pass() {}

    static void run(OnnxGraphEditor g, OnnxQuantizeOptions o, List<Map<String, HostTensor>> calibration, OnnxQuantizeReport report) {
        if (g.opset() < 11) {
            report.note("opset " + g.opset() + " raised to 11 for DynamicQuantizeLinear");
        }
        g.requireOpset("", 11);
        Map<Integer, String> vetoes = new HashMap<>();
        for (int i = 0; i < g.nodes.size(); i++) {
            NodeProto n = g.nodes.get(i);
            String op = n.getOpType();
            if (!n.getDomain().isEmpty() || !(op.equals("MatMul") || op.equals("Gemm") || op.equals("Gather"))) continue;
            String veto = o.selectionVeto(n.getName(), op);
            if (veto == null) veto = switch (op) {
                case "MatMul", "Gemm" -> matmulVeto(g, n);
                default -> gatherVeto(g, n);
            };
            vetoes.put(i, veto == null ? "" : veto);
        }
        Smoothing smoothing = o.smoothing() > 0 ? Smoothing.plan(g, o.smoothing(), vetoes, calibration, report) : Smoothing.NONE;
        List<NodeProto> chosen = new ArrayList<>();
        for (int i = 0; i < g.nodes.size(); i++) {
            if ("".equals(vetoes.get(i)) && !g.nodes.get(i).getOpType().equals("Gather")) chosen.add(g.nodes.get(i));
        }
        Hessians gptq = Hessians.plan(g, o, chosen, calibration);
        int rounded = 0;
        List<NodeProto> out = new ArrayList<>(g.nodes.size() + 64);
        Map<String, String[]> dql = new HashMap<>(); // activation -> {q, scale, zp}
        for (int i = 0; i < g.nodes.size(); i++) {
            NodeProto n = g.nodes.get(i);
            String veto = vetoes.get(i);
            if (veto == null) {
                out.add(smoothing.rewriteProducer(g, n));
                continue;
            }
            if (!veto.isEmpty()) {
                report.keptFloat(n.getName(), n.getOpType(), veto);
                out.add(n);
                continue;
            }
            if (n.getOpType().equals("Gather")) gather(g, o, n, out, report);
            else if (matmul(g, o, n, smoothing.input(g, n.getInput(0), out), smoothing.factors(n.getInput(0)), gptq, out, dql, report)) rounded++;
        }
        if (gptq != null) report.note(gptq.describe(rounded));
        g.nodes.clear();
        g.nodes.addAll(out);
        if (smoothing != Smoothing.NONE) g.removeUnusedConstantNodes(); // constants the smoothing folded into new initializers
        g.removeUnusedInitializers();
    }

    static String matmulVeto(OnnxGraphEditor g, NodeProto n) {
        if (n.getInputCount() < 2) return "malformed: fewer than 2 inputs";
        String w = n.getInput(1);
        if (!g.isInitializer(w)) return "weight '" + w + "' is not a constant initializer";
        if (g.initializers.get(w).getDataType() != FLOAT) return "weight '" + w + "' is not float32";
        if (g.dims(w).length != 2) return "weight '" + w + "' is not 2-D";
        if (g.isInitializer(n.getInput(0))) return "input A is a constant";
        if (n.getOpType().equals("Gemm")) {
            if (OnnxGraphEditor.attrInt(n, "transA", 0) != 0) return "Gemm with transA=1";
            if (n.getInputCount() > 2 && !n.getInput(2).isEmpty() && OnnxGraphEditor.attrFloat(n, "beta", 1f) != 1f
                    && !g.isInitializer(n.getInput(2))) return "Gemm with beta != 1 on a computed bias";
        }
        return null;
    }

    static String gatherVeto(OnnxGraphEditor g, NodeProto n) {
        if (n.getInputCount() < 2) return "malformed: fewer than 2 inputs";
        String table = n.getInput(0);
        if (!g.isInitializer(table)) return "data is not a constant (not an embedding table)";
        if (g.initializers.get(table).getDataType() != FLOAT) return "table '" + table + "' is not float32";
        if (g.dims(table).length != 2) return "table '" + table + "' is not 2-D";
        if (OnnxGraphEditor.attrInt(n, "axis", 0) != 0) return "Gather on axis != 0";
        return null;
    }

    /**
     * @param a         the activation the node reads (its input A, or A divided by the smoothing factors)
     * @param rowScales smoothing factors to multiply the weight's rows (input channels) by, or null
     * @param gptq      GPTQ rounding when asked for, else null
     * @return whether the weight was rounded with GPTQ
     */
    private static boolean matmul(OnnxGraphEditor g, OnnxQuantizeOptions o, NodeProto n, String a, float[] rowScales, Hessians gptq,
                                  List<NodeProto> out, Map<String, String[]> dql, OnnxQuantizeReport report) {
        String base = n.getName().isEmpty() ? n.getOutput(0) : n.getName();
        String wName = n.getInput(1);
        long[] d = g.dims(wName);
        int k = (int) d[0], cols = (int) d[1];
        float[] w = g.floats(wName);
        boolean gemm = n.getOpType().equals("Gemm");
        if (gemm && OnnxGraphEditor.attrInt(n, "transB", 0) != 0) { // B is [N, K]
            w = WeightQuant.transpose(w, k, cols);
            int t = k; k = cols; cols = t;
        }
        if (rowScales != null) for (int r = 0; r < k; r++) for (int c = 0; c < cols; c++) w[r * cols + c] *= rowScales[r];
        float alpha = gemm ? OnnxGraphEditor.attrFloat(n, "alpha", 1f) : 1f;
        WeightQuant.Result q = WeightQuant.quantize(w, k, cols, o.perChannel(), 1, o.signedWeights(), o.reduceRange());
        byte[] codes = q.q();
        boolean withGptq = gptq != null && gptq.covers(n);
        if (withGptq) {
            // Same scales and zero points as round-to-nearest; only the codes change.
            Gptq.Int8Grid grid = new Gptq.Int8Grid(q, k, cols, o.reduceRange());
            Gptq.round(w, k, cols, gptq.factor(n.getInput(0), rowScales), grid, Runtime.getRuntime().availableProcessors());
            codes = grid.codes();
        }
        String qName = g.addBytes(g.unique(wName + "_quantized"), q.signed() ? INT8 : UINT8, new long[] {k, cols}, codes);
        float[] scales = q.scales().clone();
        for (int i = 0; i < scales.length; i++) scales[i] *= alpha;
        long[] vecDims = o.perChannel() ? new long[] {cols} : new long[0];
        String sName = g.addFloats(g.unique(wName + "_scale"), vecDims, scales);
        String zpName = null;
        if (!q.signed()) zpName = g.addBytes(g.unique(wName + "_zero_point"), UINT8, vecDims, q.zeroPoints());

        String[] aq = dql.get(a);
        if (aq == null) {
            aq = new String[] {g.unique(a + "_quantized"), g.unique(a + "_scale"), g.unique(a + "_zero_point")};
            out.add(node("DynamicQuantizeLinear", g.unique(a + "_DynamicQuantizeLinear"), List.of(a), List.of(aq)));
            dql.put(a, aq);
        }
        List<String> mmIn = new ArrayList<>(List.of(aq[0], qName, aq[2]));
        if (zpName != null) mmIn.add(zpName);
        String i32 = g.unique(base + "_int32");
        out.add(node("MatMulInteger", g.unique(base + "_MatMulInteger"), mmIn, List.of(i32)));
        String f = g.unique(base + "_int32_cast");
        out.add(node("Cast", g.unique(base + "_Cast"), List.of(i32), List.of(f), intAttr("to", FLOAT)));
        String scaleProd = g.unique(base + "_scales_mul");
        out.add(node("Mul", g.unique(base + "_scales_Mul"), List.of(aq[1], sName), List.of(scaleProd)));
        boolean hasBias = gemm && n.getInputCount() > 2 && !n.getInput(2).isEmpty();
        String y = n.getOutput(0);
        String scaled = hasBias ? g.unique(base + "_scaled") : y;
        out.add(node("Mul", g.unique(base + "_output_Mul"), List.of(f, scaleProd), List.of(scaled)));
        if (hasBias) addGemmBias(g, n, base, scaled, out);
        report.quantized(n.getName(), n.getOpType(), (q.signed() ? "int8" : "uint8") + " weights "
                + (o.perChannel() ? "per channel" : "per tensor") + (o.reduceRange() ? ", reduced range" : "")
                + (rowScales != null ? ", smoothed" : "") + (withGptq ? ", GPTQ" : gptq != null ? ", round to nearest (" + gptq.whyNot(n) + ")" : "")
                + ", MatMulInteger [" + k + "x" + cols + "]");
        return withGptq;
    }

    static void gather(OnnxGraphEditor g, OnnxQuantizeOptions o, NodeProto n, List<NodeProto> out, OnnxQuantizeReport report) {
        String base = n.getName().isEmpty() ? n.getOutput(0) : n.getName();
        String table = n.getInput(0);
        long[] d = g.dims(table);
        int rows = (int) d[0], cols = (int) d[1];
        float[] w = g.floats(table);
        String y = n.getOutput(0);
        if (o.perChannel()) {
            // One scale per table column (hidden dimension), where BERT-like embeddings keep their outliers:
            // Gather the int8 rows, Cast, multiply by the [cols] scale vector. Any opset; 4·cols bytes of scales.
            WeightQuant.Result q = WeightQuant.quantize(w, rows, cols, true, 1, true, false);
            String qName = g.addBytes(g.unique(table + "_quantized"), INT8, d, q.q());
            String sName = g.addFloats(g.unique(table + "_scale"), new long[] {cols}, q.scales());
            String gq = g.unique(base + "_quantized");
            out.add(n.toBuilder().setInput(0, qName).setOutput(0, gq).build());
            String f = g.unique(base + "_cast");
            out.add(node("Cast", g.unique(base + "_Cast"), List.of(gq), List.of(f), intAttr("to", FLOAT)));
            out.add(node("Mul", g.unique(base + "_Mul"), List.of(f, sName), List.of(y)));
            report.quantized(n.getName(), "Gather", "int8 table, one scale per column [" + rows + "x" + cols + "]");
        } else {
            WeightQuant.Result q = WeightQuant.quantize(w, rows, cols, false, 0, false, false);
            String qName = g.addBytes(g.unique(table + "_quantized"), UINT8, d, q.q());
            String sName = g.addFloats(g.unique(table + "_scale"), new long[0], q.scales());
            String zName = g.addBytes(g.unique(table + "_zero_point"), UINT8, new long[0], q.zeroPoints());
            String gq = g.unique(base + "_quantized");
            out.add(n.toBuilder().setInput(0, qName).setOutput(0, gq).build());
            out.add(node("DequantizeLinear", g.unique(base + "_DequantizeLinear"), List.of(gq, sName, zName), List.of(y)));
            report.quantized(n.getName(), "Gather", "uint8 table per tensor [" + rows + "x" + cols + "]");
        }
    }

    /**
     * A Gemm's bias once its product is computed: {@code Y = product + beta·C} as an Add (C scaled into a new
     * initializer when beta ≠ 1), written to the Gemm's own output.
     */
    static void addGemmBias(OnnxGraphEditor g, NodeProto gemm, String base, String product, List<NodeProto> out) {
        String c = gemm.getInput(2);
        float beta = OnnxGraphEditor.attrFloat(gemm, "beta", 1f);
        if (beta != 1f) {
            float[] cv = g.floats(c);
            for (int i = 0; i < cv.length; i++) cv[i] *= beta;
            c = g.addFloats(g.unique(c + "_beta"), g.dims(gemm.getInput(2)), cv);
        }
        out.add(node("Add", g.unique(base + "_bias_Add"), List.of(product, c), List.of(gemm.getOutput(0))));
    }
}
