package dev.squint.core.codec;

import dev.squint.core.GgmlType;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Dequantization of hand-built blocks: each test writes random field values at the positions the
 * codec's layout documentation gives, computes the expected values from the grid and the formula, and
 * checks the codec decodes exactly those (bit for bit), over several blocks in one row.
 */
class GridBlockLayoutTest {
    static final int BLOCKS = 3;

    static float grid8u(byte[] grid, int point, int j) {
        return grid[point * 8 + j] & 0xFF;
    }

    /** The 8 signs of a 7-bit code: the 8th makes the count of negatives even. */
    static int signsOf(int code7) {
        return code7 | (Integer.bitCount(code7) & 1) << 7;
    }

    static float sign(int signs, int j) {
        return (signs >> j & 1) != 0 ? -1.f : 1.f;
    }

    static short randomScale(SplittableRandom rnd) {
        return Float.floatToFloat16((float) (rnd.nextDouble(0.001, 0.1)));
    }

    static void check(GgmlType type, ByteBuffer blocks, float[] expected) {
        float[] got = new float[expected.length];
        Codecs.of(type).dequantizeRow(MemorySegment.ofArray(blocks.array()), 0, got, 0, expected.length);
        for (int i = 0; i < expected.length; i++) {
            assertThat(Float.floatToRawIntBits(got[i])).as("%s value %d: %s, expected %s", type, i, got[i], expected[i])
                    .isEqualTo(Float.floatToRawIntBits(expected[i]));
        }
    }

    static ByteBuffer buffer(GgmlType type) {
        return ByteBuffer.allocate(BLOCKS * type.bytesPerBlock()).order(ByteOrder.LITTLE_ENDIAN);
    }

    @Test
    void iq2xxs() {
        GgmlType type = GgmlType.IQ2_XXS;
        SplittableRandom rnd = new SplittableRandom(1);
        ByteBuffer b = buffer(type);
        float[] expected = new float[256 * BLOCKS];
        for (int blk = 0; blk < BLOCKS; blk++) {
            int base = blk * 66;
            short dh = randomScale(rnd);
            b.putShort(base, dh);
            float d = Float.float16ToFloat(dh);
            for (int ib = 0; ib < 8; ib++) {
                int s = rnd.nextInt(16);
                int codes = 0;
                float db = d * (0.5f + s) * 0.25f;
                for (int l = 0; l < 4; l++) {
                    int point = rnd.nextInt(256);
                    int code = rnd.nextInt(128);
                    b.put(base + 2 + 8 * ib + l, (byte) point);
                    codes |= code << (7 * l);
                    for (int j = 0; j < 8; j++) {
                        expected[256 * blk + 32 * ib + 8 * l + j] = db * grid8u(IqGrids.IQ2XXS, point, j) * sign(signsOf(code), j);
                    }
                }
                b.putInt(base + 6 + 8 * ib, codes | s << 28);
            }
        }
        check(type, b, expected);
    }

    @Test
    void iq2xs() {
        GgmlType type = GgmlType.IQ2_XS;
        SplittableRandom rnd = new SplittableRandom(2);
        ByteBuffer b = buffer(type);
        float[] expected = new float[256 * BLOCKS];
        for (int blk = 0; blk < BLOCKS; blk++) {
            int base = blk * 74;
            short dh = randomScale(rnd);
            b.putShort(base, dh);
            float d = Float.float16ToFloat(dh);
            for (int ib = 0; ib < 8; ib++) {
                int s0 = rnd.nextInt(16), s1 = rnd.nextInt(16);
                b.put(base + 66 + ib, (byte) (s0 | s1 << 4));
                for (int l = 0; l < 4; l++) {
                    int point = rnd.nextInt(512);
                    int code = rnd.nextInt(128);
                    b.putShort(base + 2 + 2 * (4 * ib + l), (short) (point | code << 9));
                    float db = d * (0.5f + (l < 2 ? s0 : s1)) * 0.25f;
                    for (int j = 0; j < 8; j++) {
                        expected[256 * blk + 32 * ib + 8 * l + j] = db * grid8u(IqGrids.IQ2XS, point, j) * sign(signsOf(code), j);
                    }
                }
            }
        }
        check(type, b, expected);
    }

    @Test
    void iq2s() {
        GgmlType type = GgmlType.IQ2_S;
        SplittableRandom rnd = new SplittableRandom(3);
        ByteBuffer b = buffer(type);
        float[] expected = new float[256 * BLOCKS];
        for (int blk = 0; blk < BLOCKS; blk++) {
            int base = blk * 82;
            short dh = randomScale(rnd);
            b.putShort(base, dh);
            float d = Float.float16ToFloat(dh);
            for (int ib = 0; ib < 8; ib++) {
                int s0 = rnd.nextInt(16), s1 = rnd.nextInt(16);
                b.put(base + 74 + ib, (byte) (s0 | s1 << 4));
                int qh = 0;
                for (int l = 0; l < 4; l++) {
                    int point = rnd.nextInt(1024);
                    int signs = rnd.nextInt(256);
                    b.put(base + 2 + 4 * ib + l, (byte) point);
                    b.put(base + 34 + 4 * ib + l, (byte) signs);
                    qh |= (point >> 8) << (2 * l);
                    float db = d * (0.5f + (l < 2 ? s0 : s1)) * 0.25f;
                    for (int j = 0; j < 8; j++) {
                        expected[256 * blk + 32 * ib + 8 * l + j] = db * grid8u(IqGrids.IQ2S, point, j) * sign(signs, j);
                    }
                }
                b.put(base + 66 + ib, (byte) qh);
            }
        }
        check(type, b, expected);
    }

    @Test
    void iq3xxs() {
        GgmlType type = GgmlType.IQ3_XXS;
        SplittableRandom rnd = new SplittableRandom(4);
        ByteBuffer b = buffer(type);
        float[] expected = new float[256 * BLOCKS];
        for (int blk = 0; blk < BLOCKS; blk++) {
            int base = blk * 98;
            short dh = randomScale(rnd);
            b.putShort(base, dh);
            float d = Float.float16ToFloat(dh);
            for (int ib = 0; ib < 8; ib++) {
                int s = rnd.nextInt(16);
                float db = d * (0.5f + s) * 0.5f;
                int codes = 0;
                for (int l = 0; l < 4; l++) {
                    int code = rnd.nextInt(128);
                    codes |= code << (7 * l);
                    for (int half = 0; half < 2; half++) {
                        int point = rnd.nextInt(256);
                        b.put(base + 2 + 8 * ib + 2 * l + half, (byte) point);
                        for (int j = 0; j < 4; j++) {
                            expected[256 * blk + 32 * ib + 8 * l + 4 * half + j] =
                                    db * (IqGrids.IQ3XXS[4 * point + j] & 0xFF) * sign(signsOf(code), 4 * half + j);
                        }
                    }
                }
                b.putInt(base + 66 + 4 * ib, codes | s << 28);
            }
        }
        check(type, b, expected);
    }

    @Test
    void iq3s() {
        GgmlType type = GgmlType.IQ3_S;
        SplittableRandom rnd = new SplittableRandom(5);
        ByteBuffer b = buffer(type);
        float[] expected = new float[256 * BLOCKS];
        for (int blk = 0; blk < BLOCKS; blk++) {
            int base = blk * 110;
            short dh = randomScale(rnd);
            b.putShort(base, dh);
            float d = Float.float16ToFloat(dh);
            int[] s = new int[8];
            for (int ib = 0; ib < 8; ib++) s[ib] = rnd.nextInt(16);
            for (int k = 0; k < 4; k++) b.put(base + 106 + k, (byte) (s[2 * k] | s[2 * k + 1] << 4));
            for (int ib = 0; ib < 8; ib++) {
                float db = d * (1 + 2 * s[ib]);
                int qh = 0;
                for (int g = 0; g < 8; g++) {
                    int point = rnd.nextInt(512);
                    b.put(base + 2 + 8 * ib + g, (byte) point);
                    qh |= (point >> 8) << g;
                    int signs = g % 2 == 0 ? rnd.nextInt(256) : b.get(base + 74 + 4 * ib + g / 2) & 0xFF;
                    b.put(base + 74 + 4 * ib + g / 2, (byte) signs);
                    for (int j = 0; j < 4; j++) {
                        expected[256 * blk + 32 * ib + 4 * g + j] = db * (IqGrids.IQ3S[4 * point + j] & 0xFF) * sign(signs, 4 * (g % 2) + j);
                    }
                }
                b.put(base + 66 + ib, (byte) qh);
            }
        }
        check(type, b, expected);
    }

    @Test
    void iq1s() {
        GgmlType type = GgmlType.IQ1_S;
        SplittableRandom rnd = new SplittableRandom(6);
        ByteBuffer b = buffer(type);
        float[] expected = new float[256 * BLOCKS];
        for (int blk = 0; blk < BLOCKS; blk++) {
            int base = blk * 50;
            short dh = randomScale(rnd);
            b.putShort(base, dh);
            float d = Float.float16ToFloat(dh);
            for (int ib = 0; ib < 8; ib++) {
                int s = rnd.nextInt(8);
                boolean minus = rnd.nextBoolean();
                int qh = s << 12 | (minus ? 0x8000 : 0);
                float dl = d * (2 * s + 1);
                float delta = minus ? -0.125f : 0.125f;
                for (int l = 0; l < 4; l++) {
                    int point = rnd.nextInt(2048);
                    b.put(base + 2 + 4 * ib + l, (byte) point);
                    qh |= (point >> 8) << (3 * l);
                    for (int j = 0; j < 8; j++) expected[256 * blk + 32 * ib + 8 * l + j] = dl * (IqGrids.IQ1S[8 * point + j] + delta);
                }
                b.putShort(base + 34 + 2 * ib, (short) qh);
            }
        }
        check(type, b, expected);
    }

    @Test
    void iq1m() {
        GgmlType type = GgmlType.IQ1_M;
        SplittableRandom rnd = new SplittableRandom(7);
        ByteBuffer b = buffer(type);
        float[] expected = new float[256 * BLOCKS];
        for (int blk = 0; blk < BLOCKS; blk++) {
            int base = blk * 56;
            short dh = randomScale(rnd);
            float d = Float.float16ToFloat(dh);
            int[] sc = new int[4];
            for (int k = 0; k < 4; k++) sc[k] = ((dh >> (4 * k)) & 0xF) << 12;
            for (int sub = 0; sub < 16; sub++) {
                int s = rnd.nextInt(8);
                sc[sub / 4] |= s << (3 * (sub % 4));
                float dl = d * (2 * s + 1);
                int qh = 0;
                for (int g = 0; g < 2; g++) {
                    int point = rnd.nextInt(2048);
                    boolean minus = rnd.nextBoolean();
                    b.put(base + 2 * sub + g, (byte) point);
                    qh |= ((point >> 8) | (minus ? 8 : 0)) << (4 * g);
                    float delta = minus ? -0.125f : 0.125f;
                    for (int j = 0; j < 8; j++) expected[256 * blk + 16 * sub + 8 * g + j] = dl * (IqGrids.IQ1S[8 * point + j] + delta);
                }
                b.put(base + 32 + sub, (byte) qh);
            }
            for (int k = 0; k < 4; k++) b.putShort(base + 48 + 2 * k, (short) sc[k]);
        }
        check(type, b, expected);
    }
}
