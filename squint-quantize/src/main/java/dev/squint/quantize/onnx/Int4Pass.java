package dev.squint.quantize.onnx;

import dev.squint.formats.onnx.proto.NodeProto;

import java.util.ArrayList;
import java.util.List;

import static dev.squint.quantize.onnx.OnnxGraphEditor.UINT8;
import static dev.squint.quantize.onnx.OnnxGraphEditor.intAttr;
import static dev.squint.quantize.onnx.OnnxGraphEditor.node;

/**
 * INT4 weight-only: MatMul(A, W) with a constant W [K, N] becomes com.microsoft MatMulNBits
 * (round to nearest). Constant embedding tables read by Gather become int8 with per-column
 * scales (as in dynamic INT8).
 *
 * <p>Layout ONNX Runtime expects (contrib op MatMulNBits, bits = 4): the weight is taken as
 * W<sup>T</sup> [N, K], cut into blocks of {@code block_size} along K (K padded with zeros to
 * whole blocks). {@code B} is uint8 [N, blocks, block_size / 2], two codes per byte, the even k in
 * the low nibble. {@code scales} is float [N × blocks], row n's blocks consecutive.
 * {@code zero_points} (asymmetric only) is uint8 [N × ceil(blocks / 2)], packed like B; without it
 * the zero point is 8. Dequantized: {@code w = (code - zp) × scale}.
 */
final class Int4Pass {
    private Int4Pass() {}

    static void run(OnnxGraphEditor g, OnnxQuantizeOptions o, OnnxQuantizeReport report) {
        g.requireOpset("com.microsoft", 1);
        List<NodeProto> out = new ArrayList<>(g.nodes.size());
        for (NodeProto n : g.nodes) {
            if (!n.getDomain().isEmpty() || !n.getOpType().equals("MatMul")) {
                if (n.getOpType().equals("Gather") && n.getDomain().isEmpty() && o.selectionVeto(n.getName(), "Gather") == null
                        && DynamicInt8Pass.gatherVeto(g, n) == null) {
                    // Embedding tables: int8 with per-column scales, as in dynamic INT8 (MatMulNBits has no gather form).
                    DynamicInt8Pass.gather(g, o.withPerChannel(true), n, out, report);
                    continue;
                }
                if (n.getOpType().equals("Gemm")) report.keptFloat(n.getName(), n.getOpType(), "INT4 weight-only covers MatMul only");
                out.add(n);
                continue;
            }
            String veto = o.selectionVeto(n.getName(), n.getOpType());
            if (veto == null) veto = DynamicInt8Pass.matmulVeto(g, n);
            if (veto != null) {
                report.keptFloat(n.getName(), "MatMul", veto);
                out.add(n);
                continue;
            }
            out.add(quantize(g, o, n));
            long[] d = g.dims(n.getInput(1));
            report.quantized(n.getName(), "MatMul", "MatMulNBits 4-bit, block " + o.blockSize() + (o.symmetric() ? ", symmetric" : ", asymmetric")
                    + " [" + d[0] + "x" + d[1] + "]");
        }
        g.nodes.clear();
        g.nodes.addAll(out);
        g.removeUnusedInitializers();
    }

    private static NodeProto quantize(OnnxGraphEditor g, OnnxQuantizeOptions o, NodeProto n) {
        String wName = n.getInput(1);
        long[] d = g.dims(wName);
        int k = (int) d[0], cols = (int) d[1];
        float[] w = g.floats(wName);
        int block = o.blockSize();
        int blocks = (k + block - 1) / block;
        int blob = block / 2;
        byte[] packed = new byte[cols * blocks * blob];
        float[] scales = new float[cols * blocks];
        int zpStride = (blocks + 1) / 2;
        byte[] zps = o.symmetric() ? null : new byte[cols * zpStride];
        for (int col = 0; col < cols; col++) {
            for (int b = 0; b < blocks; b++) {
                int k0 = b * block, k1 = Math.min(k, k0 + block);
                float min = 0, max = 0, absmax = 0;
                for (int kk = k0; kk < k1; kk++) {
                    float v = w[kk * cols + col];
                    min = Math.min(min, v);
                    max = Math.max(max, v);
                    absmax = Math.max(absmax, Math.abs(v));
                }
                float scale;
                int zp;
                if (o.symmetric()) {
                    scale = absmax > 0 ? absmax / 7f : 1f;
                    zp = 8;
                } else {
                    scale = max > min ? (max - min) / 15f : 1f;
                    zp = WeightQuant.clamp((int) Math.rint(-min / scale), 0, 15);
                    int zi = col * zpStride + b / 2;
                    zps[zi] |= (byte) ((b & 1) == 0 ? zp : zp << 4);
                }
                scales[col * blocks + b] = scale;
                for (int kk = k0; kk < k0 + block; kk++) {
                    int code = kk < k1 ? WeightQuant.clamp((int) Math.rint(w[kk * cols + col] / scale) + zp, 0, 15) : zp;
                    int at = (col * blocks + b) * blob + (kk - k0) / 2;
                    packed[at] |= (byte) (((kk - k0) & 1) == 0 ? code : code << 4);
                }
            }
        }
        String base = n.getName().isEmpty() ? n.getOutput(0) : n.getName();
        List<String> in = new ArrayList<>();
        in.add(n.getInput(0));
        in.add(g.addBytes(g.unique(wName + "_Q4"), UINT8, new long[] {cols, blocks, blob}, packed));
        in.add(g.addFloats(g.unique(wName + "_scales"), new long[] {(long) cols * blocks}, scales));
        if (zps != null) in.add(g.addBytes(g.unique(wName + "_zero_points"), UINT8, new long[] {(long) cols * zpStride}, zps));
        NodeProto.Builder b = node("MatMulNBits", g.unique(base + "_Q4"), in, n.getOutputList(),
                intAttr("K", k), intAttr("N", cols), intAttr("bits", 4), intAttr("block_size", block)).toBuilder();
        return b.setDomain("com.microsoft").build();
    }

}
