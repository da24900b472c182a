package dev.squint.report;

import java.util.Locale;

/**
 * How every renderer prints a number, so the terminal, Markdown and HTML tables and the verdicts agree digit for
 * digit. Unmeasured figures (NaN, negative byte counts) print as an em dash. Sizes are decimal megabytes (10^6).
 */
final class Figures {
    static final String NOT_MEASURED = "—";

    private Figures() {}

    static boolean known(double v) { return !Double.isNaN(v) && !Double.isInfinite(v); }

    static boolean knownBytes(long bytes) { return bytes > 0; }

    static String megabytes(long bytes) {
        if (!knownBytes(bytes)) return NOT_MEASURED;
        double mb = bytes / 1e6;
        return mb < 1 ? fmt("%.3f", mb) : mb < 10 ? fmt("%.2f", mb) : fmt("%.1f", mb);
    }

    /** "12.3 MB" (or the dash). */
    static String megabytesWithUnit(long bytes) {
        return knownBytes(bytes) ? megabytes(bytes) + " MB" : NOT_MEASURED;
    }

    /** A fraction as a percentage with two decimals: 0.99874 → "99.87 %". */
    static String percent(double fraction) {
        return known(fraction) ? percentNumber(fraction) + " %" : NOT_MEASURED;
    }

    /** The percentage without the sign, for table cells under a "%" header. */
    static String percentNumber(double fraction) {
        if (!known(fraction)) return NOT_MEASURED;
        String two = fmt("%.2f", fraction * 100);
        // 0.99998 is not a lossless 100.00: show the third decimal when two would round a loss away
        return two.equals("100.00") && fraction < 1 ? fmt("%.3f", fraction * 100) : two;
    }

    /** A threshold as a short percentage: 0.99 → "99 %", 0.995 → "99.5 %". */
    static String threshold(double fraction) {
        double p = Math.round(fraction * 1000) / 10.0; // 1 - 0.97 is 0.030000000000000027
        return (Math.rint(p) == p ? fmt("%.0f", p) : fmt("%.1f", p)) + " %";
    }

    static String ratio(double x) {
        return known(x) ? fmt("%.2f×", x) : NOT_MEASURED;
    }

    static String bits(double b) {
        return known(b) ? fmt("%.2f", b) : NOT_MEASURED;
    }

    static String throughput(double t) {
        if (!known(t)) return NOT_MEASURED;
        double a = Math.abs(t);
        return a >= 100 ? fmt("%.0f", t) : a >= 10 ? fmt("%.1f", t) : fmt("%.2f", t);
    }

    /** A quality figure: enough digits to tell 0.99987 from 0.99961, scientific for tiny divergences. */
    static String metric(double v) {
        if (!known(v)) return NOT_MEASURED;
        double a = Math.abs(v);
        if (a == 0) return "0";
        if (a >= 1000) return fmt("%.0f", v);
        if (a >= 100) return fmt("%.1f", v);
        if (a >= 1) return fmt("%.3f", v);
        if (a >= 0.01) return fmt("%.5f", v);
        return fmt("%.2e", v);
    }

    static String fmt(String pattern, Object... args) {
        return String.format(Locale.ROOT, pattern, args);
    }
}
