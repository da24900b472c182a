package dev.squint.quantize;

import dev.squint.core.GgmlType;
import dev.squint.core.SquintException;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The file types llama-quantize accepts (its {@code TYPE} argument): each names a mix, i.e. a
 * default ggml type plus the per-tensor rules of {@link TypePlanner}, and is written to
 * {@code general.file_type} as llama.cpp's {@code LLAMA_FTYPE} id.
 */
public enum QuantType {
    F32(0, GgmlType.F32, "32-bit floats, unquantized"),
    F16(1, GgmlType.F16, "16-bit floats"),
    BF16(32, GgmlType.BF16, "bfloat16"),
    Q8_0(7, GgmlType.Q8_0, "8.5 bpw"),
    Q6_K(18, GgmlType.Q6_K, "6.56 bpw"),
    Q5_K_M(17, GgmlType.Q5_K, "Q5_K, some tensors Q6_K"),
    Q5_K_S(16, GgmlType.Q5_K, "Q5_K"),
    Q5_1(9, GgmlType.Q5_1, "6 bpw"),
    Q5_0(8, GgmlType.Q5_0, "5.5 bpw"),
    Q4_K_M(15, GgmlType.Q4_K, "Q4_K, some tensors Q6_K"),
    Q4_K_S(14, GgmlType.Q4_K, "Q4_K, first ffn_down/attn_v Q5_K"),
    Q4_1(3, GgmlType.Q4_1, "5 bpw"),
    Q4_0(2, GgmlType.Q4_0, "4.5 bpw"),
    Q3_K_L(13, GgmlType.Q3_K, "Q3_K, attn_v/ffn_down/attn_output Q5_K"),
    Q3_K_M(12, GgmlType.Q3_K, "Q3_K, attn_v/ffn_down/attn_output Q4_K-Q5_K"),
    Q3_K_S(11, GgmlType.Q3_K, "Q3_K"),
    Q2_K(10, GgmlType.Q2_K, "Q2_K, attn_v/ffn_down Q3_K-Q4_K"),
    Q2_K_S(21, GgmlType.Q2_K, "Q2_K, needs an importance matrix"),
    IQ4_NL(25, GgmlType.IQ4_NL, "4.5 bpw non-linear"),
    IQ4_XS(30, GgmlType.IQ4_XS, "4.25 bpw non-linear"),
    TQ1_0(36, GgmlType.TQ1_0, "1.69 bpw ternary"),
    TQ2_0(37, GgmlType.TQ2_0, "2.06 bpw ternary"),
    IQ3_XXS(23, GgmlType.IQ3_XXS, "3.06 bpw, needs an importance matrix"),
    IQ3_XS(22, GgmlType.IQ3_S, "3.3 bpw mix"),
    IQ3_S(26, GgmlType.IQ3_S, "3.44 bpw"),
    IQ3_M(27, GgmlType.IQ3_S, "3.66 bpw mix"),
    IQ2_XXS(19, GgmlType.IQ2_XXS, "2.06 bpw, needs an importance matrix"),
    IQ2_XS(20, GgmlType.IQ2_XS, "2.31 bpw, needs an importance matrix"),
    IQ2_S(28, GgmlType.IQ2_XS, "2.5 bpw, needs an importance matrix"),
    IQ2_M(29, GgmlType.IQ2_S, "2.7 bpw, needs an importance matrix"),
    IQ1_S(24, GgmlType.IQ1_S, "1.56 bpw, needs an importance matrix"),
    IQ1_M(31, GgmlType.IQ1_M, "1.75 bpw, needs an importance matrix");

    private final int ftypeId;
    private final GgmlType defaultType;
    private final String description;

    QuantType(int ftypeId, GgmlType defaultType, String description) {
        this.ftypeId = ftypeId;
        this.defaultType = defaultType;
        this.description = description;
    }

    /** llama.cpp's {@code LLAMA_FTYPE} id, written to {@code general.file_type}. */
    public int ftypeId() { return ftypeId; }

    /** The type tensors get unless a rule says otherwise ({@code llama_ftype_get_default_type}). */
    public GgmlType defaultType() { return defaultType; }

    public String description() { return description; }

    /** Whether the default type is block-quantized (only then do mixes, overrides and fallbacks apply). */
    public boolean quantized() { return !defaultType.isScalar(); }

    /**
     * Parses a llama-quantize type name, case-insensitively; llama-quantize's aliases Q3_K, Q4_K and
     * Q5_K (the _M mixes) and numeric ftype ids are accepted too.
     */
    public static QuantType parse(String name) {
        String n = name.trim().toUpperCase(Locale.ROOT);
        switch (n) {
            case "Q3_K": return Q3_K_M;
            case "Q4_K": return Q4_K_M;
            case "Q5_K": return Q5_K_M;
            default: break;
        }
        for (QuantType t : values()) if (t.name().equals(n)) return t;
        if (n.matches("\\d{1,3}")) {
            int id = Integer.parseInt(n);
            for (QuantType t : values()) if (t.ftypeId == id) return t;
        }
        throw new SquintException("unknown quantization type '" + name + "'; supported: " + names());
    }

    /** The accepted names, comma separated. */
    public static String names() {
        return Arrays.stream(values()).map(Enum::name).collect(Collectors.joining(", "));
    }

    /** Parses a ggml tensor type name (as llama-quantize's {@code --output-tensor-type}), case-insensitively. */
    public static GgmlType parseTensorType(String name) {
        String n = name.trim().toUpperCase(Locale.ROOT);
        for (GgmlType t : GgmlType.values()) {
            if (!t.isRetired() && t.name().equals(n) && quantizable(t)) return t;
        }
        throw new SquintException("unknown tensor type '" + name + "'; supported: "
                + Arrays.stream(GgmlType.values()).filter(t -> !t.isRetired() && quantizable(t)).map(Enum::name)
                .collect(Collectors.joining(", ")));
    }

    /** Types a tensor can be quantized to here: floats and every block type with a codec (not the Q8 activation types). */
    static boolean quantizable(GgmlType t) {
        return switch (t) {
            case F32, F16, BF16 -> true;
            case I8, I16, I32, I64, F64, Q8_1, Q8_K -> false;
            default -> !t.isRetired() && dev.squint.core.codec.Codecs.find(t).isPresent();
        };
    }
}
