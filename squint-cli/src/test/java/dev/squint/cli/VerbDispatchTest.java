package dev.squint.cli;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class VerbDispatchTest {
    @Test
    void quantizeChoosesTheFormByContainer() {
        var q = new VerbDispatch.QuantizeVerb();
        assertThat(q.formFor(List.of("m-f16.gguf", "m-q4.gguf", "Q4_K_M"))).isInstanceOf(QuantizeCommand.class);
        assertThat(q.formFor(List.of("stories260K.bin", "out.gguf", "Q8_0"))).isInstanceOf(QuantizeCommand.class);
        assertThat(q.formFor(List.of("model.onnx", "out.gguf", "Q8_0"))).isInstanceOf(QuantizeCommand.class);
        assertThat(q.formFor(List.of("model.onnx", "out.onnx", "--mode", "dynamic"))).isInstanceOf(OnnxQuantizeCommand.class);
        assertThat(q.formFor(List.of("model.onnx", "out.onnx", "--mode=int4"))).isInstanceOf(OnnxQuantizeCommand.class);
        assertThat(q.formFor(List.of("model.onnx", "out.onnx"))).isInstanceOf(OnnxQuantizeCommand.class);
    }

    @Test
    void evalAndBenchChooseTheFormByModelAndOptions() {
        var e = new VerbDispatch.EvalVerb();
        assertThat(e.formFor(List.of("m.gguf", "--perplexity", "t.txt"))).isInstanceOf(EvalCommand.class);
        assertThat(e.formFor(List.of("m.onnx", "--sts", "sts.csv"))).isInstanceOf(EncoderEvalCommand.class);
        assertThat(e.formFor(List.of("all-minilm-l6-v2"))).isInstanceOf(EncoderEvalCommand.class);
        var b = new VerbDispatch.BenchVerb();
        assertThat(b.formFor(List.of("m.gguf", "-p", "128"))).isInstanceOf(BenchCommand.class);
        assertThat(b.formFor(List.of("all-minilm-l6-v2", "--dynamic"))).isInstanceOf(EncoderBenchCommand.class);
        assertThat(b.formFor(List.of("minilm.onnx"))).isInstanceOf(EncoderBenchCommand.class);
    }
}
