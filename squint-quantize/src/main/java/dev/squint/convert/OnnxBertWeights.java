package dev.squint.convert;

import dev.squint.core.SquintException;
import dev.squint.core.Tensor;
import dev.squint.formats.onnx.OnnxGraph;
import dev.squint.formats.onnx.OnnxModel;

import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The weights of a BERT-family ONNX export under their Hugging Face names
 * ({@code embeddings.word_embeddings.weight}, {@code encoder.layer.3.attention.self.query.weight}, ...).
 *
 * <p>torch.onnx keeps the names of parameters it uses directly (embeddings, LayerNorm weights,
 * biases) but gives the Linear weights it transposes for MatMul fresh names such as
 * {@code onnx::MatMul_1234}. Those are named by tracing the graph: {@code MatMul(x, W)} whose
 * output feeds {@code Add(…, b)} with an initializer {@code b} named {@code <module>.bias} makes
 * {@code W} the weight {@code <module>.weight}. Such weights are stored {@code [in, out]}
 * ({@link Weight#transposed()}); PyTorch and GGUF store Linear weights {@code [out, in]}.
 * A {@code bert.} prefix (BertModel inside a task model) is dropped from every name.
 */
public final class OnnxBertWeights {
    private static final Pattern LAYER = Pattern.compile("encoder\\.layer\\.(\\d+)\\.");

    /**
     * One weight.
     *
     * @param name       the Hugging Face name (without a {@code bert.} prefix)
     * @param tensor     the initializer as stored in the ONNX file
     * @param transposed true when stored {@code [in, out]} (a traced MatMul weight)
     */
    public record Weight(String name, Tensor tensor, boolean transposed) {}

    private final Map<String, Weight> weights;
    private final List<String> untraced;
    private final int layerCount;
    private final OptionalInt headCount;
    private final OptionalDouble layerNormEpsilon;

    private OnnxBertWeights(Map<String, Weight> weights, List<String> untraced, int layerCount, OptionalInt headCount,
                            OptionalDouble layerNormEpsilon) {
        this.weights = Collections.unmodifiableMap(weights);
        this.untraced = List.copyOf(untraced);
        this.layerCount = layerCount;
        this.headCount = headCount;
        this.layerNormEpsilon = layerNormEpsilon;
    }

    /** Names every initializer of {@code model} it can; tensors stay views of the model (use while it is open). */
    public static OnnxBertWeights trace(OnnxModel model) {
        OnnxGraph g = model.graph();
        Map<String, Tensor> init = new LinkedHashMap<>();
        for (Tensor t : model.tensors()) init.put(t.name(), t);
        Map<String, List<OnnxGraph.Node>> consumers = new HashMap<>();
        for (OnnxGraph.Node n : g.nodes()) {
            for (String in : n.inputs()) consumers.computeIfAbsent(in, k -> new ArrayList<>()).add(n);
        }
        Map<String, Weight> out = new LinkedHashMap<>();
        Set<String> traced = new HashSet<>();
        List<String> untraced = new ArrayList<>();
        for (OnnxGraph.Node mm : g.nodesOfType("MatMul")) {
            if (mm.inputs().size() != 2 || mm.outputs().isEmpty()) continue;
            String w = mm.inputs().get(1);
            Tensor wt = init.get(w);
            if (wt == null || wt.shape().rank() != 2) continue;
            String bias = null;
            for (OnnxGraph.Node add : consumers.getOrDefault(mm.outputs().getFirst(), List.of())) {
                if (!add.opType().equals("Add")) continue;
                for (String in : add.inputs()) {
                    if (init.containsKey(in) && in.endsWith(".bias") && init.get(in).shape().rank() == 1) bias = in;
                }
            }
            if (bias == null) {
                if (!isNamedWeight(w)) untraced.add(w);
                continue;
            }
            String name = strip(bias.substring(0, bias.length() - ".bias".length()) + ".weight");
            if (out.containsKey(name)) {
                throw new SquintException(model.path() + ": two MatMul weights (" + out.get(name).tensor().name() + ", " + w
                        + ") trace to " + name);
            }
            out.put(name, new Weight(name, wt, true));
            traced.add(w);
        }
        for (Map.Entry<String, Tensor> e : init.entrySet()) {
            if (traced.contains(e.getKey()) || e.getKey().startsWith("onnx::")) continue;
            String name = strip(e.getKey());
            out.putIfAbsent(name, new Weight(name, e.getValue(), false));
        }
        int layers = 0;
        for (String n : out.keySet()) {
            Matcher m = LAYER.matcher(n);
            if (m.lookingAt()) layers = Math.max(layers, Integer.parseInt(m.group(1)) + 1);
        }
        Constants constants = new Constants(g, init);
        return new OnnxBertWeights(out, untraced, layers, headCount(g, constants, consumers, out), epsilon(g, constants, consumers));
    }

    /**
     * The attention head count, which no weight shape records: the query projection's output is
     * reshaped to {@code [batch, seq, heads, head_dim]} (a constant shape, or a Concat whose last two
     * parts are constants); failing that, the attention scores are divided by the constant
     * sqrt(head_dim).
     */
    private static OptionalInt headCount(OnnxGraph g, Constants constants, Map<String, List<OnnxGraph.Node>> consumers,
                                         Map<String, Weight> weights) {
        Weight q = weights.get("encoder.layer.0.attention.self.query.weight");
        Weight bias = weights.get("encoder.layer.0.attention.self.query.bias");
        if (q == null || bias == null) return OptionalInt.empty();
        long hidden = q.tensor().shape().dim(q.transposed() ? 1 : 0);
        for (OnnxGraph.Node add : consumers.getOrDefault(bias.tensor().name(), List.of())) {
            if (!add.opType().equals("Add")) continue;
            for (OnnxGraph.Node r : consumers.getOrDefault(add.outputs().getFirst(), List.of())) {
                if (!r.opType().equals("Reshape") || r.inputs().size() < 2) continue;
                long[] shape = constants.ints(r.inputs().get(1));
                if (shape != null && shape.length == 4 && shape[2] > 0) return OptionalInt.of((int) shape[2]);
                if (shape != null && shape.length == 4 && shape[3] > 0 && hidden % shape[3] == 0) return OptionalInt.of((int) (hidden / shape[3]));
            }
        }
        for (OnnxGraph.Node n : g.nodes()) {
            if (!n.opType().equals("Div") || n.inputs().size() != 2) continue;
            double[] c = constants.floats(n.inputs().get(1));
            if (c == null || c.length != 1 || c[0] <= 1) continue;
            long headDim = Math.round(c[0] * c[0]);
            if (Math.abs(c[0] * c[0] - headDim) < 1e-3 && headDim > 0 && hidden % headDim == 0) return OptionalInt.of((int) (hidden / headDim));
        }
        return OptionalInt.empty();
    }

    /** LayerNormalization's epsilon, or the constant added to the variance of a decomposed LayerNorm. */
    private static OptionalDouble epsilon(OnnxGraph g, Constants constants, Map<String, List<OnnxGraph.Node>> consumers) {
        for (OnnxGraph.Node n : g.nodes()) {
            if (n.opType().equals("LayerNormalization")) {
                return n.attribute("epsilon").map(a -> a.value() instanceof OnnxGraph.AttributeValue.FloatValue f
                        ? OptionalDouble.of(f.value()) : OptionalDouble.of(1e-5)).orElse(OptionalDouble.of(1e-5));
            }
        }
        for (OnnxGraph.Node sqrt : g.nodesOfType("Sqrt")) {
            String in = sqrt.inputs().getFirst();
            for (OnnxGraph.Node add : g.nodesOfType("Add")) {
                if (!add.outputs().contains(in)) continue;
                for (String operand : add.inputs()) {
                    double[] c = constants.floats(operand);
                    if (c != null && c.length == 1 && c[0] > 0 && c[0] < 1e-2) return OptionalDouble.of(c[0]);
                }
            }
        }
        return OptionalDouble.empty();
    }

    /** Values of small constant tensors: initializers and Constant nodes (and Concat/Unsqueeze of them, unknown parts -1). */
    private static final class Constants {
        private final Map<String, Tensor> values = new HashMap<>();
        private final Map<String, OnnxGraph.Node> producers = new HashMap<>();

        Constants(OnnxGraph g, Map<String, Tensor> init) {
            values.putAll(init);
            for (OnnxGraph.Node n : g.nodes()) {
                for (String o : n.outputs()) producers.put(o, n);
                if (n.opType().equals("Constant") && !n.outputs().isEmpty()) {
                    n.attribute("value").ifPresent(a -> {
                        if (a.value() instanceof OnnxGraph.AttributeValue.TensorValue t) values.put(n.outputs().getFirst(), t.tensor());
                    });
                }
            }
        }

        long[] ints(String name) { return ints(name, 0); }

        private long[] ints(String name, int depth) {
            Tensor t = values.get(name);
            if (t != null) {
                if (t.shape().elementCount() > 16) return null;
                int n = (int) t.shape().elementCount();
                long[] out = new long[n];
                for (int i = 0; i < n; i++) {
                    switch (t.dtype()) {
                        case dev.squint.core.ScalarType.I64 -> out[i] = t.data().getAtIndex(LONG_LE, i);
                        case dev.squint.core.ScalarType.I32 -> out[i] = t.data().getAtIndex(INT_LE, i);
                        default -> { return null; }
                    }
                }
                return out;
            }
            OnnxGraph.Node p = producers.get(name);
            if (p == null || depth > 4) return null;
            if (p.opType().equals("Concat")) {
                List<Long> parts = new ArrayList<>();
                for (String in : p.inputs()) {
                    long[] v = ints(in, depth + 1);
                    if (v == null) parts.add(-1L);
                    else for (long x : v) parts.add(x);
                }
                return parts.stream().mapToLong(Long::longValue).toArray();
            }
            if (p.opType().equals("Unsqueeze") && !p.inputs().isEmpty()) {
                long[] v = ints(p.inputs().getFirst(), depth + 1);
                return v == null ? new long[] {-1} : v;
            }
            return null;
        }

        double[] floats(String name) {
            Tensor t = values.get(name);
            if (t == null || t.shape().elementCount() > 16) return null;
            int n = (int) t.shape().elementCount();
            double[] out = new double[n];
            for (int i = 0; i < n; i++) {
                switch (t.dtype()) {
                    case dev.squint.core.ScalarType.F32 -> out[i] = t.data().getAtIndex(SourceTensor.F32_LE, i);
                    case dev.squint.core.ScalarType.F64 -> out[i] = t.data().getAtIndex(DOUBLE_LE, i);
                    default -> { return null; }
                }
            }
            return out;
        }
    }

    private static final ValueLayout.OfLong LONG_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble DOUBLE_LE = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private static boolean isNamedWeight(String name) { return !name.startsWith("onnx::"); }

    private static String strip(String name) { return name.startsWith("bert.") ? name.substring(5) : name; }

    /** Every named weight, traced ones first, by Hugging Face name. */
    public Map<String, Weight> weights() { return weights; }

    public Optional<Weight> weight(String hfName) { return Optional.ofNullable(weights.get(hfName)); }

    /** The weight, or a {@link SquintException} naming what is missing. */
    public Weight require(String hfName) {
        Weight w = weights.get(hfName);
        if (w == null) throw new SquintException("ONNX BERT export: no weight traces to " + hfName);
        return w;
    }

    /** Number of encoder layers ({@code encoder.layer.N} seen). */
    public int layerCount() { return layerCount; }

    /** The attention head count, traced from the graph (see the class comment), if found. */
    public OptionalInt headCount() { return headCount; }

    /** The LayerNorm epsilon, traced from the graph, if found. */
    public OptionalDouble layerNormEpsilon() { return layerNormEpsilon; }

    /** MatMul initializers with an {@code onnx::} name that no bias Add names (e.g. a bias-free projection). */
    public List<String> untraced() { return untraced; }
}
