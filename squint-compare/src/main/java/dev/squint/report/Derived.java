package dev.squint.report;

/** Figures derived from a row and the base: the ratios the table prints and the verdicts compare. */
final class Derived {
    private Derived() {}

    /** How many times smaller than the base on disk; NaN when either size is unknown. */
    static double timesSmaller(FormatRow base, FormatRow row) {
        if (!Figures.knownBytes(base.fileBytes()) || !Figures.knownBytes(row.fileBytes())) return Double.NaN;
        return (double) base.fileBytes() / row.fileBytes();
    }

    /** Throughput relative to the base; NaN when either is unmeasured. */
    static double timesFaster(FormatRow base, FormatRow row) {
        if (!hasThroughput(base) || !hasThroughput(row)) return Double.NaN;
        return row.throughput() / base.throughput();
    }

    static boolean hasThroughput(FormatRow row) {
        return Figures.known(row.throughput()) && row.throughput() > 0;
    }

    /** Quality kept; the base keeps all of its own quality even when the producer left it NaN. */
    static double qualityKept(FormatRow base, FormatRow row) {
        if (row == base && !Figures.known(row.qualityKept())) return 1.0;
        return Figures.known(row.qualityKept()) ? row.qualityKept() : Double.NaN;
    }
}
