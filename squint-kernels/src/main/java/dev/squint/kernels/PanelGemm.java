package dev.squint.kernels;

import dev.squint.kernels.MatrixKernels.Impl;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Matrix × matrix for batched prompts: {@code y[t, j] = Σ_k W[j, k] · x[t, k] (+ bias[j])} for a block of
 * weight rows and every token at once, with the weight kept in any stored type and decoded panel by panel.
 *
 * <p><b>Why float panels.</b> The Vector API has no int8 or int16 dot-product operation (no
 * {@code vpdpbusd}/{@code vpmaddwd}), so an integer block dot costs several widening and converting ops per
 * 16-32 products, while one float FMA does 16. A weight block is therefore decoded to floats once (exactly:
 * a Q8_0/Q4_0/F16 value {@code d · q} is a float) into a small panel and reused by every token, and the
 * activations come in already converted to the codec's activation type and back to floats (the values ggml's
 * kernels multiply), transposed to {@code xT[k, token]}. Each output is then one FMA chain over {@code k} in
 * increasing order: it equals ggml's integer-block result to float rounding, and it is bit-identical whatever
 * the tiling, the thread split or the implementation (the scalar twin runs the same chain with
 * {@link Math#fma}).
 *
 * <p><b>Blocking.</b> Weight rows are taken {@link #ROW_BLOCK} at a time and decoded whole into a panel
 * (row-major, {@code ROW_BLOCK × in} floats, in L2); for each {@link #KC}-wide slice of {@code k}, a register tile of {@value #MR} rows × {@code 4 × lanes} tokens (24 vector accumulators with 16-lane
 * floats) runs over the slice: per {@code k}, 4 token vectors loaded from {@code xT}, 6 weights broadcast, 24
 * FMAs. Partial sums of the row block live in a {@code ROW_BLOCK × tokens} scratch between slices and are
 * written (transposed) to {@code y} at the end. Tokens are padded to a whole number of vectors; the padding
 * columns of {@code xT} must be zero (their outputs are dropped).
 */
public final class PanelGemm {
    private PanelGemm() {}

    /** Columns of {@code k} per pass of the register tiles: {@code KC × 4 vectors} of {@code xT} fit in L1. */
    public static final int KC = 64;
    /** Weight rows per register tile. */
    public static final int MR = 6;
    /** Weight rows decoded together (a multiple of {@link #MR}). */
    public static final int ROW_BLOCK = 24;
    /** Token vectors per register tile. */
    static final int NV = 4;

    private static final VectorSpecies<Float> F = Species.F;
    private static final int L = Species.LANES;

    /** Decodes weight row {@code row}'s values {@code [k0, k0 + n)} into {@code dst[dstOffset ..]}. */
    @FunctionalInterface
    public interface RowDecoder {
        void decode(int row, int k0, int n, float[] dst, int dstOffset);
    }

    /** Per-thread scratch: the decoded rows and the row block's partial sums. Reused between calls. */
    public static final class Scratch {
        float[] panel = new float[0];
        float[] sums = new float[0];

        float[] panel(int in) {
            if (panel.length < ROW_BLOCK * in) panel = new float[ROW_BLOCK * in];
            return panel;
        }

        float[] sums(int paddedTokens) {
            if (sums.length < ROW_BLOCK * paddedTokens) sums = new float[ROW_BLOCK * paddedTokens];
            return sums;
        }
    }

    /** Tokens rounded up to a whole number of vectors: the row stride of {@code xT}. */
    public static int paddedTokens(int tokens) {
        return (tokens + L - 1) / L * L;
    }

    /**
     * Computes rows {@code [rowFrom, rowTo)} of {@code y} for every token.
     *
     * @param xT     activations transposed, {@code xT[k * paddedTokens(tokens) + t]}, padding columns zero
     * @param y      output, {@code y[t * ldy + j]}
     * @param bias   per-row bias, or null
     */
    public static void rows(Impl impl, RowDecoder weight, int in, float[] xT, int tokens, float[] y, int ldy,
                            float[] bias, int rowFrom, int rowTo, Scratch s) {
        int tp = paddedTokens(tokens);
        if ((long) in * tp > xT.length) throw new IllegalArgumentException("xT holds " + xT.length + " floats, need " + (long) in * tp);
        float[] panel = s.panel(in), sums = s.sums(tp);
        for (int b0 = rowFrom; b0 < rowTo; b0 += ROW_BLOCK) {
            int rb = Math.min(ROW_BLOCK, rowTo - b0);
            // whole rows at once: one decoder call per row; the block's rows (≤ 24 × in floats) stay in L2
            for (int r = 0; r < rb; r++) weight.decode(b0 + r, 0, in, panel, r * in);
            for (int k0 = 0; k0 < in; k0 += KC) {
                int kn = Math.min(KC, in - k0);
                boolean accumulate = k0 > 0;
                if (impl == Impl.SCALAR) {
                    scalarSlice(panel, in, rb, xT, k0, kn, tp, sums, accumulate);
                    continue;
                }
                for (int t0 = 0; t0 < tp; t0 += NV * L) {
                    int nv = Math.min(NV, (tp - t0) / L);
                    for (int r = 0; r < rb; r += MR) {
                        int mr = Math.min(MR, rb - r);
                        if (mr == MR && nv == NV) {
                            tile6x4(panel, r * in + k0, in, xT, k0 * tp + t0, tp, kn, sums, r * tp + t0, accumulate);
                        } else {
                            for (int v = 0; v < nv; v++) {
                                int t = t0 + v * L;
                                if (mr == MR) tile6x1(panel, r * in + k0, in, xT, k0 * tp + t, tp, kn, sums, r * tp + t, accumulate);
                                else for (int i = 0; i < mr; i++) tile1x1(panel, (r + i) * in + k0, xT, k0 * tp + t, tp, kn, sums, (r + i) * tp + t, accumulate);
                            }
                        }
                    }
                }
            }
            for (int r = 0; r < rb; r++) {
                int j = b0 + r;
                float add = bias == null ? 0f : bias[j];
                for (int t = 0; t < tokens; t++) y[t * ldy + j] = sums[r * tp + t] + add;
            }
        }
    }

    /** The scalar twin of one slice: the same FMA chain per output as the vector tiles. */
    private static void scalarSlice(float[] panel, int ldw, int rb, float[] xT, int k0, int kn, int tp, float[] sums, boolean accumulate) {
        for (int r = 0; r < rb; r++) {
            for (int t = 0; t < tp; t++) {
                float acc = accumulate ? sums[r * tp + t] : 0f;
                for (int k = 0; k < kn; k++) acc = Math.fma(panel[r * ldw + k0 + k], xT[(k0 + k) * tp + t], acc);
                sums[r * tp + t] = acc;
            }
        }
    }

    private static FloatVector start(float[] sums, int o, boolean accumulate) {
        return accumulate ? FloatVector.fromArray(F, sums, o) : FloatVector.zero(F);
    }

    /** 6 rows × 4 token vectors over {@code kn} columns; panel row stride {@code ldw}, xT row stride {@code tp}. */
    private static void tile6x4(float[] w, int wo, int ldw, float[] xT, int xo, int tp, int kn, float[] c, int co, boolean acc) {
        int c1 = co + tp, c2 = c1 + tp, c3 = c2 + tp, c4 = c3 + tp, c5 = c4 + tp;
        FloatVector a00 = start(c, co, acc), a01 = start(c, co + L, acc), a02 = start(c, co + 2 * L, acc), a03 = start(c, co + 3 * L, acc);
        FloatVector a10 = start(c, c1, acc), a11 = start(c, c1 + L, acc), a12 = start(c, c1 + 2 * L, acc), a13 = start(c, c1 + 3 * L, acc);
        FloatVector a20 = start(c, c2, acc), a21 = start(c, c2 + L, acc), a22 = start(c, c2 + 2 * L, acc), a23 = start(c, c2 + 3 * L, acc);
        FloatVector a30 = start(c, c3, acc), a31 = start(c, c3 + L, acc), a32 = start(c, c3 + 2 * L, acc), a33 = start(c, c3 + 3 * L, acc);
        FloatVector a40 = start(c, c4, acc), a41 = start(c, c4 + L, acc), a42 = start(c, c4 + 2 * L, acc), a43 = start(c, c4 + 3 * L, acc);
        FloatVector a50 = start(c, c5, acc), a51 = start(c, c5 + L, acc), a52 = start(c, c5 + 2 * L, acc), a53 = start(c, c5 + 3 * L, acc);
        for (int k = 0; k < kn; k++) {
            int x = xo + k * tp;
            FloatVector x0 = FloatVector.fromArray(F, xT, x), x1 = FloatVector.fromArray(F, xT, x + L);
            FloatVector x2 = FloatVector.fromArray(F, xT, x + 2 * L), x3 = FloatVector.fromArray(F, xT, x + 3 * L);
            int p = wo + k;
            FloatVector w0 = FloatVector.broadcast(F, w[p]);
            a00 = x0.fma(w0, a00); a01 = x1.fma(w0, a01); a02 = x2.fma(w0, a02); a03 = x3.fma(w0, a03);
            FloatVector w1 = FloatVector.broadcast(F, w[p + ldw]);
            a10 = x0.fma(w1, a10); a11 = x1.fma(w1, a11); a12 = x2.fma(w1, a12); a13 = x3.fma(w1, a13);
            FloatVector w2 = FloatVector.broadcast(F, w[p + 2 * ldw]);
            a20 = x0.fma(w2, a20); a21 = x1.fma(w2, a21); a22 = x2.fma(w2, a22); a23 = x3.fma(w2, a23);
            FloatVector w3 = FloatVector.broadcast(F, w[p + 3 * ldw]);
            a30 = x0.fma(w3, a30); a31 = x1.fma(w3, a31); a32 = x2.fma(w3, a32); a33 = x3.fma(w3, a33);
            FloatVector w4 = FloatVector.broadcast(F, w[p + 4 * ldw]);
            a40 = x0.fma(w4, a40); a41 = x1.fma(w4, a41); a42 = x2.fma(w4, a42); a43 = x3.fma(w4, a43);
            FloatVector w5 = FloatVector.broadcast(F, w[p + 5 * ldw]);
            a50 = x0.fma(w5, a50); a51 = x1.fma(w5, a51); a52 = x2.fma(w5, a52); a53 = x3.fma(w5, a53);
        }
        a00.intoArray(c, co); a01.intoArray(c, co + L); a02.intoArray(c, co + 2 * L); a03.intoArray(c, co + 3 * L);
        a10.intoArray(c, c1); a11.intoArray(c, c1 + L); a12.intoArray(c, c1 + 2 * L); a13.intoArray(c, c1 + 3 * L);
        a20.intoArray(c, c2); a21.intoArray(c, c2 + L); a22.intoArray(c, c2 + 2 * L); a23.intoArray(c, c2 + 3 * L);
        a30.intoArray(c, c3); a31.intoArray(c, c3 + L); a32.intoArray(c, c3 + 2 * L); a33.intoArray(c, c3 + 3 * L);
        a40.intoArray(c, c4); a41.intoArray(c, c4 + L); a42.intoArray(c, c4 + 2 * L); a43.intoArray(c, c4 + 3 * L);
        a50.intoArray(c, c5); a51.intoArray(c, c5 + L); a52.intoArray(c, c5 + 2 * L); a53.intoArray(c, c5 + 3 * L);
    }

    /** 6 rows × 1 token vector: the tail when tokens are not a multiple of the 4-vector tile. */
    private static void tile6x1(float[] w, int wo, int ldw, float[] xT, int xo, int tp, int kn, float[] c, int co, boolean acc) {
        FloatVector a0 = start(c, co, acc), a1 = start(c, co + tp, acc), a2 = start(c, co + 2 * tp, acc);
        FloatVector a3 = start(c, co + 3 * tp, acc), a4 = start(c, co + 4 * tp, acc), a5 = start(c, co + 5 * tp, acc);
        for (int k = 0; k < kn; k++) {
            FloatVector x = FloatVector.fromArray(F, xT, xo + k * tp);
            int p = wo + k;
            a0 = x.fma(FloatVector.broadcast(F, w[p]), a0);
            a1 = x.fma(FloatVector.broadcast(F, w[p + ldw]), a1);
            a2 = x.fma(FloatVector.broadcast(F, w[p + 2 * ldw]), a2);
            a3 = x.fma(FloatVector.broadcast(F, w[p + 3 * ldw]), a3);
            a4 = x.fma(FloatVector.broadcast(F, w[p + 4 * ldw]), a4);
            a5 = x.fma(FloatVector.broadcast(F, w[p + 5 * ldw]), a5);
        }
        a0.intoArray(c, co); a1.intoArray(c, co + tp); a2.intoArray(c, co + 2 * tp);
        a3.intoArray(c, co + 3 * tp); a4.intoArray(c, co + 4 * tp); a5.intoArray(c, co + 5 * tp);
    }

    /** 1 row × 1 token vector: rows left over when a block is not a multiple of {@link #MR}. */
    private static void tile1x1(float[] w, int wo, float[] xT, int xo, int tp, int kn, float[] c, int co, boolean acc) {
        FloatVector a = start(c, co, acc);
        for (int k = 0; k < kn; k++) a = FloatVector.fromArray(F, xT, xo + k * tp).fma(FloatVector.broadcast(F, w[wo + k]), a);
        a.intoArray(c, co);
    }
}
