package dev.squint.quantize;

import dev.squint.core.GgmlType;

/**
 * What happens to one tensor: its source and target types and why.
 *
 * @param ne       dimensions innermost first (GGUF order; {@code ne[0]} is the row length)
 * @param reason   why this type: "not quantized (...)", "default", "mix rule", "override REGEX", ...
 * @param fallback null, or what llama.cpp's shape fallback did (e.g. "Q4_K -> Q5_0: 172 columns not a multiple of 256")
 */
public record TensorPlan(String name, long[] ne, GgmlType sourceType, GgmlType targetType, String reason, String fallback) {

    /** True if the tensor's bytes are copied unchanged. */
    public boolean copied() { return sourceType == targetType; }

    public long elements() {
        long n = 1;
        for (long d : ne) n *= d;
        return n;
    }

    public long rowLength() { return ne.length == 0 ? 1 : ne[0]; }

    public long rows() { return elements() / Math.max(1, rowLength()); }

    public long sourceBytes() { return sourceType.bytesFor(elements()); }

    public long targetBytes() { return targetType.bytesFor(elements()); }
}
