package dev.squint.kernels;

/** The K-quant input rules (as the core codecs): whole super-blocks, finite values and importance weights. */
final class KQuantInputChecks {
    private static final int QK_K = 256;

    private KQuantInputChecks() {}

    static void check(String type, float[] src, int srcOffset, int n, float[] importance) {
        if (n < 0 || n % QK_K != 0) throw new IllegalArgumentException(type + ": row length " + n + " is not a multiple of " + QK_K);
        java.util.Objects.checkFromIndexSize(srcOffset, n, src.length);
        for (int i = 0; i < n; i++) {
            if (!Float.isFinite(src[srcOffset + i])) {
                throw new IllegalArgumentException(type + ": cannot quantize non-finite value " + src[srcOffset + i] + " at index " + i);
            }
        }
        if (importance != null) {
            if (importance.length < n) throw new IllegalArgumentException(type + ": importance has " + importance.length + " weights, row has " + n + " values");
            for (int i = 0; i < n; i++) {
                if (!Float.isFinite(importance[i])) throw new IllegalArgumentException(type + ": non-finite importance weight " + importance[i] + " at column " + i);
            }
        }
    }

}
