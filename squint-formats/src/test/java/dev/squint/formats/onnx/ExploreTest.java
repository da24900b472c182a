package dev.squint.formats.onnx;

import dev.squint.core.Tensor;
import org.junit.jupiter.api.Test;
import java.nio.file.Path;
import java.util.*;

class ExploreTest {
    @Test void explore() {
        for (String n : List.of("all-minilm-l6-v2/all-minilm-l6-v2.onnx", "all-minilm-l6-v2-q/all-minilm-l6-v2-q.onnx")) {
            long t0 = System.nanoTime();
            try (OnnxModel m = OnnxReader.open(Path.of(System.getProperty("squint.models"), n))) {
                System.out.println(n + " open ms " + (System.nanoTime() - t0) / 1e6);
                System.out.println(m.metadata());
                System.out.println("tensors " + m.tensors().size() + " params " + m.parameterCount() + " bytes " + m.tensorBytes());
                Map<String, Integer> dt = new TreeMap<>();
                for (Tensor t : m.tensors()) dt.merge(t.dtype().name(), 1, Integer::sum);
                System.out.println(dt);
                for (Tensor t : m.tensors().subList(0, 5)) System.out.println(t.name() + " " + t.dtype() + " " + t.shape());
                var g = m.graph();
                System.out.println("nodes " + g.nodes().size() + " inputs " + g.inputs() + " outputs " + g.outputs() + " opsets " + g.opsetImports());
                Map<String, Integer> ops = new TreeMap<>();
                for (var node : g.nodes()) ops.merge(node.opType(), 1, Integer::sum);
                System.out.println(ops);
                System.out.println("proto skeleton size " + m.proto().getSerializedSize());
            }
        }
    }
}
