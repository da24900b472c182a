package dev.squint.formats.onnx;

import dev.squint.formats.onnx.proto.AttributeProto;
import dev.squint.formats.onnx.proto.GraphProto;
import dev.squint.formats.onnx.proto.ModelProto;
import dev.squint.formats.onnx.proto.NodeProto;
import dev.squint.formats.onnx.proto.SparseTensorProto;
import dev.squint.formats.onnx.proto.StringStringEntryProto;
import dev.squint.formats.onnx.proto.TensorProto;

import java.util.List;

/** Small valid models that reach every branch of the reader, as seeds for the fuzzers. */
final class OnnxFuzzSeeds {
    private OnnxFuzzSeeds() {}

    /** Name of the external data file the external seed refers to (the fuzzers create it, 64 bytes). */
    static final String EXTERNAL_FILE = "seed.bin";

    static List<byte[]> all() {
        ModelProto base = OnnxTestModels.matmulModel();
        TensorProto typed = TensorProto.newBuilder().setName("t").setDataType(10).addDims(2).addInt32Data(0x3C00).addInt32Data(1).build();
        TensorProto external = TensorProto.newBuilder().setName("e").setDataType(1).addDims(4)
                .setDataLocation(TensorProto.DataLocation.EXTERNAL)
                .addExternalData(StringStringEntryProto.newBuilder().setKey("location").setValue(EXTERNAL_FILE))
                .addExternalData(StringStringEntryProto.newBuilder().setKey("offset").setValue("16"))
                .addExternalData(StringStringEntryProto.newBuilder().setKey("length").setValue("16")).build();
        SparseTensorProto sparse = SparseTensorProto.newBuilder()
                .setValues(OnnxTestModels.floats("s", new long[] {2}, 1, 2))
                .setIndices(TensorProto.newBuilder().setName("si").setDataType(7).addDims(2).addInt64Data(0).addInt64Data(3))
                .addDims(4).build();
        GraphProto body = GraphProto.newBuilder().setName("then").addInitializer(OnnxTestModels.floats("k", new long[] {1}, 3f))
                .addOutput(OnnxTestModels.floatInput("k", 1)).build();
        ModelProto rich = base.toBuilder().setGraph(base.getGraph().toBuilder()
                .addInitializer(typed).addInitializer(external).addSparseInitializer(sparse)
                .addNode(NodeProto.newBuilder().setOpType("If").setName("if").addInput("cond").addOutput("k")
                        .addAttribute(AttributeProto.newBuilder().setName("then_branch").setType(AttributeProto.AttributeType.GRAPH).setG(body))
                        .addAttribute(AttributeProto.newBuilder().setName("ints").setType(AttributeProto.AttributeType.INTS).addInts(1).addInts(-1))))
                .addMetadataProps(StringStringEntryProto.newBuilder().setKey("k").setValue("v")).build();
        return List.of(base.toByteArray(), rich.toByteArray());
    }
}
