package dev.squint.quantize.onnx;

import dev.squint.core.SquintException;
import dev.squint.formats.onnx.OnnxWriter;
import dev.squint.formats.onnx.proto.ModelProto;
import dev.squint.formats.onnx.proto.TensorShapeProto;
import dev.squint.formats.onnx.proto.TypeProto;
import dev.squint.formats.onnx.proto.ValueInfoProto;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A copy of the graph being edited that also outputs some of its float activations, loaded in ONNX
 * Runtime, for calibration: static INT8's activation ranges, dynamic INT8's per-channel smoothing.
 * The copy is written to a temporary folder (weights of at least 1 MiB as external data, so that a
 * model over 2 GiB can be probed too) and deleted on {@link #close()}.
 */
final class ActivationProbe implements AutoCloseable {
    private final Path dir;
    private final OrtRunner runner;
    private final Set<String> names;

    ActivationProbe(OnnxGraphEditor g, Set<String> names) {
        this.names = Set.copyOf(names);
        ModelProto base = g.build();
        Set<String> existing = new HashSet<>();
        for (ValueInfoProto v : base.getGraph().getOutputList()) existing.add(v.getName());
        var graph = base.getGraph().toBuilder();
        // Tensors a pass has already created but no node reads yet stay out of the copy (ONNX Runtime would
        // warn about each, and they would be written for nothing).
        Set<String> used = new HashSet<>(names);
        for (var n : base.getGraph().getNodeList()) OnnxGraphEditor.collectUses(n, used);
        for (ValueInfoProto v : base.getGraph().getInputList()) used.add(v.getName());
        for (ValueInfoProto v : base.getGraph().getOutputList()) used.add(v.getName());
        graph.clearInitializer();
        for (var t : base.getGraph().getInitializerList()) if (used.contains(t.getName())) graph.addInitializer(t);
        for (String n : names) {
            if (existing.contains(n)) continue;
            graph.addOutput(ValueInfoProto.newBuilder().setName(n).setType(TypeProto.newBuilder()
                    .setTensorType(TypeProto.Tensor.newBuilder().setElemType(OnnxGraphEditor.FLOAT)
                            .setShape(TensorShapeProto.getDefaultInstance()).clearShape())));
        }
        ModelProto augmented = base.toBuilder().setGraph(graph).build();
        Path d = null;
        try {
            d = Files.createTempDirectory("squint-calibration");
            Path file = d.resolve("calibration.onnx");
            OnnxWriter.write(augmented, g.tensorData(), file, OnnxWriter.Options.external(1 << 20), g.source.files());
            runner = new OrtRunner(file);
        } catch (IOException e) {
            deleteTree(d);
            throw new SquintException("cannot write the calibration model: " + e.getMessage());
        } catch (RuntimeException e) {
            deleteTree(d);
            throw e;
        }
        dir = d;
    }

    /** The probed activations for one batch of inputs. */
    Map<String, OrtRunner.Output> run(Map<String, HostTensor> batch) {
        Map<String, OrtRunner.Output> out = new LinkedHashMap<>();
        for (var e : runner.run(batch).entrySet()) if (names.contains(e.getKey())) out.put(e.getKey(), e.getValue());
        return out;
    }

    @Override public void close() {
        try {
            runner.close();
        } finally {
            deleteTree(dir);
        }
    }

    private static void deleteTree(Path dir) {
        if (dir == null) return;
        try (var s = Files.walk(dir)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a leftover temp folder is harmless
        }
    }
}
