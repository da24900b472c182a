package dev.squint.compare;

import com.google.protobuf.ByteString;
import dev.squint.formats.onnx.OnnxWriter;
import dev.squint.formats.onnx.proto.AttributeProto;
import dev.squint.formats.onnx.proto.GraphProto;
import dev.squint.formats.onnx.proto.ModelProto;
import dev.squint.formats.onnx.proto.NodeProto;
import dev.squint.formats.onnx.proto.OperatorSetIdProto;
import dev.squint.formats.onnx.proto.TensorProto;
import dev.squint.formats.onnx.proto.TensorShapeProto;
import dev.squint.formats.onnx.proto.TypeProto;
import dev.squint.formats.onnx.proto.ValueInfoProto;
import dev.squint.quantize.onnx.HostTensor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A small image classifier written as ONNX by the tests, seeded: x [N,3,8,8] → Conv(6 filters, 3×3, pad 1) + bias →
 * Relu → Flatten → Gemm(10 classes, transB) + bias → logits [N,10]; and .npy files of random images for it.
 */
final class TinyCnn {
    private TinyCnn() {}

    static void write(Path out, long seed) {
        Random rnd = new Random(seed);
        GraphProto g = GraphProto.newBuilder().setName("tiny-cnn")
                .addInput(value("x", "N", 3, 8, 8)).addOutput(value("logits", "N", 10))
                .addInitializer(weights("w1", rnd, 0.3f, 6, 3, 3, 3)).addInitializer(weights("b1", rnd, 0.1f, 6))
                .addInitializer(weights("wf", rnd, 0.08f, 10, 6 * 8 * 8)).addInitializer(weights("bf", rnd, 0.1f, 10))
                .addNode(node("Conv", "conv", List.of("x", "w1", "b1"), "c", ints("pads", 1, 1, 1, 1), ints("kernel_shape", 3, 3)))
                .addNode(node("Relu", "relu", List.of("c"), "r"))
                .addNode(node("Flatten", "flatten", List.of("r"), "f", AttributeProto.newBuilder().setName("axis")
                        .setType(AttributeProto.AttributeType.INT).setI(1).build()))
                .addNode(node("Gemm", "fc", List.of("f", "wf", "bf"), "logits", AttributeProto.newBuilder().setName("transB")
                        .setType(AttributeProto.AttributeType.INT).setI(1).build()))
                .build();
        ModelProto m = ModelProto.newBuilder().setIrVersion(8).setProducerName("squint-compare-test")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(13)).setGraph(g).build();
        OnnxWriter.write(m, t -> null, out, OnnxWriter.Options.inline(), List.of());
    }

    /** {@code n} standard-normal images as one batch. */
    static HostTensor images(long seed, int n) {
        Random rnd = new Random(seed);
        float[] v = new float[n * 3 * 8 * 8];
        for (int i = 0; i < v.length; i++) v[i] = (float) rnd.nextGaussian();
        return HostTensor.ofFloats("x", new long[] {n, 3, 8, 8}, v);
    }

    /** Writes {@code t} as NumPy's format 1.0 .npy (little-endian float32, C order). */
    static Path npy(Path file, HostTensor t) throws IOException {
        StringBuilder dims = new StringBuilder();
        for (int i = 0; i < t.shape().length; i++) dims.append(i == 0 ? "" : ", ").append(t.shape()[i]);
        if (t.shape().length == 1) dims.append(',');
        String header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims + "), }";
        int pad = (64 - (10 + header.length() + 1) % 64) % 64;
        header = header + " ".repeat(pad) + "\n";
        ByteBuffer data = t.data().duplicate().order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer b = ByteBuffer.allocate(10 + header.length() + data.remaining()).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.ISO_8859_1)).put((byte) 1).put((byte) 0).putShort((short) header.length());
        b.put(header.getBytes(StandardCharsets.ISO_8859_1)).put(data);
        Files.write(file, b.array());
        return file;
    }

    static List<Map<String, HostTensor>> batches(HostTensor t) {
        return List.of(Map.of(t.name(), t));
    }

    private static TensorProto weights(String name, Random rnd, float std, long... dims) {
        long n = 1;
        for (long d : dims) n *= d;
        ByteBuffer b = ByteBuffer.allocate((int) n * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (long i = 0; i < n; i++) b.putFloat((float) (rnd.nextGaussian() * std));
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(1).setRawData(ByteString.copyFrom(b.array()));
        for (long d : dims) t.addDims(d);
        return t.build();
    }

    private static ValueInfoProto value(String name, Object... dims) {
        TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
        for (Object d : dims) {
            if (d instanceof String p) s.addDim(TensorShapeProto.Dimension.newBuilder().setDimParam(p));
            else s.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(((Number) d).longValue()));
        }
        return ValueInfoProto.newBuilder().setName(name)
                .setType(TypeProto.newBuilder().setTensorType(TypeProto.Tensor.newBuilder().setElemType(1).setShape(s))).build();
    }

    private static AttributeProto ints(String name, long... v) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
        for (long x : v) a.addInts(x);
        return a.build();
    }

    private static NodeProto node(String op, String name, List<String> in, String out, AttributeProto... attrs) {
        NodeProto.Builder b = NodeProto.newBuilder().setOpType(op).setName(name).addAllInput(in).addOutput(out);
        for (AttributeProto a : attrs) b.addAttribute(a);
        return b.build();
    }
}
