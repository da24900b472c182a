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
 * <p><b>Packed layout.</b> {@code W} is cut into panels of {@link #NR} output columns (two float
 * vectors); panel {@code p} stores, for {@code i = 0 .. k-1}, the {@code NR} values
 * {@code W[p·NR + c][i]} contiguously, so the kernel streams a panel front to back. The last panel is
 * padded with zeros.
 *
 * <p><b>Kernel.</b> A tile of {@link #MR} = 6 rows of {@code A} × one panel keeps 12 accumulators in
 * registers: per {@code i}, two panel vectors are loaded and each row's {@code A[r][i]} is broadcast
 * and fused-multiply-added into both. Leftover rows use 4-row and 1-row kernels with the same
 * arithmetic. (Measured: 6 rows ~10% faster than 4; at 8 rows, 16 accumulators, C2 stops keeping the
 * vectors in registers and the kernel is 6x slower.) Work items for threads are one panel × a block of
 * {@link #MB} rows, panel-major, so a thread reuses a panel across its row blocks.
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

    /** Output columns per packed panel: two float vectors. */
    public static final int NR = 2 * LANES;
    /** Rows of {@code A} per register tile. */
    static final int MR = 6;
    /** Rows of {@code A} per thread work item (with one panel): enough work items for two threads at batch 1, few enough to keep panels in cache. */
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
        int n = w.n(), k = w.k(), panels = w.panels();
        check(a, m, w, c.length);
        if (bias != null && bias.length < n) throw new IllegalArgumentException("bias has " + bias.length + " values for " + n + " columns");
        int blocks = (m + MB - 1) / MB;
        par.forRows(blocks * panels, (from, to) -> {
            for (int t = from; t < to; t++) {
                int r0 = (t % blocks) * MB, r1 = Math.min(m, r0 + MB), p = t / blocks;
                int col = p * NR, cols = Math.min(NR, n - col);
                for (int r = r0; r < r1; r += MR) tiles(Math.min(MR, r1 - r), a, r * k, k, w.data(), p * k * NR, 0, k, c, r * n + col, n, cols, bias, col);
            }
        });
    }

    /**
     * W8A8 product: {@code a} holds int8 codes of {@code m} activation rows as floats (|a| ≤ 127) with one
     * scale per row, {@code w} int8 codes of the weight as floats with one scale per output channel.
     * {@code y[r·n + j] = (float) s · wScale[j] · aScale[r]} where {@code s = Σᵢ a[r][i] · W[j][i]} is the
     * exact int32 sum (see the class comment).
     */
    public static void multiplyInt8(float[] a, float[] aScale, int m, Packed w, float[] wScale, float[] y, RowParallel par) {
        check(a, m, w, y.length);
        if (aScale.length < m || wScale.length < w.n()) throw new IllegalArgumentException("need " + m + " row scales and " + w.n() + " channel scales");
        int8(a, aScale, m, w.n(), w.k(), w.data(), null, wScale, y, null, par);
    }

    /**
     * {@link #multiplyInt8} with the weight codes kept as bytes (a quarter of the memory traffic),
     * widened to float in the kernel: the same fused multiply-add chains, so bit-identical results.
     */
    public static void multiplyInt8(float[] a, float[] aScale, int m, PackedInt8 w, float[] wScale, float[] y, RowParallel par) {
        checkInt8(a, m, w.n(), w.k(), y.length);
        if (aScale.length < m || wScale.length < w.n()) throw new IllegalArgumentException("need " + m + " row scales and " + w.n() + " channel scales");
        int8(a, aScale, m, w.n(), w.k(), null, w.codes(), wScale, y, null, par);
    }

    /** The exact int32 sums {@code s} of {@link #multiplyInt8}, unscaled, into {@code sums[r·n + j]}. */
    static void int8Sums(float[] a, int m, Packed w, int[] sums, RowParallel par) {
        check(a, m, w, sums.length);
        int8(a, null, m, w.n(), w.k(), w.data(), null, null, null, sums, par);
    }

    /** As {@link #int8Sums} for byte codes. */
    static void int8Sums(float[] a, int m, PackedInt8 w, int[] sums, RowParallel par) {
        checkInt8(a, m, w.n(), w.k(), sums.length);
        int8(a, null, m, w.n(), w.k(), null, w.codes(), null, null, sums, par);
    }

    private static void checkInt8(float[] a, int m, int n, int k, int outLength) {
        if (m < 0 || (long) m * k > a.length) throw new IllegalArgumentException("A of " + a.length + " floats has no " + m + " rows of " + k);
        if ((long) m * n > outLength) throw new IllegalArgumentException("output of " + outLength + " values has no " + m + " rows of " + n);
    }

    private static void int8(float[] a, float[] aScale, int m, int n, int k, float[] wf, byte[] wb, float[] wScale, float[] y, int[] intOut,
                             RowParallel par) {
        int panels = (n + NR - 1) / NR;
        int blocks = (m + MB - 1) / MB;
        par.forRows(blocks * panels, (from, to) -> {
            float[] part = new float[MR * NR];
            int[] sums = new int[MR * NR];
            // byte weights run only the six-row kernel: fewer rows are copied here with zero rows below
            float[] pad = wb == null ? null : new float[MR * k];
            int padded = 0;
            for (int t = from; t < to; t++) {
                int r0 = (t % blocks) * MB, r1 = Math.min(m, r0 + MB), p = t / blocks;
                int col = p * NR, cols = Math.min(NR, n - col);
                for (int r = r0; r < r1; r += MR) {
                    int rows = Math.min(MR, r1 - r);
                    float[] src = a;
                    int srcOff = r * k;
                    if (wb != null && rows < MR) {
                        System.arraycopy(a, r * k, pad, 0, rows * k);
                        if (padded > rows) java.util.Arrays.fill(pad, rows * k, padded * k, 0f);
                        padded = rows;
                        src = pad;
                        srcOff = 0;
                    }
                    if (k <= EXACT_CHUNK && intOut == null) {
                        // one chunk: the float sums are the exact integers, scaled straight from the tile
                        if (wb != null) tile6b(src, srcOff, k, wb, p * k * NR, 0, k, part);
                        else tiles(rows, a, r * k, k, wf, p * k * NR, 0, k, part, 0, NR, NR, null, 0);
                        for (int u = 0; u < rows; u++) scaleRow(part, u * NR, wScale, col, cols, aScale[r + u], y, (r + u) * n + col);
                        continue;
                    }
                    for (int k0 = 0; k0 < k; k0 += EXACT_CHUNK) {
                        int k1 = Math.min(k, k0 + EXACT_CHUNK);
                        if (wb != null) tile6b(src, srcOff, k, wb, p * k * NR, k0, k1, part);
                        else tiles(rows, a, r * k, k, wf, p * k * NR, k0, k1, part, 0, NR, NR, null, 0);
                        accumulateInts(part, sums, rows, k0 == 0);
                    }
                    for (int u = 0; u < rows; u++) {
                        if (intOut != null) System.arraycopy(sums, u * NR, intOut, (r + u) * n + col, cols);
                        else scaleRow(sums, u * NR, wScale, col, cols, aScale[r + u], y, (r + u) * n + col);
                    }
                }
            }
        });
    }

    private static void check(float[] a, int m, Packed w, int cLength) {
        if (m < 0 || (long) m * w.k() > a.length) throw new IllegalArgumentException("A of " + a.length + " floats has no " + m + " rows of " + w.k());
        if ((long) m * w.n() > cLength) throw new IllegalArgumentException("output of " + cLength + " floats has no " + m + " rows of " + w.n());
    }

    /** {@code sums (=|+=) (int) part} over {@code rows} rows of {@link #NR}; the floats are exact integers. */
    private static void accumulateInts(float[] part, int[] sums, int rows, boolean first) {
        for (int i = 0; i < rows * NR; i += LANES) {
            IntVector v = (IntVector) FloatVector.fromArray(F, part, i).convert(VectorOperators.F2I, 0);
            if (!first) v = v.add(IntVector.fromArray(I, sums, i));
            v.intoArray(sums, i);
        }
    }

    /** {@code y = sums · wScale[col ..] · rowScale} for a row of exact float sums (below 2²⁴, so the same as their int). */
    private static void scaleRow(float[] sums, int off, float[] wScale, int col, int cols, float rowScale, float[] y, int yOff) {
        for (int c = 0; c < cols; c += LANES) {
            VectorMask<Float> m = F.indexInRange(c, cols);
            FloatVector s = FloatVector.fromArray(F, sums, off + c);
            s.mul(FloatVector.fromArray(F, wScale, col + c, m)).mul(rowScale).intoArray(y, yOff + c, m);
        }
    }

    private static void scaleRow(int[] sums, int off, float[] wScale, int col, int cols, float rowScale, float[] y, int yOff) {
        for (int c = 0; c < cols; c += LANES) {
            VectorMask<Float> m = F.indexInRange(c, cols);
            FloatVector s = (FloatVector) IntVector.fromArray(I, sums, off + c).convert(VectorOperators.I2F, 0);
            s.mul(FloatVector.fromArray(F, wScale, col + c, m)).mul(rowScale).intoArray(y, yOff + c, m);
        }
    }

    /**
     * Four rows of {@code A} (at {@code aOff}, stride {@code lda}) times one panel (at {@code wOff}) over
     * {@code i ∈ [k0, k1)}, stored (plus {@code bias[bOff ..]} if not null) to {@code out} rows of stride
     * {@code ldo}, first {@code cols} columns.
     */
    static void tile4(float[] a, int aOff, int lda, float[] w, int wOff, int k0, int k1,
                      float[] out, int outOff, int ldo, int cols, float[] bias, int bOff) {
        FloatVector c00 = FloatVector.zero(F), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
        int a0 = aOff, a1 = aOff + lda, a2 = aOff + 2 * lda, a3 = aOff + 3 * lda;
        for (int i = k0; i < k1; i++) {
            int wo = wOff + i * NR;
            FloatVector b0 = FloatVector.fromArray(F, w, wo);
            FloatVector b1 = FloatVector.fromArray(F, w, wo + LANES);
            FloatVector x = FloatVector.broadcast(F, a[a0 + i]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(F, a[a1 + i]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(F, a[a2 + i]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(F, a[a3 + i]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
        }
        store(c00, c01, out, outOff, cols, bias, bOff);
        store(c10, c11, out, outOff + ldo, cols, bias, bOff);
        store(c20, c21, out, outOff + 2 * ldo, cols, bias, bOff);
        store(c30, c31, out, outOff + 3 * ldo, cols, bias, bOff);
    }

    /** Six rows of {@code A} times one panel; see {@link #tile4}. */
    static void tile6(float[] a, int aOff, int lda, float[] w, int wOff, int k0, int k1,
                      float[] out, int outOff, int ldo, int cols, float[] bias, int bOff) {
        FloatVector c00 = FloatVector.zero(F), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00,
                c40 = c00, c41 = c00, c50 = c00, c51 = c00;
        int a0 = aOff, a1 = aOff + lda, a2 = aOff + 2 * lda, a3 = aOff + 3 * lda, a4 = aOff + 4 * lda, a5 = aOff + 5 * lda;
        for (int i = k0; i < k1; i++) {
            int wo = wOff + i * NR;
            FloatVector b0 = FloatVector.fromArray(F, w, wo);
            FloatVector b1 = FloatVector.fromArray(F, w, wo + LANES);
            FloatVector x = FloatVector.broadcast(F, a[a0 + i]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(F, a[a1 + i]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(F, a[a2 + i]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(F, a[a3 + i]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(F, a[a4 + i]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(F, a[a5 + i]);
            c50 = x.fma(b0, c50);
            c51 = x.fma(b1, c51);
        }
        store(c00, c01, out, outOff, cols, bias, bOff);
        store(c10, c11, out, outOff + ldo, cols, bias, bOff);
        store(c20, c21, out, outOff + 2 * ldo, cols, bias, bOff);
        store(c30, c31, out, outOff + 3 * ldo, cols, bias, bOff);
        store(c40, c41, out, outOff + 4 * ldo, cols, bias, bOff);
        store(c50, c51, out, outOff + 5 * ldo, cols, bias, bOff);
    }

    /** Six rows of {@code A} times one panel of byte codes (widened to float in registers), into {@code out} rows of {@link #NR}. */
    static void tile6b(float[] a, int aOff, int lda, byte[] w, int wOff, int k0, int k1, float[] out) {
        FloatVector c00 = FloatVector.zero(F), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00,
                c40 = c00, c41 = c00, c50 = c00, c51 = c00;
        int a0 = aOff, a1 = aOff + lda, a2 = aOff + 2 * lda, a3 = aOff + 3 * lda, a4 = aOff + 4 * lda, a5 = aOff + 5 * lda;
        for (int i = k0; i < k1; i++) {
            int wo = wOff + i * NR;
            FloatVector b0 = (FloatVector) ByteVector.fromArray(B, w, wo).convertShape(VectorOperators.B2F, F, 0);
            FloatVector b1 = (FloatVector) ByteVector.fromArray(B, w, wo + LANES).convertShape(VectorOperators.B2F, F, 0);
            FloatVector x = FloatVector.broadcast(F, a[a0 + i]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(F, a[a1 + i]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(F, a[a2 + i]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(F, a[a3 + i]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(F, a[a4 + i]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(F, a[a5 + i]);
            c50 = x.fma(b0, c50);
            c51 = x.fma(b1, c51);
        }
        c00.intoArray(out, 0);
        c01.intoArray(out, LANES);
        c10.intoArray(out, NR);
        c11.intoArray(out, NR + LANES);
        c20.intoArray(out, 2 * NR);
        c21.intoArray(out, 2 * NR + LANES);
        c30.intoArray(out, 3 * NR);
        c31.intoArray(out, 3 * NR + LANES);
        c40.intoArray(out, 4 * NR);
        c41.intoArray(out, 4 * NR + LANES);
        c50.intoArray(out, 5 * NR);
        c51.intoArray(out, 5 * NR + LANES);
    }

    /** {@code rows} (≤ {@link #MR}) rows of {@code A} from row offset {@code aOff} times one panel: six, four or one at a time. */
    static void tiles(int rows, float[] a, int aOff, int lda, float[] w, int wOff, int k0, int k1,
                      float[] out, int outOff, int ldo, int cols, float[] bias, int bOff) {
        int u = 0;
        if (rows - u >= 6) {
            tile6(a, aOff + u * lda, lda, w, wOff, k0, k1, out, outOff + u * ldo, ldo, cols, bias, bOff);
            u += 6;
        }
        if (rows - u >= 4) {
            tile4(a, aOff + u * lda, lda, w, wOff, k0, k1, out, outOff + u * ldo, ldo, cols, bias, bOff);
            u += 4;
        }
        for (; u < rows; u++) tile1(a, aOff + u * lda, w, wOff, k0, k1, out, outOff + u * ldo, cols, bias, bOff);
    }

    /** One row of {@code A} times one panel; see {@link #tile4}. */
    static void tile1(float[] a, int aOff, float[] w, int wOff, int k0, int k1,
                      float[] out, int outOff, int cols, float[] bias, int bOff) {
        FloatVector c0 = FloatVector.zero(F), c1 = c0;
        for (int i = k0; i < k1; i++) {
            int wo = wOff + i * NR;
            FloatVector x = FloatVector.broadcast(F, a[aOff + i]);
            c0 = x.fma(FloatVector.fromArray(F, w, wo), c0);
            c1 = x.fma(FloatVector.fromArray(F, w, wo + LANES), c1);
        }
        store(c0, c1, out, outOff, cols, bias, bOff);
    }

    private static void store(FloatVector v0, FloatVector v1, float[] out, int off, int cols, float[] bias, int bOff) {
        if (cols == NR) {
            if (bias != null) {
                v0 = v0.add(FloatVector.fromArray(F, bias, bOff));
                v1 = v1.add(FloatVector.fromArray(F, bias, bOff + LANES));
            }
            v0.intoArray(out, off);
            v1.intoArray(out, off + LANES);
            return;
        }
        VectorMask<Float> m0 = F.indexInRange(0, cols), m1 = F.indexInRange(LANES, cols);
        if (bias != null) {
            v0 = v0.add(FloatVector.fromArray(F, bias, bOff, m0));
            v1 = v1.add(FloatVector.fromArray(F, bias, bOff + LANES, m1));
        }
        v0.intoArray(out, off, m0);
        v1.intoArray(out, off + LANES, m1);
    }
}
