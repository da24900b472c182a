package dev.squint.quantize.onnx;

import dev.squint.core.SquintException;
import dev.squint.formats.onnx.OnnxModel;
import dev.squint.formats.onnx.OnnxWriter;
import dev.squint.formats.onnx.proto.AttributeProto;
import dev.squint.formats.onnx.proto.GraphProto;
import dev.squint.formats.onnx.proto.ModelProto;
import dev.squint.formats.onnx.proto.NodeProto;
import dev.squint.formats.onnx.proto.OperatorSetIdProto;
import dev.squint.formats.onnx.proto.TensorProto;
import dev.squint.formats.onnx.proto.ValueInfoProto;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A mutable copy of an ONNX model's main graph for the quantization passes: the node list, the
 * initializers by name, new tensors' bytes (off-heap), the opset imports, and a simple forward
 * element-type inference that the passes use to tell float values from integer ones.
 *
 * <p>Original initializers keep their bytes in the source model's mapping; only tensors a pass
 * creates are allocated (in this editor's arena, freed by {@link #close()}).
 */
final class OnnxGraphEditor implements AutoCloseable {
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    // TensorProto.DataType numbers used by the passes.
    static final int FLOAT = 1, UINT8 = 2, INT8 = 3, INT32 = 6, INT64 = 7, BOOL = 9, FLOAT16 = 10;

    final OnnxModel source;
    final List<NodeProto> nodes;
    final Map<String, TensorProto> initializers = new LinkedHashMap<>();
    private final Map<String, MemorySegment> created = new HashMap<>();
    private final Map<String, Long> opsets = new LinkedHashMap<>();
    private final Set<String> names = new HashSet<>();
    private final Arena arena = Arena.ofShared();
    private final List<ValueInfoProto> inputs;
    private final List<ValueInfoProto> outputs;
    private int counter;

    OnnxGraphEditor(OnnxModel source) {
        this.source = source;
        ModelProto p = source.proto();
        GraphProto g = p.getGraph();
        nodes = new ArrayList<>(g.getNodeList());
        for (TensorProto t : g.getInitializerList()) initializers.put(t.getName(), t);
        for (OperatorSetIdProto o : p.getOpsetImportList()) opsets.putIfAbsent(o.getDomain(), o.getVersion());
        inputs = new ArrayList<>(g.getInputList());
        outputs = new ArrayList<>(g.getOutputList());
        for (NodeProto n : nodes) {
            names.add(n.getName());
            names.addAll(n.getOutputList());
            names.addAll(n.getInputList());
        }
        names.addAll(initializers.keySet());
        for (ValueInfoProto v : inputs) names.add(v.getName());
    }

    /** The default-domain opset the model imports (ai.onnx, written as the empty domain). */
    long opset() {
        Long v = opsets.get("");
        if (v == null) v = opsets.get("ai.onnx");
        return v == null ? 0 : v;
    }

    void requireOpset(String domain, long version) {
        opsets.merge(domain, version, Math::max);
    }

    void setOpset(String domain, long version) {
        opsets.remove("ai.onnx");
        opsets.put(domain, version);
    }

    List<ValueInfoProto> inputs() { return inputs; }

    /** A value or node name no other value or node in the graph has. */
    String unique(String base) {
        String name = base;
        while (!names.add(name)) name = base + "_" + (++counter);
        return name;
    }

    boolean isInitializer(String name) { return initializers.containsKey(name); }

    /** The FP32 values of a float initializer, or null if {@code name} is not one. */
    float[] floats(String name) {
        TensorProto t = initializers.get(name);
        if (t == null || t.getDataType() != FLOAT) return null;
        MemorySegment seg = bytes(t);
        long n = seg.byteSize() / 4;
        if (n > Integer.MAX_VALUE - 8) throw new SquintException("tensor '" + name + "' has too many elements to quantize at once");
        float[] out = new float[(int) n];
        MemorySegment.copy(seg, F32, 0, out, 0, out.length);
        // A pass reads each weight once: let the kernel drop its pages from this process so that the resident
        // size stays near one tensor, not the whole mapped model (they are read again from the file if needed).
        if (seg.isMapped()) seg.unload();
        return out;
    }

    MemorySegment bytes(TensorProto t) {
        MemorySegment seg = created.get(t.getName());
        if (seg != null && !t.hasRawData() && t.getExternalDataCount() == 0 && t.getUnknownFields().asMap().isEmpty()) return seg;
        return source.bytes(t);
    }

    long[] dims(String initializer) {
        TensorProto t = initializers.get(initializer);
        long[] d = new long[t.getDimsCount()];
        for (int i = 0; i < d.length; i++) d[i] = t.getDims(i);
        return d;
    }

    MemorySegment allocate(long bytes) {
        return arena.allocate(Math.max(1, bytes), 8).asSlice(0, bytes);
    }

    /** Adds (or replaces) an initializer whose bytes are {@code data} (little-endian, the tensor's whole payload). */
    String addInitializer(String name, int dataType, long[] dims, MemorySegment data) {
        TensorProto.Builder b = TensorProto.newBuilder().setName(name).setDataType(dataType);
        for (long d : dims) b.addDims(d);
        initializers.put(name, b.build());
        created.put(name, data);
        names.add(name);
        return name;
    }

    String addFloats(String name, long[] dims, float[] values) {
        MemorySegment seg = allocate(4L * values.length);
        MemorySegment.copy(values, 0, seg, F32, 0, values.length);
        return addInitializer(name, FLOAT, dims, seg);
    }

    String addBytes(String name, int dataType, long[] dims, byte[] values) {
        MemorySegment seg = allocate(values.length);
        MemorySegment.copy(values, 0, seg, ValueLayout.JAVA_BYTE, 0, values.length);
        return addInitializer(name, dataType, dims, seg);
    }

    String addInts(String name, long[] dims, int[] values) {
        MemorySegment seg = allocate(4L * values.length);
        MemorySegment.copy(values, 0, seg, I32, 0, values.length);
        return addInitializer(name, INT32, dims, seg);
    }

    /** Drops initializers no node, graph output or subgraph refers to any more. */
    void removeUnusedInitializers() {
        Set<String> used = new HashSet<>();
        for (NodeProto n : nodes) collectUses(n, used);
        for (ValueInfoProto v : outputs) used.add(v.getName());
        initializers.keySet().removeIf(k -> !used.contains(k));
    }

    /** Drops Constant nodes whose output no node or graph output reads. */
    void removeUnusedConstantNodes() {
        Set<String> used = new HashSet<>();
        for (NodeProto n : nodes) collectUses(n, used);
        for (ValueInfoProto v : outputs) used.add(v.getName());
        nodes.removeIf(n -> n.getOpType().equals("Constant") && n.getDomain().isEmpty() && n.getOutputCount() == 1 && !used.contains(n.getOutput(0)));
    }

    static void collectUses(NodeProto n, Set<String> used) {
        used.addAll(n.getInputList());
        for (AttributeProto a : n.getAttributeList()) {
            if (a.hasG()) for (NodeProto s : a.getG().getNodeList()) collectUses(s, used);
            for (GraphProto g : a.getGraphsList()) for (NodeProto s : g.getNodeList()) collectUses(s, used);
        }
    }

    /** Nodes that read {@code value}, by index into {@link #nodes}. */
    Map<String, List<Integer>> consumers() {
        Map<String, List<Integer>> m = new HashMap<>();
        for (int i = 0; i < nodes.size(); i++) {
            for (String in : nodes.get(i).getInputList()) m.computeIfAbsent(in, k -> new ArrayList<>()).add(i);
        }
        return m;
    }

    Set<String> graphOutputNames() {
        Set<String> s = new HashSet<>();
        for (ValueInfoProto v : outputs) s.add(v.getName());
        return s;
    }

    /**
     * Element types (TensorProto.DataType numbers) of every value, inferred forward from graph inputs,
     * initializers and Constant nodes. Most operators give their first input's type; the exceptions
     * that matter for telling float from integer values are listed. Unknown results are absent.
     */
    Map<String, Integer> elementTypes() {
        Map<String, Integer> types = new HashMap<>();
        for (ValueInfoProto v : inputs) if (v.getType().hasTensorType()) types.put(v.getName(), v.getType().getTensorType().getElemType());
        for (TensorProto t : initializers.values()) types.put(t.getName(), t.getDataType());
        for (NodeProto n : nodes) {
            Integer t = outputType(n, types);
            if (t == null) continue;
            for (int i = 0; i < n.getOutputCount(); i++) {
                if (n.getOutput(i).isEmpty()) continue;
                int ti = t;
                switch (n.getOpType()) {
                    case "DynamicQuantizeLinear" -> ti = i == 0 ? UINT8 : i == 1 ? FLOAT : UINT8;
                    case "TopK", "Unique" -> ti = i == 0 ? t : INT64;
                    case "MaxPool" -> ti = i == 0 ? t : INT64;
                    case "LayerNormalization", "Dropout" -> ti = i == 0 ? t : (n.getOpType().equals("Dropout") ? BOOL : FLOAT);
                    default -> { }
                }
                types.put(n.getOutput(i), ti);
            }
        }
        return types;
    }

    private static Integer outputType(NodeProto n, Map<String, Integer> types) {
        switch (n.getOpType()) {
            case "Shape", "Size", "NonZero", "ArgMax", "ArgMin", "NonMaxSuppression": return INT64;
            case "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "Not", "And", "Or", "Xor", "IsNaN", "IsInf": return BOOL;
            case "MatMulInteger", "ConvInteger": return INT32;
            case "Cast": return (int) attrInt(n, "to", FLOAT);
            case "QuantizeLinear": {
                if (n.getInputCount() > 2 && types.containsKey(n.getInput(2))) return types.get(n.getInput(2));
                return UINT8;
            }
            case "DequantizeLinear", "MatMulNBits": return FLOAT;
            case "Where": return n.getInputCount() > 1 ? types.get(n.getInput(1)) : null;
            case "Constant": {
                for (AttributeProto a : n.getAttributeList()) {
                    if (a.hasT()) return a.getT().getDataType();
                    if (a.getName().equals("value_float") || a.getName().equals("value_floats")) return FLOAT;
                    if (a.getName().equals("value_int") || a.getName().equals("value_ints")) return INT64;
                }
                return null;
            }
            case "ConstantOfShape": {
                for (AttributeProto a : n.getAttributeList()) if (a.hasT()) return a.getT().getDataType();
                return FLOAT;
            }
            default:
                for (String in : n.getInputList()) if (!in.isEmpty()) return types.get(in);
                return null;
        }
    }

    static long attrInt(NodeProto n, String name, long absent) {
        for (AttributeProto a : n.getAttributeList()) if (a.getName().equals(name)) return a.getI();
        return absent;
    }

    static float attrFloat(NodeProto n, String name, float absent) {
        for (AttributeProto a : n.getAttributeList()) if (a.getName().equals(name)) return a.getF();
        return absent;
    }

    static AttributeProto intAttr(String name, long v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(v).build();
    }

    static NodeProto node(String op, String name, List<String> in, List<String> out, AttributeProto... attrs) {
        NodeProto.Builder b = NodeProto.newBuilder().setOpType(op).setName(name).addAllInput(in).addAllOutput(out);
        for (AttributeProto a : attrs) b.addAttribute(a);
        return b.build();
    }

    /** The edited model: graph with the current nodes, initializers, inputs and outputs; stale value_info dropped (types changed). */
    ModelProto build() {
        ModelProto p = source.proto();
        GraphProto.Builder g = p.getGraph().toBuilder()
                .clearNode().addAllNode(nodes)
                .clearInitializer().addAllInitializer(initializers.values())
                .clearInput().addAllInput(inputs)
                .clearOutput().addAllOutput(outputs)
                .clearValueInfo();
        ModelProto.Builder m = p.toBuilder().setGraph(g).clearOpsetImport();
        for (var e : opsets.entrySet()) m.addOpsetImport(OperatorSetIdProto.newBuilder().setDomain(e.getKey()).setVersion(e.getValue()));
        // IR 7 is the first that knows opset 13's types; older IR versions stay valid for opset 11.
        if (opset() >= 13 && m.getIrVersion() < 7) m.setIrVersion(7);
        return m.build();
    }

    /** Bytes for the writer: tensors this editor created, else the source model's. */
    OnnxWriter.TensorData tensorData() {
        OnnxWriter.TensorData original = source.tensorData();
        return t -> {
            MemorySegment seg = created.get(t.getName());
            boolean bare = !t.hasRawData() && t.getExternalDataCount() == 0 && t.getUnknownFields().asMap().isEmpty()
                    && t.getFloatDataCount() == 0 && t.getInt32DataCount() == 0 && t.getInt64DataCount() == 0;
            if (seg != null && bare) return seg;
            return original.bytesOf(t);
        };
    }

    @Override public void close() { arena.close(); }
}
