package dev.squint.engine.bert;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

class ErfTest {
    /** Reference values from C99 erf (CPython math.erf, correctly rounded to about 1 ulp). */
    @Test
    void matchesReferenceValues() {
        double[][] cases = {
                {0, 0}, {0.1, 0.1124629160182849}, {0.5, 0.5204998778130465}, {1, 0.8427007929497149},
                {1.5, 0.9661051464753108}, {2, 0.9953222650189527}, {2.4999, 0.9995928300996666},
                {2.5, 0.9995930479825550}, {3, 0.9999779095030014}, {4, 0.9999999845827421}, {5.5, 0.9999999999999927},
        };
        for (double[] c : cases) {
            assertThat(Erf.erf(c[0])).as("erf(%s)", c[0]).isCloseTo(c[1], offset(1e-14));
            assertThat(Erf.erf(-c[0])).as("erf(-%s)", c[0]).isCloseTo(-c[1], offset(1e-14));
        }
        assertThat(Erf.erf(30)).isEqualTo(1.0);
        assertThat(Erf.erf(Double.NaN)).isNaN();
    }

    @Test
    void isMonotoneAcrossEverySwitchOfExpansionOrTermCount() {
        for (double edge : new double[]{1, 1.75, 2.5, 6}) {
            double prev = Erf.erf(edge - 0.01);
            for (double x = edge - 0.01; x < edge + 0.01; x += 1e-4) {
                double v = Erf.erf(x);
                assertThat(v).as("erf(%s)", x).isGreaterThanOrEqualTo(prev);
                prev = v;
            }
        }
        // both sides of the term-count switches agree with the reference
        assertThat(Erf.erf(0.9999999)).isCloseTo(0.842700751438961, offset(1e-14));
        assertThat(Erf.erf(1.7499999)).isCloseTo(0.9866716659416819, offset(1e-14));
    }

    @Test
    void geluIsExact() {
        assertThat(Erf.gelu(0f)).isEqualTo(0f);
        assertThat(Erf.gelu(1f)).isCloseTo(0.8413447460685429f, offset(1e-7f));
        assertThat(Erf.gelu(-1f)).isCloseTo(-0.15865525393145707f, offset(1e-7f));
        assertThat(Erf.gelu(-10f)).isCloseTo(0f, offset(1e-20f));
        assertThat(Erf.gelu(10f)).isEqualTo(10f);
    }

    /** The encoder's float GELU (squint-kernels' GeluErf) against this double-precision one, over the whole float range that matters. */
    @Test
    void floatGeluOfTheKernelsIsWithinAFewUlpsOfTheDoubleOne() {
        float[] xs = new float[20_001];
        for (int i = 0; i < xs.length; i++) xs[i] = -10f + i * 0.001f;
        float[] fast = xs.clone();
        dev.squint.kernels.GeluErf.apply(fast, 0, fast.length);
        for (int i = 0; i < xs.length; i++) {
            double exact = 0.5 * xs[i] * (1 + Erf.erf(xs[i] / Math.sqrt(2)));
            // a few float ulps of the result's scale, |x|
            assertThat((double) fast[i]).as("gelu(%s)", xs[i]).isCloseTo(exact, offset(3e-7 * Math.max(1, Math.abs(xs[i]))));
            float erf = dev.squint.kernels.GeluErf.erf(xs[i]);
            assertThat((double) erf).as("erf(%s)", xs[i]).isCloseTo(Erf.erf(xs[i]), offset(3e-7));
        }
    }
}
