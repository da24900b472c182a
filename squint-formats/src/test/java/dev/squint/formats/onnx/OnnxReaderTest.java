package dev.squint.formats.onnx;

import dev.squint.core.Container;
import dev.squint.core.ScalarType;
import dev.squint.core.Shape;
import dev.squint.core.Tensor;
import dev.squint.formats.ModelOpener;
import dev.squint.formats.onnx.OnnxGraph.AttributeValue;
import dev.squint.formats.onnx.OnnxGraph.Dim;
import dev.squint.formats.onnx.OnnxGraph.ValueType;
import org.junit.jupiter.api.Test;

import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class OnnxReaderTest {
    private static final ValueLayout.OfLong I64_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    // BERT with 6 layers, hidden 384, FFN 1536, vocabulary 30522, 512 positions, 2 token types, no pooler:
    // embeddings (3 tables + LayerNorm) + 6 x (QKV, attention output, 2 LayerNorms, FFN up and down) + position_ids.
    private static final long EMBEDDINGS = 30522L * 384 + 512L * 384 + 2L * 384 + 2 * 384;
    private static final long LAYER = 3 * (384L * 384 + 384) + (384L * 384 + 384) + 2 * 2 * 384 + (384L * 1536 + 1536) + (1536L * 384 + 384);
    private static final long MINILM_PARAMETERS = EMBEDDINGS + 6 * LAYER + 512;

    @Test
    void readsEveryMiniLmInitializerAsAViewOfTheMapping() {
        try (OnnxModel model = OnnxReader.open(OnnxTestModels.minilm())) {
            assertThat(model.container()).isEqualTo(Container.ONNX);
            List<Tensor> tensors = model.tensors();
            assertThat(tensors).hasSize(model.proto().getGraph().getInitializerCount());
            Tensor words = model.tensor("embeddings.word_embeddings.weight").orElseThrow();
            assertThat(words.dtype()).isEqualTo(ScalarType.F32);
            assertThat(words.shape()).isEqualTo(Shape.of(30522, 384));
            assertThat(words.byteSize()).isEqualTo(30522L * 384 * 4);
            // PyTorch names the transposed MatMul weights onnx::MatMul_N: 4 [384, 384] and 2 FFN matrices per layer.
            assertThat(tensors.stream().filter(t -> t.shape().equals(Shape.of(384, 384)))).hasSize(24);
            assertThat(tensors.stream().filter(t -> t.shape().equals(Shape.of(384, 1536)))).hasSize(6);
            assertThat(tensors.stream().filter(t -> t.shape().equals(Shape.of(1536, 384)))).hasSize(6);
            assertThat(model.parameterCount()).isEqualTo(MINILM_PARAMETERS);
            assertThat(model.parameterCount()).isBetween(22_500_000L, 22_800_000L);
            for (Tensor t : tensors) {
                assertThat(t.dtype()).isIn(ScalarType.F32, ScalarType.I64);
                assertThat(t.data().isNative()).as("%s is a view of the mapped file, not a heap copy", t.name()).isTrue();
                assertThat(t.data().byteSize()).isEqualTo(t.info().byteSize());
            }
            // position_ids is arange(512) in every BERT export.
            Tensor positions = model.tensor("embeddings.position_ids").orElseThrow();
            assertThat(positions.dtype()).isEqualTo(ScalarType.I64);
            assertThat(positions.shape()).isEqualTo(Shape.of(1, 512));
            for (int i = 0; i < 512; i++) assertThat(positions.data().get(I64_LE, 8L * i)).isEqualTo(i);
            // LayerNorm scales of a trained model are finite and mostly near 1.
            Tensor ln = model.tensor("embeddings.LayerNorm.weight").orElseThrow();
            double sum = 0;
            for (int i = 0; i < 384; i++) sum += ln.data().get(F32_LE, 4L * i);
            assertThat(sum / 384).isBetween(0.2, 2.0);
            assertThat(model.tensorBytes()).isLessThan(model.fileSize());
        }
    }

    @Test
    void exposesMiniLmGraphAndMetadata() {
        try (OnnxModel model = OnnxReader.open(OnnxTestModels.minilm())) {
            OnnxGraph g = model.graph();
            assertThat(g.inputs()).extracting(OnnxGraph.ValueInfo::name).containsExactly("input_ids", "attention_mask", "token_type_ids");
            for (OnnxGraph.ValueInfo in : g.inputs()) {
                ValueType.TensorType type = (ValueType.TensorType) in.type();
                assertThat(type.dtype()).contains(ScalarType.I64);
                assertThat(type.shape().orElseThrow()).containsExactly(new Dim.Symbolic("batch_size"), new Dim.Symbolic("sequence_length"));
            }
            assertThat(g.outputs()).extracting(OnnxGraph.ValueInfo::name).contains("last_hidden_state");
            ValueType.TensorType out = (ValueType.TensorType) g.outputs().getFirst().type();
            assertThat(out.dtype()).contains(ScalarType.F32);
            assertThat(out.shape().orElseThrow().getLast()).isEqualTo(new Dim.Fixed(384));
            // 6 layers x (Q, K, V, QK^T, attention x V, output, FFN up, FFN down) matrix products; GELU uses Erf.
            assertThat(g.nodesOfType("MatMul")).hasSize(48);
            assertThat(g.nodesOfType("Softmax")).hasSize(6);
            assertThat(g.nodesOfType("Erf")).hasSize(6);
            assertThat(g.opsetImports()).containsKey("");
            assertThat(g.irVersion()).isEqualTo(model.proto().getIrVersion()).isPositive();
            assertThat(g.initializerNames()).contains("embeddings.word_embeddings.weight");
            // Every node input is a graph input, an initializer or some node's output (or the empty optional input).
            Set<String> known = new java.util.HashSet<>(g.initializerNames());
            g.inputs().forEach(v -> known.add(v.name()));
            known.add("");
            for (OnnxGraph.Node n : g.nodes()) {
                assertThat(known).as("inputs of %s", n.name()).containsAll(n.inputs());
                known.addAll(n.outputs());
            }
            // Constant nodes carry tensor attributes resolved like initializers.
            OnnxGraph.Node constant = g.nodesOfType("Constant").getFirst();
            assertThat(constant.attribute("value").orElseThrow().value()).isInstanceOf(AttributeValue.TensorValue.class);

            assertThat(model.metadata().integer("onnx.ir_version")).contains(model.proto().getIrVersion());
            assertThat(model.metadata().string("onnx.producer_name")).contains(model.proto().getProducerName());
            assertThat(model.metadata().integer("onnx.opset.ai.onnx")).isPresent();
            assertThat(model.architecture()).isEmpty();
        }
    }

    @Test
    void readsQuantizedMiniLmIntegerWeightsAndNodes() {
        try (OnnxModel model = OnnxReader.open(OnnxTestModels.minilmQuantized())) {
            Map<String, Tensor> byName = new HashMap<>();
            for (Tensor t : model.tensors()) byName.put(t.name(), t);
            assertThat(model.tensors()).extracting(Tensor::dtype).contains(ScalarType.I8, ScalarType.U8, ScalarType.F32);
            OnnxGraph g = model.graph();
            // ONNX Runtime's dynamic quantization: each of the 6 weight matrices of each of 6 layers becomes MatMulInteger.
            assertThat(g.nodesOfType("MatMulInteger")).hasSize(36);
            assertThat(g.nodesOfType("DynamicQuantizeLinear")).isNotEmpty();
            for (OnnxGraph.Node mm : g.nodesOfType("MatMulInteger")) {
                Tensor w = byName.get(mm.inputs().get(1));
                assertThat(w).as("weight of %s", mm.name()).isNotNull();
                assertThat(w.dtype()).isIn(ScalarType.I8, ScalarType.U8);
                assertThat(w.shape().rank()).isEqualTo(2);
                assertThat(w.shape().dim(0)).isIn(384L, 1536L);
                assertThat(w.byteSize()).isEqualTo(w.shape().elementCount());
            }
            // Quantization keeps the parameters (weights as int8 plus scales and zero points).
            assertThat(model.parameterCount()).isGreaterThanOrEqualTo(MINILM_PARAMETERS);
            assertThat(model.bitsPerWeight()).isLessThan(9.0);
        }
    }

    @Test
    void modelOpenerPicksTheOnnxReader() {
        try (var model = ModelOpener.open(OnnxTestModels.minilmQuantized())) {
            assertThat(model).isInstanceOf(OnnxModel.class);
        }
    }

    @Test
    void readsSyntheticModelWithSubgraphsAndConstants(@org.junit.jupiter.api.io.TempDir Path dir) {
        Path p = OnnxTestModels.write(dir, "tiny.onnx", OnnxTestModels.matmulModel());
        try (OnnxModel model = OnnxReader.open(p)) {
            assertThat(model.tensors()).extracting(Tensor::name).containsExactly("w", "b");
            Tensor w = model.tensor("w").orElseThrow();
            assertThat(w.shape()).isEqualTo(Shape.of(2, 3));
            assertThat(w.data().get(F32_LE, 4 * 5)).isEqualTo(6f);
            OnnxGraph g = model.graph();
            assertThat(g.nodes()).extracting(OnnxGraph.Node::opType).containsExactly("Constant", "MatMul", "Add");
            assertThat(g.inputs().getFirst().type()).isEqualTo(new ValueType.TensorType(1,
                    java.util.Optional.of(List.of(new Dim.Symbolic("batch"), new Dim.Fixed(2)))));
            Tensor one = ((AttributeValue.TensorValue) g.nodes().getFirst().attribute("value").orElseThrow().value()).tensor();
            assertThat(one.data().get(F32_LE, 0)).isEqualTo(1f);
            assertThat(g.opsetImports()).containsEntry("", 21L);
            assertThat(model.metadata().string("onnx.producer_name")).contains("squint-test");
        }
    }

    @Test
    void graphViewCoversSubgraphsSparseAndListAttributes(@org.junit.jupiter.api.io.TempDir Path dir) throws java.io.IOException {
        java.nio.file.Files.write(dir.resolve(OnnxFuzzSeeds.EXTERNAL_FILE), new byte[64]);
        Path p = OnnxTestModels.write(dir, "rich.onnx", OnnxFuzzSeeds.all().get(1));
        try (OnnxModel model = OnnxReader.open(p)) {
            OnnxGraph g = model.graph();
            assertThat(g.initializerNames()).containsExactly("w", "b", "t", "e");
            assertThat(g.sparseInitializerNames()).containsExactly("s");
            OnnxGraph.Node branch = g.nodesOfType("If").getFirst();
            OnnxGraph body = ((AttributeValue.GraphValue) branch.attribute("then_branch").orElseThrow().value()).graph();
            assertThat(body.name()).isEqualTo("then");
            assertThat(body.initializerNames()).containsExactly("k");
            assertThat(body.opsetImports()).isEqualTo(g.opsetImports());
            assertThat(branch.attribute("ints").orElseThrow().value()).isEqualTo(new AttributeValue.Ints(List.of(1L, -1L)));
            // Typed float16 converted off-heap, external data mapped from the file beside the model.
            assertThat(model.tensor("t").orElseThrow().dtype()).isEqualTo(ScalarType.F16);
            assertThat(model.tensor("t").orElseThrow().data().isNative()).isTrue();
            assertThat(model.tensor("e").orElseThrow().byteSize()).isEqualTo(16);
            assertThat(model.files()).hasSize(2);
            assertThat(model.metadata().string("k")).contains("v");
            // Sparse initializers are not dense tensors: they stay out of tensors().
            assertThat(model.tensors()).extracting(Tensor::name).containsExactly("w", "b", "t", "e");
        }
    }

    @Test
    void closedModelRefusesAccess(@org.junit.jupiter.api.io.TempDir Path dir) {
        Path p = OnnxTestModels.write(dir, "tiny.onnx", OnnxTestModels.matmulModel());
        OnnxModel model = OnnxReader.open(p);
        model.close();
        model.close(); // idempotent
        assertThatThrownBy(model::proto).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(model::tensors).isInstanceOf(IllegalStateException.class);
    }
}
