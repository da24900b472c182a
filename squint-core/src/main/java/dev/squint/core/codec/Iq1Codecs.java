package dev.squint.core.codec;

import dev.squint.core.GgmlType;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

import static dev.squint.core.codec.GridCodecs.QK_K;
import static dev.squint.core.codec.GridCodecs.cmax;

/**
 * ggml's 1-bit grid quants IQ1_S and IQ1_M. Groups of 8 values are one point of the
 * iq1s_grid codebook (2048 points, coordinates {-1, 0, 1}, {@link IqGrids}) shifted by
 * {@code ±delta} (delta = 0.125), times a scale. No signs are stored: the codebook is symmetric.
 * Multi-byte fields little-endian.
 *
 * <h2>IQ1_S: 50 bytes per 256 values (1.56 bpw)</h2>
 * <pre>
 *   [0, 2)    d, F16 (ggml stores max_scale/15 * 1.125)
 *   [2, 34)   32 bytes: low 8 bits of the codebook index of each group of 8
 *   [34, 50)  8 u16, one per 32 values: bits 3l..3l+2 = high 3 bits of the index of group l,
 *             bits 12..14 = scale s, bit 15 = shift sign (set: -delta)
 *   value = d * (2s + 1) * (grid[j] + shift)
 * </pre>
 * <h2>IQ1_M: 56 bytes per 256 values (1.75 bpw)</h2>
 * <pre>
 *   [0, 32)   32 bytes: low 8 bits of the codebook index of each group of 8
 *   [32, 48)  16 bytes, one per 16 values: bits 0..2 = high 3 bits of the first group's index,
 *             bit 3 = its shift sign; bits 4..6 and bit 7 the same for the second group
 *   [48, 56)  4 u16: bits 3m..3m+2 of u16 k = scale s of the 16 values 4k+m; the top nibbles of
 *             u16 0..3, in that order, are nibbles 0..3 of the F16 super-scale d
 *   value = d * (2s + 1) * (grid[j] + shift)
 * </pre>
 * Quantization is ggml's {@code quantize_row_iq1_s_impl} / {@code quantize_row_iq1_m_impl}: an
 * exhaustive search of the two thresholds that split the sorted values into -1/0/+1 (and of the
 * shift sign), then the nearest codebook point. IQ1_S requires an importance matrix (ggml asserts
 * one); IQ1_M does not (ggml's {@code ggml_quantize_requires_imatrix} leaves it out; it then weights
 * each value by {@code x^2}). llama.cpp's quantize tool refuses IQ1_M without an imatrix as policy,
 * not ggml.
 * <p>Not verified against an official llama.cpp build (no shared reference vectors exist for these
 * types); verified bit-exact against ggml's C code compiled locally (see {@link GridCodecs}).
 */
final class Iq1Codecs {
    private Iq1Codecs() {}

    static final BlockCodec IQ1_S = new Iq1S();
    static final BlockCodec IQ1_M = new Iq1M();

    static final float IQ1S_DELTA = 0.125f;
    static final float IQ1M_DELTA = 0.125f;
    private static final float GROUP_MAX_EPS_IQ1_S = 1e-12f;
    private static final float GROUP_MAX_EPS_IQ1_M = 1e-7f;

    private static final float[] X_P = {-1 + IQ1S_DELTA, IQ1S_DELTA, 1 + IQ1S_DELTA};
    private static final float[] X_M = {-1 - IQ1S_DELTA, -IQ1S_DELTA, 1 - IQ1S_DELTA};

    private static final class Scratch extends GridCodecs.Scratch {
        final float[] weight = new float[32];
        final float[] sumx = new float[33];
        final float[] sumw = new float[33];
        final int[] order = new int[32];
        final byte[] L = new byte[32];
        final int[] index = new int[4];
        final float[] scales = new float[16];
        final int[] shifts = new int[16];
        final float[] sumqx = new float[4];
        final float[] sumq2 = new float[4];
        final int[] packedScales = new int[4];

        Scratch(int blockBytes) {
            super(blockBytes);
        }
    }

    private abstract static class Iq1Codec extends GridCodecs.GridCodec<Scratch> {
        @Override
        Scratch newScratch() {
            return new Scratch(type().bytesPerBlock());
        }

        /**
         * ggml's {@code iq1_find_best_neighbour2}: the listed neighbour with the least weighted squared
         * error against the signed values at {@code scale}, level values taken from {@code xx}.
         */
        int bestNeighbour(IqGrids.Search.Tables t, int mapValue, float[] x, int xo, float[] weight, int wo,
                          float scale, float[] xx, byte[] L, int lo) {
            char[] nb = t.neighbours();
            byte[] lattice = t.lattice();
            int start = -mapValue - 1;
            int count = nb[start];
            float bestScore = Float.MAX_VALUE;
            int gridIndex = -1;
            for (int j = 1; j <= count; j++) {
                int p = nb[start + j];
                float d2 = 0;
                for (int i = 0; i < 8; i++) {
                    float q = xx[(lattice[8 * p + i] - 1) / 2];
                    float w = weight[wo + i];
                    float diff = scale * q - x[xo + i];
                    d2 += w * diff * diff;
                }
                if (d2 < bestScore) {
                    bestScore = d2;
                    gridIndex = p;
                }
            }
            // ggml falls back to a full scan here that reads outside its group and then asserts;
            // it is only reachable when every error overflows.
            if (gridIndex < 0) throw GridCodecs.searchFailed(type());
            IqGrids.Search.IQ1.levelsOf(t, gridIndex, L, lo);
            return gridIndex;
        }

        /** Indices 0..n-1 ordered by ascending x (stable, as glibc's merge-sort qsort). */
        static void sortIndices(float[] x, int xo, int n, int[] order) {
            for (int i = 0; i < n; i++) {
                int key = i;
                float v = x[xo + i];
                int j = i - 1;
                while (j >= 0 && x[xo + order[j]] > v) {
                    order[j + 1] = order[j];
                    j--;
                }
                order[j + 1] = key;
            }
        }
    }

    private static final class Iq1S extends Iq1Codec {
        @Override public GgmlType type() { return GgmlType.IQ1_S; }
        @Override public boolean requiresImportance() { return true; }

        @Override
        void quantizeBlock(float[] x, int xo, float[] qw, int qwo, Scratch s) {
            IqGrids.Search.Tables t = IqGrids.Search.IQ1.tables();
            int[] map = t.map();
            final int blockSize = 32;
            float[] weight = s.weight, sumx = s.sumx, sumw = s.sumw, scales = s.scales;
            int[] order = s.order, shifts = s.shifts, index = s.index;
            byte[] L = s.L, block = s.block;

            float maxScale = 0;
            float sumx2 = 0;
            for (int i = 0; i < QK_K; i++) sumx2 += x[xo + i] * x[xo + i];
            float sigma2 = 2 * sumx2 / QK_K;

            for (int ib = 0; ib < QK_K / blockSize; ib++) {
                int xb = xo + blockSize * ib;
                for (int i = 0; i < blockSize; i++) weight[i] = qw[qwo + blockSize * ib + i] * (float) Math.sqrt(sigma2 + x[xb + i] * x[xb + i]);
                float max = Math.abs(x[xb]);
                for (int i = 1; i < blockSize; i++) max = cmax(max, Math.abs(x[xb + i]));
                if (max < GROUP_MAX_EPS_IQ1_S) {
                    scales[ib] = 0;
                    shifts[ib] = 1;
                    Arrays.fill(L, (byte) 1);
                    continue;
                }
                // The exact weighted least-squares split of the sorted values into three groups
                // (-1, 0, +1, each shifted by ±delta), found from prefix sums.
                sortIndices(x, xb, blockSize, order);
                sumx[0] = sumw[0] = 0;
                for (int j = 0; j < blockSize; j++) {
                    int i = order[j];
                    sumx[j + 1] = sumx[j] + weight[i] * x[xb + i];
                    sumw[j + 1] = sumw[j] + weight[i];
                }
                float bestScore = -Float.MAX_VALUE, scale = max;
                int besti1 = -1, besti2 = -1, bestShift = 0;
                for (int i1 = 0; i1 <= blockSize; ++i1) {
                    for (int i2 = i1; i2 <= blockSize; ++i2) {
                        float sumqx = (sumx[i1] - sumx[0]) * X_P[0] + (sumx[i2] - sumx[i1]) * X_P[1] + (sumx[blockSize] - sumx[i2]) * X_P[2];
                        float sumq2 = (sumw[i1] - sumw[0]) * X_P[0] * X_P[0] + (sumw[i2] - sumw[i1]) * X_P[1] * X_P[1] + (sumw[blockSize] - sumw[i2]) * X_P[2] * X_P[2];
                        if (sumq2 > 0 && sumqx * sumqx > bestScore * sumq2) {
                            scale = sumqx / sumq2;
                            bestScore = scale * sumqx;
                            besti1 = i1;
                            besti2 = i2;
                            bestShift = 1;
                        }
                        sumqx = (sumx[i1] - sumx[0]) * X_M[0] + (sumx[i2] - sumx[i1]) * X_M[1] + (sumx[blockSize] - sumx[i2]) * X_M[2];
                        sumq2 = (sumw[i1] - sumw[0]) * X_M[0] * X_M[0] + (sumw[i2] - sumw[i1]) * X_M[1] * X_M[1] + (sumw[blockSize] - sumw[i2]) * X_M[2] * X_M[2];
                        if (sumq2 > 0 && sumqx * sumqx > bestScore * sumq2) {
                            scale = sumqx / sumq2;
                            bestScore = scale * sumqx;
                            besti1 = i1;
                            besti2 = i2;
                            bestShift = -1;
                        }
                    }
                }
                if (besti1 < 0 || besti2 < 0 || bestShift == 0) {
                    scales[ib] = 0;
                    shifts[ib] = 1;
                    Arrays.fill(L, (byte) 1);
                    continue;
                }
                for (int j = 0; j < besti1; ++j) L[order[j]] = 0;
                for (int j = besti1; j < besti2; ++j) L[order[j]] = 1;
                for (int j = besti2; j < blockSize; ++j) L[order[j]] = 2;
                if (scale < 0) {
                    for (int j = 0; j < blockSize; ++j) L[j] = (byte) (2 - L[j]);
                    scale = -scale;
                    bestShift = -bestShift;
                }
                boolean allOnGrid = true;
                float[] xx = bestShift == 1 ? X_P : X_M;
                for (int k = 0; k < blockSize / 8; ++k) {
                    int gridIndex = map[IqGrids.Search.IQ1.pack(L, 8 * k)];
                    if (gridIndex < 0) {
                        allOnGrid = false;
                        gridIndex = bestNeighbour(t, gridIndex, x, xb + 8 * k, weight, 8 * k, scale, xx, L, 8 * k);
                    }
                    index[k] = gridIndex;
                }
                if (!allOnGrid) {
                    float sumqx = 0, sumq2 = 0;
                    for (int k = 0; k < blockSize / 8; ++k) {
                        for (int j = 0; j < 8; ++j) {
                            float w = weight[8 * k + j];
                            float q = xx[(t.lattice()[8 * index[k] + j] - 1) / 2];
                            sumqx += w * q * x[xb + 8 * k + j];
                            sumq2 += w * q * q;
                        }
                    }
                    if (sumqx > 0 && sumq2 > 0) scale = sumqx / sumq2;
                }
                int h = 0;
                for (int k = 0; k < blockSize / 8; ++k) {
                    block[2 + (blockSize / 8) * ib + k] = (byte) index[k];
                    h |= (index[k] >> 8) << (3 * k);
                }
                GridCodecs.putU16(block, 34 + 2 * ib, h);
                scales[ib] = scale;
                shifts[ib] = bestShift;
                maxScale = cmax(maxScale, scale);
            }
            if (maxScale == 0) return;
            float d = maxScale / 15;
            GridCodecs.putU16(block, 0, Float.floatToFloat16(d * 1.125f));
            float id = 1 / d;
            for (int ib = 0; ib < QK_K / blockSize; ib++) {
                int l = GgmlQuantMath.nearestInt(0.5f * (id * scales[ib] - 1));
                l = Math.max(0, Math.min(7, l));
                if (shifts[ib] == -1) l |= 8;
                GridCodecs.putU16(block, 34 + 2 * ib, GridCodecs.u16(block, 34 + 2 * ib) | l << 12);
            }
        }

        @Override
        void dequantizeBlock(MemorySegment x, long b, float[] y, int yo) {
            float d = GridCodecs.half(x, b);
            for (int ib = 0; ib < QK_K / 32; ib++) {
                int qh = GridCodecs.u16(x, b + 34 + 2L * ib);
                float dl = d * (2 * ((qh >> 12) & 7) + 1);
                float delta = (qh & 0x8000) != 0 ? -IQ1S_DELTA : IQ1S_DELTA;
                for (int l = 0; l < 4; l++) {
                    int p = GridCodecs.u8(x, b + 2 + 4L * ib + l) | (((qh >> (3 * l)) & 7) << 8);
                    for (int j = 0; j < 8; j++) y[yo + 32 * ib + 8 * l + j] = dl * (IqGrids.IQ1S[8 * p + j] + delta);
                }
            }
        }

        @Override
        public float dot(int n, MemorySegment x, long xOffset, MemorySegment y, long yOffset) {
            GridCodecs.checkRowLength(type(), n);
            float sumf = 0;
            for (int i = 0; i < n / QK_K; i++) {
                long xb = xOffset + (long) type().bytesPerBlock() * i;
                long yb = yOffset + (long) GridCodecs.Q8K_BYTES * i;
                int sumi = 0, sumi1 = 0;
                for (int ib = 0; ib < QK_K / 32; ++ib) {
                    int qh = GridCodecs.u16(x, xb + 34 + 2L * ib);
                    int ls = 2 * ((qh >> 12) & 7) + 1;
                    int delta = (qh & 0x8000) != 0 ? -1 : 1;
                    int lsum = 0;
                    for (int l = 0; l < 4; ++l) {
                        int p = GridCodecs.u8(x, xb + 2 + 4L * ib + l) | (((qh >> (3 * l)) & 7) << 8);
                        for (int j = 0; j < 8; ++j) lsum += GridCodecs.q8kValue(y, yb, 32 * ib + 8 * l + j) * IqGrids.IQ1S[8 * p + j];
                    }
                    sumi += ls * lsum;
                    sumi1 += ls * delta * (GridCodecs.q8kBsum(y, yb, 2 * ib) + GridCodecs.q8kBsum(y, yb, 2 * ib + 1));
                }
                sumf += GridCodecs.half(x, xb) * GridCodecs.q8kScale(y, yb) * (sumi + IQ1S_DELTA * sumi1);
            }
            return sumf;
        }
    }

    private static final class Iq1M extends Iq1Codec {
        private static final int[] MASKS = {0x00, 0x80, 0x08, 0x88};

        @Override public GgmlType type() { return GgmlType.IQ1_M; }

        private static void weights(float[] x, int xb, float[] qw, int qwo, float sigma2, float[] weight) {
            if (qw != null) {
                for (int i = 0; i < 16; i++) weight[i] = qw[qwo + i] * (float) Math.sqrt(sigma2 + x[xb + i] * x[xb + i]);
            } else {
                for (int i = 0; i < 16; i++) weight[i] = x[xb + i] * x[xb + i];
            }
        }

        /** The level values of group k (0 or 1) of a 16-value sub-block with shift code {@code shift} (0..3). */
        private static float[] levels(int shift, int k) {
            if (k == 0) return shift < 2 ? X_P : X_M;
            return shift % 2 == 0 ? X_P : X_M;
        }

        @Override
        void quantizeBlock(float[] x, int xo, float[] qw, int qwo, Scratch s) {
            IqGrids.Search.Tables t = IqGrids.Search.IQ1.tables();
            int[] map = t.map();
            byte[] lattice = t.lattice();
            final int blockSize = 16;
            float[] weight = s.weight, scales = s.scales, sumqx = s.sumqx, sumq2 = s.sumq2;
            int[] order = s.order, shifts = s.shifts, index = s.index;
            byte[] L = s.L, block = s.block;

            float maxScale = 0;
            float sumx2 = 0;
            for (int i = 0; i < QK_K; i++) sumx2 += x[xo + i] * x[xo + i];
            float sigma2 = 2 * sumx2 / QK_K;

            for (int ib = 0; ib < QK_K / blockSize; ib++) {
                int xb = xo + blockSize * ib;
                weights(x, xb, qw, qwo + blockSize * ib, sigma2, weight);
                float max = Math.abs(x[xb]);
                for (int i = 1; i < blockSize; i++) max = cmax(max, Math.abs(x[xb + i]));
                if (max < GROUP_MAX_EPS_IQ1_M) {
                    scales[ib] = 0;
                    shifts[ib] = 0;
                    Arrays.fill(L, (byte) 1);
                    continue;
                }
                sortIndices(x, xb, blockSize, order);
                float bestScore = -Float.MAX_VALUE, scale = max;
                int besti1 = -1, besti2 = -1, bestK = -1;
                // Shift codes: 0 = (+,+), 1 = (+,-), 2 = (-,+), 3 = (-,-) for the two groups of 8.
                for (int i1 = 0; i1 <= blockSize; ++i1) {
                    for (int i2 = i1; i2 <= blockSize; ++i2) {
                        Arrays.fill(sumqx, 0);
                        Arrays.fill(sumq2, 0);
                        accumulate(order, 0, i1, 0, x, xb, weight, sumqx, sumq2);
                        accumulate(order, i1, i2, 1, x, xb, weight, sumqx, sumq2);
                        accumulate(order, i2, blockSize, 2, x, xb, weight, sumqx, sumq2);
                        for (int k = 0; k < 4; ++k) {
                            if (sumq2[k] > 0 && sumqx[k] * sumqx[k] > bestScore * sumq2[k]) {
                                scale = sumqx[k] / sumq2[k];
                                bestScore = scale * sumqx[k];
                                besti1 = i1;
                                besti2 = i2;
                                bestK = k;
                            }
                        }
                    }
                }
                if (besti1 < 0 || besti2 < 0 || bestK < 0) {
                    scales[ib] = 0;
                    shifts[ib] = 0;
                    Arrays.fill(L, (byte) 1);
                    continue;
                }
                for (int j = 0; j < besti1; ++j) L[order[j]] = 0;
                for (int j = besti1; j < besti2; ++j) L[order[j]] = 1;
                for (int j = besti2; j < blockSize; ++j) L[order[j]] = 2;
                if (scale < 0) {
                    for (int j = 0; j < blockSize; ++j) L[j] = (byte) (2 - L[j]);
                    scale = -scale;
                    bestK = 3 - bestK;
                }
                boolean allOnGrid = true;
                for (int k = 0; k < blockSize / 8; ++k) {
                    int gridIndex = map[IqGrids.Search.IQ1.pack(L, 8 * k)];
                    if (gridIndex < 0) {
                        allOnGrid = false;
                        gridIndex = bestNeighbour(t, gridIndex, x, xb + 8 * k, weight, 8 * k, scale, levels(bestK, k), L, 8 * k);
                    }
                    index[k] = gridIndex;
                }
                if (!allOnGrid) {
                    float sumqxF = 0, sumq2F = 0;
                    for (int k = 0; k < blockSize / 8; ++k) {
                        float[] xx = levels(bestK, k);
                        for (int j = 0; j < 8; ++j) {
                            float w = weight[8 * k + j];
                            float q = xx[(lattice[8 * index[k] + j] - 1) / 2];
                            sumqxF += w * q * x[xb + 8 * k + j];
                            sumq2F += w * q * q;
                        }
                    }
                    if (sumqxF > 0 && sumq2F > 0) scale = sumqxF / sumq2F;
                }
                block[2 * ib] = (byte) index[0];
                block[2 * ib + 1] = (byte) index[1];
                block[32 + ib] = (byte) ((index[0] >> 8) | ((index[1] >> 8) << 4));
                scales[ib] = scale;
                shifts[ib] = bestK;
                maxScale = cmax(maxScale, scale);
            }
            if (maxScale == 0) return;

            int[] sc = s.packedScales;
            Arrays.fill(sc, 0);
            float d = maxScale / 15;
            float id = 1 / d;
            float sumqxF = 0, sumq2F = 0;
            for (int ib = 0; ib < QK_K / blockSize; ++ib) {
                int l = GgmlQuantMath.nearestInt(0.5f * (id * scales[ib] - 1));
                l = Math.max(0, Math.min(7, l));
                sc[ib / 4] |= l << (3 * (ib % 4));
                block[32 + ib] |= (byte) MASKS[shifts[ib]];
                int xb = xo + blockSize * ib;
                weights(x, xb, qw, qwo + blockSize * ib, sigma2, weight);
                int qh = block[32 + ib] & 0xFF;
                for (int k = 0; k < blockSize / 8; ++k) {
                    float[] xx = levels(shifts[ib], k);
                    int p = (block[2 * ib + k] & 0xFF) + ((qh << (8 - 4 * k)) & 0x700);
                    for (int j = 0; j < 8; ++j) {
                        float w = weight[8 * k + j];
                        float q = xx[(lattice[8 * p + j] - 1) / 2] * (2 * l + 1);
                        sumqxF += w * q * x[xb + 8 * k + j];
                        sumq2F += w * q * q;
                    }
                }
            }
            if (sumq2F > 0) d = sumqxF / sumq2F;
            int f16 = Float.floatToFloat16(d * 1.1125f) & 0xFFFF;
            sc[0] |= (f16 & 0x000f) << 12;
            sc[1] |= (f16 & 0x00f0) << 8;
            sc[2] |= (f16 & 0x0f00) << 4;
            sc[3] |= f16 & 0xf000;
            for (int k = 0; k < 4; k++) GridCodecs.putU16(block, 48 + 2 * k, sc[k]);
        }

        /**
         * Adds the sorted values {@code order[from..to)} at level {@code level} to the four shift codes'
         * sums, in ggml's order; values in the first group of 8 follow the first shift, the others the second.
         */
        private static void accumulate(int[] order, int from, int to, int level, float[] x, int xb, float[] weight,
                                       float[] sumqx, float[] sumq2) {
            float p = X_P[level], m = X_M[level];
            for (int j = from; j < to; ++j) {
                int i = order[j];
                float w = weight[i];
                float xi = x[xb + i];
                if (i < 8) {
                    sumqx[0] += w * p * xi;
                    sumqx[1] += w * p * xi;
                    sumqx[2] += w * m * xi;
                    sumqx[3] += w * m * xi;
                    sumq2[0] += w * p * p;
                    sumq2[1] += w * p * p;
                    sumq2[2] += w * m * m;
                    sumq2[3] += w * m * m;
                } else {
                    sumqx[0] += w * p * xi;
                    sumqx[2] += w * p * xi;
                    sumqx[1] += w * m * xi;
                    sumqx[3] += w * m * xi;
                    sumq2[0] += w * p * p;
                    sumq2[2] += w * p * p;
                    sumq2[1] += w * m * m;
                    sumq2[3] += w * m * m;
                }
            }
        }

        private static int superScaleBits(MemorySegment x, long b) {
            int sc0 = GridCodecs.u16(x, b + 48), sc1 = GridCodecs.u16(x, b + 50);
            int sc2 = GridCodecs.u16(x, b + 52), sc3 = GridCodecs.u16(x, b + 54);
            return (sc0 >> 12) | ((sc1 >> 8) & 0x00f0) | ((sc2 >> 4) & 0x0f00) | (sc3 & 0xf000);
        }

        @Override
        void dequantizeBlock(MemorySegment x, long b, float[] y, int yo) {
            float d = Float.float16ToFloat((short) superScaleBits(x, b));
            for (int ib = 0; ib < QK_K / 32; ib++) {
                int sc = GridCodecs.u16(x, b + 48 + 2L * (ib / 2));
                float dl1 = d * (2 * ((sc >> (6 * (ib % 2))) & 0x7) + 1);
                float dl2 = d * (2 * ((sc >> (6 * (ib % 2) + 3)) & 0x7) + 1);
                for (int l = 0; l < 4; l++) {
                    int qh = GridCodecs.u8(x, b + 32 + 2L * ib + l / 2);
                    int p = GridCodecs.u8(x, b + 4L * ib + l) | ((qh << (8 - 4 * (l % 2))) & 0x700);
                    float delta = (qh & (l % 2 == 0 ? 0x08 : 0x80)) != 0 ? -IQ1M_DELTA : IQ1M_DELTA;
                    float dl = l < 2 ? dl1 : dl2;
                    for (int j = 0; j < 8; j++) y[yo + 32 * ib + 8 * l + j] = dl * (IqGrids.IQ1S[8 * p + j] + delta);
                }
            }
        }

        @Override
        public float dot(int n, MemorySegment x, long xOffset, MemorySegment y, long yOffset) {
            GridCodecs.checkRowLength(type(), n);
            float sumf = 0;
            for (int i = 0; i < n / QK_K; i++) {
                long xb = xOffset + (long) type().bytesPerBlock() * i;
                long yb = yOffset + (long) GridCodecs.Q8K_BYTES * i;
                int sumi1 = 0, sumi2 = 0;
                for (int ib = 0; ib < QK_K / 32; ++ib) {
                    int sum10 = 0, sum11 = 0, sum20 = 0, sum21 = 0;
                    for (int l = 0; l < 4; ++l) {
                        int qh = GridCodecs.u8(x, xb + 32 + 2L * ib + l / 2);
                        int delta = (qh & (l % 2 == 0 ? 0x08 : 0x80)) != 0 ? -1 : 1;
                        int p = GridCodecs.u8(x, xb + 4L * ib + l) | ((qh << (8 - 4 * (l % 2))) & 0x700);
                        int lsum1 = 0, lsum2 = 0;
                        for (int j = 0; j < 8; ++j) {
                            int q8 = GridCodecs.q8kValue(y, yb, 32 * ib + 8 * l + j);
                            lsum1 += q8 * IqGrids.IQ1S[8 * p + j];
                            lsum2 += q8;
                        }
                        if (l < 2) {
                            sum10 += lsum1;
                            sum20 += lsum2 * delta;
                        } else {
                            sum11 += lsum1;
                            sum21 += lsum2 * delta;
                        }
                    }
                    int sc = GridCodecs.u16(x, xb + 48 + 2L * (ib / 2));
                    int ls1 = 2 * ((sc >> (6 * (ib % 2))) & 0x7) + 1;
                    int ls2 = 2 * ((sc >> (6 * (ib % 2) + 3)) & 0x7) + 1;
                    sumi1 += sum10 * ls1 + sum11 * ls2;
                    sumi2 += sum20 * ls1 + sum21 * ls2;
                }
                float d = Float.float16ToFloat((short) superScaleBits(x, xb));
                sumf += d * GridCodecs.q8kScale(y, yb) * (sumi1 + IQ1M_DELTA * sumi2);
            }
            return sumf;
        }
    }
}
