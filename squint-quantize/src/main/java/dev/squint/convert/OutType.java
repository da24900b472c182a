package dev.squint.convert;

import dev.squint.core.GgmlType;
import dev.squint.core.ScalarType;
import dev.squint.core.SquintException;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The {@code --outtype} of a conversion: the type 2-D weights are written in. GGUF outputs take
 * f32, f16, bf16 and q8_0 (llama.cpp's converter's choices); safetensors outputs take f16, bf16
 * and fp8 (E4M3 with a per-tensor scale).
 */
public enum OutType {
    F32(GgmlType.F32, ScalarType.F32),
    F16(GgmlType.F16, ScalarType.F16),
    BF16(GgmlType.BF16, ScalarType.BF16),
    Q8_0(GgmlType.Q8_0, null),
    FP8(null, ScalarType.F8_E4M3FN);

    private final GgmlType gguf;
    private final ScalarType safetensors;

    OutType(GgmlType gguf, ScalarType safetensors) {
        this.gguf = gguf;
        this.safetensors = safetensors;
    }

    public boolean forGguf() { return gguf != null; }

    public boolean forSafetensors() { return safetensors != null && this != F32; }

    /** The ggml type of 2-D weights in a GGUF output. */
    public GgmlType ggmlType() {
        if (gguf == null) throw new SquintException("--outtype " + cliName() + " is for safetensors outputs; GGUF takes " + names(true));
        return gguf;
    }

    /** The safetensors dtype of cast weights. */
    public ScalarType safetensorsType() {
        if (!forSafetensors()) throw new SquintException("--outtype " + cliName() + " is for GGUF outputs; safetensors casts take " + names(false));
        return safetensors;
    }

    public String cliName() { return name().toLowerCase(Locale.ROOT); }

    /** Parses {@code f16}, {@code Q8_0}, ... case-insensitively. */
    public static OutType parse(String s) {
        for (OutType t : values()) if (t.name().equalsIgnoreCase(s.strip())) return t;
        throw new SquintException("unknown --outtype '" + s + "'; GGUF outputs take " + names(true)
                + ", safetensors outputs take " + names(false));
    }

    static String names(boolean gguf) {
        return Arrays.stream(values()).filter(t -> gguf ? t.forGguf() : t.forSafetensors())
                .map(OutType::cliName).collect(Collectors.joining(", "));
    }
}
