package dev.squint.quantize.onnx;

import dev.squint.core.codec.IntQuantizer;
import dev.squint.formats.onnx.proto.NodeProto;

import java.util.ArrayList;
import java.util.List;

import static dev.squint.quantize.onnx.OnnxGraphEditor.FLOAT;
import static dev.squint.quantize.onnx.OnnxGraphEditor.UINT8;
import static dev.squint.quantize.onnx.OnnxGraphEditor.intAttr;
import static dev.squint.quantize.onnx.OnnxGraphEditor.node;

/**
 * NF4 weight-only (QLoRA's NormalFloat-4 as bitsandbytes stores it): MatMul(A, W) and Gemm(A, B, C)
 * with a constant weight become com.microsoft MatMulBnb4 ({@code quant_type = 1}), plus an Add for a
 * Gemm bias. Embedding Gathers get int8 tables with per-column scales, as in dynamic INT8.
 *
 * <h2>Layout ONNX Runtime expects (contrib op MatMulBnb4, CPU kernel)</h2>
 * The weight is taken as W<sup>T</sup> [N, K] (K = input features, N = output features), flattened
 * row-major, and cut into blocks of {@code block_size} consecutive values of that flat array (a block
 * crosses into the next row when K is not a multiple of the block size; the last block may be short).
 * <ul>
 *   <li>{@code absmax}: float [ceil(N·K / block_size)], the largest |w| of each block;</li>
 *   <li>{@code B}: uint8 [ceil(N·K / 2)], two 4-bit codes a byte, flat element 2i in the <em>high</em>
 *       nibble and 2i+1 in the low nibble (an odd count leaves the code of 0.0 in the last low nibble);</li>
 *   <li>dequantized: {@code w = NF4[code] · absmax}, NF4 the 16 levels of {@link IntQuantizer#NF4_VALUES}
 *       (the same float32 values as bitsandbytes' and ONNX Runtime's tables).</li>
 * </ul>
 * Codes follow bitsandbytes' quantizer exactly: {@code x · (1/absmax)} in float, then the number of
 * decision points it is strictly greater than, the decision points being the midpoints of adjacent
 * levels rounded to float. ({@link IntQuantizer#nearestNf4} compares with the exact midpoints instead;
 * the two differ only for the five float values that equal a midpoint rounded upwards, where bitsandbytes
 * takes the lower level.) Attributes: K, N, block_size (16 to 256, a power of two), quant_type = 1.
 * Gemm's alpha is folded into absmax.
 */
final class Nf4Pass {
    private Nf4Pass() {}

    /**
     * Decision points between adjacent NF4 levels: the midpoints, written as float literals in
     * bitsandbytes' {@code dQuantizeNF4} and ONNX Runtime's {@code QuantizeOneNF4}. Parsed straight to
     * float, as a C++ {@code f} literal is: rounding the double midpoint to float instead gives a different
     * float for the last one (0.86147845 rather than 0.8614784).
     */
    static final float[] THRESHOLDS = {
            -0.8480964004993439f, -0.6106329262256622f, -0.4599952697753906f, -0.33967943489551544f,
            -0.23460740596055984f, -0.13791173323988914f, -0.045525018125772476f, 0.03979014977812767f,
            0.1202552504837513f, 0.2035212516784668f, 0.2920137718319893f, 0.3893125355243683f,
            0.5016634166240692f, 0.6427869200706482f, 0.8614784181118011f};

    /** The NF4 code of {@code x} (already multiplied by 1/absmax), as bitsandbytes assigns it. */
    static int code(float x) {
        int lo = 0, hi = 15;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (x > THRESHOLDS[mid]) lo = mid + 1; else hi = mid;
        }
        return lo;
    }

    /** A weight in MatMulBnb4's layout: packed codes and one absmax per block. */
    record Packed(byte[] codes, float[] absmax) {}

    /**
     * Quantizes W<sup>T</sup> given as row-major [n, k] ({@code wt[row * k + col]}).
     *
     * @param scale multiplies every stored absmax (Gemm's alpha), 1 otherwise
     */
    static Packed quantize(float[] wt, int blockSize, float scale) {
        long count = wt.length;
        int blocks = (int) ((count + blockSize - 1) / blockSize);
        byte[] packed = new byte[(int) ((count + 1) / 2)];
        float[] absmax = new float[blocks];
        for (int b = 0; b < blocks; b++) {
            int start = b * blockSize, end = (int) Math.min(count, (long) start + blockSize);
            float max = 0;
            for (int i = start; i < end; i++) max = Math.max(max, Math.abs(wt[i]));
            float inv = max == 0 ? 0 : 1f / max;
            for (int i = start; i < end; i++) {
                int c = code(wt[i] * inv);
                packed[i >> 1] |= (byte) ((i & 1) == 0 ? c << 4 : c);
            }
            absmax[b] = max * scale;
        }
        if ((count & 1) == 1) packed[packed.length - 1] |= (byte) code(0f);
        return new Packed(packed, absmax);
    }

    /** Dequantizes {@link #quantize}'s output back to W<sup>T</sup> [n, k] row-major (as ONNX Runtime does, in float). */
    static float[] dequantize(Packed p, int count, int blockSize) {
        float[] out = new float[count];
        for (int i = 0; i < count; i++) {
            int b = p.codes()[i >> 1] & 0xff;
            int c = (i & 1) == 0 ? b >>> 4 : b & 15;
            out[i] = IntQuantizer.NF4_VALUES[c] * p.absmax()[i / blockSize];
        }
        return out;
    }

    static void run(OnnxGraphEditor g, OnnxQuantizeOptions o, OnnxQuantizeReport report) {
        g.requireOpset("com.microsoft", 1);
        List<NodeProto> out = new ArrayList<>(g.nodes.size());
        for (NodeProto n : g.nodes) {
            String op = n.getOpType();
            boolean candidate = n.getDomain().isEmpty() && (op.equals("MatMul") || op.equals("Gemm") || op.equals("Gather"));
            if (!candidate) {
                out.add(n);
                continue;
            }
            String veto = o.selectionVeto(n.getName(), op);
            if (veto == null) veto = op.equals("Gather") ? DynamicInt8Pass.gatherVeto(g, n) : WeightOnlyInt8Pass.weightVeto(g, n);
            if (veto == null && op.equals("Gemm")) veto = gemmVeto(g, n);
            if (veto != null) {
                report.keptFloat(n.getName(), op, veto);
                out.add(n);
                continue;
            }
            if (op.equals("Gather")) {
                // Embedding tables: int8 with per-column scales (MatMulBnb4 has no gather form).
                DynamicInt8Pass.gather(g, o.withPerChannel(true), n, out, report);
                continue;
            }
            long[] d = g.dims(n.getInput(1));
            rewrite(g, o, n, out);
            boolean transB = op.equals("Gemm") && OnnxGraphEditor.attrInt(n, "transB", 0) != 0;
            report.quantized(n.getName(), op, "MatMulBnb4 NF4, block " + o.blockSize() + " [" + (transB ? d[1] + "x" + d[0] : d[0] + "x" + d[1]) + "]");
        }
        g.nodes.clear();
        g.nodes.addAll(out);
        g.removeUnusedInitializers();
    }

    private static String gemmVeto(OnnxGraphEditor g, NodeProto n) {
        if (OnnxGraphEditor.attrInt(n, "transA", 0) != 0) return "Gemm with transA=1";
        if (n.getInputCount() > 2 && !n.getInput(2).isEmpty()) {
            String c = n.getInput(2);
            if (OnnxGraphEditor.attrFloat(n, "beta", 1f) != 1f && !(g.isInitializer(c) && g.initializers.get(c).getDataType() == FLOAT)) {
                return "Gemm with beta != 1 on a computed bias";
            }
        }
        return null;
    }

    private static void rewrite(OnnxGraphEditor g, OnnxQuantizeOptions o, NodeProto n, List<NodeProto> out) {
        String wName = n.getInput(1);
        long[] d = g.dims(wName);
        boolean gemm = n.getOpType().equals("Gemm");
        boolean transB = gemm && OnnxGraphEditor.attrInt(n, "transB", 0) != 0;
        int k = (int) (transB ? d[1] : d[0]), cols = (int) (transB ? d[0] : d[1]);
        float[] w = g.floats(wName);
        float[] wt = transB ? w : WeightQuant.transpose(w, k, cols); // MatMulBnb4 wants W^T [N, K]
        float alpha = gemm ? OnnxGraphEditor.attrFloat(n, "alpha", 1f) : 1f;
        Packed p = quantize(wt, o.blockSize(), alpha);
        String base = n.getName().isEmpty() ? n.getOutput(0) : n.getName();
        String codes = g.addBytes(g.unique(wName + "_nf4"), UINT8, new long[] {p.codes().length}, p.codes());
        String absmax = g.addFloats(g.unique(wName + "_absmax"), new long[] {p.absmax().length}, p.absmax());
        boolean bias = gemm && n.getInputCount() > 2 && !n.getInput(2).isEmpty();
        String y = n.getOutput(0);
        String product = bias ? g.unique(base + "_product") : y;
        NodeProto mm = node("MatMulBnb4", g.unique(base + "_NF4"), List.of(n.getInput(0), codes, absmax), List.of(product),
                intAttr("K", k), intAttr("N", cols), intAttr("block_size", o.blockSize()), intAttr("quant_type", 1));
        out.add(mm.toBuilder().setDomain("com.microsoft").build());
        if (bias) DynamicInt8Pass.addGemmBias(g, n, base, product, out);
    }
}
