package dev.squint.core.codec;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

class GgmlQuantMathTest {

    @Test
    void nearestIntRoundsHalfToEvenLikeRint() {
        SplittableRandom rnd = new SplittableRandom(11);
        for (int i = 0; i < 100_000; i++) {
            float v = (float) ((rnd.nextDouble() * 2 - 1) * 4_000_000);
            assertThat(GgmlQuantMath.nearestInt(v)).as("v=%s", v).isEqualTo((int) Math.rint(v));
        }
        assertThat(GgmlQuantMath.nearestInt(0.5f)).isZero();
        assertThat(GgmlQuantMath.nearestInt(1.5f)).isEqualTo(2);
        assertThat(GgmlQuantMath.nearestInt(-2.5f)).isEqualTo(-2);
        assertThat(GgmlQuantMath.nearestInt(-0.49f)).isZero();
    }

    @Test
    void makeQxQuantsReconstructsAndStaysInRange() {
        SplittableRandom rnd = new SplittableRandom(3);
        float[] x = new float[32];
        for (int i = 0; i < x.length; i++) x[i] = (float) (rnd.nextDouble() * 2 - 1);
        byte[] L = new byte[32];
        float d = GgmlQuantMath.makeQxQuants(32, 8, x, 0, L, 0, 1, null, 0);
        double err = 0, energy = 0;
        for (int i = 0; i < 32; i++) {
            assertThat(L[i]).isBetween((byte) 0, (byte) 15);
            double r = d * (L[i] - 8);
            err += (r - x[i]) * (r - x[i]);
            energy += x[i] * x[i];
        }
        assertThat(err / energy).isLessThan(0.02);
    }

    @Test
    void makeQxQuantsOfZerosIsZero() {
        float[] x = new float[16];
        byte[] L = new byte[16];
        java.util.Arrays.fill(L, (byte) 7);
        assertThat(GgmlQuantMath.makeQxQuants(16, 4, x, 0, L, 0, 1, null, 0)).isZero();
        assertThat(L).containsOnly((byte) 0);
    }

    @Test
    void makeQkx3WithNullWeightsEqualsExplicitSquaredWeights() {
        SplittableRandom rnd = new SplittableRandom(5);
        float[] x = new float[40];
        for (int i = 0; i < x.length; i++) x[i] = (float) (rnd.nextGaussian());
        float[] w = new float[32];
        for (int i = 0; i < 32; i++) w[i] = x[8 + i] * x[8 + i];
        byte[] l1 = new byte[32], l2 = new byte[32], aux = new byte[32];
        float[] mins = new float[2];
        float s1 = GgmlQuantMath.makeQkx3Quants(32, 15, x, 8, null, 0, l1, 0, mins, 0, aux, -0.9f, 0.05f, 36, false);
        float s2 = GgmlQuantMath.makeQkx3Quants(32, 15, x, 8, w, 0, l2, 0, mins, 1, aux, -0.9f, 0.05f, 36, false);
        assertThat(Float.floatToRawIntBits(s1)).isEqualTo(Float.floatToRawIntBits(s2));
        assertThat(mins[0]).isEqualTo(mins[1]).isGreaterThanOrEqualTo(0f);
        assertThat(l1).isEqualTo(l2);
        for (byte b : l1) assertThat(b & 0xFF).isBetween(0, 15);
    }

    @Test
    void makeQpQuantsKeepsLevelsWithinNmax() {
        float[] x = {0.1f, 0.5f, 0.25f, 1.0f, 0.0f, 0.75f, 0.3f, 0.9f};
        float[] w = {1, 2, 1, 3, 1, 1, 2, 1};
        byte[] L = new byte[8];
        float d = GgmlQuantMath.makeQpQuants(8, 63, x, 0, L, 0, w, 0);
        for (int i = 0; i < 8; i++) {
            assertThat(L[i] & 0xFF).isBetween(0, 63);
            assertThat((double) d * (L[i] & 0xFF)).isCloseTo(x[i], org.assertj.core.data.Offset.offset(0.02));
        }
    }

    @Test
    void scaleMinK4UnpacksSixBitFields() {
        // pack 8 scales and 8 mins the way quantize_row_q4_K does, then unpack
        int[] ls = {1, 63, 17, 40, 33, 62, 5, 48};
        int[] lm = {0, 12, 63, 31, 59, 2, 44, 16};
        byte[] q = new byte[12];
        for (int j = 0; j < 8; j++) {
            if (j < 4) {
                q[j] = (byte) ls[j];
                q[j + 4] = (byte) lm[j];
            } else {
                q[j + 4] = (byte) ((ls[j] & 0xF) | ((lm[j] & 0xF) << 4));
                q[j - 4] |= (byte) ((ls[j] >> 4) << 6);
                q[j] |= (byte) ((lm[j] >> 4) << 6);
            }
        }
        for (int j = 0; j < 8; j++) {
            assertThat(GgmlQuantMath.scaleK4(j, q, 0)).isEqualTo(ls[j]);
            assertThat(GgmlQuantMath.minK4(j, q, 0)).isEqualTo(lm[j]);
        }
    }
}
