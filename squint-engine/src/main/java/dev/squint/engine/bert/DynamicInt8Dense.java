package dev.squint.engine.bert;

import dev.squint.core.codec.Int8Rows;
import dev.squint.kernels.FloatGemm;
import dev.squint.kernels.RowParallel;
import dev.squint.kernels.VectorInt8Rows;

/**
 * W8A8 ("dynamic INT8"): the weight is quantized once to int8 per output row ({@link Int8Rows}:
 * symmetric, scale = absmax/127), and each call quantizes every token's activation row the same
 * way. Dot products are exact integer sums of int8 × int8 products, scaled back by
 * {@code weightScale[j] · tokenScale[t]}:
 * <pre>  y[t, j] = (Σᵢ qw[j, i] · qx[t, i]) · sw[j] · sx[t] + b[j]</pre>
 *
 * <p>The integer sums run in {@link FloatGemm#multiplyInt8}: the int8 codes are held as floats
 * (the weight's packed once at load, the activations' per call) and summed by the float GEMM in
 * chunks whose partial sums are exact, then added in int32 — the exact int32 result, at the float
 * GEMM's speed (Java's Vector API reaches no int8 dot instruction; see {@link FloatGemm}). The codes
 * are packed twice: as floats for large batches and as bytes for small ones ({@link #FLOAT_CODES_FROM});
 * 5 bytes per weight on the heap, while {@link #weightBytes} reports the int8 storage.
 */
public final class DynamicInt8Dense implements Dense {
    private final int in;
    private final int out;
    private final byte[] codes;
    private final float[] scales;
    private final FloatGemm.Packed packed;
    private final FloatGemm.PackedInt8 packedBytes;
    /**
     * From this many tokens on, the product reads the weight codes packed as floats (compute-bound: no
     * widening in the kernel); below, as bytes (weight-streaming-bound: a quarter of the traffic).
     */
    static final int FLOAT_CODES_FROM = 64;
    private final float[] bias;
    /** Per-call activation codes and scales, kept between calls (one forward pass at a time). */
    private float[] xCodes = new float[0];
    private float[] xScales = new float[0];

    private DynamicInt8Dense(int in, int out, byte[] codes, float[] scales, float[] bias) {
        this.in = in;
        this.out = out;
        this.codes = codes;
        this.scales = scales;
        this.bias = bias;
        float[] asFloats = new float[codes.length];
        for (int i = 0; i < codes.length; i++) asFloats[i] = codes[i];
        this.packed = FloatGemm.pack(asFloats, 0, out, in);
        this.packedBytes = FloatGemm.packInt8(codes, 0, out, in);
    }

    /** Quantizes {@code source}'s weights (as it computes with them) to int8 rows. */
    public static DynamicInt8Dense of(Dense source) {
        int in = source.in(), out = source.out();
        byte[] codes = new byte[out * in];
        float[] scales = new float[out];
        float[] row = new float[in];
        for (int j = 0; j < out; j++) {
            source.row(j, row);
            scales[j] = Int8Rows.quantizeRow(row, 0, in, codes, j * in);
        }
        return new DynamicInt8Dense(in, out, codes, scales, source.bias());
    }

    @Override public int in() { return in; }

    @Override public int out() { return out; }

    @Override public String kind() { return "INT8 W8A8"; }

    @Override public float[] bias() { return bias; }

    @Override public long weightBytes() { return codes.length + 4L * scales.length; }

    @Override
    public void row(int j, float[] dst) {
        Int8Rows.dequantizeRow(codes, j * in, in, scales[j], dst, 0);
    }

    @Override
    public void forward(float[] x, int tokens, float[] y, RowParallel threads) {
        product(x, tokens, null, y, threads);
    }

    /** The bias is added in the kernel's scaling pass: {@code (s · sw · sx) + b}, as the default would add it. */
    @Override
    public void forwardWithBias(float[] x, int tokens, float[] y, RowParallel threads) {
        product(x, tokens, bias, y, threads);
    }

    private void product(float[] x, int tokens, float[] b, float[] y, RowParallel threads) {
        quantize(x, tokens, threads);
        if (tokens >= FLOAT_CODES_FROM) FloatGemm.multiplyInt8(xCodes, xScales, tokens, packed, scales, b, y, threads);
        else FloatGemm.multiplyInt8(xCodes, xScales, tokens, packedBytes, scales, b, y, threads);
    }

    /** Each token row of {@code x} to int8 codes (held as floats) in {@link #xCodes} and its scale in {@link #xScales}. */
    private void quantize(float[] x, int tokens, RowParallel threads) {
        if (xCodes.length < tokens * in) xCodes = new float[tokens * in];
        if (xScales.length < tokens) xScales = new float[tokens];
        float[] qx = xCodes, sx = xScales;
        RowParallel.RowRange quantize = (from, to) -> {
            for (int t = from; t < to; t++) sx[t] = VectorInt8Rows.quantizeRowToFloats(x, t * in, in, qx, t * in);
        };
        // a few tokens are quantized faster than the other threads wake up
        if (tokens < BertEncoder.INLINE_TOKENS) quantize.run(0, tokens);
        else threads.forRows(tokens, quantize);
    }

    /**
     * {@link FloatDense#forwardAll} for W8A8 projections of the same input (all with {@code in} inputs): the
     * activations are quantized once, and every output element is exactly what {@link #forwardWithBias} gives.
     */
    static void forwardAll(DynamicInt8Dense[] ds, float[] x, int tokens, float[] y, RowParallel threads) {
        DynamicInt8Dense first = ds[0];
        for (DynamicInt8Dense d : ds) if (d.in != first.in) throw new IllegalArgumentException("projections of " + d.in + " and " + first.in + " inputs");
        first.quantize(x, tokens, threads);
        float[][] scales = new float[ds.length][], biases = new float[ds.length][];
        for (int g = 0; g < ds.length; g++) {
            scales[g] = ds[g].scales;
            biases[g] = ds[g].bias;
        }
        if (tokens >= FLOAT_CODES_FROM) {
            FloatGemm.Packed[] ws = new FloatGemm.Packed[ds.length];
            for (int g = 0; g < ds.length; g++) ws[g] = ds[g].packed;
            FloatGemm.multiplyInt8(first.xCodes, first.xScales, tokens, ws, scales, biases, y, threads);
        } else {
            FloatGemm.PackedInt8[] ws = new FloatGemm.PackedInt8[ds.length];
            for (int g = 0; g < ds.length; g++) ws[g] = ds[g].packedBytes;
            FloatGemm.multiplyInt8(first.xCodes, first.xScales, tokens, ws, scales, biases, y, threads);
        }
    }
}
