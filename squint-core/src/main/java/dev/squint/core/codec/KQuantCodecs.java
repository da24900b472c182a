package dev.squint.core.codec;

import java.util.List;

/**
 * The K-quant family: Q2_K, Q3_K, Q4_K, Q5_K, Q6_K (super-blocks of 256 values with quantized
 * sub-block scales) and Q8_K, the activation type their dot products pair with. Quantization is
 * bit-exact with ggml's {@code ggml_quantize_chunk}: {@code quantize_row_X_ref} without an
 * importance matrix, {@code quantize_row_X_impl} with one.
 */
final class KQuantCodecs {
    private KQuantCodecs() {}

    static List<BlockCodec> all() {
        return List.of(Q2KCodec.INSTANCE, Q3KCodec.INSTANCE, ScaleMinKCodec.Q4_K, ScaleMinKCodec.Q5_K,
                Q6KCodec.INSTANCE, Q8KCodec.INSTANCE);
    }
}
