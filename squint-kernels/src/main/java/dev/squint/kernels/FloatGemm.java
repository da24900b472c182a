package dev.squint.kernels;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

import static dev.squint.kernels.Species.B;
import static dev.squint.kernels.Species.F;
import static dev.squint.kernels.Species.I;
import static dev.squint.kernels.Species.LANES;

/**
 * Blocked matrix multiply {@code C[m × n] = A[m × k] · Wᵀ (+ bias)} for a weight {@code W[n × k]}
 * packed once ({@link #pack}), the shape of every linear layer ({@code A} = tokens × in,
 * {@code W} = out × in, both row-major).
 *
 * <p><b>Packed layout.</b> {@code W} is cut into panels of {@link #NR} output columns (four float
 * vectors); panel {@code p} stores, for {@code i = 0 .. k-1}, the {@code NR} values
 * {@code W[p·NR + c][i]} contiguously, so the kernel streams a panel front to back. The last panel is
 * padded with zeros.
 *
 * <p><b>Kernel.</b> A tile of {@link #MR} = 6 rows of {@code A} × one panel keeps 24 accumulators in
 * registers: per {@code i}, four panel vectors are loaded and each row's {@code A[r][i]} is broadcast
 * and fused-multiply-added into all four. Leftover rows use 4-, 2- and 1-row kernels with the same
 * arithmetic, so a short batch (one sentence of ~10 tokens) streams each panel twice, not once per row.
 * The panel is four vectors wide because a broadcast costs a shuffle-port µop like an FMA: one per four
 * FMAs instead of one per two. Measured on the AVX-512 machine (one thread, 384 × 1536 × 384): 6 × 64
 * ~65 G multiply-adds per CPU-second, 6 × 32 (the previous kernel) ~54, 8 × 48 ~57, 4 × 96 ~58, 3 × 128 ~45;
 * a register-only FMA loop peaks at ~78. Tiles write raw sums to a small per-thread array and a separate
 * pass adds the bias (or scales) and stores them: the tile methods stay small enough for C2 to inline every
 * Vector API call (a tile that is not fully inlined boxes its vectors and runs several times slower).
 * Work items for threads are one panel × a block of {@link #MB} rows, panel-major, so a thread reuses a
 * panel across its row blocks.
 *
 * <p><b>Determinism.</b> Every output element is {@code fma(A[r][k-1], W[j][k-1], … fma(A[r][0], W[j][0], 0))}
 * (then {@code + bias[j]}): one fused multiply-add chain in index order, whichever kernel computes it.
 * That is exactly what the scalar twin computes with {@link Math#fma}, so the two agree bit for bit;
 * threads split whole tiles ({@link RowParallel}), so results do not depend on the thread count.
 *
 * <p><b>Exact integer mode</b> ({@link #multiplyInt8}): when {@code A} and {@code W} hold integers of
 * magnitude ≤ 127 (int8 codes stored as floats), every partial sum of at most {@link #EXACT_CHUNK}
 * products is an integer below 2²⁴ in magnitude, so every float operation on it is exact. Longer rows
 * are summed in chunks of {@link #EXACT_CHUNK}, each converted to int and added in int32: the result is
 * the exact int32 dot product. On hardware without an int8 dot instruction reachable from Java (the
 * Vector API has no VNNI / {@code vpmaddwd}), this float formulation is the fastest exact one measured:
 * 16 products per instruction, against 32 products per 5 instructions for 16-bit multiplies with
 * pairwise adds emulated by shifts. The weight codes can be packed as floats ({@link Packed}) or as
 * bytes ({@link PackedInt8}, widened in registers: a quarter of the memory traffic, for small batches
 * where streaming the weight dominates); both give the same bits.
 */
public final class FloatGemm {
    private FloatGemm() {}

    /** Output columns per packed panel: four float vectors. */
    public static final int NR = 4 * LANES;
    /** Rows of {@code A} per register tile. */
    static final int MR = 6;
    /** Rows of {@code A} per thread work item (with one panel): a multiple of {@link #MR}, few enough to keep a block's rows in cache. */
    static final int MB = 60;
    /** Longest run of int8 × int8 products whose float partial sums stay exact: 127² · 1024 < 2²⁴. */
    public static final int EXACT_CHUNK = 1024;

    /** A weight {@code [n × k]} in panels of {@link #NR} columns; see the class comment for the layout. */
    public record Packed(int n, int k, float[] data) {
        public int panels() { return (n + NR - 1) / NR; }

        /** {@code W[j][i]}. */
        public float get(int j, int i) {
            return data[(j / NR) * k * NR + i * NR + j % NR];
        }

        /** Row {@code j} of {@code W} into {@code dst[0 .. k)}. */
        public void row(int j, float[] dst) {
            int base = (j / NR) * k * NR + j % NR;
            for (int i = 0; i < k; i++) dst[i] = data[base + i * NR];
        }
    }

    /** An int8 weight {@code [n × k]} in the same panel layout as {@link Packed}, one byte per code. */
    public record PackedInt8(int n, int k, byte[] codes) {
        public int panels() { return (n + NR - 1) / NR; }
    }

    /** Packs row-major int8 codes {@code w[off ..]} of shape {@code [n × k]}. */
    public static PackedInt8 packInt8(byte[] w, int off, int n, int k) {
        if (n < 1 || k < 1 || off < 0 || (long) n * k > w.length - (long) off) {
            throw new IllegalArgumentException("weight of " + (w.length - off) + " bytes is not [" + n + ", " + k + "]");
        }
        int panels = (n + NR - 1) / NR;
        if ((long) panels * NR * k > Integer.MAX_VALUE - 16) throw new IllegalArgumentException("weight [" + n + ", " + k + "] too large to pack");
        byte[] data = new byte[panels * NR * k];
        for (int j = 0; j < n; j++) {
            int base = (j / NR) * k * NR + j % NR;
            for (int i = 0; i < k; i++) data[base + i * NR] = w[off + j * k + i];
        }
        return new PackedInt8(n, k, data);
    }

    /** Packs row-major {@code w[off ..]} of shape {@code [n × k]}. */
    public static Packed pack(float[] w, int off, int n, int k) {
        if (n < 1 || k < 1 || off < 0 || (long) n * k > w.length - (long) off) {
            throw new IllegalArgumentException("weight of " + (w.length - off) + " floats is not [" + n + ", " + k + "]");
        }
        int panels = (n + NR - 1) / NR;
        if ((long) panels * NR * k > Integer.MAX_VALUE - 16) throw new IllegalArgumentException("weight [" + n + ", " + k + "] too large to pack");
        float[] data = new float[panels * NR * k];
        for (int j = 0; j < n; j++) {
            int base = (j / NR) * k * NR + j % NR;
            for (int i = 0; i < k; i++) data[base + i * NR] = w[off + j * k + i];
        }
        return new Packed(n, k, data);
    }

    /**
     * {@code c[r·n + j] = Σᵢ a[r·k + i] · W[j][i] (+ bias[j])} for {@code r < m}, as the class comment
     * defines the summation; {@code bias} may be null.
     */
    public static void multiply(float[] a, int m, Packed w, float[] bias, float[] c, RowParallel par) {
        multiply(a, m, new Packed[] {w}, new float[][] {bias}, c, par);
    }

    /**
     * Several weights applied to the same {@code a} in one pass over the threads (e.g. a layer's query, key
     * and value projections): {@code c} has rows of {@code Σ n_g} values, weight {@code g}'s outputs in
     * columns {@code Σ_{h<g} n_h ..}, each element exactly as {@link #multiply} with that weight computes it.
     * {@code biases[g]} may be null.
     */
    public static void multiply(float[] a, int m, Packed[] ws, float[][] biases, float[] c, RowParallel par) {
        int k = ws[0].k();
        float[][] data = new float[ws.length][];
        int[] ns = new int[ws.length];
        for (int g = 0; g < ws.length; g++) {
            if (ws[g].k() != k) throw new IllegalArgumentException("weights of " + ws[g].k() + " and " + k + " inputs");
            data[g] = ws[g].data();
            ns[g] = ws[g].n();
        }
        int ldc = check(a, m, ns, k, c.length);
        checkVectors(biases, ns, "bias");
        run(a, m, k, ns, ldc, data, null, false, biases, c, null, null, null, par);
    }

    /**
     * W8A8 product: {@code a} holds int8 codes of {@code m} activation rows as floats (|a| ≤ 127) with one
     * scale per row, {@code w} int8 codes of the weight as floats with one scale per output channel.
     * {@code y[r·n + j] = (float) s · wScale[j] · aScale[r] (+ bias[j])} where {@code s = Σᵢ a[r][i] · W[j][i]}
     * is the exact int32 sum (see the class comment); {@code bias} may be null.
     */
    public static void multiplyInt8(float[] a, float[] aScale, int m, Packed w, float[] wScale, float[] bias, float[] y, RowParallel par) {
        multiplyInt8(a, aScale, m, new Packed[] {w}, new float[][] {wScale}, new float[][] {bias}, y, par);
    }

    /**
     * {@link #multiplyInt8} with the weight codes kept as bytes (a quarter of the memory traffic),
     * widened to float in the kernel: the same exact sums, so bit-identical results.
     */
    public static void multiplyInt8(float[] a, float[] aScale, int m, PackedInt8 w, float[] wScale, float[] bias, float[] y, RowParallel par) {
        multiplyInt8(a, aScale, m, new PackedInt8[] {w}, new float[][] {wScale}, new float[][] {bias}, y, par);
    }

    /** {@link #multiplyInt8} for several weights sharing the activations, laid out as {@link #multiply(float[], int, Packed[], float[][], float[], RowParallel)} lays them out. */
    public static void multiplyInt8(float[] a, float[] aScale, int m, Packed[] ws, float[][] wScales, float[][] biases, float[] y, RowParallel par) {
        int k = ws[0].k();
        float[][] data = new float[ws.length][];
        int[] ns = new int[ws.length];
        for (int g = 0; g < ws.length; g++) {
            if (ws[g].k() != k) throw new IllegalArgumentException("weights of " + ws[g].k() + " and " + k + " inputs");
            data[g] = ws[g].data();
            ns[g] = ws[g].n();
        }
        int ldc = checkInt8(a, aScale, m, ns, k, wScales, biases, y.length);
        run(a, m, k, ns, ldc, data, null, true, biases, y, aScale, wScales, null, par);
    }

    /** {@link #multiplyInt8} with byte codes for several weights sharing the activations. */
    public static void multiplyInt8(float[] a, float[] aScale, int m, PackedInt8[] ws, float[][] wScales, float[][] biases, float[] y, RowParallel par) {
        int k = ws[0].k();
        byte[][] codes = new byte[ws.length][];
        int[] ns = new int[ws.length];
        for (int g = 0; g < ws.length; g++) {
            if (ws[g].k() != k) throw new IllegalArgumentException("weights of " + ws[g].k() + " and " + k + " inputs");
            codes[g] = ws[g].codes();
            ns[g] = ws[g].n();
        }
        int ldc = checkInt8(a, aScale, m, ns, k, wScales, biases, y.length);
        run(a, m, k, ns, ldc, null, codes, true, biases, y, aScale, wScales, null, par);
    }

    /** The exact int32 sums {@code s} of {@link #multiplyInt8}, unscaled, into {@code sums[r·n + j]}. */
    static void int8Sums(float[] a, int m, Packed w, int[] sums, RowParallel par) {
        int[] ns = {w.n()};
        run(a, m, w.k(), ns, check(a, m, ns, w.k(), sums.length), new float[][] {w.data()}, null, true, null, null, null, null, sums, par);
    }

    /** As {@link #int8Sums} for byte codes. */
    static void int8Sums(float[] a, int m, PackedInt8 w, int[] sums, RowParallel par) {
        int[] ns = {w.n()};
        run(a, m, w.k(), ns, check(a, m, ns, w.k(), sums.length), null, new byte[][] {w.codes()}, true, null, null, null, null, sums, par);
    }

    /** Checks the shapes and returns the output row length {@code Σ ns}. */
    private static int check(float[] a, int m, int[] ns, int k, int outLength) {
        int n = 0;
        for (int g : ns) n += g;
        if (m < 0 || (long) m * k > a.length) throw new IllegalArgumentException("A of " + a.length + " floats has no " + m + " rows of " + k);
        if ((long) m * n > outLength) throw new IllegalArgumentException("output of " + outLength + " values has no " + m + " rows of " + n);
        return n;
    }

    private static int checkInt8(float[] a, float[] aScale, int m, int[] ns, int k, float[][] wScales, float[][] biases, int outLength) {
        int n = check(a, m, ns, k, outLength);
        if (aScale.length < m) throw new IllegalArgumentException("need " + m + " row scales, got " + aScale.length);
        checkVectors(wScales, ns, "channel scale");
        for (float[] s : wScales) if (s == null) throw new IllegalArgumentException("missing channel scales");
        checkVectors(biases, ns, "bias");
        return n;
    }

    private static void checkVectors(float[][] vs, int[] ns, String what) {
        if (vs.length != ns.length) throw new IllegalArgumentException(vs.length + " " + what + " vectors for " + ns.length + " weights");
        for (int g = 0; g < ns.length; g++) {
            if (vs[g] != null && vs[g].length < ns[g]) throw new IllegalArgumentException(what + " has " + vs[g].length + " values for " + ns[g] + " columns");
        }
    }

    /**
     * The one driver: weights {@code g} as floats {@code wf[g]} or byte codes {@code wb[g]}, each {@code ns[g]}
     * outputs written at column {@code Σ_{h<g} ns[h]} of rows of {@code ldc}; {@code exact} selects the integer
     * mode, whose results go scaled to {@code y} or, if {@code intOut} is not null, unscaled there.
     * Work items are (weight, panel, row block), so several weights share one hand-off to the threads.
     */
    private static void run(float[] a, int m, int k, int[] ns, int ldc, float[][] wf, byte[][] wb, boolean exact, float[][] biases, float[] y,
                            float[] aScale, float[][] wScales, int[] intOut, RowParallel par) {
        int groups = ns.length;
        int[] panelEnd = new int[groups], colBase = new int[groups];
        for (int g = 0, panels = 0, col = 0; g < groups; g++) {
            panels += (ns[g] + NR - 1) / NR;
            panelEnd[g] = panels;
            colBase[g] = col;
            col += ns[g];
        }
        int blocks = (m + MB - 1) / MB;
        boolean chunked = exact && (k > EXACT_CHUNK || intOut != null);
        par.forRows(blocks * panelEnd[groups - 1], (from, to) -> {
            float[] part = new float[MR * NR];
            int[] sums = chunked ? new int[MR * NR] : null;
            for (int t = from; t < to; t++) {
                int panel = t / blocks, g = 0;
                while (panel >= panelEnd[g]) g++;
                int p = panel - (g == 0 ? 0 : panelEnd[g - 1]);
                int r0 = (t % blocks) * MB, r1 = Math.min(m, r0 + MB);
                int col = p * NR, cols = Math.min(NR, ns[g] - col), wOff = p * k * NR, yCol = colBase[g] + col;
                float[] wfg = wf == null ? null : wf[g], bias = biases == null ? null : biases[g], wScale = wScales == null ? null : wScales[g];
                byte[] wbg = wb == null ? null : wb[g];
                for (int r = r0; r < r1; ) {
                    int left = r1 - r;
                    int rows = left >= 6 ? 6 : left >= 4 ? 4 : left >= 2 ? 2 : 1;
                    if (!chunked) {
                        tiles(rows, a, r * k, k, wfg, wbg, wOff, 0, k, part);
                        // one chunk in exact mode: the float sums are the exact integers, scaled straight from the tile
                        for (int u = 0; u < rows; u++) {
                            int yOff = (r + u) * ldc + yCol;
                            if (exact) scaleRow(part, u * NR, wScale, col, cols, aScale[r + u], bias, y, yOff);
                            else storeRow(part, u * NR, bias, col, cols, y, yOff);
                        }
                    } else {
                        for (int k0 = 0; k0 < k; k0 += EXACT_CHUNK) {
                            tiles(rows, a, r * k, k, wfg, wbg, wOff, k0, Math.min(k, k0 + EXACT_CHUNK), part);
                            accumulateInts(part, sums, rows, k0 == 0);
                        }
                        for (int u = 0; u < rows; u++) {
                            int yOff = (r + u) * ldc + yCol;
                            if (intOut != null) System.arraycopy(sums, u * NR, intOut, yOff, cols);
                            else scaleRow(sums, u * NR, wScale, col, cols, aScale[r + u], bias, y, yOff);
                        }
                    }
                    r += rows;
                }
            }
        });
    }

    /** {@code rows} (6, 4, 2 or 1) rows of {@code A} times one panel of float ({@code wf}) or byte ({@code wb}) weights into {@code part}. */
    private static void tiles(int rows, float[] a, int aOff, int lda, float[] wf, byte[] wb, int wOff, int k0, int k1, float[] part) {
        if (wf != null) {
            switch (rows) {
                case 6 -> tile6(a, aOff, lda, wf, wOff, k0, k1, part);
                case 4 -> tile4(a, aOff, lda, wf, wOff, k0, k1, part);
                case 2 -> tile2(a, aOff, lda, wf, wOff, k0, k1, part);
                default -> tile1(a, aOff, wf, wOff, k0, k1, part);
            }
        } else {
            switch (rows) {
                case 6 -> tile6b(a, aOff, lda, wb, wOff, k0, k1, part);
                case 4 -> tile4b(a, aOff, lda, wb, wOff, k0, k1, part);
                case 2 -> tile2b(a, aOff, lda, wb, wOff, k0, k1, part);
                default -> tile1b(a, aOff, wb, wOff, k0, k1, part);
            }
        }
    }

    /** {@code y[yOff ..] = part[off ..] (+ bias[col ..])}, the first {@code cols} columns. */
    private static void storeRow(float[] part, int off, float[] bias, int col, int cols, float[] y, int yOff) {
        for (int c = 0; c < cols; c += LANES) {
            if (cols - c >= LANES) {
                FloatVector v = FloatVector.fromArray(F, part, off + c);
                if (bias != null) v = v.add(FloatVector.fromArray(F, bias, col + c));
                v.intoArray(y, yOff + c);
            } else {
                VectorMask<Float> m = F.indexInRange(c, cols);
                FloatVector v = FloatVector.fromArray(F, part, off + c);
                if (bias != null) v = v.add(FloatVector.fromArray(F, bias, col + c, m));
                v.intoArray(y, yOff + c, m);
            }
        }
    }

    /** {@code sums (=|+=) (int) part} over {@code rows} rows of {@link #NR}; the floats are exact integers. */
    private static void accumulateInts(float[] part, int[] sums, int rows, boolean first) {
        for (int i = 0; i < rows * NR; i += LANES) {
            IntVector v = (IntVector) FloatVector.fromArray(F, part, i).convert(VectorOperators.F2I, 0);
            if (!first) v = v.add(IntVector.fromArray(I, sums, i));
            v.intoArray(sums, i);
        }
    }

    /** {@code y = sums · wScale[col ..] · rowScale (+ bias[col ..])} for a row of exact float sums (below 2²⁴, so the same as their int). */
    private static void scaleRow(float[] sums, int off, float[] wScale, int col, int cols, float rowScale, float[] bias, float[] y, int yOff) {
        for (int c = 0; c < cols; c += LANES) {
            VectorMask<Float> m = F.indexInRange(c, cols);
            FloatVector s = FloatVector.fromArray(F, sums, off + c).mul(FloatVector.fromArray(F, wScale, col + c, m)).mul(rowScale);
            if (bias != null) s = s.add(FloatVector.fromArray(F, bias, col + c, m));
            s.intoArray(y, yOff + c, m);
        }
    }

    private static void scaleRow(int[] sums, int off, float[] wScale, int col, int cols, float rowScale, float[] bias, float[] y, int yOff) {
        for (int c = 0; c < cols; c += LANES) {
            VectorMask<Float> m = F.indexInRange(c, cols);
            FloatVector s = (FloatVector) IntVector.fromArray(I, sums, off + c).convert(VectorOperators.I2F, 0);
            s = s.mul(FloatVector.fromArray(F, wScale, col + c, m)).mul(rowScale);
            if (bias != null) s = s.add(FloatVector.fromArray(F, bias, col + c, m));
            s.intoArray(y, yOff + c, m);
        }
    }

    /**
     * Six rows of {@code A} (at {@code aOff}, stride {@code lda}) times one panel (at {@code wOff}) over
     * {@code i ∈ [k0, k1)}, the sums into {@code part} (rows of {@link #NR}).
     */
    static void tile6(float[] a, int aOff, int lda, float[] w, int wOff, int k0, int k1, float[] part) {
        FloatVector z = FloatVector.zero(F);
        FloatVector c00 = z, c01 = z, c02 = z, c03 = z, c10 = z, c11 = z, c12 = z, c13 = z;
        FloatVector c20 = z, c21 = z, c22 = z, c23 = z, c30 = z, c31 = z, c32 = z, c33 = z;
        FloatVector c40 = z, c41 = z, c42 = z, c43 = z, c50 = z, c51 = z, c52 = z, c53 = z;
        int a0 = aOff, a1 = aOff + lda, a2 = aOff + 2 * lda, a3 = aOff + 3 * lda, a4 = aOff + 4 * lda, a5 = aOff + 5 * lda;
        for (int i = k0; i < k1; i++) {
            int wo = wOff + i * NR;
            FloatVector b0 = FloatVector.fromArray(F, w, wo);
            FloatVector b1 = FloatVector.fromArray(F, w, wo + LANES);
            FloatVector b2 = FloatVector.fromArray(F, w, wo + 2 * LANES);
            FloatVector b3 = FloatVector.fromArray(F, w, wo + 3 * LANES);
            FloatVector x = FloatVector.broadcast(F, a[a0 + i]);
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01); c02 = x.fma(b2, c02); c03 = x.fma(b3, c03);
            x = FloatVector.broadcast(F, a[a1 + i]);
            c10 = x.fma(b0, c10); c11 = x.fma(b1, c11); c12 = x.fma(b2, c12); c13 = x.fma(b3, c13);
            x = FloatVector.broadcast(F, a[a2 + i]);
            c20 = x.fma(b0, c20); c21 = x.fma(b1, c21); c22 = x.fma(b2, c22); c23 = x.fma(b3, c23);
            x = FloatVector.broadcast(F, a[a3 + i]);
            c30 = x.fma(b0, c30); c31 = x.fma(b1, c31); c32 = x.fma(b2, c32); c33 = x.fma(b3, c33);
            x = FloatVector.broadcast(F, a[a4 + i]);
            c40 = x.fma(b0, c40); c41 = x.fma(b1, c41); c42 = x.fma(b2, c42); c43 = x.fma(b3, c43);
            x = FloatVector.broadcast(F, a[a5 + i]);
            c50 = x.fma(b0, c50); c51 = x.fma(b1, c51); c52 = x.fma(b2, c52); c53 = x.fma(b3, c53);
        }
        c00.intoArray(part, 0); c01.intoArray(part, LANES); c02.intoArray(part, 2 * LANES); c03.intoArray(part, 3 * LANES);
        c10.intoArray(part, NR); c11.intoArray(part, NR + LANES); c12.intoArray(part, NR + 2 * LANES); c13.intoArray(part, NR + 3 * LANES);
        c20.intoArray(part, 2 * NR); c21.intoArray(part, 2 * NR + LANES); c22.intoArray(part, 2 * NR + 2 * LANES); c23.intoArray(part, 2 * NR + 3 * LANES);
        c30.intoArray(part, 3 * NR); c31.intoArray(part, 3 * NR + LANES); c32.intoArray(part, 3 * NR + 2 * LANES); c33.intoArray(part, 3 * NR + 3 * LANES);
        c40.intoArray(part, 4 * NR); c41.intoArray(part, 4 * NR + LANES); c42.intoArray(part, 4 * NR + 2 * LANES); c43.intoArray(part, 4 * NR + 3 * LANES);
        c50.intoArray(part, 5 * NR); c51.intoArray(part, 5 * NR + LANES); c52.intoArray(part, 5 * NR + 2 * LANES); c53.intoArray(part, 5 * NR + 3 * LANES);
    }

    /** Four rows of {@code A} times one panel; see {@link #tile6}. */
    static void tile4(float[] a, int aOff, int lda, float[] w, int wOff, int k0, int k1, float[] part) {
        FloatVector z = FloatVector.zero(F);
        FloatVector c00 = z, c01 = z, c02 = z, c03 = z, c10 = z, c11 = z, c12 = z, c13 = z;
        FloatVector c20 = z, c21 = z, c22 = z, c23 = z, c30 = z, c31 = z, c32 = z, c33 = z;
        int a0 = aOff, a1 = aOff + lda, a2 = aOff + 2 * lda, a3 = aOff + 3 * lda;
        for (int i = k0; i < k1; i++) {
            int wo = wOff + i * NR;
            FloatVector b0 = FloatVector.fromArray(F, w, wo);
            FloatVector b1 = FloatVector.fromArray(F, w, wo + LANES);
            FloatVector b2 = FloatVector.fromArray(F, w, wo + 2 * LANES);
            FloatVector b3 = FloatVector.fromArray(F, w, wo + 3 * LANES);
            FloatVector x = FloatVector.broadcast(F, a[a0 + i]);
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01); c02 = x.fma(b2, c02); c03 = x.fma(b3, c03);
            x = FloatVector.broadcast(F, a[a1 + i]);
            c10 = x.fma(b0, c10); c11 = x.fma(b1, c11); c12 = x.fma(b2, c12); c13 = x.fma(b3, c13);
            x = FloatVector.broadcast(F, a[a2 + i]);
            c20 = x.fma(b0, c20); c21 = x.fma(b1, c21); c22 = x.fma(b2, c22); c23 = x.fma(b3, c23);
            x = FloatVector.broadcast(F, a[a3 + i]);
            c30 = x.fma(b0, c30); c31 = x.fma(b1, c31); c32 = x.fma(b2, c32); c33 = x.fma(b3, c33);
        }
        c00.intoArray(part, 0); c01.intoArray(part, LANES); c02.intoArray(part, 2 * LANES); c03.intoArray(part, 3 * LANES);
        c10.intoArray(part, NR); c11.intoArray(part, NR + LANES); c12.intoArray(part, NR + 2 * LANES); c13.intoArray(part, NR + 3 * LANES);
        c20.intoArray(part, 2 * NR); c21.intoArray(part, 2 * NR + LANES); c22.intoArray(part, 2 * NR + 2 * LANES); c23.intoArray(part, 2 * NR + 3 * LANES);
        c30.intoArray(part, 3 * NR); c31.intoArray(part, 3 * NR + LANES); c32.intoArray(part, 3 * NR + 2 * LANES); c33.intoArray(part, 3 * NR + 3 * LANES);
    }

    /** Two rows of {@code A} times one panel; see {@link #tile6}. */
    static void tile2(float[] a, int aOff, int lda, float[] w, int wOff, int k0, int k1, float[] part) {
        FloatVector z = FloatVector.zero(F);
        FloatVector c00 = z, c01 = z, c02 = z, c03 = z, c10 = z, c11 = z, c12 = z, c13 = z;
        int a0 = aOff, a1 = aOff + lda;
        for (int i = k0; i < k1; i++) {
            int wo = wOff + i * NR;
            FloatVector b0 = FloatVector.fromArray(F, w, wo);
            FloatVector b1 = FloatVector.fromArray(F, w, wo + LANES);
            FloatVector b2 = FloatVector.fromArray(F, w, wo + 2 * LANES);
            FloatVector b3 = FloatVector.fromArray(F, w, wo + 3 * LANES);
            FloatVector x = FloatVector.broadcast(F, a[a0 + i]);
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01); c02 = x.fma(b2, c02); c03 = x.fma(b3, c03);
            x = FloatVector.broadcast(F, a[a1 + i]);
            c10 = x.fma(b0, c10); c11 = x.fma(b1, c11); c12 = x.fma(b2, c12); c13 = x.fma(b3, c13);
        }
        c00.intoArray(part, 0); c01.intoArray(part, LANES); c02.intoArray(part, 2 * LANES); c03.intoArray(part, 3 * LANES);
        c10.intoArray(part, NR); c11.intoArray(part, NR + LANES); c12.intoArray(part, NR + 2 * LANES); c13.intoArray(part, NR + 3 * LANES);
    }

    /** One row of {@code A} times one panel; see {@link #tile6}. */
    static void tile1(float[] a, int aOff, float[] w, int wOff, int k0, int k1, float[] part) {
        FloatVector z = FloatVector.zero(F);
        FloatVector c00 = z, c01 = z, c02 = z, c03 = z;
        for (int i = k0; i < k1; i++) {
            int wo = wOff + i * NR;
            FloatVector b0 = FloatVector.fromArray(F, w, wo);
            FloatVector b1 = FloatVector.fromArray(F, w, wo + LANES);
            FloatVector b2 = FloatVector.fromArray(F, w, wo + 2 * LANES);
            FloatVector b3 = FloatVector.fromArray(F, w, wo + 3 * LANES);
            FloatVector x = FloatVector.broadcast(F, a[aOff + i]);
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01); c02 = x.fma(b2, c02); c03 = x.fma(b3, c03);
        }
        c00.intoArray(part, 0); c01.intoArray(part, LANES); c02.intoArray(part, 2 * LANES); c03.intoArray(part, 3 * LANES);
    }

    /**
     * Six rows of {@code A} (at {@code aOff}, stride {@code lda}) times one panel (at {@code wOff}) over
     * {@code i ∈ [k0, k1)}, the sums into {@code part} (rows of {@link #NR}): the byte codes are widened to float in registers.
     */
    static void tile6b(float[] a, int aOff, int lda, byte[] w, int wOff, int k0, int k1, float[] part) {
        FloatVector z = FloatVector.zero(F);
        FloatVector c00 = z, c01 = z, c02 = z, c03 = z, c10 = z, c11 = z, c12 = z, c13 = z;
        FloatVector c20 = z, c21 = z, c22 = z, c23 = z, c30 = z, c31 = z, c32 = z, c33 = z;
        FloatVector c40 = z, c41 = z, c42 = z, c43 = z, c50 = z, c51 = z, c52 = z, c53 = z;
        int a0 = aOff, a1 = aOff + lda, a2 = aOff + 2 * lda, a3 = aOff + 3 * lda, a4 = aOff + 4 * lda, a5 = aOff + 5 * lda;
        for (int i = k0; i < k1; i++) {
            int wo = wOff + i * NR;
            FloatVector b0 = (FloatVector) ByteVector.fromArray(B, w, wo).convertShape(VectorOperators.B2F, F, 0);
            FloatVector b1 = (FloatVector) ByteVector.fromArray(B, w, wo + LANES).convertShape(VectorOperators.B2F, F, 0);
            FloatVector b2 = (FloatVector) ByteVector.fromArray(B, w, wo + 2 * LANES).convertShape(VectorOperators.B2F, F, 0);
            FloatVector b3 = (FloatVector) ByteVector.fromArray(B, w, wo + 3 * LANES).convertShape(VectorOperators.B2F, F, 0);
            FloatVector x = FloatVector.broadcast(F, a[a0 + i]);
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01); c02 = x.fma(b2, c02); c03 = x.fma(b3, c03);
            x = FloatVector.broadcast(F, a[a1 + i]);
            c10 = x.fma(b0, c10); c11 = x.fma(b1, c11); c12 = x.fma(b2, c12); c13 = x.fma(b3, c13);
            x = FloatVector.broadcast(F, a[a2 + i]);
            c20 = x.fma(b0, c20); c21 = x.fma(b1, c21); c22 = x.fma(b2, c22); c23 = x.fma(b3, c23);
            x = FloatVector.broadcast(F, a[a3 + i]);
            c30 = x.fma(b0, c30); c31 = x.fma(b1, c31); c32 = x.fma(b2, c32); c33 = x.fma(b3, c33);
            x = FloatVector.broadcast(F, a[a4 + i]);
            c40 = x.fma(b0, c40); c41 = x.fma(b1, c41); c42 = x.fma(b2, c42); c43 = x.fma(b3, c43);
            x = FloatVector.broadcast(F, a[a5 + i]);
            c50 = x.fma(b0, c50); c51 = x.fma(b1, c51); c52 = x.fma(b2, c52); c53 = x.fma(b3, c53);
        }
        c00.intoArray(part, 0); c01.intoArray(part, LANES); c02.intoArray(part, 2 * LANES); c03.intoArray(part, 3 * LANES);
        c10.intoArray(part, NR); c11.intoArray(part, NR + LANES); c12.intoArray(part, NR + 2 * LANES); c13.intoArray(part, NR + 3 * LANES);
        c20.intoArray(part, 2 * NR); c21.intoArray(part, 2 * NR + LANES); c22.intoArray(part, 2 * NR + 2 * LANES); c23.intoArray(part, 2 * NR + 3 * LANES);
        c30.intoArray(part, 3 * NR); c31.intoArray(part, 3 * NR + LANES); c32.intoArray(part, 3 * NR + 2 * LANES); c33.intoArray(part, 3 * NR + 3 * LANES);
        c40.intoArray(part, 4 * NR); c41.intoArray(part, 4 * NR + LANES); c42.intoArray(part, 4 * NR + 2 * LANES); c43.intoArray(part, 4 * NR + 3 * LANES);
        c50.intoArray(part, 5 * NR); c51.intoArray(part, 5 * NR + LANES); c52.intoArray(part, 5 * NR + 2 * LANES); c53.intoArray(part, 5 * NR + 3 * LANES);
    }

    /** Four rows of {@code A} times one panel; see {@link #tile6b}. */
    static void tile4b(float[] a, int aOff, int lda, byte[] w, int wOff, int k0, int k1, float[] part) {
        FloatVector z = FloatVector.zero(F);
        FloatVector c00 = z, c01 = z, c02 = z, c03 = z, c10 = z, c11 = z, c12 = z, c13 = z;
        FloatVector c20 = z, c21 = z, c22 = z, c23 = z, c30 = z, c31 = z, c32 = z, c33 = z;
        int a0 = aOff, a1 = aOff + lda, a2 = aOff + 2 * lda, a3 = aOff + 3 * lda;
        for (int i = k0; i < k1; i++) {
            int wo = wOff + i * NR;
            FloatVector b0 = (FloatVector) ByteVector.fromArray(B, w, wo).convertShape(VectorOperators.B2F, F, 0);
            FloatVector b1 = (FloatVector) ByteVector.fromArray(B, w, wo + LANES).convertShape(VectorOperators.B2F, F, 0);
            FloatVector b2 = (FloatVector) ByteVector.fromArray(B, w, wo + 2 * LANES).convertShape(VectorOperators.B2F, F, 0);
            FloatVector b3 = (FloatVector) ByteVector.fromArray(B, w, wo + 3 * LANES).convertShape(VectorOperators.B2F, F, 0);
            FloatVector x = FloatVector.broadcast(F, a[a0 + i]);
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01); c02 = x.fma(b2, c02); c03 = x.fma(b3, c03);
            x = FloatVector.broadcast(F, a[a1 + i]);
            c10 = x.fma(b0, c10); c11 = x.fma(b1, c11); c12 = x.fma(b2, c12); c13 = x.fma(b3, c13);
            x = FloatVector.broadcast(F, a[a2 + i]);
            c20 = x.fma(b0, c20); c21 = x.fma(b1, c21); c22 = x.fma(b2, c22); c23 = x.fma(b3, c23);
            x = FloatVector.broadcast(F, a[a3 + i]);
            c30 = x.fma(b0, c30); c31 = x.fma(b1, c31); c32 = x.fma(b2, c32); c33 = x.fma(b3, c33);
        }
        c00.intoArray(part, 0); c01.intoArray(part, LANES); c02.intoArray(part, 2 * LANES); c03.intoArray(part, 3 * LANES);
        c10.intoArray(part, NR); c11.intoArray(part, NR + LANES); c12.intoArray(part, NR + 2 * LANES); c13.intoArray(part, NR + 3 * LANES);
        c20.intoArray(part, 2 * NR); c21.intoArray(part, 2 * NR + LANES); c22.intoArray(part, 2 * NR + 2 * LANES); c23.intoArray(part, 2 * NR + 3 * LANES);
        c30.intoArray(part, 3 * NR); c31.intoArray(part, 3 * NR + LANES); c32.intoArray(part, 3 * NR + 2 * LANES); c33.intoArray(part, 3 * NR + 3 * LANES);
    }

    /** Two rows of {@code A} times one panel; see {@link #tile6b}. */
    static void tile2b(float[] a, int aOff, int lda, byte[] w, int wOff, int k0, int k1, float[] part) {
        FloatVector z = FloatVector.zero(F);
        FloatVector c00 = z, c01 = z, c02 = z, c03 = z, c10 = z, c11 = z, c12 = z, c13 = z;
        int a0 = aOff, a1 = aOff + lda;
        for (int i = k0; i < k1; i++) {
            int wo = wOff + i * NR;
            FloatVector b0 = (FloatVector) ByteVector.fromArray(B, w, wo).convertShape(VectorOperators.B2F, F, 0);
            FloatVector b1 = (FloatVector) ByteVector.fromArray(B, w, wo + LANES).convertShape(VectorOperators.B2F, F, 0);
            FloatVector b2 = (FloatVector) ByteVector.fromArray(B, w, wo + 2 * LANES).convertShape(VectorOperators.B2F, F, 0);
            FloatVector b3 = (FloatVector) ByteVector.fromArray(B, w, wo + 3 * LANES).convertShape(VectorOperators.B2F, F, 0);
            FloatVector x = FloatVector.broadcast(F, a[a0 + i]);
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01); c02 = x.fma(b2, c02); c03 = x.fma(b3, c03);
            x = FloatVector.broadcast(F, a[a1 + i]);
            c10 = x.fma(b0, c10); c11 = x.fma(b1, c11); c12 = x.fma(b2, c12); c13 = x.fma(b3, c13);
        }
        c00.intoArray(part, 0); c01.intoArray(part, LANES); c02.intoArray(part, 2 * LANES); c03.intoArray(part, 3 * LANES);
        c10.intoArray(part, NR); c11.intoArray(part, NR + LANES); c12.intoArray(part, NR + 2 * LANES); c13.intoArray(part, NR + 3 * LANES);
    }

    /** One row of {@code A} times one panel; see {@link #tile6b}. */
    static void tile1b(float[] a, int aOff, byte[] w, int wOff, int k0, int k1, float[] part) {
        FloatVector z = FloatVector.zero(F);
        FloatVector c00 = z, c01 = z, c02 = z, c03 = z;
        for (int i = k0; i < k1; i++) {
            int wo = wOff + i * NR;
            FloatVector b0 = (FloatVector) ByteVector.fromArray(B, w, wo).convertShape(VectorOperators.B2F, F, 0);
            FloatVector b1 = (FloatVector) ByteVector.fromArray(B, w, wo + LANES).convertShape(VectorOperators.B2F, F, 0);
            FloatVector b2 = (FloatVector) ByteVector.fromArray(B, w, wo + 2 * LANES).convertShape(VectorOperators.B2F, F, 0);
            FloatVector b3 = (FloatVector) ByteVector.fromArray(B, w, wo + 3 * LANES).convertShape(VectorOperators.B2F, F, 0);
            FloatVector x = FloatVector.broadcast(F, a[aOff + i]);
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01); c02 = x.fma(b2, c02); c03 = x.fma(b3, c03);
        }
        c00.intoArray(part, 0); c01.intoArray(part, LANES); c02.intoArray(part, 2 * LANES); c03.intoArray(part, 3 * LANES);
    }
}
