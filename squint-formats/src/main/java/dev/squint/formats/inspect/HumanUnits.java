package dev.squint.formats.inspect;

import java.util.Locale;

/** Human-readable sizes and counts in decimal (SI) units, as file managers and model cards show them. */
public final class HumanUnits {
    private static final String[] BYTE_UNITS = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
    private static final String[] COUNT_UNITS = {"", "K", "M", "B", "T", "Q", "Qi"};

    private HumanUnits() {}

    /** {@code 90387606 -> "90.4 MB"}, {@code 28 -> "28 B"}. */
    public static String bytes(long n) {
        return scaled(n, BYTE_UNITS, " ");
    }

    /** {@code 22713216 -> "22.7 M"}, {@code 512 -> "512"}. */
    public static String count(long n) {
        return scaled(n, COUNT_UNITS, " ").strip();
    }

    /** {@code 1056540 -> "1,056,540"}. */
    public static String grouped(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }

    private static String scaled(long n, String[] units, String sep) {
        if (n < 0) return "-" + scaled(-n, units, sep);
        if (n < 1000) return n + sep + units[0];
        double v = n;
        int u = 0;
        while (v >= 999.95 && u < units.length - 1) {
            v /= 1000;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f", v) + sep + units[u];
    }
}
