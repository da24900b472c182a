package dev.squint.bench;

import dev.squint.formats.onnx.proto.GraphProto;
import dev.squint.formats.onnx.proto.ModelProto;
import dev.squint.formats.onnx.proto.NodeProto;
import dev.squint.formats.onnx.proto.OperatorSetIdProto;
import dev.squint.formats.onnx.proto.StringStringEntryProto;
import dev.squint.formats.onnx.proto.TensorProto;
import dev.squint.formats.onnx.proto.TensorShapeProto;
import dev.squint.formats.onnx.proto.TypeProto;
import dev.squint.formats.onnx.proto.ValueInfoProto;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A benchmark fixture over protobuf's 2 GiB limit: an ONNX model whose float32 weights live in an
 * external data file. The graph is a stack of square MatMuls with Relu between them,
 * {@code x [N, H] → MatMul(w0) → Relu → ... → MatMul(w[L-1]) → y [N, H]}; weights are seeded
 * uniform with the He standard deviation {@code sqrt(2 / H)}, so activations keep their scale through
 * the stack. The data file is written block by block (the heap never holds a whole weight).
 * <pre>
 *   java -cp squint-bench.jar dev.squint.bench.LargeOnnxMlp /tmp/big.onnx [LAYERS=9] [HIDDEN=8192] [SEED=1]
 * </pre>
 * 9 layers of 8192 × 8192 are 2.25 GiB of weights.
 */
public final class LargeOnnxMlp {
    private LargeOnnxMlp() {}

    public static void main(String[] args) throws IOException {
        if (args.length < 1 || args.length > 4) {
            System.err.println("usage: LargeOnnxMlp OUT.onnx [LAYERS=9] [HIDDEN=8192] [SEED=1]");
            System.exit(2);
        }
        Path out = Path.of(args[0]);
        int layers = args.length > 1 ? Integer.parseInt(args[1]) : 9;
        int hidden = args.length > 2 ? Integer.parseInt(args[2]) : 8192;
        long seed = args.length > 3 ? Long.parseLong(args[3]) : 1;
        long t0 = System.nanoTime();
        long bytes = write(out, layers, hidden, seed);
        System.out.printf("%s: %d layers of %d x %d, %,d bytes of external data, %.1f s%n", out, layers, hidden, hidden, bytes,
                (System.nanoTime() - t0) / 1e9);
    }

    /** Writes {@code out} and {@code out.data}; returns the data file's size. */
    static long write(Path out, int layers, int hidden, long seed) throws IOException {
        String dataName = out.getFileName() + ".data";
        Path data = out.resolveSibling(dataName);
        long tensorBytes = 4L * hidden * hidden;
        float bound = (float) Math.sqrt(3) * (float) Math.sqrt(2.0 / hidden); // uniform [-b, b] has std b / sqrt(3)
        GraphProto.Builder g = GraphProto.newBuilder().setName("large_mlp")
                .addInput(value("x", hidden)).addOutput(value("y", hidden));
        String prev = "x";
        long state = seed * 0x9E3779B97F4A7C15L + 1;
        ByteBuffer buf = ByteBuffer.allocateDirect(1 << 22).order(ByteOrder.LITTLE_ENDIAN);
        try (FileChannel ch = FileChannel.open(data, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            for (int l = 0; l < layers; l++) {
                String w = "w" + l;
                TensorProto.Builder t = TensorProto.newBuilder().setName(w).setDataType(1).addDims(hidden).addDims(hidden)
                        .setDataLocation(TensorProto.DataLocation.EXTERNAL)
                        .addExternalData(entry("location", dataName))
                        .addExternalData(entry("offset", Long.toString(l * tensorBytes)))
                        .addExternalData(entry("length", Long.toString(tensorBytes)));
                g.addInitializer(t);
                for (long i = 0; i < (long) hidden * hidden; i++) {
                    state ^= state << 13; // xorshift64: fast and seeded
                    state ^= state >>> 7;
                    state ^= state << 17;
                    float u = (state >>> 40) * 0x1.0p-24f; // [0, 1)
                    buf.putFloat((2 * u - 1) * bound);
                    if (!buf.hasRemaining()) {
                        buf.flip();
                        while (buf.hasRemaining()) ch.write(buf);
                        buf.clear();
                    }
                }
                String y = l == layers - 1 ? "y" : "h" + l;
                g.addNode(NodeProto.newBuilder().setOpType("MatMul").setName("matmul" + l).addInput(prev).addInput(w).addOutput(y));
                if (l < layers - 1) {
                    String r = "r" + l;
                    g.addNode(NodeProto.newBuilder().setOpType("Relu").setName("relu" + l).addInput(y).addOutput(r));
                    prev = r;
                }
            }
            buf.flip();
            while (buf.hasRemaining()) ch.write(buf);
        }
        ModelProto m = ModelProto.newBuilder().setIrVersion(8).setProducerName("squint-bench LargeOnnxMlp")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(13)).setGraph(g).build();
        Files.write(out, m.toByteArray());
        return Files.size(data);
    }

    private static StringStringEntryProto entry(String k, String v) {
        return StringStringEntryProto.newBuilder().setKey(k).setValue(v).build();
    }

    private static ValueInfoProto value(String name, int hidden) {
        TensorShapeProto.Builder s = TensorShapeProto.newBuilder()
                .addDim(TensorShapeProto.Dimension.newBuilder().setDimParam("N"))
                .addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(hidden));
        return ValueInfoProto.newBuilder().setName(name)
                .setType(TypeProto.newBuilder().setTensorType(TypeProto.Tensor.newBuilder().setElemType(1).setShape(s))).build();
    }
}
