package dev.squint.formats.onnx;

import com.google.protobuf.ByteString;
import dev.squint.formats.onnx.proto.AttributeProto;
import dev.squint.formats.onnx.proto.GraphProto;
import dev.squint.formats.onnx.proto.ModelProto;
import dev.squint.formats.onnx.proto.NodeProto;
import dev.squint.formats.onnx.proto.OperatorSetIdProto;
import dev.squint.formats.onnx.proto.TensorProto;
import dev.squint.formats.onnx.proto.TensorShapeProto;
import dev.squint.formats.onnx.proto.TypeProto;
import dev.squint.formats.onnx.proto.ValueInfoProto;
import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/** The MiniLM test models and small hand-built ONNX models. */
final class OnnxTestModels {
    private OnnxTestModels() {}

    static Path minilm() { return model("all-minilm-l6-v2/all-minilm-l6-v2.onnx"); }

    static Path minilmQuantized() { return model("all-minilm-l6-v2-q/all-minilm-l6-v2-q.onnx"); }

    private static Path model(String relative) {
        String root = System.getProperty("squint.models");
        Assumptions.assumeTrue(root != null, "system property squint.models is not set (run through Maven)");
        Path p = Path.of(root, relative);
        Assumptions.assumeTrue(Files.exists(p), p + " is missing (Maven unpacks it in generate-test-resources)");
        return p;
    }

    /** A float tensor with raw_data holding {@code values} little-endian. */
    static TensorProto floats(String name, long[] dims, float... values) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) b.putFloat(v);
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(1).setRawData(ByteString.copyFrom(b.array()));
        for (long d : dims) t.addDims(d);
        return t.build();
    }

    static ValueInfoProto floatInput(String name, Object... dims) {
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
        for (Object d : dims) {
            if (d instanceof String s) shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimParam(s));
            else shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(((Number) d).longValue()));
        }
        return ValueInfoProto.newBuilder().setName(name)
                .setType(TypeProto.newBuilder().setTensorType(TypeProto.Tensor.newBuilder().setElemType(1).setShape(shape))).build();
    }

    /** y = x @ w + b, with a Constant node and the given initializers. */
    static ModelProto matmulModel(TensorProto... initializers) {
        GraphProto.Builder g = GraphProto.newBuilder().setName("tiny")
                .addInput(floatInput("x", "batch", 2))
                .addOutput(floatInput("y", "batch", 3))
                .addNode(NodeProto.newBuilder().setOpType("Constant").setName("c").addOutput("one")
                        .addAttribute(AttributeProto.newBuilder().setName("value").setType(AttributeProto.AttributeType.TENSOR)
                                .setT(floats("one", new long[] {1}, 1f))))
                .addNode(NodeProto.newBuilder().setOpType("MatMul").setName("mm").addInput("x").addInput("w").addOutput("xw"))
                .addNode(NodeProto.newBuilder().setOpType("Add").setName("add").addInput("xw").addInput("b").addOutput("y"));
        for (TensorProto t : initializers) g.addInitializer(t);
        return ModelProto.newBuilder().setIrVersion(10).setProducerName("squint-test").setProducerVersion("1")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(21))
                .setGraph(g).build();
    }

    static ModelProto matmulModel() {
        return matmulModel(floats("w", new long[] {2, 3}, 1, 2, 3, 4, 5, 6), floats("b", new long[] {3}, 0.5f, -0.5f, 0));
    }

    static Path write(Path dir, String name, ModelProto proto) {
        return write(dir, name, proto.toByteArray());
    }

    static Path write(Path dir, String name, byte[] bytes) {
        try {
            Path p = dir.resolve(name);
            Files.write(p, bytes);
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
