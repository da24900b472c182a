package dev.squint.engine.bert;

import dev.squint.formats.onnx.OnnxGraph;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.Set;

/**
 * Recovers what a PyTorch ONNX export of a BERT model leaves unnamed, by tracing its graph.
 *
 * <p><b>Weights.</b> torch.onnx folds {@code nn.Linear} into {@code MatMul(x, W) → Add(bias, ·)},
 * storing {@code W} transposed ({@code [in, out]}) under a generated name such as
 * {@code onnx::MatMul_787}, while the bias keeps its module name
 * ({@code encoder.layer.0.attention.self.query.bias}). A MatMul whose second input is an
 * initializer, followed by an Add whose other input is an initializer named {@code X.bias}, names
 * that weight {@code X.weight}.
 *
 * <p><b>Head count.</b> The attention reshape {@code [batch, seq, heads, head_dim]} takes its shape
 * from a Concat whose third part is a Constant holding {@code heads} (or from a constant shape).
 *
 * <p><b>LayerNorm epsilon.</b> Either a LayerNormalization node's {@code epsilon}, or the constant
 * added to a ReduceMean (the variance) in the decomposed form.
 */
public final class OnnxBertNames {
    private OnnxBertNames() {}

    /** Module weight name (e.g. {@code encoder.layer.0.attention.self.query.weight}) → initializer name, [in, out]. */
    public static Map<String, String> traceMatMulWeights(OnnxGraph graph) {
        Set<String> initializers = new HashSet<>(graph.initializerNames());
        Map<String, OnnxGraph.Node> consumerAdd = new HashMap<>();
        for (OnnxGraph.Node n : graph.nodes()) {
            if (n.opType().equals("Add")) for (String in : n.inputs()) consumerAdd.putIfAbsent(in, n);
        }
        Map<String, String> names = new HashMap<>();
        for (OnnxGraph.Node mm : graph.nodesOfType("MatMul")) {
            if (mm.inputs().size() != 2 || !initializers.contains(mm.inputs().get(1)) || mm.outputs().isEmpty()) continue;
            OnnxGraph.Node add = consumerAdd.get(mm.outputs().get(0));
            if (add == null) continue;
            for (String in : add.inputs()) {
                if (!in.equals(mm.outputs().get(0)) && initializers.contains(in) && in.endsWith(".bias")) {
                    names.put(in.substring(0, in.length() - ".bias".length()) + ".weight", mm.inputs().get(1));
                }
            }
        }
        return names;
    }

    /** The attention head count, if the graph's reshapes show it. */
    public static OptionalInt headCount(OnnxGraph graph, String queryBiasedOutput) {
        Map<String, OnnxGraph.Node> producer = producers(graph);
        for (OnnxGraph.Node n : graph.nodesOfType("Reshape")) {
            if (n.inputs().size() < 2 || !n.inputs().get(0).equals(queryBiasedOutput)) continue;
            OnnxGraph.Node shape = producer.get(n.inputs().get(1));
            if (shape == null) continue;
            if (shape.opType().equals("Concat") && shape.inputs().size() == 4) {
                OptionalInt h = constantLong(producer.get(shape.inputs().get(2)));
                if (h.isPresent()) return h;
            } else if (shape.opType().equals("Constant")) {
                Optional<long[]> dims = constantLongs(shape);
                if (dims.isPresent() && dims.get().length == 4 && dims.get()[2] > 0) return OptionalInt.of((int) dims.get()[2]);
            }
        }
        return OptionalInt.empty();
    }

    /** The LayerNorm epsilon the graph uses, if it shows one. */
    public static OptionalDouble layerNormEpsilon(OnnxGraph graph) {
        for (OnnxGraph.Node n : graph.nodesOfType("LayerNormalization")) {
            if (n.attribute("epsilon").orElse(null) instanceof OnnxGraph.Attribute a
                    && a.value() instanceof OnnxGraph.AttributeValue.FloatValue f) return OptionalDouble.of(f.value());
        }
        Map<String, OnnxGraph.Node> producer = producers(graph);
        for (OnnxGraph.Node add : graph.nodesOfType("Add")) {
            if (add.inputs().size() != 2) continue;
            OnnxGraph.Node a = producer.get(add.inputs().get(0)), b = producer.get(add.inputs().get(1));
            if (a == null || b == null || !a.opType().equals("ReduceMean") || !b.opType().equals("Constant")) continue;
            // the variance: ReduceMean of a Pow, not the mean itself
            OnnxGraph.Node pow = producer.get(a.inputs().get(0));
            if (pow == null || !pow.opType().equals("Pow")) continue;
            if (b.attribute("value").orElse(null) instanceof OnnxGraph.Attribute attr
                    && attr.value() instanceof OnnxGraph.AttributeValue.TensorValue tv
                    && tv.tensor().data().byteSize() == 4) {
                return OptionalDouble.of(tv.tensor().data().get(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0));
            }
        }
        return OptionalDouble.empty();
    }

    /** Output of the Add that applies {@code biasName}, i.e. the biased projection. */
    public static Optional<String> biasedOutput(OnnxGraph graph, String biasName) {
        for (OnnxGraph.Node n : graph.nodesOfType("Add")) {
            if (n.inputs().contains(biasName) && !n.outputs().isEmpty()) return Optional.of(n.outputs().get(0));
        }
        return Optional.empty();
    }

    private static Map<String, OnnxGraph.Node> producers(OnnxGraph graph) {
        Map<String, OnnxGraph.Node> out = new HashMap<>();
        for (OnnxGraph.Node n : graph.nodes()) for (String o : n.outputs()) out.put(o, n);
        return out;
    }

    private static OptionalInt constantLong(OnnxGraph.Node node) {
        if (node == null) return OptionalInt.empty();
        if (node.opType().equals("Unsqueeze") || node.opType().equals("Identity")) return OptionalInt.empty();
        return constantLongs(node).filter(v -> v.length == 1 && v[0] > 0 && v[0] <= Integer.MAX_VALUE)
                .map(v -> OptionalInt.of((int) v[0])).orElse(OptionalInt.empty());
    }

    private static Optional<long[]> constantLongs(OnnxGraph.Node node) {
        if (!node.opType().equals("Constant")) return Optional.empty();
        if (!(node.attribute("value").orElse(null) instanceof OnnxGraph.Attribute a)
                || !(a.value() instanceof OnnxGraph.AttributeValue.TensorValue tv)) return Optional.empty();
        if (tv.tensor().dtype() != dev.squint.core.ScalarType.I64) return Optional.empty();
        MemorySegment data = tv.tensor().data();
        long[] out = new long[(int) Math.min(64, data.byteSize() / 8)];
        for (int i = 0; i < out.length; i++) out[i] = data.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 8L * i);
        return Optional.of(out);
    }

    static List<String> linearNames(int layer) {
        String p = "encoder.layer." + layer + ".";
        return List.of(p + "attention.self.query", p + "attention.self.key", p + "attention.self.value",
                p + "attention.output.dense", p + "intermediate.dense", p + "output.dense");
    }
}
