package dev.squint.quantize.onnx;

import dev.squint.core.SquintException;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * GPTQ (Frantar et al., 2023, "GPTQ: Accurate Post-Training Quantization for Generative Pre-trained
 * Transformers"): error-compensating rounding of a weight matrix W [K, N] of {@code y = x·W}, given the
 * Hessian {@code H = 2·XᵀX} of the layer's reconstruction error over calibration inputs X [T, K].
 *
 * <p>The K input rows are rounded one at a time, in order. Rounding row k leaves an error
 * {@code e = (w_k − q_k) / U[k,k]}; the rows after it absorb {@code U[k,j]·e}, which is the least-squares
 * correction for the inputs' correlations ({@code U} is the upper Cholesky factor of {@code H⁻¹}, so that
 * the correction for row k never depends on rows already rounded). Rows are taken in blocks of
 * {@value #BLOCK}: inside a block the correction is applied at once, to the rows after the block only
 * when the block is done (the paper's "lazy batch" update: the same corrections, applied in fewer sweeps).
 *
 * <p>Each output column is independent of the others, so columns are split among threads; every
 * column's arithmetic is the same whatever the split, and the result does not depend on the thread count.
 * The matrix work is in double. Scales and zero points come from the {@link Grid}: fixed from the original
 * weights (int8 per channel) or set from the corrected weights when a group is reached (INT4 blocks).
 * With {@code H} diagonal (uncorrelated inputs) nothing propagates and the codes equal round-to-nearest.
 */
final class Gptq {
    private Gptq() {}

    /** Rows per lazy batch, as in the paper. */
    static final int BLOCK = 128;
    /** Damping λ = DAMP · mean(diag H), added to the diagonal before inverting (the paper's 1 %). */
    static final double DAMP = 0.01;
    /** Columns per unit of parallel work. */
    private static final int COLUMN_CHUNK = 64;

    /**
     * The rounding grid of one weight: how a value at (row k, column c) becomes a code, and the value
     * that code stands for. Implementations record the codes themselves. Calls for different columns
     * may come from different threads; calls for one column come in row order from one thread.
     */
    interface Grid {
        /**
         * Called for each column range before row {@code k} is rounded. {@code w} holds the columns
         * {@code [c0, c0 + width)} as [K, width] row-major, with rows from k on corrected so far.
         */
        default void enterRow(int k, double[] w, int width, int c0) {}

        /** Rounds {@code v} (row k, column c) to a code, records it, and returns its dequantized value. */
        double round(int k, int c, double v);
    }

    /**
     * The upper Cholesky factor U of {@code (H + λI)⁻¹} ({@code (H + λI)⁻¹ = UᵀU}), λ = {@value #DAMP}·mean(diag H).
     * Inputs never seen (zero diagonal) get diagonal 1, so they round to nearest without taking part.
     *
     * @param h symmetric [k, k] row-major (only the upper triangle is read); overwritten (the work happens in
     *          it, so that a K = 8192 weight needs two K×K matrices, not three)
     * @throws SquintException if the damped matrix is not positive definite (NaN or infinite activations)
     */
    static double[] inverseFactor(double[] h, int k) {
        // With J the reversal permutation: if J·H·J = RᵀR (R upper), then H = V·Vᵀ with V = J·Rᵀ·J upper, so
        // H⁻¹ = (V⁻¹)ᵀ·V⁻¹ and U = V⁻¹ = J·R⁻ᵀ·J — one Cholesky and one triangular inverse, no explicit H⁻¹.
        double mean = 0;
        for (int i = 0; i < k; i++) mean += h[i * k + i];
        mean /= k;
        double damp = DAMP * (mean > 0 ? mean : 1);
        double[] a = h;
        reverseUpper(a, k);
        for (int i = 0; i < k; i++) {
            if (a[i * k + i] == 0) a[i * k + i] = 1;
            a[i * k + i] += damp;
        }
        upperCholesky(a, k);
        double[] x = upperInverse(a, k);
        a = null; // R is no longer needed; the factor is X reversed
        reverseUpper(x, k);
        return x;
    }

    /**
     * In place on the upper triangle of [k, k] {@code a}: element (i, j) and (k−1−j, k−1−i) trade places
     * (J·Aᵀ·J restricted to the upper triangle, an involution); the lower triangle is left as it is.
     */
    static void reverseUpper(double[] a, int k) {
        for (int i = 0; i < k; i++) {
            for (int j = i; j < k; j++) {
                int ri = k - 1 - j, rj = k - 1 - i;
                if (ri > i || (ri == i && rj > j)) { // each pair once
                    double t = a[i * k + j];
                    a[i * k + j] = a[ri * k + rj];
                    a[ri * k + rj] = t;
                }
            }
        }
    }

    /** Pivot rows per panel of the blocked factorization and inverse. */
    private static final int PANEL = 4;

    /**
     * In place: the upper triangle of {@code a} (symmetric positive definite, [n, n]) becomes R with
     * {@code a = RᵀR}; the strict lower triangle is zeroed. Right-looking, {@value #PANEL} pivot rows at a
     * time: the rows below a panel are updated by all of its rows in one sweep, so the trailing matrix is
     * read and written once per panel rather than once per pivot (it does not fit in cache for K = 1536).
     */
    static void upperCholesky(double[] a, int n) {
        for (int j0 = 0; j0 < n; j0 += PANEL) {
            int j1 = Math.min(n, j0 + PANEL);
            for (int j = j0; j < j1; j++) {
                int rowJ = j * n;
                double d = a[rowJ + j];
                if (!(d > 0) || Double.isInfinite(d)) {
                    throw new SquintException("GPTQ: the calibration Hessian is not positive definite (pivot " + j + " is " + d
                            + "); the calibration activations hold NaN or infinite values");
                }
                double r = Math.sqrt(d);
                a[rowJ + j] = r;
                double inv = 1 / r;
                for (int k = j + 1; k < n; k++) a[rowJ + k] *= inv;
                for (int i = j + 1; i < j1; i++) {
                    double s = a[rowJ + i];
                    int rowI = i * n;
                    for (int k = i; k < n; k++) a[rowI + k] -= s * a[rowJ + k];
                }
            }
            int p = j1 - j0;
            for (int i = j1; i < n; i++) {
                int rowI = i * n;
                if (p == PANEL) {
                    int r0 = j0 * n, r1 = r0 + n, r2 = r1 + n, r3 = r2 + n;
                    double s0 = a[r0 + i], s1 = a[r1 + i], s2 = a[r2 + i], s3 = a[r3 + i];
                    for (int k = i; k < n; k++) a[rowI + k] -= s0 * a[r0 + k] + s1 * a[r1 + k] + s2 * a[r2 + k] + s3 * a[r3 + k];
                } else {
                    for (int j = j0; j < j1; j++) {
                        double s = a[j * n + i];
                        for (int k = i; k < n; k++) a[rowI + k] -= s * a[j * n + k];
                    }
                }
            }
        }
        for (int i = 1; i < n; i++) java.util.Arrays.fill(a, i * n, i * n + i, 0);
    }

    /**
     * The inverse of upper-triangular R [n, n] (upper triangular), by back substitution:
     * {@code X[i,:] = (e_i − Σ_{m > i} R[i,m]·X[m,:]) / R[i,i]}. Rows are done {@value #PANEL} at a time, so
     * each finished row X[m,:] is read once per panel for all of the panel's rows.
     */
    static double[] upperInverse(double[] r, int n) {
        double[] x = new double[n * n];
        for (int i1 = n; i1 > 0; i1 -= PANEL) {
            int i0 = Math.max(0, i1 - PANEL);
            // Contributions of the rows already finished (m ≥ i1) to every row of the panel.
            for (int m = i1; m < n; m++) {
                int rowM = m * n;
                for (int i = i0; i < i1; i++) {
                    double s = r[i * n + m];
                    if (s == 0) continue;
                    int rowI = i * n;
                    for (int j = m; j < n; j++) x[rowI + j] -= s * x[rowM + j];
                }
            }
            // Then the panel's own rows, bottom up.
            for (int i = i1 - 1; i >= i0; i--) {
                int rowI = i * n;
                x[rowI + i] += 1;
                for (int m = i + 1; m < i1; m++) {
                    double s = r[rowI + m];
                    if (s == 0) continue;
                    int rowM = m * n;
                    for (int j = m; j < n; j++) x[rowI + j] -= s * x[rowM + j];
                }
                double inv = 1 / r[rowI + i];
                for (int j = i; j < n; j++) x[rowI + j] *= inv;
            }
        }
        return x;
    }

    /**
     * Rounds W [k, n] (row-major) with error compensation through {@code u} ({@link #inverseFactor}); the
     * codes go to {@code grid}. {@code w} is not modified.
     *
     * @param threads worker threads (1: the caller's); the result is the same for any count
     */
    static void round(float[] w, int k, int n, double[] u, Grid grid, int threads) {
        if (w.length != k * n || u.length != k * k) throw new IllegalArgumentException("W is " + w.length + " values, U " + u.length + "; expected " + k + "x" + n);
        List<int[]> chunks = new ArrayList<>();
        for (int c0 = 0; c0 < n; c0 += COLUMN_CHUNK) chunks.add(new int[] {c0, Math.min(n, c0 + COLUMN_CHUNK)});
        int workers = Math.max(1, Math.min(threads, chunks.size()));
        if (workers == 1) {
            for (int[] ch : chunks) roundColumns(w, k, n, u, grid, ch[0], ch[1]);
            return;
        }
        ExecutorService pool = Executors.newFixedThreadPool(workers, r -> {
            Thread t = new Thread(r, "squint-gptq");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int[] ch : chunks) done.add(pool.submit(() -> roundColumns(w, k, n, u, grid, ch[0], ch[1])));
            for (Future<?> f : done) f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SquintException("GPTQ interrupted");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) throw re;
            throw new SquintException("GPTQ failed: " + e.getCause());
        } finally {
            pool.shutdownNow();
        }
    }

    /** Round-to-nearest through the same grid: each row rounded as it is, nothing propagated. */
    static void roundToNearest(float[] w, int k, int n, Grid grid) {
        double[] wd = new double[k * n];
        for (int i = 0; i < wd.length; i++) wd[i] = w[i];
        for (int r = 0; r < k; r++) {
            grid.enterRow(r, wd, n, 0);
            for (int c = 0; c < n; c++) grid.round(r, c, wd[r * n + c]);
        }
    }

    /** GPTQ on columns [c0, c1) of W, held as a [k, width] double copy. */
    private static void roundColumns(float[] wAll, int k, int n, double[] u, Grid grid, int c0, int c1) {
        int width = c1 - c0;
        double[] w = new double[k * width];
        for (int r = 0; r < k; r++) for (int c = 0; c < width; c++) w[r * width + c] = wAll[r * n + c0 + c];
        double[] err = new double[BLOCK * width];
        for (int b0 = 0; b0 < k; b0 += BLOCK) {
            int b1 = Math.min(k, b0 + BLOCK);
            for (int i = b0; i < b1; i++) {
                grid.enterRow(i, w, width, c0);
                int rowI = i * width, rowE = (i - b0) * width;
                double d = u[i * k + i];
                for (int c = 0; c < width; c++) {
                    double v = w[rowI + c];
                    double q = grid.round(i, c0 + c, v);
                    err[rowE + c] = (v - q) / d;
                }
                for (int j = i + 1; j < b1; j++) {
                    double s = u[i * k + j];
                    if (s == 0) continue;
                    int rowJ = j * width;
                    for (int c = 0; c < width; c++) w[rowJ + c] -= s * err[rowE + c];
                }
            }
            // Lazy batch: the block's errors reach the remaining rows once, in the same order per column.
            for (int j = b1; j < k; j++) {
                int rowJ = j * width;
                int i = b0;
                for (; i + 4 <= b1; i += 4) { // four error rows per sweep of row j
                    double s0 = u[i * k + j], s1 = u[(i + 1) * k + j], s2 = u[(i + 2) * k + j], s3 = u[(i + 3) * k + j];
                    int e0 = (i - b0) * width;
                    for (int c = 0; c < width; c++) {
                        w[rowJ + c] -= s0 * err[e0 + c] + s1 * err[e0 + width + c] + s2 * err[e0 + 2 * width + c] + s3 * err[e0 + 3 * width + c];
                    }
                }
                for (; i < b1; i++) {
                    double s = u[i * k + j];
                    int rowE = (i - b0) * width;
                    for (int c = 0; c < width; c++) w[rowJ + c] -= s * err[rowE + c];
                }
            }
        }
    }

    /**
     * Symmetric or asymmetric 8-bit codes with fixed scales (per tensor or one per column), as
     * {@link WeightQuant} computes them from the original weights; the rounding is WeightQuant's (float
     * division, round half to even, clamp), so that without error propagation the codes are identical.
     */
    static final class Int8Grid implements Grid {
        private final byte[] codes;
        private final float[] scales;
        private final byte[] zeroPoints;
        private final boolean perColumn;
        private final int n, qmin, qmax;

        /** @param scaled the round-to-nearest result whose scales and zero points are kept (per tensor or per column) */
        Int8Grid(WeightQuant.Result scaled, int k, int n, boolean reduceRange) {
            this.codes = new byte[k * n];
            this.scales = scaled.scales();
            this.zeroPoints = scaled.zeroPoints();
            this.perColumn = scales.length == n && n > 1;
            this.n = n;
            if (scaled.signed()) {
                qmax = reduceRange ? 63 : 127;
                qmin = -qmax;
            } else {
                qmin = 0;
                qmax = reduceRange ? 127 : 255;
            }
        }

        @Override public double round(int k, int c, double v) {
            int ch = perColumn ? c : 0;
            float s = scales[ch];
            int zp = qmin == 0 ? zeroPoints[ch] & 0xff : zeroPoints[ch];
            int q = WeightQuant.clamp((int) Math.rint((float) v / s) + zp, qmin, qmax);
            codes[k * n + c] = (byte) q;
            return (double) (q - zp) * s;
        }

        byte[] codes() { return codes; }
    }
}
