package dev.squint.engine.bert;

/**
 * The error function in double precision, for BERT's exact GELU {@code x · Φ(x) = x/2 · (1 + erf(x/√2))}:
 * the reference the encoder's float GELU ({@link dev.squint.kernels.GeluErf}, a few ulps) is tested against.
 *
 * <p>Two expansions, each used where it converges fast and without cancellation:
 * <ul>
 *   <li>{@code |x| < 2.5}: the Maclaurin series {@code erf x = 2/√π · Σ (-1)ⁿ x^(2n+1) / (n! (2n+1))};
 *       its largest term at {@code |x| = 2.5} is about 10², so about 14 significant digits survive
 *       the alternating sum.</li>
 *   <li>{@code |x| ≥ 2.5}: {@code erfc x = e^(-x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...))))},
 *       the Laplace continued fraction, evaluated bottom-up with 60 terms (converged to double
 *       precision from 2.5 on); {@code erf x = 1 - erfc x}.</li>
 * </ul>
 */
public final class Erf {
    private static final double TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);
    private static final double ONE_OVER_SQRT_PI = 1 / Math.sqrt(Math.PI);
    private static final double SERIES_LIMIT = 2.5;
    private static final int FRACTION_TERMS = 60;
    /**
     * Maclaurin coefficients {@code (-1)ⁿ / (n! (2n+1))}, n = 0..40, evaluated by Horner in x²
     * (multiplications only: GELU calls this for every feed-forward activation). The first omitted
     * term at x = 2.5 is below 3e-18.
     */
    private static final double[] SERIES = new double[41];

    static {
        double factorial = 1;
        for (int n = 0; n < SERIES.length; n++) {
            if (n > 0) factorial *= n;
            SERIES[n] = (n % 2 == 0 ? 1 : -1) / (factorial * (2 * n + 1));
        }
    }

    private Erf() {}

    public static double erf(double x) {
        if (Double.isNaN(x)) return x;
        double a = Math.abs(x);
        double r;
        if (a < SERIES_LIMIT) {
            // fewer terms where they suffice (most GELU inputs are small): the first omitted term is
            // below 5e-18 for |x| < 1 (18 terms) and below 1e-19 for |x| < 1.75 (30 terms)
            int terms = a < 1 ? 18 : a < 1.75 ? 30 : SERIES.length;
            double x2 = a * a, p = SERIES[terms - 1];
            for (int n = terms - 2; n >= 0; n--) p = p * x2 + SERIES[n];
            r = TWO_OVER_SQRT_PI * a * p;
        } else if (a > 6) {
            r = 1; // erfc(6) ≈ 2e-17, below double resolution near 1
        } else {
            double f = a;
            for (int k = FRACTION_TERMS; k >= 1; k--) f = a + (k / 2.0) / f;
            r = 1 - Math.exp(-a * a) * ONE_OVER_SQRT_PI / f;
        }
        return x < 0 ? -r : r;
    }

    /** GELU with the exact erf, as BERT's {@code hidden_act: "gelu"}. */
    public static float gelu(float x) {
        return (float) (0.5 * x * (1 + erf(x * 0.7071067811865476)));
    }
}
