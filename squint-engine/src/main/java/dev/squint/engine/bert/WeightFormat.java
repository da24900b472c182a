package dev.squint.engine.bert;

import dev.squint.core.GgmlType;
import dev.squint.core.Shape;
import dev.squint.core.Tensor;
import dev.squint.core.TensorInfo;
import dev.squint.core.codec.Codecs;
import dev.squint.core.codec.IntQuantizer;
import dev.squint.core.codec.QuantizedMatrix;
import dev.squint.engine.ops.Linear;
import dev.squint.kernels.RowParallel;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Locale;
import java.util.Optional;

/**
 * The weight formats squint can write, applied in memory to a BERT model's projections (the six
 * linear weights of every block) from their FP32 values, so each format's effect on embedding
 * quality can be measured. Embedding tables, LayerNorms and biases stay as loaded.
 *
 * <ul>
 *   <li>ggml formats (F16, BF16, Q8_0, Q5_K, Q4_K, Q4_0) are quantized with the ggml codecs and run
 *       through {@link Linear} in their stored type. As llama.cpp does, a K-quant weight whose rows
 *       are not a multiple of 256 (all of MiniLM's 384-wide rows) falls back: Q5_K → Q5_1,
 *       Q4_K → Q5_0 ({@link #typeFor}).</li>
 *   <li>INT8 per-channel and INT4 per-group ({@link IntQuantizer}, the safetensors/ONNX integer
 *       schemes) are weight-only formats: their values are dequantized once into an F32 weight
 *       ({@link FloatDense}), which computes exactly what a kernel on the packed codes would (up to
 *       float summation order).</li>
 *   <li>INT8 dynamic is W8A8: {@link DynamicInt8Dense}.</li>
 * </ul>
 */
public enum WeightFormat {
    FP32("FP32"),
    FP16("FP16"),
    BF16("BF16"),
    INT8("INT8 per-channel"),
    INT8_DYNAMIC("INT8 dynamic (W8A8)"),
    INT4("INT4 per-group (g32, sym)"),
    Q8_0("GGUF Q8_0"),
    Q5_K("GGUF Q5_K"),
    Q4_K("GGUF Q4_K"),
    Q4_0("GGUF Q4_0");

    private final String label;

    WeightFormat(String label) { this.label = label; }

    public String label() { return label; }

    /** Parses a command-line name: {@code fp16}, {@code int8-dynamic}, {@code q4_k}, ... */
    public static Optional<WeightFormat> parse(String s) {
        String n = s.trim().toUpperCase(Locale.ROOT).replace('-', '_');
        if (n.equals("F32")) n = "FP32";
        if (n.equals("F16")) n = "FP16";
        if (n.equals("INT8_PER_CHANNEL")) n = "INT8";
        if (n.equals("DYNAMIC") || n.equals("W8A8")) n = "INT8_DYNAMIC";
        for (WeightFormat f : values()) if (f.name().equals(n)) return Optional.of(f);
        return Optional.empty();
    }

    /** The ggml type a weight with rows of {@code in} values is stored in, if this is a ggml format. */
    public Optional<GgmlType> typeFor(int in) {
        GgmlType t = switch (this) {
            case FP32 -> GgmlType.F32;
            case FP16 -> GgmlType.F16;
            case BF16 -> GgmlType.BF16;
            case Q8_0 -> GgmlType.Q8_0;
            case Q5_K -> GgmlType.Q5_K;
            case Q4_K -> GgmlType.Q4_K;
            case Q4_0 -> GgmlType.Q4_0;
            default -> null;
        };
        if (t == null) return Optional.empty();
        if (in % t.blockSize() != 0) {
            t = switch (t) {
                case Q5_K -> GgmlType.Q5_1;
                case Q4_K -> GgmlType.Q5_0;
                default -> t;
            };
        }
        if (in % t.blockSize() != 0) t = GgmlType.F16; // no block fits the row at all
        return Optional.of(t);
    }

    /**
     * {@code weights} with every projection converted to this format; new weight data lives in an
     * arena closed with the returned weights (the base weights stay open and owned by the caller).
     */
    public BertWeights apply(BertWeights weights) {
        if (this == FP32) return weights.withProjections(d -> d, null);
        Arena arena = Arena.ofShared();
        try {
            return weights.withProjections(d -> convert(d, arena), arena::close);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private Dense convert(Dense d, Arena arena) {
        int in = d.in(), out = d.out();
        switch (this) {
            case INT8_DYNAMIC:
                return DynamicInt8Dense.of(d);
            case INT8, INT4: {
                IntQuantizer.Scheme scheme = this == INT8
                        ? IntQuantizer.Scheme.symmetric(8, IntQuantizer.Granularity.PER_CHANNEL, 0, IntQuantizer.RangeMethod.MIN_MAX, IntQuantizer.ScaleType.F32)
                        : IntQuantizer.Scheme.symmetric(4, IntQuantizer.Granularity.PER_GROUP, 32, IntQuantizer.RangeMethod.MIN_MAX, IntQuantizer.ScaleType.F16);
                QuantizedMatrix q = IntQuantizer.quantize(d.weights(), out, in, scheme);
                return FloatDense.of(q.dequantize(), out, in, d.bias(), this == INT8 ? "I8/ch→F32" : "I4/g32→F32", q.storageBytes());
            }
            default: {
                GgmlType type = typeFor(in).orElseThrow();
                long bytes = Codecs.of(type).rowBytes(in) * out;
                MemorySegment seg = arena.allocate(bytes, 64);
                Codecs.quantizeChunk(type, d.weights(), 0, out, in, seg, 0, null);
                Linear linear = Linear.of(new Tensor(TensorInfo.of(label, type.toDType(), Shape.of(out, in)), seg), null);
                return wrap(linear, d.bias(), bytes, type.name());
            }
        }
    }

    private static Dense wrap(Linear linear, float[] bias, long bytes, String kind) {
        Dense inner = Dense.of(linear, bias, bytes);
        return new Dense() {
            @Override public int in() { return inner.in(); }
            @Override public int out() { return inner.out(); }
            @Override public String kind() { return kind; }
            @Override public void forward(float[] x, int tokens, float[] y, RowParallel threads) { inner.forward(x, tokens, y, threads); }
            @Override public void row(int j, float[] dst) { inner.row(j, dst); }
            @Override public long weightBytes() { return bytes; }
            @Override public float[] bias() { return bias; }
        };
    }
}
