package dev.squint.kernels;

import jdk.incubator.vector.FloatVector;

import static dev.squint.kernels.Species.F;
import static dev.squint.kernels.Species.LANES;

/**
 * GELU with the error function ({@code x/2 · (1 + erf(x/√2))}, BERT's {@code "gelu"}) in float, over
 * arrays: the encoder applies it to every feed-forward activation, where a double-precision series
 * per element cost as much as a third of the matrix products.
 *
 * <p>erf is the rational approximation Eigen and XLA use for float: the input clamped to [-4, 4]
 * (beyond, erf is ±1 in float), then {@code x·P(x²)/Q(x²)} with P of degree 6 and Q of degree 4 in x²,
 * evaluated by Horner with fused multiply-adds. Its error against the exact erf is a few float ulps
 * (tested against a double-precision erf).
 *
 * <p>The vector body and the scalar tail ({@link #gelu(float)}, the scalar twin) run the same float
 * operations in the same order, so every element is identical whichever path computes it.
 */
public final class GeluErf {
    private GeluErf() {}

    private static final float A1 = -1.60960333262415e-02f, A3 = -2.95459980854025e-03f, A5 = -7.34990630326855e-04f,
            A7 = -5.69250639462346e-05f, A9 = -2.10102402082508e-06f, A11 = 2.77068142495902e-08f, A13 = -2.72614225801306e-10f;
    private static final float B0 = -1.42647390514189e-02f, B2 = -7.37332916720468e-03f, B4 = -1.68282697438203e-03f,
            B6 = -2.13374055278905e-04f, B8 = -1.45660718464996e-05f;
    private static final float CLAMP = 4f;
    private static final float INV_SQRT2 = 0.70710678118654752f;

    /** erf in float (the approximation above). */
    public static float erf(float v) {
        float x = Math.max(-CLAMP, Math.min(CLAMP, v));
        float x2 = x * x;
        float p = Math.fma(x2, A13, A11);
        p = Math.fma(x2, p, A9);
        p = Math.fma(x2, p, A7);
        p = Math.fma(x2, p, A5);
        p = Math.fma(x2, p, A3);
        p = Math.fma(x2, p, A1);
        p = x * p;
        float q = Math.fma(x2, B8, B6);
        q = Math.fma(x2, q, B4);
        q = Math.fma(x2, q, B2);
        q = Math.fma(x2, q, B0);
        return p / q;
    }

    /** GELU of one value: the scalar twin of {@link #apply}. */
    public static float gelu(float x) {
        float h = 0.5f * x;
        return Math.fma(h, erf(x * INV_SQRT2), h);
    }

    /** {@code x[i] = gelu(x[i])} for {@code i ∈ [from, to)}. */
    public static void apply(float[] x, int from, int to) {
        int i = from;
        for (; i <= to - LANES; i += LANES) {
            FloatVector v = FloatVector.fromArray(F, x, i);
            FloatVector c = v.mul(INV_SQRT2).max(-CLAMP).min(CLAMP);
            FloatVector x2 = c.mul(c);
            FloatVector p = x2.fma(A13, A11);
            p = x2.fma(p, FloatVector.broadcast(F, A9));
            p = x2.fma(p, FloatVector.broadcast(F, A7));
            p = x2.fma(p, FloatVector.broadcast(F, A5));
            p = x2.fma(p, FloatVector.broadcast(F, A3));
            p = x2.fma(p, FloatVector.broadcast(F, A1));
            p = c.mul(p);
            FloatVector q = x2.fma(B8, B6);
            q = x2.fma(q, FloatVector.broadcast(F, B4));
            q = x2.fma(q, FloatVector.broadcast(F, B2));
            q = x2.fma(q, FloatVector.broadcast(F, B0));
            FloatVector h = v.mul(0.5f);
            h.fma(p.div(q), h).intoArray(x, i);
        }
        for (; i < to; i++) x[i] = gelu(x[i]);
    }
}
