package dev.squint.core.codec;

import dev.squint.core.GgmlType;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

import static dev.squint.core.codec.GridCodecs.QK_K;
import static dev.squint.core.codec.GridCodecs.cmax;

/**
 * ggml's 2-bit grid quants IQ2_XXS, IQ2_XS and IQ2_S. Groups of 8 values are one point of an
 * 8-dimensional codebook whose coordinates are {8, 25, 43} ({@link IqGrids}), times a sign per value
 * and a per-sub-block scale. All multi-byte fields are little-endian; "d" is an F16.
 *
 * <h2>IQ2_XXS: 66 bytes per 256 values (2.06 bpw)</h2>
 * <pre>
 *   [0, 2)   d
 *   [2, 66)  8 sub-blocks of 32 values, each two u32 words (a, b):
 *              a: byte l (l = 0..3) = codebook index (of iq2xxs_grid, 256 points) of group l
 *              b: bits 7l..7l+6 = sign code of group l (ksigns_iq2xs: 7 bits, the 8th sign makes
 *                 the count of negatives even); bits 28..31 = sub-block scale s
 *   value = d * (0.5 + s) * 0.25 * grid[j] * sign[j]
 * </pre>
 * <h2>IQ2_XS: 74 bytes per 256 values (2.31 bpw)</h2>
 * <pre>
 *   [0, 2)   d
 *   [2, 66)  32 u16, one per group of 8: bits 0..8 codebook index (iq2xs_grid, 512 points),
 *            bits 9..15 sign code (as IQ2_XXS)
 *   [66, 74) 8 bytes, one per 32 values: low nibble scales the first 16, high nibble the last 16
 *   value = d * (0.5 + s) * 0.25 * grid[j] * sign[j]
 * </pre>
 * <h2>IQ2_S: 82 bytes per 256 values (2.56 bpw)</h2>
 * <pre>
 *   [0, 2)   d
 *   [2, 34)  32 bytes: low 8 bits of the codebook index (iq2s_grid, 1024 points) of each group of 8
 *   [34, 66) 32 bytes: sign bits of each group of 8 (bit j set: value j negative; no parity rule)
 *   [66, 74) 8 bytes, one per 32 values: bits 2l..2l+1 = high 2 bits of the index of group l
 *   [74, 82) 8 bytes of scales, as IQ2_XS
 *   value = d * (0.5 + s) * 0.25 * grid[j] * sign[j]
 * </pre>
 * Quantization is ggml's {@code quantize_row_iq2_xxs_impl} / {@code _xs_impl} / {@code _s_impl}:
 * signs are taken out (for XXS/XS the cheapest value is flipped to make their count even), a
 * scale search maps the magnitudes to lattice levels, and off-grid groups go to the best listed
 * neighbour. IQ2_XXS and IQ2_XS require an importance matrix (ggml asserts one); IQ2_S without one
 * weights each value by {@code sigma2/4 + x^2}, as ggml.
 * <p>Not verified against an official llama.cpp build (no shared reference vectors exist for these
 * types); verified bit-exact against ggml's C code compiled locally (see {@link GridCodecs}).
 */
final class Iq2Codecs {
    private Iq2Codecs() {}

    static final BlockCodec IQ2_XXS = new Iq2Xxs();
    static final BlockCodec IQ2_XS = new Iq2Xs();
    static final BlockCodec IQ2_S = new Iq2S();

    private static final float GROUP_MAX_EPS_IQ2_S = 1e-8f;
    private static final int K_MAX_Q = 3;

    /** Per-row working arrays (ggml keeps them on the stack). */
    private static final class Scratch extends GridCodecs.GroupSearchScratch {
        final int[] q2 = new int[16];

        Scratch(int blockBytes) {
            super(blockBytes, 16, 2);
        }
    }

    private abstract static class Iq2Codec extends GridCodecs.GridCodec<Scratch> {
        @Override
        Scratch newScratch() {
            return new Scratch(type().bytesPerBlock());
        }

        @Override
        public float dot(int n, MemorySegment x, long xOffset, MemorySegment y, long yOffset) {
            float sumf = sumScaledBlockDots(n, x, xOffset, y, yOffset, this::blockDot);
            return 0.125f * sumf;
        }

        /** The integer sum of scale × grid × sign × q8 over one block, as ggml's generic kernel. */
        abstract int blockDot(MemorySegment x, long xb, MemorySegment y, long yb);

        /** Sum over a group of 8 of grid[j] * q8[j] * sign[j]. */
        static int groupDot(byte[] grid, int point, int signs, MemorySegment y, long yb, int q8) {
            int sumi = 0;
            for (int j = 0; j < 8; j++) {
                int g = grid[point * 8 + j] & 0xFF;
                sumi += g * GridCodecs.q8kValue(y, yb, q8 + j) * ((signs & IqGrids.KMASK[j]) != 0 ? -1 : 1);
            }
            return sumi;
        }

        static void decodeGroup(byte[] grid, int point, int signs, float dl, float[] y, int yo) {
            for (int j = 0; j < 8; j++) {
                y[yo + j] = dl * (grid[point * 8 + j] & 0xFF) * ((signs & IqGrids.KMASK[j]) != 0 ? -1.f : 1.f);
            }
        }
    }

    /**
     * Splits the signs out of {@code count} groups of 8 starting at {@code xb} into {@code xval}
     * (magnitudes) and {@code blockSigns}; with {@code evenParity}, flips the value with the least
     * weighted square in a group with an odd count of negatives (ggml's XXS/XS trick: only 7 sign
     * bits are stored).
     */
    static void splitSigns(float[] x, int xb, int count, float[] weight, float[] xval, int[] blockSigns, boolean evenParity) {
        for (int k = 0; k < count; k++) {
            int nflip = 0;
            int sgn = 0;
            for (int i = 0; i < 8; i++) {
                float v = x[xb + 8 * k + i];
                if (v >= 0) {
                    xval[8 * k + i] = v;
                } else {
                    xval[8 * k + i] = -v;
                    ++nflip;
                    sgn |= 1 << i;
                }
            }
            if (evenParity) {
                if (nflip % 2 != 0) {
                    int imin = 0;
                    float min = weight[8 * k] * x[xb + 8 * k] * x[xb + 8 * k];
                    for (int i = 1; i < 8; i++) {
                        float ax = weight[8 * k + i] * x[xb + 8 * k + i] * x[xb + 8 * k + i];
                        if (ax < min) {
                            min = ax;
                            imin = i;
                        }
                    }
                    xval[8 * k + imin] = -xval[8 * k + imin];
                    sgn ^= 1 << imin;
                }
                blockSigns[k] = sgn & 127;
            } else {
                blockSigns[k] = sgn;
            }
        }
    }

    /** Rounds the magnitudes of group k to lattice levels at inverse scale {@code id} (clamped to the grid's range). */
    static void roundGroup(float[] xval, int k, float id, byte[] L) {
        for (int i = 0; i < 8; i++) {
            int l = GgmlQuantMath.nearestInt(0.5f * (id * xval[8 * k + i] - 1));
            L[8 * k + i] = (byte) Math.max(0, Math.min(K_MAX_Q - 1, l));
        }
    }

    /** {@code sum w*x*q} and {@code sum w*q*q} over {@code n} values with q = 2L+1; returns them in {@code out}. */
    static void sums(int n, float[] weight, float[] xval, byte[] L, float[] out) {
        float sumqx = 0, sumq2 = 0;
        for (int i = 0; i < n; i++) {
            float w = weight[i];
            float q = 2 * L[i] + 1;
            sumqx += w * xval[i] * q;
            sumq2 += w * q * q;
        }
        out[0] = sumqx;
        out[1] = sumq2;
    }

    static int nibbleScale(float id, float scale) {
        int l = GgmlQuantMath.nearestInt(0.5f * (id * scale - 1));
        return Math.max(0, Math.min(15, l));
    }

    private static final class Iq2Xxs extends Iq2Codec {
        @Override public GgmlType type() { return GgmlType.IQ2_XXS; }
        @Override public boolean requiresImportance() { return true; }

        @Override
        void quantizeBlock(float[] x, int xo, float[] qw, int qwo, Scratch s) {
            IqGrids.Search search = IqGrids.Search.IQ2_XXS;
            IqGrids.Search.Tables t = search.tables();
            int[] map = t.map();
            float[] weight = s.weight, waux = s.waux, xval = s.xval, scales = s.scales;
            byte[] L = s.L, Laux = s.Laux;
            int[] q2 = s.q2;
            Arrays.fill(q2, 0);
            float[] sq = s.sums;

            float maxScale = 0;
            float sumx2 = 0;
            for (int i = 0; i < QK_K; i++) sumx2 += x[xo + i] * x[xo + i];
            float sigma2 = sumx2 / QK_K;

            for (int ib = 0; ib < QK_K / 32; ib++) {
                int xb = xo + 32 * ib;
                for (int i = 0; i < 32; i++) weight[i] = qw[qwo + 32 * ib + i] * (float) Math.sqrt(sigma2 + x[xb + i] * x[xb + i]);
                for (int i = 0; i < 32; i++) waux[i] = (float) Math.sqrt(weight[i]);
                splitSigns(x, xb, 4, weight, xval, s.blockSigns, true);
                float max = xval[0];
                for (int i = 1; i < 32; i++) max = cmax(max, xval[i]);
                if (max < GgmlQuantMath.GROUP_MAX_EPS) {
                    scales[ib] = 0;
                    Arrays.fill(L, (byte) 0);
                    continue;
                }
                float scale = GgmlQuantMath.makeQpQuants(32, K_MAX_Q + 1, xval, 0, L, 0, weight, 0);
                float effMax = scale * K_MAX_Q;
                if (effMax <= 0) {
                    scales[ib] = 0;
                    Arrays.fill(L, (byte) 0);
                    continue;
                }
                float best = 0;
                for (int is = -6; is <= 6; ++is) {
                    float id = (2 * K_MAX_Q - 1 + is * 0.1f) / effMax;
                    float thisScale = 1 / id;
                    for (int k = 0; k < 4; k++) {
                        roundGroup(xval, k, id, Laux);
                        int gridIndex = map[search.pack(Laux, 8 * k)];
                        if (gridIndex < 0) {
                            gridIndex = search.bestNeighbour(t, gridIndex, xval, 8 * k, waux, 8 * k, thisScale, Laux, 8 * k);
                            if (gridIndex < 0) throw GridCodecs.searchFailed(type());
                        }
                    }
                    sums(32, weight, xval, Laux, sq);
                    float sumqx = sq[0], sumq2 = sq[1];
                    if (sumq2 > 0 && sumqx * sumqx > best * sumq2) {
                        scale = sumqx / sumq2;
                        best = scale * sumqx;
                        System.arraycopy(Laux, 0, L, 0, 32);
                    }
                }
                if (scale > 0) {
                    float id = 1 / scale;
                    for (int k = 0; k < 4; k++) {
                        roundGroup(xval, k, id, Laux);
                        int gridIndex = map[search.pack(Laux, 8 * k)];
                        if (gridIndex < 0) {
                            gridIndex = search.bestNeighbour(t, gridIndex, xval, 8 * k, waux, 8 * k, scale, L, 8 * k);
                            if (gridIndex < 0) throw GridCodecs.searchFailed(type());
                        }
                        search.levelsOf(t, gridIndex, L, 8 * k);
                    }
                    sums(32, weight, xval, L, sq);
                    if (sq[1] > 0) scale = sq[0] / sq[1];
                }
                if (scale < 0) {
                    // ggml: cannot happen, but flip to keep the stored scale unsigned.
                    scale = -scale;
                    for (int k = 0; k < 4; k++) s.blockSigns[k] = ~s.blockSigns[k] & 127;
                }
                for (int k = 0; k < 4; k++) {
                    int gridIndex = map[search.pack(L, 8 * k)];
                    if (gridIndex < 0) throw GridCodecs.searchFailed(type());
                    q2[2 * ib] |= gridIndex << (8 * k);
                    q2[2 * ib + 1] |= s.blockSigns[k] << (7 * k);
                }
                scales[ib] = scale;
                maxScale = cmax(maxScale, scale);
            }
            if (maxScale == 0) return; // all-zero block, as ggml
            float d = maxScale / 31;
            GridCodecs.putU16(s.block, 0, Float.floatToFloat16(d));
            float id = 1 / d;
            for (int ib = 0; ib < QK_K / 32; ib++) q2[2 * ib + 1] |= nibbleScale(id, scales[ib]) << 28;
            for (int i = 0; i < 16; i++) GridCodecs.putU32(s.block, 2 + 4 * i, q2[i]);
        }

        @Override
        void dequantizeBlock(MemorySegment x, long b, float[] y, int yo) {
            float d = GridCodecs.half(x, b);
            for (int ib32 = 0; ib32 < QK_K / 32; ib32++) {
                int a = x.get(GridCodecs.LE_INT, b + 2 + 8L * ib32);
                int w = x.get(GridCodecs.LE_INT, b + 6 + 8L * ib32);
                float db = d * (0.5f + (w >>> 28)) * 0.25f;
                for (int l = 0; l < 4; l++) {
                    decodeGroup(IqGrids.IQ2XXS, (a >>> (8 * l)) & 0xFF, IqGrids.signs((w >>> (7 * l)) & 127), db, y, yo + 32 * ib32 + 8 * l);
                }
            }
        }

        @Override
        int blockDot(MemorySegment x, long xb, MemorySegment y, long yb) {
            int bsum = 0;
            for (int ib32 = 0; ib32 < QK_K / 32; ib32++) {
                int a = x.get(GridCodecs.LE_INT, xb + 2 + 8L * ib32);
                int w = x.get(GridCodecs.LE_INT, xb + 6 + 8L * ib32);
                int ls = 2 * (w >>> 28) + 1;
                int sumi = 0;
                for (int l = 0; l < 4; l++) {
                    sumi += groupDot(IqGrids.IQ2XXS, (a >>> (8 * l)) & 0xFF, IqGrids.signs((w >>> (7 * l)) & 127), y, yb, 32 * ib32 + 8 * l);
                }
                bsum += sumi * ls;
            }
            return bsum;
        }
    }

    /** The shared search of IQ2_XS and IQ2_S over one 16-value sub-block; leaves levels in s.L and returns the scale. */
    static float searchSubBlock16(IqGrids.Search search, IqGrids.Search.Tables t, GgmlType type, float max, Scratch s) {
        int[] map = t.map();
        float[] weight = s.weight, waux = s.waux, xval = s.xval;
        byte[] L = s.L, Laux = s.Laux;
        boolean[] onGrid = s.onGrid, onGridAux = s.onGridAux;
        float[] sq = s.sums;
        float best = 0;
        float scale = max / (2 * K_MAX_Q - 1);
        onGrid[0] = onGrid[1] = true;
        for (int is = -9; is <= 9; ++is) {
            float id = (2 * K_MAX_Q - 1 + is * 0.1f) / max;
            float thisScale = 1 / id;
            for (int k = 0; k < 2; k++) {
                roundGroup(xval, k, id, Laux);
                int gridIndex = map[search.pack(Laux, 8 * k)];
                onGridAux[k] = true;
                if (gridIndex < 0) {
                    onGridAux[k] = false;
                    gridIndex = search.bestNeighbour(t, gridIndex, xval, 8 * k, waux, 8 * k, thisScale, Laux, 8 * k);
                    if (gridIndex < 0) throw GridCodecs.searchFailed(type);
                }
            }
            sums(16, weight, xval, Laux, sq);
            float sumqx = sq[0], sumq2 = sq[1];
            if (sumq2 > 0 && sumqx * sumqx > best * sumq2) {
                scale = sumqx / sumq2;
                best = scale * sumqx;
                System.arraycopy(Laux, 0, L, 0, 16);
                onGrid[0] = onGridAux[0];
                onGrid[1] = onGridAux[1];
            }
        }
        int notOnGrid = (onGrid[0] ? 0 : 1) + (onGrid[1] ? 0 : 1);
        if (notOnGrid > 0 && scale > 0) {
            float id = 1 / scale;
            for (int k = 0; k < 2; k++) {
                if (onGrid[k]) continue;
                roundGroup(xval, k, id, L);
                int gridIndex = map[search.pack(L, 8 * k)];
                if (gridIndex < 0) {
                    gridIndex = search.bestNeighbour(t, gridIndex, xval, 8 * k, waux, 8 * k, scale, L, 8 * k);
                    if (gridIndex < 0) throw GridCodecs.searchFailed(type);
                }
            }
            sums(16, weight, xval, L, sq);
            if (sq[1] > 0) scale = sq[0] / sq[1];
        }
        return scale;
    }

    private static final class Iq2Xs extends Iq2Codec {
        @Override public GgmlType type() { return GgmlType.IQ2_XS; }
        @Override public boolean requiresImportance() { return true; }

        @Override
        void quantizeBlock(float[] x, int xo, float[] qw, int qwo, Scratch s) {
            IqGrids.Search search = IqGrids.Search.IQ2_XS;
            IqGrids.Search.Tables t = search.tables();
            float[] weight = s.weight, waux = s.waux, xval = s.xval, scales = s.scales;
            byte[] block = s.block;

            float maxScale = 0;
            float sumx2 = 0;
            for (int i = 0; i < QK_K; i++) sumx2 += x[xo + i] * x[xo + i];
            float sigma2 = sumx2 / QK_K;

            for (int ib = 0; ib < QK_K / 16; ib++) {
                int xb = xo + 16 * ib;
                for (int i = 0; i < 16; i++) weight[i] = qw[qwo + 16 * ib + i] * (float) Math.sqrt(sigma2 + x[xb + i] * x[xb + i]);
                for (int i = 0; i < 16; i++) waux[i] = (float) Math.sqrt(weight[i]);
                splitSigns(x, xb, 2, weight, xval, s.blockSigns, true);
                float max = xval[0];
                for (int i = 1; i < 16; i++) max = cmax(max, xval[i]);
                Arrays.fill(s.L, 0, 16, (byte) 0);
                if (max < GgmlQuantMath.GROUP_MAX_EPS) {
                    scales[ib] = 0;
                    continue;
                }
                float scale = searchSubBlock16(search, t, type(), max, s);
                if (scale < 0) {
                    scale = -scale;
                    for (int k = 0; k < 2; k++) s.blockSigns[k] = ~s.blockSigns[k] & 127;
                }
                for (int k = 0; k < 2; k++) {
                    int gridIndex = t.map()[search.pack(s.L, 8 * k)];
                    if (gridIndex < 0) throw GridCodecs.searchFailed(type());
                    GridCodecs.putU16(block, 2 + 2 * (2 * ib + k), gridIndex | s.blockSigns[k] << 9);
                }
                scales[ib] = scale;
                maxScale = cmax(maxScale, scale);
            }
            if (maxScale == 0) {
                Arrays.fill(block, (byte) 0);
                return;
            }
            float d = maxScale / 31;
            GridCodecs.putU16(block, 0, Float.floatToFloat16(d));
            float id = 1 / d;
            for (int ib = 0; ib < QK_K / 16; ib++) {
                int l = nibbleScale(id, scales[ib]);
                if (ib % 2 == 0) block[66 + ib / 2] = (byte) l;
                else block[66 + ib / 2] |= (byte) (l << 4);
            }
        }

        @Override
        void dequantizeBlock(MemorySegment x, long b, float[] y, int yo) {
            float d = GridCodecs.half(x, b);
            for (int ib32 = 0; ib32 < QK_K / 32; ib32++) {
                int sc = GridCodecs.u8(x, b + 66 + ib32);
                float db0 = d * (0.5f + (sc & 0xf)) * 0.25f;
                float db1 = d * (0.5f + (sc >> 4)) * 0.25f;
                for (int l = 0; l < 4; l++) {
                    int q = GridCodecs.u16(x, b + 2 + 2L * (4 * ib32 + l));
                    decodeGroup(IqGrids.IQ2XS, q & 511, IqGrids.signs(q >> 9), l / 2 == 0 ? db0 : db1, y, yo + 32 * ib32 + 8 * l);
                }
            }
        }

        @Override
        int blockDot(MemorySegment x, long xb, MemorySegment y, long yb) {
            int bsum = 0;
            for (int ib32 = 0; ib32 < QK_K / 32; ib32++) {
                int sc = GridCodecs.u8(x, xb + 66 + ib32);
                int ls1 = 2 * (sc & 0xf) + 1;
                int ls2 = 2 * (sc >> 4) + 1;
                int sumi = 0;
                for (int l = 0; l < 2; l++) {
                    int q = GridCodecs.u16(x, xb + 2 + 2L * (4 * ib32 + l));
                    sumi += groupDot(IqGrids.IQ2XS, q & 511, IqGrids.signs(q >> 9), y, yb, 32 * ib32 + 8 * l);
                }
                bsum += sumi * ls1;
                sumi = 0;
                for (int l = 2; l < 4; l++) {
                    int q = GridCodecs.u16(x, xb + 2 + 2L * (4 * ib32 + l));
                    sumi += groupDot(IqGrids.IQ2XS, q & 511, IqGrids.signs(q >> 9), y, yb, 32 * ib32 + 8 * l);
                }
                bsum += sumi * ls2;
            }
            return bsum;
        }
    }

    private static final class Iq2S extends Iq2Codec {
        @Override public GgmlType type() { return GgmlType.IQ2_S; }

        @Override
        void quantizeBlock(float[] x, int xo, float[] qw, int qwo, Scratch s) {
            IqGrids.Search search = IqGrids.Search.IQ2_S;
            IqGrids.Search.Tables t = search.tables();
            float[] weight = s.weight, waux = s.waux, xval = s.xval, scales = s.scales;
            byte[] block = s.block;

            float maxScale = 0;
            float sumx2 = 0;
            for (int i = 0; i < QK_K; i++) sumx2 += x[xo + i] * x[xo + i];
            float sigma2 = 2 * sumx2 / QK_K;

            for (int ib = 0; ib < QK_K / 16; ib++) {
                int xb = xo + 16 * ib;
                if (qw != null) {
                    for (int i = 0; i < 16; i++) weight[i] = qw[qwo + 16 * ib + i] * (float) Math.sqrt(sigma2 + x[xb + i] * x[xb + i]);
                } else {
                    for (int i = 0; i < 16; i++) weight[i] = 0.25f * sigma2 + x[xb + i] * x[xb + i];
                }
                for (int i = 0; i < 16; i++) waux[i] = (float) Math.sqrt(weight[i]);
                splitSigns(x, xb, 2, weight, xval, s.blockSigns, false);
                float max = xval[0];
                for (int i = 1; i < 16; i++) max = cmax(max, xval[i]);
                Arrays.fill(s.L, 0, 16, (byte) 0);
                if (max < GROUP_MAX_EPS_IQ2_S) {
                    scales[ib] = 0;
                    continue;
                }
                float scale = searchSubBlock16(search, t, type(), max, s);
                if (scale < 0) {
                    scale = -scale;
                    for (int k = 0; k < 2; k++) s.blockSigns[k] = ~s.blockSigns[k] & 0xFF;
                }
                for (int k = 0; k < 2; k++) {
                    int gridIndex = t.map()[search.pack(s.L, 8 * k)];
                    if (gridIndex < 0) throw GridCodecs.searchFailed(type());
                    int i8 = 2 * ib + k;
                    block[2 + i8] = (byte) gridIndex;
                    block[66 + i8 / 4] |= (byte) ((gridIndex >> 8) << (2 * (i8 % 4)));
                    block[2 + QK_K / 8 + i8] = (byte) s.blockSigns[k];
                }
                scales[ib] = scale;
                maxScale = cmax(maxScale, scale);
            }
            if (maxScale == 0) return;
            float d = maxScale / 31;
            GridCodecs.putU16(block, 0, Float.floatToFloat16(d * 0.9875f));
            float id = 1 / d;
            for (int ib = 0; ib < QK_K / 16; ib++) {
                int l = nibbleScale(id, scales[ib]);
                if (ib % 2 == 0) block[74 + ib / 2] = (byte) l;
                else block[74 + ib / 2] |= (byte) (l << 4);
            }
        }

        private static int index(MemorySegment x, long b, int ib32, int l) {
            int qh = GridCodecs.u8(x, b + 66 + ib32);
            return GridCodecs.u8(x, b + 2 + 4L * ib32 + l) | ((qh << (8 - 2 * l)) & 0x300);
        }

        @Override
        void dequantizeBlock(MemorySegment x, long b, float[] y, int yo) {
            float d = GridCodecs.half(x, b);
            for (int ib32 = 0; ib32 < QK_K / 32; ib32++) {
                int sc = GridCodecs.u8(x, b + 74 + ib32);
                float db0 = d * (0.5f + (sc & 0xf)) * 0.25f;
                float db1 = d * (0.5f + (sc >> 4)) * 0.25f;
                for (int l = 0; l < 4; l++) {
                    int signs = GridCodecs.u8(x, b + 34 + 4L * ib32 + l);
                    decodeGroup(IqGrids.IQ2S, index(x, b, ib32, l), signs, l / 2 == 0 ? db0 : db1, y, yo + 32 * ib32 + 8 * l);
                }
            }
        }

        @Override
        int blockDot(MemorySegment x, long xb, MemorySegment y, long yb) {
            int bsum = 0;
            for (int ib32 = 0; ib32 < QK_K / 32; ib32++) {
                int sc = GridCodecs.u8(x, xb + 74 + ib32);
                int ls1 = 1 + 2 * (sc & 0xf);
                int ls2 = 1 + 2 * (sc >> 4);
                int sumi1 = 0, sumi2 = 0;
                for (int l = 0; l < 2; l++) {
                    sumi1 += groupDot(IqGrids.IQ2S, index(x, xb, ib32, l), GridCodecs.u8(x, xb + 34 + 4L * ib32 + l), y, yb, 32 * ib32 + 8 * l);
                }
                for (int l = 2; l < 4; l++) {
                    sumi2 += groupDot(IqGrids.IQ2S, index(x, xb, ib32, l), GridCodecs.u8(x, xb + 34 + 4L * ib32 + l), y, yb, 32 * ib32 + 8 * l);
                }
                bsum += ls1 * sumi1 + ls2 * sumi2;
            }
            return bsum;
        }
    }
}
