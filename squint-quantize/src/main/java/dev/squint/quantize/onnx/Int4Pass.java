package dev.squint.quantize.onnx;

import dev.squint.formats.onnx.proto.NodeProto;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

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

    static void run(OnnxGraphEditor g, OnnxQuantizeOptions o, List<Map<String, HostTensor>> calibration, OnnxQuantizeReport report) {
        g.requireOpset("com.microsoft", 1);
        Map<NodeProto, String> vetoes = new IdentityHashMap<>();
        List<NodeProto> chosen = new ArrayList<>();
        for (NodeProto n : g.nodes) {
            if (!n.getDomain().isEmpty() || !n.getOpType().equals("MatMul")) continue;
            String veto = o.selectionVeto(n.getName(), n.getOpType());
            if (veto == null) veto = DynamicInt8Pass.matmulVeto(g, n);
            vetoes.put(n, veto);
            if (veto == null) chosen.add(n);
        }
        Hessians gptq = Hessians.plan(g, o, chosen, calibration);
        List<NodeProto> out = new ArrayList<>(g.nodes.size());
        int rounded = 0;
        for (NodeProto n : g.nodes) {
            if (!vetoes.containsKey(n)) {
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
            String veto = vetoes.get(n);
            if (veto != null) {
                report.keptFloat(n.getName(), "MatMul", veto);
                out.add(n);
                continue;
            }
            boolean withGptq = gptq != null && gptq.covers(n);
            out.add(quantize(g, o, n, withGptq ? gptq : null));
            if (withGptq) rounded++;
            long[] d = g.dims(n.getInput(1));
            report.quantized(n.getName(), "MatMul", "MatMulNBits 4-bit, block " + o.blockSize() + (o.symmetric() ? ", symmetric" : ", asymmetric")
                    + (withGptq ? ", GPTQ" : gptq != null ? ", round to nearest (" + gptq.whyNot(n) + ")" : "") + " [" + d[0] + "x" + d[1] + "]");
        }
        if (gptq != null) report.note(gptq.describe(rounded));
        g.nodes.clear();
        g.nodes.addAll(out);
        g.removeUnusedInitializers();
    }

    private static NodeProto quantize(OnnxGraphEditor g, OnnxQuantizeOptions o, NodeProto n, Hessians gptq) {
        String wName = n.getInput(1);
        long[] d = g.dims(wName);
        int k = (int) d[0], cols = (int) d[1];
        float[] w = g.floats(wName);
        int block = o.blockSize();
        int blocks = (k + block - 1) / block;
        int blob = block / 2;
        Int4Grid grid = new Int4Grid(k, cols, block, o.symmetric());
        if (gptq != null) Gptq.round(w, k, cols, gptq.factor(n.getInput(0), null), grid, Runtime.getRuntime().availableProcessors());
        else Gptq.roundToNearest(w, k, cols, grid);
        byte[] packed = new byte[cols * blocks * blob];
        int zpStride = (blocks + 1) / 2;
        byte[] zps = o.symmetric() ? null : new byte[cols * zpStride];
        for (int col = 0; col < cols; col++) {
            for (int b = 0; b < blocks; b++) {
                int zp = grid.zeroPoints[col * blocks + b];
                if (zps != null) zps[col * zpStride + b / 2] |= (byte) ((b & 1) == 0 ? zp : zp << 4);
                int k0 = b * block;
                for (int kk = k0; kk < k0 + block; kk++) {
                    int code = kk < k ? grid.codes[kk * cols + col] : zp;
                    int at = (col * blocks + b) * blob + (kk - k0) / 2;
                    packed[at] |= (byte) (((kk - k0) & 1) == 0 ? code : code << 4);
                }
            }
        }
        float[] scales = grid.scales;
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

    /**
     * 4-bit codes for W [K, N] in blocks of {@code block} rows per column: symmetric ({@code scale =
     * absmax / 7}, zero point 8) or asymmetric over [min(0, min), max(0, max)] ({@code scale = range / 15}).
     * A block's scale and zero point are set when its first row is reached, from the weights as they are
     * then: the originals for round-to-nearest, the error-corrected ones under GPTQ (its group-wise form).
     */
    static final class Int4Grid implements Gptq.Grid {
        final int k, n, block, blocks;
        final boolean symmetric;
        final float[] scales;
        final int[] zeroPoints;
        final byte[] codes;

        Int4Grid(int k, int n, int block, boolean symmetric) {
            this.k = k;
            this.n = n;
            this.block = block;
            this.blocks = (k + block - 1) / block;
            this.symmetric = symmetric;
            this.scales = new float[n * blocks];
            this.zeroPoints = new int[n * blocks];
            this.codes = new byte[k * n];
        }

        @Override public void enterRow(int row, double[] w, int width, int c0) {
            if (row % block != 0) return;
            int b = row / block, end = Math.min(k, row + block);
            for (int c = 0; c < width; c++) {
                float min = 0, max = 0, absmax = 0;
                for (int r = row; r < end; r++) {
                    float v = (float) w[r * width + c];
                    min = Math.min(min, v);
                    max = Math.max(max, v);
                    absmax = Math.max(absmax, Math.abs(v));
                }
                float scale;
                int zp;
                if (symmetric) {
                    scale = absmax > 0 ? absmax / 7f : 1f;
                    zp = 8;
                } else {
                    scale = max > min ? (max - min) / 15f : 1f;
                    zp = WeightQuant.clamp((int) Math.rint(-min / scale), 0, 15);
                }
                scales[(c0 + c) * blocks + b] = scale;
                zeroPoints[(c0 + c) * blocks + b] = zp;
            }
        }

        @Override public double round(int row, int c, double v) {
            int at = c * blocks + row / block;
            float scale = scales[at];
            int zp = zeroPoints[at];
            int code = WeightQuant.clamp((int) Math.rint((float) v / scale) + zp, 0, 15);
            codes[row * n + c] = (byte) code;
            return (double) (code - zp) * scale;
        }
    }

}
