package dev.squint.quantize;

import dev.squint.core.GgmlType;
import dev.squint.core.Metadata;
import dev.squint.core.SquintException;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Chooses each tensor's type as llama.cpp's {@code llama-quantize} does ({@code src/llama-quant.cpp}:
 * {@code tensor_allows_quantization}, {@code llama_tensor_get_type} and its mix rules, and
 * {@code tensor_type_fallback}).
 *
 * <p>The rules are stateful: attention-V and FFN counters advance as tensors are visited, so the
 * tensors must be planned in llama.cpp's order, which is also the output file's order: tensors
 * outside blocks first, then block by block, by name within each ({@link #LLAMA_ORDER}).
 */
public final class TypePlanner {

    /** llama.cpp's weight order: block number ({@code blk.N.}, -1 for none), then the name. */
    public static final Comparator<String> LLAMA_ORDER = Comparator.comparingInt(TypePlanner::blockOf)
            .thenComparing(TypePlanner::compareUtf8);

    /** std::string's order: unsigned bytes of the UTF-8 encoding. */
    private static int compareUtf8(String a, String b) {
        return java.util.Arrays.compareUnsigned(a.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                b.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /** One tensor as the planner sees it. */
    public record Input(String name, GgmlType type, long[] ne) {}

    /** A {@code --tensor-type REGEX=TYPE} override: the first pattern found in a tensor's name wins. */
    public record TypeOverride(Pattern pattern, GgmlType type) {
        public static TypeOverride parse(String spec) {
            int eq = spec.indexOf('=');
            if (eq <= 0 || eq == spec.length() - 1) {
                throw new SquintException("--tensor-type '" + spec + "' must be REGEX=TYPE, e.g. ffn_down=f16");
            }
            // llama-quantize lower-cases the pattern (tensor names are lower case)
            String regex = spec.substring(0, eq).toLowerCase(java.util.Locale.ROOT);
            try {
                return new TypeOverride(Pattern.compile(regex), QuantType.parseTensorType(spec.substring(eq + 1)));
            } catch (java.util.regex.PatternSyntaxException e) {
                throw new SquintException("--tensor-type '" + spec + "': bad regular expression: " + e.getDescription());
            }
        }

        @Override public String toString() { return pattern.pattern() + "=" + type; }
    }

    /** The options that affect type choice. */
    public record Rules(QuantType ftype, boolean pure, boolean quantizeOutput, GgmlType outputTensorType,
                        GgmlType tokenEmbeddingType, List<TypeOverride> overrides, boolean hasImatrix, boolean noFallback) {
        public Rules {
            overrides = List.copyOf(overrides);
        }

        public static Rules of(QuantType ftype) {
            return new Rules(ftype, false, true, null, null, List.of(), false, false);
        }
    }

    /** The model facts the rules look at ({@code llama_hparams}). */
    public record ModelFacts(String arch, int nLayer, int nHead, int nHeadKv, int nExpert) {
        public static ModelFacts of(Metadata m) {
            String arch = m.string("general.architecture")
                    .orElseThrow(() -> new SquintException("the model has no general.architecture; cannot choose tensor types"));
            int nLayer = (int) firstInt(m, arch + ".block_count", 0);
            int nHead = (int) firstInt(m, arch + ".attention.head_count", 0);
            int nHeadKv = (int) firstInt(m, arch + ".attention.head_count_kv", nHead);
            int nExpert = (int) firstInt(m, arch + ".expert_count", 0);
            return new ModelFacts(arch, nLayer, nHead, nHeadKv, nExpert);
        }

        private static long firstInt(Metadata m, String key, long dflt) {
            if (m.array(key).isPresent()) {
                long[] v = m.longs(key).orElse(new long[0]);
                return v.length == 0 ? dflt : v[0];
            }
            return m.integer(key).orElse(dflt);
        }

        int nGqa() { return nHeadKv == 0 ? 0 : nHead / nHeadKv; }

        boolean is70B() { return arch.equals("llama") && nLayer == 80 && nHead != nHeadKv; }

        boolean falcon() { return arch.equals("falcon"); }
    }

    enum Category { TOKEN_EMBD, ATTENTION_Q, ATTENTION_V, ATTENTION_K, ATTENTION_QKV, ATTENTION_KV_B, ATTENTION_OUTPUT,
        FFN_UP, FFN_GATE, FFN_DOWN, OUTPUT, OTHER }

    private final Rules rules;
    private final ModelFacts model;
    private final int nAttentionWv;
    private final boolean tiedEmbeddings;
    private int iAttentionWv, iFfnDown, iFfnGate, iFfnUp;

    private TypePlanner(Rules rules, ModelFacts model, List<Input> ordered) {
        this.rules = rules;
        this.model = model;
        int wv = 0;
        boolean tied = true;
        for (Input t : ordered) {
            Category c = category(t.name());
            if (isAttnV(c)) wv++;
            if (c == Category.OUTPUT) tied = false;
        }
        this.nAttentionWv = wv;
        this.tiedEmbeddings = tied;
    }

    /** Plans every tensor; the result is in llama.cpp's order (the order the output file lists them). */
    public static List<TensorPlan> plan(List<Input> tensors, ModelFacts model, Rules rules) {
        List<Input> ordered = new ArrayList<>(tensors);
        ordered.sort(Comparator.comparing(Input::name, LLAMA_ORDER));
        TypePlanner p = new TypePlanner(rules, model, ordered);
        List<TensorPlan> out = new ArrayList<>(ordered.size());
        for (Input t : ordered) out.add(p.planOne(t));
        return out;
    }

    static int blockOf(String name) {
        if (!name.startsWith("blk.")) return -1;
        int i = 4, sign = 1;
        if (i < name.length() && (name.charAt(i) == '-' || name.charAt(i) == '+')) { sign = name.charAt(i) == '-' ? -1 : 1; i++; }
        int start = i;
        long v = 0;
        while (i < name.length() && Character.isDigit(name.charAt(i)) && v < Integer.MAX_VALUE) v = v * 10 + (name.charAt(i++) - '0');
        if (i == start || i >= name.length() || name.charAt(i) != '.') return -1;
        return (int) Math.min(Integer.MAX_VALUE, v) * sign;
    }

    static Category category(String name) {
        if (name.equals("output.weight")) return Category.OUTPUT;
        if (name.equals("token_embd.weight") || name.equals("per_layer_token_embd.weight")) return Category.TOKEN_EMBD;
        if (name.contains("attn_qkv.weight")) return Category.ATTENTION_QKV;
        if (name.contains("attn_kv_b.weight")) return Category.ATTENTION_KV_B;
        if (name.contains("attn_v.weight")) return Category.ATTENTION_V;
        if (name.contains("attn_k.weight")) return Category.ATTENTION_K;
        if (name.contains("attn_q.weight")) return Category.ATTENTION_Q;
        if (name.contains("attn_output.weight")) return Category.ATTENTION_OUTPUT;
        if (name.contains("ffn_up")) return Category.FFN_UP;
        if (name.contains("ffn_gate")) return Category.FFN_GATE;
        if (name.contains("ffn_down")) return Category.FFN_DOWN;
        return Category.OTHER;
    }

    private static boolean isAttnV(Category c) {
        return c == Category.ATTENTION_V || c == Category.ATTENTION_QKV || c == Category.ATTENTION_KV_B;
    }

    /** ggml_n_dims: dimensions up to the last one above 1 (at least 1). */
    static int nDims(long[] ne) {
        for (int i = ne.length - 1; i >= 1; i--) if (ne[i] > 1) return i + 1;
        return 1;
    }

    private static final String[] NEVER_QUANTIZED = {
            "_norm.weight", "ffn_gate_inp.weight", "ffn_gate_tid2eid.weight", "altup", "laurel", "per_layer_model_proj",
            "ssm_conv1d", "shortconv.conv.weight", "indexer.k_proj.weight", "indexer.q_proj.weight",
            "time_mix_first.weight", "time_mix_w0.weight", "time_mix_w1.weight", "time_mix_w2.weight",
            "time_mix_v0.weight", "time_mix_v1.weight", "time_mix_v2.weight", "time_mix_a0.weight",
            "time_mix_a1.weight", "time_mix_a2.weight", "time_mix_g1.weight", "time_mix_g2.weight",
            "time_mix_decay_w1.weight", "time_mix_decay_w2.weight", "time_mix_lerp_fused.weight", "attn_rel_b.weight",
            ".position_embd", "sam.pos_embd", "sam.neck.", "sam.net_", ".rel_pos", ".patch_embd", ".patch_merger",
            "a.rvq.codebook", "mm.a.code_embd"};

    /** Why a tensor keeps its type ({@code tensor_allows_quantization} false), or null if it may be quantized. */
    String keepReason(Input t) {
        if (nDims(t.ne()) < 2) return "kept: 1-D";
        String name = t.name();
        if (!name.endsWith("weight")) return "kept: not a weight";
        for (String s : NEVER_QUANTIZED) if (name.contains(s)) return "kept: '" + s + "' tensors are never quantized";
        if (!rules.quantizeOutput() && name.equals("output.weight")) return "kept: --leave-output-tensor";
        if (name.equals("position_embd.weight") || name.equals("token_types.weight")) return "kept: never quantized";
        return null;
    }

    private TensorPlan planOne(Input t) {
        String keep = keepReason(t);
        if (keep != null) return new TensorPlan(t.name(), t.ne(), t.type(), t.type(), keep, null);
        Category cat = category(t.name());
        if (rules.tokenEmbeddingType() != null && cat == Category.TOKEN_EMBD) {
            return checked(t, rules.tokenEmbeddingType(), "--token-embedding-type");
        }
        if (rules.outputTensorType() != null && cat == Category.OUTPUT) {
            return checked(t, rules.outputTensorType(), "--output-tensor-type");
        }
        GgmlType type = rules.ftype().defaultType();
        String reason = "default";
        String fallback = null;
        if (rules.ftype().quantized()) {
            boolean manual = false;
            for (TypeOverride o : rules.overrides()) {
                if (o.pattern().matcher(t.name()).find()) {
                    type = o.type();
                    reason = "--tensor-type " + o;
                    manual = true;
                    break;
                }
            }
            if (!manual && !rules.pure()) {
                GgmlType mixed = mixType(type, t, cat);
                if (mixed != type) reason = "mix rule of " + rules.ftype();
                type = mixed;
            }
            long cols = t.ne()[0];
            if (cols % type.blockSize() != 0) {
                GgmlType to = fallbackOf(type);
                if (to == null) {
                    throw new SquintException("tensor " + t.name() + ": " + cols + " columns are not a multiple of " + type
                            + "'s block of " + type.blockSize() + ", and " + type + " has no fallback type; choose another type "
                            + "for it, e.g. --tensor-type " + t.name().replaceAll("^blk\\.\\d+\\.", "").replace(".weight", "") + "=f16");
                }
                String note = type + " -> " + to;
                if (cols % to.blockSize() != 0) {
                    note = type + " -> F16 (" + to + " does not fit either)";
                    to = GgmlType.F16;
                }
                fallback = note + ": " + cols + " columns not a multiple of " + type.blockSize();
                if (rules.noFallback()) {
                    throw new SquintException("tensor " + t.name() + " would fall back " + fallback + " (--no-fallback)");
                }
                type = to;
            }
        }
        return new TensorPlan(t.name(), t.ne(), t.type(), type, reason, fallback);
    }

    private static TensorPlan checked(Input t, GgmlType type, String option) {
        if (t.ne()[0] % type.blockSize() != 0) {
            throw new SquintException("tensor " + t.name() + ": " + option + " " + type + " needs rows that are a multiple of "
                    + type.blockSize() + ", it has " + t.ne()[0]);
        }
        return new TensorPlan(t.name(), t.ne(), t.type(), type, option, null);
    }

    /** tensor_type_fallback's table, or null where llama.cpp has none. */
    static GgmlType fallbackOf(GgmlType t) {
        return switch (t) {
            case IQ1_S, IQ1_M, IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S, IQ4_XS -> GgmlType.IQ4_NL;
            case Q2_K, Q3_K, TQ1_0, TQ2_0 -> GgmlType.Q4_0;
            case Q4_K -> GgmlType.Q5_0;
            case Q5_K -> GgmlType.Q5_1;
            case Q6_K -> GgmlType.Q8_0;
            default -> null;
        };
    }

    private static boolean useMoreBits(int iLayer, int nLayers) {
        return iLayer < nLayers / 8 || iLayer >= 7 * nLayers / 8 || (iLayer - nLayers / 8) % 3 == 2;
    }

    /** The layer of an FFN tensor: the counter, or the name's block number in mixture-of-experts models. */
    private int layerOf(int counter, String name) {
        if (Math.max(1, model.nExpert()) > 1) {
            int b = blockOf(name);
            if (b < 0 || b >= model.nLayer()) {
                throw new SquintException("tensor " + name + ": cannot tell its layer (expected blk.N. with N < " + model.nLayer() + ")");
            }
            return b;
        }
        return counter;
    }

    /** llama_tensor_get_type_impl: the mix's choice for one tensor. */
    private GgmlType mixType(GgmlType type, Input t, Category cat) {
        QuantType f = rules.ftype();
        int nLayer = model.nLayer();
        int nExpert = model.nExpert();
        if (cat == Category.OUTPUT || (tiedEmbeddings && cat == Category.TOKEN_EMBD)) {
            if (rules.outputTensorType() != null) return rules.outputTensorType();
            long nx = t.ne()[0];
            if (model.falcon() || nx % type.blockSize() != 0) return GgmlType.Q8_0;
            if (is(f, QuantType.IQ2_XXS, QuantType.IQ2_XS, QuantType.IQ3_XXS, QuantType.IQ1_S, QuantType.IQ2_S, QuantType.IQ2_M, QuantType.IQ1_M)) {
                return GgmlType.Q5_K;
            }
            if (type != GgmlType.Q8_0) return GgmlType.Q6_K;
            return type;
        }
        if (cat == Category.TOKEN_EMBD) {
            if (rules.tokenEmbeddingType() != null) return rules.tokenEmbeddingType();
            if (is(f, QuantType.IQ2_XXS, QuantType.IQ2_XS, QuantType.IQ1_S, QuantType.IQ1_M)) return GgmlType.Q2_K;
            if (is(f, QuantType.IQ2_S, QuantType.IQ2_M, QuantType.IQ3_XXS)) return GgmlType.IQ3_S;
            if (is(f, QuantType.TQ1_0, QuantType.TQ2_0)) return GgmlType.Q4_K;
            return type;
        }
        if (is(f, QuantType.IQ2_XXS, QuantType.IQ2_XS, QuantType.IQ1_S, QuantType.IQ2_S, QuantType.IQ2_M, QuantType.IQ1_M)) {
            boolean sm = is(f, QuantType.IQ2_S, QuantType.IQ2_M);
            if (isAttnV(cat)) {
                if (model.nGqa() >= 4 || nExpert >= 4) type = GgmlType.Q4_K;
                else type = sm ? GgmlType.IQ3_S : GgmlType.Q2_K;
                iAttentionWv++;
            } else if (nExpert == 8 && cat == Category.ATTENTION_K) {
                type = GgmlType.Q4_K;
            } else if (cat == Category.FFN_DOWN) {
                if (iFfnDown < nLayer / 8) type = sm ? GgmlType.IQ3_S : GgmlType.Q2_K;
                iFfnDown++;
            } else if (cat == Category.ATTENTION_OUTPUT) {
                if (nExpert == 8) type = GgmlType.Q5_K;
                else if (is(f, QuantType.IQ1_S, QuantType.IQ1_M)) type = GgmlType.IQ2_XXS;
                else if (sm) type = GgmlType.IQ3_S;
            }
            return type;
        }
        if (isAttnV(cat)) {
            int gqa = model.nGqa();
            if (f == QuantType.Q2_K) type = gqa >= 4 ? GgmlType.Q4_K : GgmlType.Q3_K;
            else if (f == QuantType.Q2_K_S && gqa >= 4) type = GgmlType.Q4_K;
            else if (f == QuantType.IQ3_XXS) type = gqa >= 4 ? GgmlType.Q4_K : !rules.hasImatrix() ? GgmlType.IQ3_S : GgmlType.IQ3_XXS;
            else if (is(f, QuantType.IQ3_XS, QuantType.IQ3_S) && gqa >= 4) type = GgmlType.Q4_K;
            else if (f == QuantType.IQ3_M) type = GgmlType.Q4_K;
            else if (f == QuantType.Q3_K_M) type = iAttentionWv < 2 ? GgmlType.Q5_K : GgmlType.Q4_K;
            else if (f == QuantType.Q3_K_L) type = GgmlType.Q5_K;
            else if (is(f, QuantType.IQ4_NL, QuantType.IQ4_XS) && gqa >= 4) type = GgmlType.Q5_K;
            else if (is(f, QuantType.Q4_K_M, QuantType.Q5_K_M) && useMoreBits(iAttentionWv, nAttentionWv)) type = GgmlType.Q6_K;
            else if (f == QuantType.Q4_K_S && iAttentionWv < 4) type = GgmlType.Q5_K;
            if (model.is70B() && (type == GgmlType.Q3_K || type == GgmlType.Q4_K)) type = GgmlType.Q5_K;
            if (nExpert == 8) type = GgmlType.Q8_0;
            iAttentionWv++;
            return type;
        }
        switch (cat) {
            case ATTENTION_K -> {
                if (nExpert == 8) type = GgmlType.Q8_0;
                else if (f == QuantType.IQ3_XS) type = GgmlType.IQ3_XXS;
                else if (f == QuantType.IQ3_XXS) type = GgmlType.IQ2_S;
            }
            case ATTENTION_Q -> {
                if (f == QuantType.IQ3_XS) type = GgmlType.IQ3_XXS;
                else if (f == QuantType.IQ3_XXS) type = GgmlType.IQ2_S;
            }
            case FFN_DOWN -> {
                int i = layerOf(iFfnDown, t.name());
                boolean falcon = model.falcon();
                if (f == QuantType.Q2_K) type = GgmlType.Q3_K;
                else if (f == QuantType.Q2_K_S) {
                    if (i < nLayer / 8) type = GgmlType.Q4_K;
                } else if (f == QuantType.IQ3_XXS && !rules.hasImatrix()) {
                    type = i < nLayer / 8 ? GgmlType.Q4_K : GgmlType.Q3_K;
                } else if (f == QuantType.Q3_K_M) {
                    type = i < nLayer / 16 ? GgmlType.Q5_K : !falcon || useMoreBits(i, nLayer) ? GgmlType.Q4_K : GgmlType.Q3_K;
                } else if (f == QuantType.IQ3_M && (i < nLayer / 8 || (nExpert == 8 && useMoreBits(i, nLayer)))) {
                    type = GgmlType.Q4_K;
                } else if (f == QuantType.Q3_K_L) {
                    type = falcon ? GgmlType.Q4_K : GgmlType.Q5_K;
                } else if (f == QuantType.Q4_K_M) {
                    if (falcon) type = i < nLayer / 16 ? GgmlType.Q6_K : useMoreBits(i, nLayer) ? GgmlType.Q5_K : GgmlType.Q4_K;
                    else if (useMoreBits(i, nLayer)) type = GgmlType.Q6_K;
                } else if (i < nLayer / 8 && is(f, QuantType.IQ4_NL, QuantType.IQ4_XS) && !rules.hasImatrix()) {
                    type = GgmlType.Q5_K;
                } else if (f == QuantType.Q5_K_M && useMoreBits(i, nLayer)) {
                    type = GgmlType.Q6_K;
                } else if (f == QuantType.Q4_K_S && !falcon && i < nLayer / 8) {
                    type = GgmlType.Q5_K;
                } else if (is(f, QuantType.Q4_0, QuantType.Q5_0) && rules.hasImatrix() && i < nLayer / 8) {
                    type = f == QuantType.Q4_0 ? GgmlType.Q4_1 : GgmlType.Q5_1;
                }
                iFfnDown++;
            }
            case ATTENTION_OUTPUT -> {
                if (!model.falcon()) {
                    if (nExpert == 8) {
                        if (is(f, QuantType.Q2_K, QuantType.IQ3_XS, QuantType.IQ3_XXS, QuantType.Q3_K_S, QuantType.Q3_K_M,
                                QuantType.IQ4_NL, QuantType.Q4_K_S, QuantType.Q4_K_M, QuantType.IQ3_S, QuantType.IQ3_M, QuantType.IQ4_XS)) {
                            type = GgmlType.Q5_K;
                        }
                    } else {
                        if (f == QuantType.Q2_K) type = GgmlType.Q3_K;
                        else if (f == QuantType.IQ3_XXS) type = GgmlType.IQ3_S;
                        else if (f == QuantType.Q3_K_M) type = GgmlType.Q4_K;
                        else if (f == QuantType.Q3_K_L) type = GgmlType.Q5_K;
                        else if (f == QuantType.IQ3_M) type = GgmlType.Q4_K;
                    }
                } else if (f == QuantType.Q3_K_L) {
                    type = GgmlType.Q4_K;
                }
            }
            case ATTENTION_QKV -> {
                // unreachable: QKV is attention-V-like and handled above, as in llama.cpp
            }
            case FFN_GATE -> {
                int i = layerOf(iFfnGate, t.name());
                if (f == QuantType.IQ3_XS && i >= nLayer / 8 && i < 7 * nLayer / 8) type = GgmlType.IQ3_XXS;
                iFfnGate++;
            }
            case FFN_UP -> {
                int i = layerOf(iFfnUp, t.name());
                if (f == QuantType.IQ3_XS && i >= nLayer / 8 && i < 7 * nLayer / 8) type = GgmlType.IQ3_XXS;
                iFfnUp++;
            }
            default -> { }
        }
        return type;
    }

    private static boolean is(QuantType f, QuantType... any) {
        for (QuantType a : any) if (f == a) return true;
        return false;
    }

    /** llama.cpp's tensor_requires_imatrix: very low-bit types need an importance matrix (not for output/token_embd). */
    static boolean requiresImatrix(String name, GgmlType target, QuantType ftype) {
        if (category(name) == Category.TOKEN_EMBD || name.equals("output.weight")) return false;
        return switch (target) {
            case IQ3_XXS, IQ2_XXS, IQ2_XS, IQ2_S, IQ1_M, IQ1_S -> true;
            case Q2_K -> ftype == QuantType.Q2_K_S;
            default -> false;
        };
    }
}
