package dev.squint.formats.onnx;

import dev.squint.core.ScalarType;
import dev.squint.core.Tensor;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An immutable view of an ONNX graph: its nodes, inputs, outputs, value infos and initializer names,
 * with the model-level facts a graph is interpreted under (IR version, producer, opset imports). A
 * subgraph (the body of an {@code If}, {@code Loop} or {@code Scan}) carries the same model-level
 * facts, since it binds against the opsets of the model that holds it.
 *
 * <p>Tensor-valued attributes hold {@link Tensor}s whose data are views owned by the
 * {@link OnnxModel}: they are valid only while the model is open.
 *
 * @param opsetImports opset version by domain; the default ONNX domain is the empty string
 */
public record OnnxGraph(String name, long irVersion, String producerName, String producerVersion,
                        Map<String, Long> opsetImports, List<Node> nodes, List<ValueInfo> inputs,
                        List<ValueInfo> outputs, List<ValueInfo> valueInfo, List<String> initializerNames,
                        List<String> sparseInitializerNames) {

    public OnnxGraph {
        opsetImports = Map.copyOf(opsetImports);
        nodes = List.copyOf(nodes);
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
        valueInfo = List.copyOf(valueInfo);
        initializerNames = List.copyOf(initializerNames);
        sparseInitializerNames = List.copyOf(sparseInitializerNames);
    }

    /** Nodes with this {@code op_type}, in graph order. */
    public List<Node> nodesOfType(String opType) {
        return nodes.stream().filter(n -> n.opType().equals(opType)).toList();
    }

    public Optional<ValueInfo> input(String name) {
        return inputs.stream().filter(v -> v.name().equals(name)).findFirst();
    }

    /** One operator application. The domain is empty for the default ONNX operator set. */
    public record Node(String name, String opType, String domain, List<String> inputs, List<String> outputs,
                       List<Attribute> attributes) {
        public Node {
            inputs = List.copyOf(inputs);
            outputs = List.copyOf(outputs);
            attributes = List.copyOf(attributes);
        }

        public Optional<Attribute> attribute(String name) {
            return attributes.stream().filter(a -> a.name().equals(name)).findFirst();
        }
    }

    public record Attribute(String name, AttributeValue value) {}

    /** An attribute's value, one variant per {@code AttributeProto.AttributeType}. */
    public sealed interface AttributeValue {
        record FloatValue(float value) implements AttributeValue {}
        record IntValue(long value) implements AttributeValue {}
        /** ONNX attribute strings are bytes; shown here decoded as UTF-8. */
        record StringValue(String value) implements AttributeValue {}
        record TensorValue(Tensor tensor) implements AttributeValue {}
        record GraphValue(OnnxGraph graph) implements AttributeValue {}
        record SparseTensorValue(SparseTensor tensor) implements AttributeValue {}
        record TypeValue(ValueType type) implements AttributeValue {}
        record Floats(List<Float> values) implements AttributeValue { public Floats { values = List.copyOf(values); } }
        record Ints(List<Long> values) implements AttributeValue { public Ints { values = List.copyOf(values); } }
        record Strings(List<String> values) implements AttributeValue { public Strings { values = List.copyOf(values); } }
        record Tensors(List<Tensor> values) implements AttributeValue { public Tensors { values = List.copyOf(values); } }
        record Graphs(List<OnnxGraph> values) implements AttributeValue { public Graphs { values = List.copyOf(values); } }
        record SparseTensors(List<SparseTensor> values) implements AttributeValue { public SparseTensors { values = List.copyOf(values); } }
        record TypeValues(List<ValueType> values) implements AttributeValue { public TypeValues { values = List.copyOf(values); } }
        /** Inside a function: takes the value of the caller's attribute {@code refName}. */
        record Reference(String refName) implements AttributeValue {}
        /** An attribute whose type field is missing or unknown. */
        record Undefined(int typeId) implements AttributeValue {}
    }

    /** A sparse tensor: non-default values, their indices and the dense shape. */
    public record SparseTensor(Tensor values, Tensor indices, List<Long> denseShape) {
        public SparseTensor { denseShape = List.copyOf(denseShape); }
    }

    /** A named value's declared type (graph input, output or value info). */
    public record ValueInfo(String name, ValueType type) {}

    /** The type of a value, one variant per {@code TypeProto} case. */
    public sealed interface ValueType {
        /**
         * A dense tensor.
         *
         * @param elemType the {@code TensorProto.DataType} number (0 when not given)
         * @param shape the dimensions, or empty when the rank is unknown
         */
        record TensorType(int elemType, Optional<List<Dim>> shape) implements ValueType {
            public TensorType { shape = shape.map(List::copyOf); }
            public Optional<ScalarType> dtype() { return ScalarType.fromOnnx(elemType); }
        }
        record SparseTensorType(int elemType, Optional<List<Dim>> shape) implements ValueType {
            public SparseTensorType { shape = shape.map(List::copyOf); }
        }
        record SequenceType(ValueType elemType) implements ValueType {}
        record MapType(int keyType, ValueType valueType) implements ValueType {}
        record OptionalType(ValueType elemType) implements ValueType {}
        record OpaqueType(String domain, String name) implements ValueType {}
        /** No type was given. */
        record Unknown() implements ValueType {}
    }

    /** One dimension of a declared shape. */
    public sealed interface Dim {
        record Fixed(long value) implements Dim {}
        /** A named, symbolic dimension such as {@code batch_size}. */
        record Symbolic(String name) implements Dim {}
        /** Neither a value nor a name. */
        record Unknown() implements Dim {}
    }
}
