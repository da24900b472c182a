package dev.squint.quantize.onnx;

import dev.squint.formats.onnx.proto.AttributeProto;
import dev.squint.formats.onnx.proto.NodeProto;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Raises a graph's default opset from 11 or 12 to 13, as per-axis DequantizeLinear needs. Opset 13
 * moved some attributes to inputs: Squeeze/Unsqueeze {@code axes}, ReduceSum {@code axes}, Split
 * {@code split} (and Dropout-12 took {@code ratio} as an input); those nodes are rewritten with
 * int64 initializers. Softmax, LogSoftmax and Hardmax before 13 work on the input flattened to 2-D at
 * {@code axis}; they become Flatten(axis) → op(axis = -1) → Reshape to Shape(x), which is exactly
 * that. Nodes with subgraphs refuse the upgrade (their bodies are not rewritten); the caller then
 * falls back to per-tensor weights.
 */
final class OpsetUpgrade {
    private OpsetUpgrade() {}

    private static final Set<String> AXIS_SEMANTICS = Set.of("Softmax", "LogSoftmax", "Hardmax");

    /** Why the graph cannot be upgraded, or null if it can. */
    static String veto(OnnxGraphEditor g) {
        for (NodeProto n : g.nodes) {
            if (!n.getDomain().isEmpty() && !n.getDomain().equals("ai.onnx")) continue;
            if (n.getAttributeList().stream().anyMatch(a -> a.hasG() || a.getGraphsCount() > 0)) return "node '" + n.getName() + "' has subgraphs";
        }
        return null;
    }

    /** Rewrites the nodes for opset 13 and sets it; call only when {@link #veto} is null. */
    static void to13(OnnxGraphEditor g) {
        List<NodeProto> out = new ArrayList<>(g.nodes.size());
        for (NodeProto n : g.nodes) {
            boolean onnx = n.getDomain().isEmpty() || n.getDomain().equals("ai.onnx");
            String attr = !onnx ? null : switch (n.getOpType()) {
                case "Squeeze", "Unsqueeze", "ReduceSum" -> "axes";
                case "Split" -> "split";
                default -> null;
            };
            if (onnx && AXIS_SEMANTICS.contains(n.getOpType())) {
                long axis = OnnxGraphEditor.attrInt(n, "axis", 1);
                String base = n.getName().isEmpty() ? n.getOutput(0) : n.getName();
                String shape = g.unique(base + "_input_shape"), flat = g.unique(base + "_flat"), res = g.unique(base + "_2d");
                out.add(OnnxGraphEditor.node("Shape", g.unique(base + "_Shape"), List.of(n.getInput(0)), List.of(shape)));
                out.add(OnnxGraphEditor.node("Flatten", g.unique(base + "_Flatten"), List.of(n.getInput(0)), List.of(flat),
                        OnnxGraphEditor.intAttr("axis", axis)));
                out.add(OnnxGraphEditor.node(n.getOpType(), n.getName(), List.of(flat), List.of(res), OnnxGraphEditor.intAttr("axis", -1)));
                out.add(OnnxGraphEditor.node("Reshape", g.unique(base + "_Reshape"), List.of(res, shape), List.of(n.getOutput(0))));
                continue;
            }
            AttributeProto a = attr == null ? null : n.getAttributeList().stream().filter(x -> x.getName().equals(attr)).findFirst().orElse(null);
            if (a == null) {
                out.add(n);
                continue;
            }
            long[] v = a.getIntsList().stream().mapToLong(Long::longValue).toArray();
            java.lang.foreign.MemorySegment seg = g.allocate(8L * v.length);
            for (int i = 0; i < v.length; i++) seg.set(OnnxGraphEditor.I64, 8L * i, v[i]);
            String name = g.addInitializer(g.unique((n.getName().isEmpty() ? n.getOutput(0) : n.getName()) + "_" + attr), OnnxGraphEditor.INT64,
                    new long[] {v.length}, seg);
            NodeProto.Builder b = n.toBuilder().clearAttribute();
            for (AttributeProto x : n.getAttributeList()) if (!x.getName().equals(attr)) b.addAttribute(x);
            while (b.getInputCount() < 1) b.addInput("");
            if (b.getInputCount() == 1) b.addInput(name);
            else b.setInput(1, name);
            out.add(b.build());
        }
        g.nodes.clear();
        g.nodes.addAll(out);
        g.setOpset("", 13);
    }
}
