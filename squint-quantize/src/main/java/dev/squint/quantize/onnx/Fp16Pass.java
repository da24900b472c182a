package dev.squint.quantize.onnx;

import dev.squint.core.codec.FloatFormats;
import dev.squint.formats.onnx.proto.AttributeProto;
import dev.squint.formats.onnx.proto.NodeProto;
import dev.squint.formats.onnx.proto.TensorProto;
import dev.squint.formats.onnx.proto.ValueInfoProto;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.squint.quantize.onnx.OnnxGraphEditor.FLOAT;
import static dev.squint.quantize.onnx.OnnxGraphEditor.FLOAT16;
import static dev.squint.quantize.onnx.OnnxGraphEditor.intAttr;
import static dev.squint.quantize.onnx.OnnxGraphEditor.node;

/**
 * FP16 weights and compute. Every float32 value of the graph becomes float16 except around the
 * kept-float nodes (the block list of numerically sensitive op types, --exclude, nodes outside
 * --include, nodes with subgraphs), which get Casts to float32 on their float inputs and back to
 * float16 on their outputs. Graph inputs and outputs keep float32 through Casts at the edges, so
 * callers see the same interface.
 *
 * <p>Float32 initializers become float16 unless only kept-float nodes read them; Cast(to=float)
 * becomes Cast(to=float16); float Constant and ConstantOfShape values are converted.
 *
 * <p>BF16 is not emitted: ONNX Runtime's CPU provider has bfloat16 kernels for only a handful of
 * operators and inserts no automatic Casts for it, so a bfloat16 graph would not run there. (For
 * float16 it falls back to float32 kernels with inserted Casts where it lacks fp16 ones, which is why
 * FP16 models load on CPU but are rarely faster there.)
 */
final class Fp16Pass {
    private Fp16Pass() {}

    /** Inputs that must stay float32 whatever the data type (op, input index). */
    private static boolean exemptSlot(NodeProto n, int input) {
        return switch (n.getOpType()) {
            case "Resize", "Upsample" -> input >= 1;
            default -> false;
        };
    }

    static void run(OnnxGraphEditor g, OnnxQuantizeOptions o, OnnxQuantizeReport report) {
        Map<String, Integer> types = g.elementTypes();
        Set<Integer> keep = new HashSet<>();
        for (int i = 0; i < g.nodes.size(); i++) {
            NodeProto n = g.nodes.get(i);
            String why = null;
            if (o.fp16KeepFloat().contains(n.getOpType())) why = "numerically sensitive op type (FP16 block list)";
            else if (o.selectionVeto(n.getName(), n.getOpType()) != null) why = o.selectionVeto(n.getName(), n.getOpType());
            else if (n.getAttributeList().stream().anyMatch(a -> a.hasG() || a.getGraphsCount() > 0)) why = "has subgraphs, which squint does not convert";
            else if (!n.getDomain().isEmpty()) why = "operator of domain '" + n.getDomain() + "'";
            if (why != null) {
                keep.add(i);
                if (touchesFloat(n, types)) report.keptFloat(n.getName(), n.getOpType(), why);
            }
        }
        // Which float initializers go to fp16.
        Map<String, List<Integer>> consumers = g.consumers();
        Set<String> toHalf = new HashSet<>();
        for (TensorProto t : g.initializers.values()) {
            if (t.getDataType() != FLOAT) continue;
            boolean halfUser = false, exempt = false;
            for (int ci : consumers.getOrDefault(t.getName(), List.of())) {
                NodeProto c = g.nodes.get(ci);
                for (int k = 0; k < c.getInputCount(); k++) {
                    if (!c.getInput(k).equals(t.getName())) continue;
                    if (exemptSlot(c, k)) exempt = true;
                    else if (!keep.contains(ci)) halfUser = true;
                }
            }
            if (halfUser && !exempt) toHalf.add(t.getName());
        }
        for (String name : toHalf) {
            float[] v = g.floats(name);
            MemorySegment seg = g.allocate(2L * v.length);
            for (int k = 0; k < v.length; k++) seg.set(OnnxGraphEditor.I16, 2L * k, half(v[k]));
            g.addInitializer(name, FLOAT16, g.dims(name), seg);
        }
        // Values that stay float32: initializers left alone, and the outputs of kept nodes before their Casts.
        Set<String> stays32 = new HashSet<>();
        for (TensorProto t : g.initializers.values()) if (t.getDataType() == FLOAT) stays32.add(t.getName());

        List<NodeProto> out = new ArrayList<>();
        Map<String, String> rename = new HashMap<>();
        // Graph inputs: Cast to fp16 at the start.
        for (ValueInfoProto in : g.inputs()) {
            if (g.isInitializer(in.getName())) continue;
            if (in.getType().getTensorType().getElemType() != FLOAT) continue;
            String half = g.unique(in.getName() + "_fp16");
            out.add(node("Cast", g.unique(in.getName() + "_Cast_fp16"), List.of(in.getName()), List.of(half), intAttr("to", FLOAT16)));
            rename.put(in.getName(), half);
        }
        Set<String> outputs = g.graphOutputNames();
        Map<String, String> outputHalf = new HashMap<>();
        int converted = 0;
        for (int i = 0; i < g.nodes.size(); i++) {
            NodeProto n = g.nodes.get(i);
            NodeProto.Builder b = n.toBuilder();
            for (int k = 0; k < n.getInputCount(); k++) {
                String r = rename.get(n.getInput(k));
                if (r != null) b.setInput(k, r);
            }
            if (keep.contains(i)) {
                for (int k = 0; k < b.getInputCount(); k++) {
                    String in = b.getInput(k);
                    Integer t = types.get(n.getInput(k));
                    if (in.isEmpty() || t == null || t != FLOAT || stays32.contains(in)) continue;
                    String f32 = g.unique(in + "_fp32");
                    out.add(node("Cast", g.unique(in + "_Cast_fp32"), List.of(in), List.of(f32), intAttr("to", FLOAT)));
                    b.setInput(k, f32);
                }
                List<NodeProto> after = new ArrayList<>();
                for (int k = 0; k < n.getOutputCount(); k++) {
                    String y = n.getOutput(k);
                    Integer t = types.get(y);
                    if (y.isEmpty() || t == null || t != FLOAT) continue;
                    String f32 = g.unique(y + "_fp32");
                    b.setOutput(k, f32);
                    after.add(node("Cast", g.unique(y + "_Cast_fp16"), List.of(f32), List.of(y), intAttr("to", FLOAT16)));
                }
                out.add(b.build());
                out.addAll(after);
            } else {
                boolean changed = false;
                if (n.getOpType().equals("Cast") && OnnxGraphEditor.attrInt(n, "to", 0) == FLOAT) {
                    replaceAttr(b, "to", intAttr("to", FLOAT16));
                    changed = true;
                }
                if (n.getOpType().equals("Constant") || n.getOpType().equals("ConstantOfShape")) changed |= halfConstant(g, b);
                out.add(b.build());
                if (changed || touchesFloat(n, types)) {
                    converted++;
                }
            }
            // Graph outputs computed in fp16 get their float32 Cast at the end.
            for (int k = 0; k < n.getOutputCount(); k++) {
                String y = n.getOutput(k);
                Integer t = types.get(y);
                if (outputs.contains(y) && t != null && t == FLOAT) outputHalf.put(y, y);
            }
        }
        // Rename each float graph output's producer output and its readers, then Cast back to float32.
        if (!outputHalf.isEmpty()) {
            Map<String, String> toHalfName = new HashMap<>();
            for (String y : outputHalf.keySet()) toHalfName.put(y, g.unique(y + "_fp16"));
            for (int i = 0; i < out.size(); i++) {
                NodeProto n = out.get(i);
                NodeProto.Builder b = n.toBuilder();
                boolean changed = false;
                for (int k = 0; k < n.getInputCount(); k++) {
                    String r = toHalfName.get(n.getInput(k));
                    if (r != null) { b.setInput(k, r); changed = true; }
                }
                for (int k = 0; k < n.getOutputCount(); k++) {
                    String r = toHalfName.get(n.getOutput(k));
                    if (r != null) { b.setOutput(k, r); changed = true; }
                }
                if (changed) out.set(i, b.build());
            }
            for (var e : toHalfName.entrySet()) {
                out.add(node("Cast", g.unique(e.getKey() + "_Cast_fp32"), List.of(e.getValue()), List.of(e.getKey()), intAttr("to", FLOAT)));
            }
        }
        g.nodes.clear();
        g.nodes.addAll(out);
        report.quantized("(graph)", "*", converted + " float nodes compute in float16; " + toHalf.size() + " weights stored as float16");
        report.note("FP16 kept-float op types: " + new java.util.TreeSet<>(o.fp16KeepFloat()));
    }

    /**
     * Float32 to float16, finite values beyond float16's range clamped to ±65504: exporters write
     * "minus infinity" masks as -3.4e38, and an infinite mask times 0 would give NaN.
     */
    static short half(float f) {
        if (Float.isFinite(f)) f = Math.max(-65504f, Math.min(65504f, f));
        return FloatFormats.f32ToF16(f);
    }

    private static boolean touchesFloat(NodeProto n, Map<String, Integer> types) {
        for (String s : n.getInputList()) if (Integer.valueOf(FLOAT).equals(types.get(s))) return true;
        for (String s : n.getOutputList()) if (Integer.valueOf(FLOAT).equals(types.get(s))) return true;
        return false;
    }

    private static void replaceAttr(NodeProto.Builder b, String name, AttributeProto a) {
        for (int i = 0; i < b.getAttributeCount(); i++) if (b.getAttribute(i).getName().equals(name)) b.setAttribute(i, a);
    }

    /** Converts a float32 tensor attribute of Constant/ConstantOfShape to float16 (values are small and inline). */
    private static boolean halfConstant(OnnxGraphEditor g, NodeProto.Builder b) {
        for (int i = 0; i < b.getAttributeCount(); i++) {
            AttributeProto a = b.getAttribute(i);
            if (a.getName().equals("value_float") || a.getName().equals("value_floats")) {
                TensorProto.Builder t = TensorProto.newBuilder().setDataType(FLOAT16);
                List<Float> vals = a.getName().equals("value_float") ? List.of(a.getF()) : a.getFloatsList();
                if (a.getName().equals("value_floats")) t.addDims(vals.size());
                for (float f : vals) t.addInt32Data(half(f) & 0xffff);
                b.setAttribute(i, AttributeProto.newBuilder().setName("value").setType(AttributeProto.AttributeType.TENSOR).setT(t).build());
                return true;
            }
            if (!a.hasT() || a.getT().getDataType() != FLOAT) continue;
            TensorProto t = a.getT();
            MemorySegment src = g.source.bytes(t);
            int n = (int) (src.byteSize() / 4);
            TensorProto.Builder h = TensorProto.newBuilder().setName(t.getName()).setDataType(FLOAT16).addAllDims(t.getDimsList());
            for (int k = 0; k < n; k++) h.addInt32Data(half(src.get(OnnxGraphEditor.F32, 4L * k)) & 0xffff);
            b.setAttribute(i, a.toBuilder().setT(h).build());
            return true;
        }
        return false;
    }
}
