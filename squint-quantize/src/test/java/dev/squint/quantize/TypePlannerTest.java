package dev.squint.quantize;

import dev.squint.core.GgmlType;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static dev.squint.core.GgmlType.*;
import static org.assertj.core.api.Assertions.assertThat;

/** llama.cpp's type rules on tensor shapes alone (no data): expectations worked out from llama-quant.cpp. */
class TypePlannerTest {

    static List<TypePlanner.Input> llama(int layers, int dim, int kv, int ffn, boolean withOutput) {
        List<TypePlanner.Input> t = new ArrayList<>();
        t.add(new TypePlanner.Input("token_embd.weight", F16, new long[] {dim, 512}));
        t.add(new TypePlanner.Input("output_norm.weight", F32, new long[] {dim}));
        if (withOutput) t.add(new TypePlanner.Input("output.weight", F16, new long[] {dim, 512}));
        for (int l = 0; l < layers; l++) {
            for (String n : new String[] {"attn_q", "attn_output"}) t.add(new TypePlanner.Input("blk." + l + "." + n + ".weight", F16, new long[] {dim, dim}));
            for (String n : new String[] {"attn_k", "attn_v"}) t.add(new TypePlanner.Input("blk." + l + "." + n + ".weight", F16, new long[] {dim, kv}));
            for (String n : new String[] {"ffn_gate", "ffn_up"}) t.add(new TypePlanner.Input("blk." + l + "." + n + ".weight", F16, new long[] {dim, ffn}));
            t.add(new TypePlanner.Input("blk." + l + ".ffn_down.weight", F16, new long[] {ffn, dim}));
            t.add(new TypePlanner.Input("blk." + l + ".attn_norm.weight", F32, new long[] {dim}));
        }
        return t;
    }

    static Map<String, GgmlType> plan(List<TypePlanner.Input> in, TypePlanner.ModelFacts facts, TypePlanner.Rules rules) {
        Map<String, GgmlType> m = new HashMap<>();
        for (TensorPlan p : TypePlanner.plan(in, facts, rules)) m.put(p.name(), p.targetType());
        return m;
    }

    static final TypePlanner.ModelFacts GQA8 = new TypePlanner.ModelFacts("llama", 16, 32, 4, 0);

    @Test void orderIsLlamaCppsWeightMapOrder() {
        List<TensorPlan> p = TypePlanner.plan(llama(11, 256, 256, 256, true), GQA8, TypePlanner.Rules.of(QuantType.Q8_0));
        List<String> names = p.stream().map(TensorPlan::name).toList();
        assertThat(names.subList(0, 4)).containsExactly("output.weight", "output_norm.weight", "token_embd.weight", "blk.0.attn_k.weight");
        assertThat(names.indexOf("blk.2.attn_k.weight")).isLessThan(names.indexOf("blk.10.attn_k.weight"));
    }

    @Test void iq2XxsMixWithGqa8() {
        Map<String, GgmlType> m = plan(llama(16, 256, 256, 512, true), GQA8, TypePlanner.Rules.of(QuantType.IQ2_XXS));
        assertThat(m.get("output.weight")).isEqualTo(Q5_K);
        assertThat(m.get("token_embd.weight")).isEqualTo(Q2_K);
        assertThat(m.get("blk.5.attn_v.weight")).isEqualTo(Q4_K); // n_gqa >= 4
        assertThat(m.get("blk.0.ffn_down.weight")).isEqualTo(Q2_K); // first n_layer/8 = 2 ffn_down
        assertThat(m.get("blk.1.ffn_down.weight")).isEqualTo(Q2_K);
        assertThat(m.get("blk.2.ffn_down.weight")).isEqualTo(IQ2_XXS);
        assertThat(m.get("blk.3.attn_output.weight")).isEqualTo(IQ2_XXS);
        assertThat(m.get("blk.3.attn_q.weight")).isEqualTo(IQ2_XXS);
        assertThat(m.get("blk.3.attn_norm.weight")).isEqualTo(F32);
    }

    @Test void iq3XsAndIq3MMixes() {
        Map<String, GgmlType> xs = plan(llama(16, 256, 256, 512, true), GQA8, TypePlanner.Rules.of(QuantType.IQ3_XS));
        assertThat(xs.get("blk.0.attn_v.weight")).isEqualTo(Q4_K);
        assertThat(xs.get("blk.0.attn_k.weight")).isEqualTo(IQ3_XXS);
        assertThat(xs.get("blk.0.ffn_up.weight")).isEqualTo(IQ3_S); // layer 0 < n_layer/8
        assertThat(xs.get("blk.2.ffn_up.weight")).isEqualTo(IQ3_XXS);
        assertThat(xs.get("blk.14.ffn_gate.weight")).isEqualTo(IQ3_S); // >= 7*n_layer/8
        Map<String, GgmlType> m = plan(llama(16, 256, 256, 512, true), GQA8, TypePlanner.Rules.of(QuantType.IQ3_M));
        assertThat(m.get("blk.1.ffn_down.weight")).isEqualTo(Q4_K);
        assertThat(m.get("blk.2.ffn_down.weight")).isEqualTo(IQ3_S);
        assertThat(m.get("blk.2.attn_output.weight")).isEqualTo(Q4_K);
    }

    @Test void tiedEmbeddingsTakeTheOutputRule() {
        Map<String, GgmlType> m = plan(llama(4, 256, 256, 512, false), GQA8, TypePlanner.Rules.of(QuantType.Q4_K_M));
        assertThat(m.get("token_embd.weight")).isEqualTo(Q6_K);
        Map<String, GgmlType> q8 = plan(llama(4, 256, 256, 512, false), GQA8, TypePlanner.Rules.of(QuantType.Q8_0));
        assertThat(q8.get("token_embd.weight")).isEqualTo(Q8_0);
    }

    @Test void seventyBAndMixtureOfExpertsRules() {
        TypePlanner.ModelFacts b70 = new TypePlanner.ModelFacts("llama", 80, 64, 8, 0);
        Map<String, GgmlType> m = plan(llama(80, 256, 256, 512, true), b70, TypePlanner.Rules.of(QuantType.Q3_K_S));
        assertThat(m.get("blk.40.attn_v.weight")).isEqualTo(Q5_K); // Q3_K bumped for 70B
        TypePlanner.ModelFacts moe = new TypePlanner.ModelFacts("llama", 4, 32, 8, 8);
        Map<String, GgmlType> e = plan(llama(4, 256, 256, 512, true), moe, TypePlanner.Rules.of(QuantType.Q4_K_M));
        assertThat(e.get("blk.0.attn_v.weight")).isEqualTo(Q8_0);
        assertThat(e.get("blk.1.attn_k.weight")).isEqualTo(Q8_0);
        assertThat(e.get("blk.1.attn_output.weight")).isEqualTo(Q5_K);
    }

    @Test void overridesOutputTypesPureAndFallbacks() {
        List<TypePlanner.Input> in = llama(8, 256, 256, 172, true); // ffn_down rows of 172
        TypePlanner.Rules rules = new TypePlanner.Rules(QuantType.Q4_K_M, false, true, GgmlType.Q8_0, GgmlType.F16,
                List.of(TypePlanner.TypeOverride.parse("attn_q=q5_0")), false, false);
        List<TensorPlan> p = TypePlanner.plan(in, new TypePlanner.ModelFacts("llama", 8, 32, 4, 0), rules);
        Map<String, TensorPlan> m = new HashMap<>();
        for (TensorPlan t : p) m.put(t.name(), t);
        assertThat(m.get("output.weight").targetType()).isEqualTo(Q8_0);
        assertThat(m.get("token_embd.weight").targetType()).isEqualTo(F16);
        assertThat(m.get("blk.3.attn_q.weight").targetType()).isEqualTo(Q5_0);
        assertThat(m.get("blk.3.attn_q.weight").reason()).contains("--tensor-type attn_q=Q5_0");
        assertThat(m.get("blk.3.ffn_down.weight").targetType()).isEqualTo(F16);
        assertThat(m.get("blk.3.ffn_down.weight").fallback()).contains("Q6_K -> F16"); // layer 3: use_more_bits
        assertThat(m.get("blk.4.ffn_down.weight").fallback()).contains("Q4_K -> F16");
        assertThat(m.get("blk.4.ffn_gate.weight").targetType()).isEqualTo(Q4_K); // 256 columns: fits
        TypePlanner.Rules pure = new TypePlanner.Rules(QuantType.Q4_K_M, true, false, null, null, List.of(), false, false);
        Map<String, GgmlType> q = plan(llama(8, 256, 256, 512, true), GQA8, pure);
        assertThat(q.get("blk.0.attn_v.weight")).isEqualTo(Q4_K);
        assertThat(q.get("output.weight")).isEqualTo(F16); // --leave-output-tensor
        assertThat(q.get("token_embd.weight")).isEqualTo(Q4_K);
    }

    @Test void floatFileTypesIgnoreMixesAndOverrides() {
        TypePlanner.Rules r = new TypePlanner.Rules(QuantType.BF16, false, true, null, null,
                List.of(TypePlanner.TypeOverride.parse("ffn_down=q8_0")), false, false);
        Map<String, GgmlType> m = plan(llama(2, 256, 256, 512, true), GQA8, r);
        assertThat(m.get("blk.0.ffn_down.weight")).isEqualTo(BF16);
        assertThat(m.get("output.weight")).isEqualTo(BF16);
        assertThat(m.get("output_norm.weight")).isEqualTo(F32);
    }
}
