package dev.squint.core.codec;

import dev.squint.core.GgmlType;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

import static dev.squint.core.codec.GridCodecs.QK_K;
import static dev.squint.core.codec.GridCodecs.cmax;

/**
 * ggml's 3-bit grid quants IQ3_XXS and IQ3_S. Groups of 4 values are one point of a
 * 4-dimensional codebook ({@link IqGrids}: iq3xxs_grid, 256 points, coordinates
 * {4, 12, ..., 52, 62}; iq3s_grid, 512 points, coordinates {1, 3, ..., 15}), times a sign per
 * value and a scale per 32 values. Multi-byte fields little-endian; "d" is an F16.
 *
 * <h2>IQ3_XXS: 98 bytes per 256 values (3.06 bpw)</h2>
 * <pre>
 *   [0, 2)    d   (ggml stores max_scale/31 * 1.0125)
 *   [2, 66)   64 bytes: codebook index of each group of 4
 *   [66, 98)  8 u32, one per 32 values: bits 7l..7l+6 = sign code (ksigns_iq2xs) of the l-th
 *             8 values; bits 28..31 = scale s
 *   value = d * (0.5 + s) * 0.5 * grid[j] * sign[j]
 * </pre>
 * <h2>IQ3_S: 110 bytes per 256 values (3.44 bpw)</h2>
 * <pre>
 *   [0, 2)    d   (ggml stores max_scale/31 * 1.033)
 *   [2, 66)   64 bytes: low 8 bits of the codebook index of each group of 4
 *   [66, 74)  8 bytes, one per 32 values: bit k = 9th bit of the index of group k
 *   [74, 106) 32 bytes: sign bits of each 8 values (bit j set: value j negative)
 *   [106,110) 4 bytes, one per 64 values: low nibble scales the first 32, high nibble the next 32
 *   value = d * (1 + 2s) * grid[j] * sign[j]
 * </pre>
 * Quantization is ggml's {@code quantize_row_iq3_xxs_impl(256, ...)} and
 * {@code quantize_row_iq3_s_impl(32, ...)}. Both accept a missing importance matrix and then
 * weight each value by {@code x^2}, as ggml.
 * <p>Not verified against an official llama.cpp build (no shared reference vectors exist for these
 * types); verified bit-exact against ggml's C code compiled locally (see {@link GridCodecs}).
 */
final class Iq3Codecs {
    private Iq3Codecs() {}

    static final BlockCodec IQ3_XXS = new Iq3Xxs();
    static final BlockCodec IQ3_S = new Iq3S();

    private static final float GROUP_MAX_EPS_IQ3_XXS = 1e-8f;
    private static final int K_MAX_Q = 8;

    /** Per-row working arrays (ggml keeps them on the stack). */
    private static final class Scratch extends GridCodecs.GroupSearchScratch {
        final int[] scalesAndSigns = new int[8];

        Scratch(int blockBytes) {
            super(blockBytes, 8, 8);
        }
    }

    private abstract static class Iq3Codec extends GridCodecs.GridCodec<Scratch> {
        @Override
        Scratch newScratch() {
            return new Scratch(type().bytesPerBlock());
        }

        @Override
        public float dot(int n, MemorySegment x, long xOffset, MemorySegment y, long yOffset) {
            float sumf = sumScaledBlockDots(n, x, xOffset, y, yOffset, this::blockDot);
            return finalFactor(sumf);
        }

        abstract float finalFactor(float sumf);

        abstract int blockDot(MemorySegment x, long xb, MemorySegment y, long yb);

        /** The shared per-32 weights: importance-scaled, or {@code x^2} without an importance matrix. */
        static void weights(float[] x, int xb, float[] qw, int qwo, float sigma2, float[] weight, float[] waux) {
            if (qw != null) {
                for (int i = 0; i < 32; i++) weight[i] = qw[qwo + i] * (float) Math.sqrt(sigma2 + x[xb + i] * x[xb + i]);
            } else {
                for (int i = 0; i < 32; i++) weight[i] = x[xb + i] * x[xb + i];
            }
            for (int i = 0; i < 32; i++) waux[i] = (float) Math.sqrt(weight[i]);
        }

        /**
         * The scale search over one 32-value sub-block (8 groups of 4), shared by both types;
         * leaves the levels in {@code s.L} and returns the scale.
         *
         * @param steps       search steps each side of the nominal scale (ggml: 15 for XXS, 9 for S)
         * @param onGridStart the initial on-grid flags (ggml: true for XXS, false for S)
         * @param redoAll     whether the final pass re-rounds every group (S) or only off-grid ones (XXS)
         */
        float search(IqGrids.Search search, IqGrids.Search.Tables t, float max, int steps, boolean onGridStart,
                     boolean redoAll, Scratch s) {
            int[] map = t.map();
            float[] weight = s.weight, waux = s.waux, xval = s.xval, sq = s.sums;
            byte[] L = s.L, Laux = s.Laux;
            boolean[] onGrid = s.onGrid, onGridAux = s.onGridAux;
            float best = 0;
            float scale = max / (2 * K_MAX_Q - 1);
            Arrays.fill(onGrid, onGridStart);
            for (int is = -steps; is <= steps; ++is) {
                float id = (2 * K_MAX_Q - 1 + is * 0.2f) / max;
                float thisScale = 1 / id;
                for (int k = 0; k < 8; k++) {
                    roundGroup(xval, k, id, Laux);
                    int gridIndex = map[search.pack(Laux, 4 * k)];
                    onGridAux[k] = true;
                    if (gridIndex < 0) {
                        onGridAux[k] = false;
                        gridIndex = search.bestNeighbour(t, gridIndex, xval, 4 * k, waux, 4 * k, thisScale, Laux, 4 * k);
                        if (gridIndex < 0) throw GridCodecs.searchFailed(type());
                    }
                }
                sums(weight, xval, Laux, sq);
                float sumqx = sq[0], sumq2 = sq[1];
                if (sumq2 > 0 && sumqx * sumqx > best * sumq2) {
                    scale = sumqx / sumq2;
                    best = scale * sumqx;
                    System.arraycopy(Laux, 0, L, 0, 32);
                    System.arraycopy(onGridAux, 0, onGrid, 0, 8);
                }
            }
            int notOnGrid = 0;
            for (int k = 0; k < 8; k++) if (!onGrid[k]) ++notOnGrid;
            if (notOnGrid > 0 && scale > 0) {
                float id = 1 / scale;
                for (int k = 0; k < 8; k++) {
                    if (!redoAll && onGrid[k]) continue;
                    roundGroup(xval, k, id, Laux);
                    int gridIndex = map[search.pack(Laux, 4 * k)];
                    if (gridIndex < 0) {
                        gridIndex = search.bestNeighbour(t, gridIndex, xval, 4 * k, waux, 4 * k, scale, L, 4 * k);
                        if (gridIndex < 0) throw GridCodecs.searchFailed(type());
                    }
                    search.levelsOf(t, gridIndex, L, 4 * k);
                }
                sums(weight, xval, L, sq);
                if (sq[1] > 0) scale = sq[0] / sq[1];
            }
            return scale;
        }

        static void roundGroup(float[] xval, int k, float id, byte[] L) {
            for (int i = 0; i < 4; i++) {
                int l = GgmlQuantMath.nearestInt(0.5f * (id * xval[4 * k + i] - 1));
                L[4 * k + i] = (byte) Math.max(0, Math.min(K_MAX_Q - 1, l));
            }
        }

        static void sums(float[] weight, float[] xval, byte[] L, float[] out) {
            float sumqx = 0, sumq2 = 0;
            for (int i = 0; i < 32; i++) {
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

        static void decodeHalf(byte[] grid, int point, int signs, int firstBit, float db, float[] y, int yo) {
            for (int j = 0; j < 4; j++) {
                y[yo + j] = db * (grid[point * 4 + j] & 0xFF) * ((signs & IqGrids.KMASK[firstBit + j]) != 0 ? -1.f : 1.f);
            }
        }

        static int halfDot(byte[] grid, int point, int signs, int firstBit, MemorySegment y, long yb, int q8) {
            int sumi = 0;
            for (int j = 0; j < 4; j++) {
                sumi += (grid[point * 4 + j] & 0xFF) * GridCodecs.q8kValue(y, yb, q8 + j)
                        * ((signs & IqGrids.KMASK[firstBit + j]) != 0 ? -1 : 1);
            }
            return sumi;
        }
    }

    private static final class Iq3Xxs extends Iq3Codec {
        @Override public GgmlType type() { return GgmlType.IQ3_XXS; }

        @Override
        void quantizeBlock(float[] x, int xo, float[] qw, int qwo, Scratch s) {
            IqGrids.Search search = IqGrids.Search.IQ3_XXS;
            IqGrids.Search.Tables t = search.tables();
            float[] xval = s.xval, scales = s.scales;
            byte[] block = s.block;
            int[] scalesAndSigns = s.scalesAndSigns;
            Arrays.fill(scalesAndSigns, 0);

            float maxScale = 0;
            float sumx2 = 0;
            for (int i = 0; i < QK_K; i++) sumx2 += x[xo + i] * x[xo + i];
            float sigma2 = 2 * sumx2 / QK_K;

            for (int ib = 0; ib < QK_K / 32; ib++) {
                int xb = xo + 32 * ib;
                weights(x, xb, qw, qwo + 32 * ib, sigma2, s.weight, s.waux);
                Iq2Codecs.splitSigns(x, xb, 4, s.weight, xval, s.blockSigns, true);
                float max = xval[0];
                for (int i = 1; i < 32; i++) max = cmax(max, xval[i]);
                Arrays.fill(s.L, (byte) 0);
                if (max < GROUP_MAX_EPS_IQ3_XXS) {
                    scales[ib] = 0;
                    continue;
                }
                float scale = search(search, t, max, 15, true, false, s);
                if (scale < 0) {
                    // ggml: cannot happen; it flips the four sign codes to keep the scale unsigned.
                    scale = -scale;
                    for (int k = 0; k < 4; k++) s.blockSigns[k] = ~s.blockSigns[k] & 127;
                }
                for (int k = 0; k < 8; k++) {
                    int gridIndex = t.map()[search.pack(s.L, 4 * k)];
                    if (gridIndex < 0) throw GridCodecs.searchFailed(type());
                    block[2 + 8 * ib + k] = (byte) gridIndex;
                }
                scalesAndSigns[ib] = s.blockSigns[0] | s.blockSigns[1] << 7 | s.blockSigns[2] << 14 | s.blockSigns[3] << 21;
                scales[ib] = scale;
                maxScale = cmax(maxScale, scale);
            }
            if (maxScale == 0) {
                Arrays.fill(block, (byte) 0);
                return;
            }
            float d = maxScale / 31;
            GridCodecs.putU16(block, 0, Float.floatToFloat16(d * 1.0125f));
            float id = 1 / d;
            for (int ib = 0; ib < QK_K / 32; ib++) {
                scalesAndSigns[ib] |= nibbleScale(id, scales[ib]) << 28;
                GridCodecs.putU32(block, 66 + 4 * ib, scalesAndSigns[ib]);
            }
        }

        @Override
        void dequantizeBlock(MemorySegment x, long b, float[] y, int yo) {
            float d = GridCodecs.half(x, b);
            for (int ib32 = 0; ib32 < QK_K / 32; ib32++) {
                int aux = x.get(GridCodecs.LE_INT, b + 66 + 4L * ib32);
                float db = d * (0.5f + (aux >>> 28)) * 0.5f;
                for (int l = 0; l < 4; l++) {
                    int signs = IqGrids.signs((aux >>> (7 * l)) & 127);
                    int yy = yo + 32 * ib32 + 8 * l;
                    decodeHalf(IqGrids.IQ3XXS, GridCodecs.u8(x, b + 2 + 8L * ib32 + 2 * l), signs, 0, db, y, yy);
                    decodeHalf(IqGrids.IQ3XXS, GridCodecs.u8(x, b + 2 + 8L * ib32 + 2 * l + 1), signs, 4, db, y, yy + 4);
                }
            }
        }

        @Override
        float finalFactor(float sumf) {
            return 0.25f * sumf;
        }

        @Override
        int blockDot(MemorySegment x, long xb, MemorySegment y, long yb) {
            int bsum = 0;
            for (int ib32 = 0; ib32 < QK_K / 32; ib32++) {
                int aux = x.get(GridCodecs.LE_INT, xb + 66 + 4L * ib32);
                int ls = 2 * (aux >>> 28) + 1;
                int sumi = 0;
                for (int l = 0; l < 4; l++) {
                    int signs = IqGrids.signs((aux >>> (7 * l)) & 127);
                    int q8 = 32 * ib32 + 8 * l;
                    sumi += halfDot(IqGrids.IQ3XXS, GridCodecs.u8(x, xb + 2 + 8L * ib32 + 2 * l), signs, 0, y, yb, q8);
                    sumi += halfDot(IqGrids.IQ3XXS, GridCodecs.u8(x, xb + 2 + 8L * ib32 + 2 * l + 1), signs, 4, y, yb, q8 + 4);
                }
                bsum += sumi * ls;
            }
            return bsum;
        }
    }

    private static final class Iq3S extends Iq3Codec {
        @Override public GgmlType type() { return GgmlType.IQ3_S; }

        @Override
        void quantizeBlock(float[] x, int xo, float[] qw, int qwo, Scratch s) {
            IqGrids.Search search = IqGrids.Search.IQ3_S;
            IqGrids.Search.Tables t = search.tables();
            float[] xval = s.xval, scales = s.scales;
            byte[] block = s.block;

            float maxScale = 0;
            float sumx2 = 0;
            for (int i = 0; i < QK_K; i++) sumx2 += x[xo + i] * x[xo + i];
            float sigma2 = 2 * sumx2 / QK_K;

            for (int ib = 0; ib < QK_K / 32; ib++) {
                int xb = xo + 32 * ib;
                weights(x, xb, qw, qwo + 32 * ib, sigma2, s.weight, s.waux);
                Iq2Codecs.splitSigns(x, xb, 4, s.weight, xval, s.blockSigns, false);
                float max = xval[0];
                for (int i = 1; i < 32; i++) max = cmax(max, xval[i]);
                Arrays.fill(s.L, (byte) 0);
                if (max == 0) {
                    scales[ib] = 0;
                    continue;
                }
                float scale = search(search, t, max, 9, false, true, s);
                if (scale < 0) {
                    scale = -scale;
                    for (int k = 0; k < 4; k++) s.blockSigns[k] = ~s.blockSigns[k] & 0xFF;
                }
                for (int k = 0; k < 8; k++) {
                    int gridIndex = t.map()[search.pack(s.L, 4 * k)];
                    if (gridIndex < 0) throw GridCodecs.searchFailed(type());
                    block[2 + 8 * ib + k] = (byte) gridIndex;
                    block[66 + ib] |= (byte) ((gridIndex >> 8) << k);
                }
                for (int k = 0; k < 4; k++) block[74 + 4 * ib + k] = (byte) s.blockSigns[k];
                scales[ib] = scale;
                maxScale = cmax(maxScale, scale);
            }
            if (maxScale == 0) return;
            float d = maxScale / 31;
            GridCodecs.putU16(block, 0, Float.floatToFloat16(d * 1.033f));
            float id = 1 / d;
            for (int ib = 0; ib < QK_K / 32; ib += 2) {
                int l1 = nibbleScale(id, scales[ib]);
                int l2 = nibbleScale(id, scales[ib + 1]);
                block[106 + ib / 2] = (byte) (l1 | l2 << 4);
            }
        }

        private static int index(MemorySegment x, long b, int ib, int g) {
            int qh = GridCodecs.u8(x, b + 66 + ib);
            return GridCodecs.u8(x, b + 2 + 8L * ib + g) | ((qh << (8 - g)) & 256);
        }

        @Override
        void dequantizeBlock(MemorySegment x, long b, float[] y, int yo) {
            float d = GridCodecs.half(x, b);
            for (int ib = 0; ib < QK_K / 32; ib++) {
                int sc = GridCodecs.u8(x, b + 106 + ib / 2);
                float db = d * (1 + 2 * ((ib % 2 == 0 ? sc : sc >> 4) & 0xf));
                for (int l = 0; l < 4; l++) {
                    int signs = GridCodecs.u8(x, b + 74 + 4L * ib + l);
                    int yy = yo + 32 * ib + 8 * l;
                    decodeHalf(IqGrids.IQ3S, index(x, b, ib, 2 * l), signs, 0, db, y, yy);
                    decodeHalf(IqGrids.IQ3S, index(x, b, ib, 2 * l + 1), signs, 4, db, y, yy + 4);
                }
            }
        }

        @Override
        float finalFactor(float sumf) {
            return sumf;
        }

        @Override
        int blockDot(MemorySegment x, long xb, MemorySegment y, long yb) {
            int bsum = 0;
            for (int ib = 0; ib < QK_K / 32; ib++) {
                int sc = GridCodecs.u8(x, xb + 106 + ib / 2);
                int ls = 2 * ((ib % 2 == 0 ? sc : sc >> 4) & 0xf) + 1;
                int sumi = 0;
                for (int l = 0; l < 4; l++) {
                    int signs = GridCodecs.u8(x, xb + 74 + 4L * ib + l);
                    int q8 = 32 * ib + 8 * l;
                    sumi += halfDot(IqGrids.IQ3S, index(x, xb, ib, 2 * l), signs, 0, y, yb, q8);
                    sumi += halfDot(IqGrids.IQ3S, index(x, xb, ib, 2 * l + 1), signs, 4, y, yb, q8 + 4);
                }
                bsum += sumi * ls;
            }
            return bsum;
        }
    }
}
