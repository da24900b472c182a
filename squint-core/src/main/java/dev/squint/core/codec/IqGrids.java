package dev.squint.core.codec;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * The codebooks of ggml's grid i-quants, and the search structures ggml builds from them in
 * {@code iq2xs_init_impl} / {@code iq3xs_init_impl}.
 *
 * <h2>Codebooks</h2>
 * The resource {@code iq-grids.bin} (33,920 bytes, SHA-256 checked by a test) holds ggml-common.h's
 * tables byte for byte, each entry little-endian, in this order:
 * <pre>
 *   ksigns_iq2xs  128 x u8   7 sign bits + an 8th that makes the number of set bits even
 *   iq2xxs_grid   256 x u64  8 unsigned bytes per point, values {8, 25, 43}
 *   iq2xs_grid    512 x u64  same values
 *   iq2s_grid    1024 x u64  same values
 *   iq3xxs_grid   256 x u32  4 unsigned bytes per point, values {4, 12, ..., 52, 62}
 *   iq3s_grid     512 x u32  4 unsigned bytes per point, values {1, 3, ..., 15}
 *   iq1s_grid    2048 x u64  8 signed bytes per point, values {-1, 0, 1}
 * </pre>
 * Byte {@code j} of an entry is the value of element {@code j} of the group. Each is stored here
 * flattened as {@code byte[points * groupSize]}. {@code kmask_iq2xs[j]} is {@code 1 << j}.
 *
 * <h2>Search structures</h2>
 * ggml quantizes on an integer lattice: element level {@code l} (0..2 for the 2-bit and 1-bit grids,
 * 0..7 for the 3-bit grids) stands for the odd number {@code 2l+1}. A group's levels pack into a map
 * index ({@code 2} or {@code 3} bits per element, element 0 lowest). The map sends an index that is a
 * codebook point to the point's number, and any other index to a list of the codebook points nearest
 * to it (all points at the {@code nwant} smallest squared distances, by distance then number). ggml's
 * static {@code kgrid_*} tables are these level packings; the level of a codebook byte is its rank
 * among the distinct byte values of its table, which reproduces them (checked by a test against a
 * fingerprint of ggml's structures). Built on first use, once, thread-safely.
 */
final class IqGrids {
    private IqGrids() {}

    static final int[] KMASK = {1, 2, 4, 8, 16, 32, 64, 128};

    static final byte[] KSIGNS = new byte[128];
    static final byte[] IQ2XXS = new byte[256 * 8];
    static final byte[] IQ2XS = new byte[512 * 8];
    static final byte[] IQ2S = new byte[1024 * 8];
    static final byte[] IQ3XXS = new byte[256 * 4];
    static final byte[] IQ3S = new byte[512 * 4];
    static final byte[] IQ1S = new byte[2048 * 8];

    static final String RESOURCE = "iq-grids.bin";
    static final int RESOURCE_BYTES = 33_920;

    static {
        try (InputStream in = IqGrids.class.getResourceAsStream(RESOURCE)) {
            if (in == null) throw new IllegalStateException("missing resource " + RESOURCE + " next to " + IqGrids.class.getName());
            byte[] all = in.readAllBytes();
            if (all.length != RESOURCE_BYTES) {
                throw new IllegalStateException("resource " + RESOURCE + " has " + all.length + " bytes, expected " + RESOURCE_BYTES);
            }
            int pos = 0;
            for (byte[] table : new byte[][] {KSIGNS, IQ2XXS, IQ2XS, IQ2S, IQ3XXS, IQ3S, IQ1S}) {
                System.arraycopy(all, pos, table, 0, table.length);
                pos += table.length;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE, e);
        }
    }

    /** Sign byte of a 7-bit packed sign code: bit j set means element j is negative. */
    static int signs(int code7) {
        return KSIGNS[code7] & 0xFF;
    }

    /**
     * The lazily built search structures of one codebook, as ggml's {@code iq2_data[]} / {@code iq3_data[]}.
     * The four IQ2 codebook users and IQ1_S/IQ1_M (which share one) each have their own neighbour
     * depth ({@code nwant}), as in ggml.
     */
    enum Search {
        IQ2_XXS(IQ2XXS, 8, 2, 2),
        IQ2_XS(IQ2XS, 8, 2, 2),
        IQ2_S(IQ2S, 8, 2, 1),
        IQ1(IQ1S, 8, 2, 3),
        IQ3_XXS(IQ3XXS, 4, 3, 2),
        IQ3_S(IQ3S, 4, 3, 3);

        private final byte[] codebook;
        final int groupSize;
        final int bitsPerLevel;
        private final int nwant;
        private volatile Tables tables;

        Search(byte[] codebook, int groupSize, int bitsPerLevel, int nwant) {
            this.codebook = codebook;
            this.groupSize = groupSize;
            this.bitsPerLevel = bitsPerLevel;
            this.nwant = nwant;
        }

        /**
         * @param lattice    per point, {@code groupSize} bytes {@code 2l+1} (ggml's {@code kgrid_q2xs}/{@code kgrid_q3xs})
         * @param map        per map index: the point number, or {@code -(offset+1)} of its neighbour list
         * @param neighbours lists, each a count followed by that many point numbers
         */
        record Tables(byte[] lattice, int[] map, char[] neighbours) {}

        Tables tables() {
            Tables t = tables;
            if (t == null) {
                synchronized (this) {
                    t = tables;
                    if (t == null) {
                        t = build();
                        tables = t;
                    }
                }
            }
            return t;
        }

        int points() {
            return codebook.length / groupSize;
        }

        /** Packs the levels {@code L[lo..lo+groupSize)} into a map index. */
        int pack(byte[] L, int lo) {
            int u = 0;
            for (int i = 0; i < groupSize; i++) u |= L[lo + i] << (bitsPerLevel * i);
            return u;
        }

        /**
         * ggml's {@code iq2_find_best_neighbour} / {@code iq3_find_best_neighbour}: among the neighbours
         * listed for an off-grid map entry, the point with the least weighted squared error at
         * {@code scale}; writes its levels to {@code L[lo..]}.
         *
         * @return the point number, or -1 if every candidate's error overflowed (ggml asserts there)
         */
        int bestNeighbour(Tables t, int mapValue, float[] xval, int xo, float[] weight, int wo,
                          float scale, byte[] L, int lo) {
            char[] nb = t.neighbours();
            byte[] lattice = t.lattice();
            int start = -mapValue - 1;
            int count = nb[start];
            float bestD2 = Float.MAX_VALUE;
            int gridIndex = -1;
            for (int j = 1; j <= count; j++) {
                int p = nb[start + j];
                int base = p * groupSize;
                float d2 = 0;
                for (int i = 0; i < groupSize; i++) {
                    float q = lattice[base + i];
                    float diff = scale * q - xval[xo + i];
                    d2 += weight[wo + i] * diff * diff;
                }
                if (d2 < bestD2) {
                    bestD2 = d2;
                    gridIndex = p;
                }
            }
            if (gridIndex >= 0) levelsOf(t, gridIndex, L, lo);
            return gridIndex;
        }

        /** Writes the levels of point {@code p} to {@code L[lo..]}. */
        void levelsOf(Tables t, int p, byte[] L, int lo) {
            byte[] lattice = t.lattice();
            for (int i = 0; i < groupSize; i++) L[lo + i] = (byte) ((lattice[p * groupSize + i] - 1) / 2);
        }

        /** ggml's {@code kmap_size}: one past the largest index whose levels are all at most the top level. */
        int mapSize() {
            return bitsPerLevel == 2 ? 43692 : 4096;
        }

        Tables build() {
            int points = points();
            // Rank each distinct codebook byte: that rank is the lattice level.
            boolean[] seen = new boolean[256];
            for (byte b : codebook) seen[b & 0xFF] = true;
            int[] levelOf = new int[256];
            // Signed order for the IQ1 grid (-1 < 0 < 1), unsigned for the others: all IQ1 bytes
            // are -1, 0 or 1 and all other bytes are below 128, so signed order works for both.
            int rank = 0;
            for (int v = -128; v < 128; v++) {
                if (seen[v & 0xFF]) levelOf[v & 0xFF] = rank++;
            }
            byte[] lattice = new byte[codebook.length];
            for (int i = 0; i < codebook.length; i++) lattice[i] = (byte) (2 * levelOf[codebook[i] & 0xFF] + 1);

            int mapSize = mapSize();
            int[] map = new int[mapSize];
            java.util.Arrays.fill(map, -1);
            for (int p = 0; p < points; p++) {
                int index = 0;
                for (int k = 0; k < groupSize; k++) {
                    index |= ((lattice[p * groupSize + k] - 1) / 2) << (bitsPerLevel * k);
                }
                map[index] = p;
            }

            int levelMask = (1 << bitsPerLevel) - 1;
            int[] dist = new int[points];
            int[] pos = new int[groupSize];
            int[] cutoffs = new int[nwant];
            char[] out = new char[1 << 16];
            int used = 0;
            for (int i = 0; i < mapSize; i++) {
                if (map[i] >= 0) continue;
                for (int k = 0; k < groupSize; k++) pos[k] = 2 * ((i >> (bitsPerLevel * k)) & levelMask) + 1;
                for (int p = 0; p < points; p++) {
                    int d2 = 0;
                    int base = p * groupSize;
                    for (int k = 0; k < groupSize; k++) {
                        int diff = lattice[base + k] - pos[k];
                        d2 += diff * diff;
                    }
                    dist[p] = d2;
                }
                // ggml sorts by (distance, number) and keeps every point at the nwant smallest distances.
                int distinct = 0;
                int floor = Integer.MIN_VALUE;
                while (distinct < nwant) {
                    int next = Integer.MAX_VALUE;
                    for (int p = 0; p < points; p++) {
                        int d = dist[p];
                        if (d > floor && d < next) next = d;
                    }
                    if (next == Integer.MAX_VALUE) break;
                    cutoffs[distinct++] = next;
                    floor = next;
                }
                if (used + 1 + points > out.length) out = java.util.Arrays.copyOf(out, Math.max(out.length * 2, used + 1 + points));
                int start = used++;
                int n = 0;
                for (int c = 0; c < distinct; c++) {
                    int want = cutoffs[c];
                    for (int p = 0; p < points; p++) {
                        if (dist[p] == want) {
                            out[used++] = (char) p;
                            n++;
                        }
                    }
                }
                out[start] = (char) n;
                map[i] = -(start + 1);
            }
            return new Tables(lattice, map, java.util.Arrays.copyOf(out, used));
        }
    }
}
