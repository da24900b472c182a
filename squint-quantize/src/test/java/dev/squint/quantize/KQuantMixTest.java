package dev.squint.quantize;

import dev.squint.core.GgmlType;
import dev.squint.core.codec.Codecs;
import dev.squint.core.codec.FloatFormats;
import dev.squint.formats.gguf.GgufFile;
import dev.squint.formats.gguf.GgufReader;
import dev.squint.formats.gguf.GgufTensorInfo;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static dev.squint.core.GgmlType.*;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A random llama-shaped F16 model whose rows are multiples of 256 (so every K-quant applies),
 * quantized to each K-quant mix: the per-tensor types follow llama.cpp's rules (expectations worked
 * out by hand from llama-quant.cpp for 8 layers, GQA 2), and every tensor's bytes equal the scalar
 * reference {@link Codecs#quantizeChunk} of the source rows.
 */
class KQuantMixTest {
    // 8 layers: use_more_bits(i, 8) holds for i = 0, 3, 6, 7; n_layer/8 = 1; n_layer/16 = 0
    static final RandomLlamaModel.Shape SHAPE = new RandomLlamaModel.Shape(256, 8, 4, 2, 512, 256);
    @TempDir static Path dir;
    static Path model;

    @BeforeAll static void generate() {
        model = dir.resolve("random-f16.gguf");
        RandomLlamaModel.write(model, SHAPE, F16, 42);
    }

    /** Expected type per tensor kind and layer, from llama.cpp's rules. */
    static GgmlType expected(QuantType mix, String kind, int layer) {
        boolean more = layer == 0 || layer == 3 || layer == 6 || layer == 7;
        GgmlType d = mix.defaultType();
        return switch (kind) {
            case "output" -> Q6_K;
            case "token_embd" -> d;
            case "attn_v" -> switch (mix) {
                case Q2_K -> Q3_K;
                case Q3_K_M -> layer < 2 ? Q5_K : Q4_K;
                case Q3_K_L -> Q5_K;
                case Q4_K_M, Q5_K_M -> more ? Q6_K : d;
                case Q4_K_S -> layer < 4 ? Q5_K : Q4_K;
                default -> d;
            };
            case "ffn_down" -> switch (mix) {
                case Q2_K -> Q3_K;
                case Q3_K_M -> Q4_K;
                case Q3_K_L -> Q5_K;
                case Q4_K_M, Q5_K_M -> more ? Q6_K : d;
                case Q4_K_S -> layer < 1 ? Q5_K : Q4_K;
                default -> d;
            };
            case "attn_output" -> switch (mix) {
                case Q2_K -> Q3_K;
                case Q3_K_M -> Q4_K;
                case Q3_K_L -> Q5_K;
                default -> d;
            };
            default -> d; // attn_q, attn_k, ffn_gate, ffn_up
        };
    }

    @ParameterizedTest
    @EnumSource(value = QuantType.class, names = {"Q2_K", "Q3_K_S", "Q3_K_M", "Q3_K_L", "Q4_K_S", "Q4_K_M", "Q5_K_S", "Q5_K_M", "Q6_K"})
    void mixFollowsLlamaCppRulesAndBytesEqualTheReferenceCodec(QuantType mix) {
        Path out = dir.resolve(mix + ".gguf");
        QuantizeReport report = GgufQuantizer.quantize(QuantizeOptions.of(model, out, mix).withThreads(2));
        assertThat(report.fallbacks()).isZero();
        try (GgufFile src = GgufReader.open(model); GgufFile q = GgufReader.open(out)) {
            assertThat(q.metadata().integer("general.file_type")).contains((long) mix.ftypeId());
            Map<String, GgmlType> types = new HashMap<>();
            for (GgufTensorInfo t : q.tensorInfos()) types.put(t.name(), t.type());
            assertThat(types.get("output_norm.weight")).isEqualTo(F32);
            assertThat(types.get("output.weight")).isEqualTo(expected(mix, "output", -1));
            assertThat(types.get("token_embd.weight")).isEqualTo(expected(mix, "token_embd", -1));
            for (int l = 0; l < SHAPE.layers(); l++) {
                for (String kind : new String[] {"attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_down", "ffn_up"}) {
                    assertThat(types.get("blk." + l + "." + kind + ".weight")).as(mix + " blk." + l + "." + kind)
                            .isEqualTo(expected(mix, kind, l));
                }
                assertThat(types.get("blk." + l + ".attn_norm.weight")).isEqualTo(F32);
            }
            for (GgufTensorInfo t : q.tensorInfos()) {
                if (t.type() == F32) continue;
                GgufTensorInfo s = src.tensorInfo(t.name()).orElseThrow();
                int n = (int) s.ne()[0];
                int rows = (int) (s.elementCount() / n);
                float[] f = new float[n * rows];
                FloatFormats.f16ToF32Row(src.tensor(t.name()).orElseThrow().data(), 0, f, 0, f.length);
                MemorySegment expected = MemorySegment.ofArray(new byte[(int) t.byteSize()]);
                Codecs.quantizeChunk(t.type(), f, 0, rows, n, expected, 0, null);
                assertThat(q.tensor(t.name()).orElseThrow().data().mismatch(expected)).as(mix + " " + t.name()).isEqualTo(-1);
            }
        }
    }
}
