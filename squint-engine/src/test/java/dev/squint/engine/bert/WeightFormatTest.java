package dev.squint.engine.bert;

import dev.squint.core.GgmlType;
import dev.squint.kernels.RowParallel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Every format, built in memory from all-MiniLM-L6-v2's FP32 weights, stays close to FP32 — closer the more bits it keeps. */
class WeightFormatTest {
    static RowParallel threads;
    static BertEncoder base;
    static final List<String> TEXTS = List.of("A man is playing a guitar.", "The cat sat on the mat.", "Stocks fell sharply on Monday.");

    @BeforeAll
    static void load() {
        Path onnx = Path.of(System.getProperty("squint.models", "target/models"), "all-minilm-l6-v2", "all-minilm-l6-v2.onnx");
        assumeTrue(Files.exists(onnx), "all-MiniLM-L6-v2 not unpacked at " + onnx);
        threads = new RowParallel(2);
        base = BertLoader.open(onnx, threads);
    }

    @AfterAll
    static void close() {
        if (base != null) base.close();
        if (threads != null) threads.close();
    }

    @Test
    void kQuantsFallBackOnRowsThatAreNotWholeSuperBlocks() {
        assertThat(WeightFormat.Q4_K.typeFor(384)).contains(GgmlType.Q5_0);
        assertThat(WeightFormat.Q5_K.typeFor(384)).contains(GgmlType.Q5_1);
        assertThat(WeightFormat.Q4_K.typeFor(1536)).contains(GgmlType.Q4_K);
        assertThat(WeightFormat.INT4.typeFor(384)).isEmpty();
        assertThat(WeightFormat.parse("int8-dynamic")).contains(WeightFormat.INT8_DYNAMIC);
        assertThat(WeightFormat.parse("q4_k")).contains(WeightFormat.Q4_K);
        assertThat(WeightFormat.parse("nope")).isEmpty();
    }

    @Test
    void everyFormatStaysCloseToFp32() {
        float[][] fp32 = base.embed(TEXTS);
        double[] minCos = new double[WeightFormat.values().length];
        for (WeightFormat f : WeightFormat.values()) {
            try (BertWeights w = f.apply(base.weights())) {
                float[][] e = base.withWeights(w).embed(TEXTS);
                double min = 1;
                for (int i = 0; i < TEXTS.size(); i++) min = Math.min(min, EncoderEval.cosine(e[i], fp32[i]));
                minCos[f.ordinal()] = min;
                // 4-bit symmetric formats cost MiniLM about 0.05 of cosine (STS table: INT4 g32 min 0.94, Q4_0 0.95 over 200 sentences)
                assertThat(min).as("%s", f).isGreaterThan(f == WeightFormat.INT4 || f == WeightFormat.Q4_0 ? 0.92
                        : f == WeightFormat.Q4_K || f == WeightFormat.Q5_K ? 0.98 : 0.995);
                if (f != WeightFormat.FP32) assertThat(w.projectionBytes()).as("%s", f).isLessThan(base.weights().projectionBytes());
            }
        }
        assertThat(minCos[WeightFormat.FP32.ordinal()]).isEqualTo(1.0, org.assertj.core.data.Offset.offset(1e-12));
        // 16-bit floats and 8-bit formats keep more than 4-bit ones
        assertThat(minCos[WeightFormat.FP16.ordinal()]).isGreaterThan(minCos[WeightFormat.Q4_0.ordinal()]);
        assertThat(minCos[WeightFormat.Q8_0.ordinal()]).isGreaterThan(minCos[WeightFormat.Q4_0.ordinal()]);
        assertThat(minCos[WeightFormat.INT8.ordinal()]).isGreaterThan(minCos[WeightFormat.INT4.ordinal()]);
    }
}
