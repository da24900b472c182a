package dev.squint.formats.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Files written by {@link OnnxWriter} load in ONNX Runtime and compute exactly what the originals compute. */
class OnnxRuntimeRoundTripTest {
    // "[CLS] the quick brown fox jumps [SEP]" in the BERT uncased vocabulary.
    private static final long[][] IDS = {{101, 1996, 4248, 2829, 4419, 14523, 102}};

    @Test
    void externalDataCopyOfMiniLmComputesTheSameEmbeddings(@TempDir Path dir) throws OrtException {
        Path copy = dir.resolve("minilm.onnx");
        try (OnnxModel model = OnnxReader.open(OnnxTestModels.minilm())) {
            OnnxWriter.write(model, copy, OnnxWriter.Options.external(1024));
        }
        assertThat(dir.resolve("minilm.onnx.data")).exists();
        float[][][] expected = run(OnnxTestModels.minilm());
        float[][][] actual = run(copy);
        assertThat(actual).isDeepEqualTo(expected);
        assertThat(expected[0]).hasNumberOfRows(IDS[0].length);
        assertThat(expected[0][0]).hasSize(384);
    }

    @Test
    void externalDataCopyOfQuantizedMiniLmComputesTheSameEmbeddings(@TempDir Path dir) throws OrtException {
        Path copy = dir.resolve("q.onnx");
        try (OnnxModel model = OnnxReader.open(OnnxTestModels.minilmQuantized())) {
            OnnxWriter.write(model, copy, OnnxWriter.Options.external(256).withAlignment(65536));
        }
        assertThat(run(copy)).isDeepEqualTo(run(OnnxTestModels.minilmQuantized()));
    }

    private static float[][][] run(Path model) throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(1);
            options.setInterOpNumThreads(1);
            long[][] mask = new long[1][IDS[0].length];
            java.util.Arrays.fill(mask[0], 1);
            try (OrtSession session = env.createSession(model.toString(), options);
                 OnnxTensor ids = OnnxTensor.createTensor(env, IDS);
                 OnnxTensor attention = OnnxTensor.createTensor(env, mask);
                 OnnxTensor types = OnnxTensor.createTensor(env, new long[1][IDS[0].length]);
                 OrtSession.Result result = session.run(Map.of("input_ids", ids, "attention_mask", attention, "token_type_ids", types))) {
                return (float[][][]) result.get(0).getValue();
            }
        }
    }
}
