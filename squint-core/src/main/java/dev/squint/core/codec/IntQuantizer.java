package dev.squint.core.codec;

import java.util.Objects;

/**
 * Integer (and NF4) weight quantization of a row-major {@code [rows, cols]} float matrix, as used by
 * GPTQ/AWQ/bitsandbytes-style formats rather than ggml blocks.
 *
 * <h2>Schemes</h2>
 * <ul>
 *   <li><b>Uniform symmetric</b>, {@code b} bits: codes {@code q} in the restricted range
 *       {@code [-qmax, qmax]}, {@code qmax = 2^(b-1) - 1} (127, 7, 3, 1; 2-bit symmetric is therefore
 *       ternary). {@code scale = absmax / qmax}; {@code x' = q * scale}. Zero maps to exactly 0.
 *       Stored as offset binary {@code q + 2^(b-1)}.</li>
 *   <li><b>Uniform asymmetric</b>: codes {@code u} in {@code [0, 2^b - 1]}, integer zero point
 *       {@code z} in the same range. The range is widened to contain 0 ({@code lo = min(min, 0)},
 *       {@code hi = max(max, 0)}, as GPTQ and PyTorch's observers do) so that 0 is exact:
 *       {@code scale = (hi - lo) / (2^b - 1)}, {@code z = rint(-lo / scale)}, {@code x' = (u - z) * scale}.</li>
 *   <li><b>NF4</b> (QLoRA): 4-bit indices into {@link #NF4_VALUES} with an absmax scale per group;
 *       {@code x' = NF4[code] * scale}; each value takes the nearest table entry (exact midpoint ties
 *       go to the lower index, as bitsandbytes' {@code >} comparisons do). Scales are not
 *       double-quantized (QLoRA's second-level 8-bit quantization of the absmax values is not implemented).</li>
 * </ul>
 * Rounding is to nearest, ties to even ({@code Math.rint}) on {@code x * (1/scale)}.
 *
 * <h2>Granularity</h2>
 * One scale (and zero point) per tensor, per output row ("channel"), or per group of
 * {@code groupSize} consecutive values along a row (the last group of a row is shorter when
 * {@code cols} is not a multiple). Groups are numbered row-major.
 *
 * <h2>Range</h2>
 * {@link RangeMethod#MIN_MAX} uses the group's extremes. {@link RangeMethod#MSE_CLIP} tries the clip
 * ratios {@code 1.00, 0.99, ..., 0.50} (the range endpoints multiplied by the ratio) and keeps the
 * first ratio with the smallest squared error of the dequantized group, computed exactly as
 * dequantization does; ratio 1.00 is the min-max choice, so the search is never worse than min-max.
 *
 * <h2>Scale storage</h2>
 * Scales are stored as F32 or F16 ({@link ScaleType}); the ideal scale, computed in double, is rounded
 * <em>up</em> to the storage type so the chosen range is never clipped (F16 scales saturate at 65504,
 * beyond which values clip). Codes are quantized against the stored scale, so dequantization is exact
 * with respect to what is stored.
 */
public final class IntQuantizer {
    private IntQuantizer() {}

    /** QLoRA's NormalFloat-4 levels (bitsandbytes {@code create_normal_map}), as float32. */
    public static final float[] NF4_VALUES = {
            -1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f,
            -0.28444138169288635f, -0.18477343022823334f, -0.09105003625154495f, 0.0f,
            0.07958029955625534f, 0.16093020141124725f, 0.24611230194568634f, 0.33791524171829224f,
            0.44070982933044434f, 0.5626170039176941f, 0.7229568362236023f, 1.0f};

    /** Decision points between adjacent NF4 levels, exact in double. */
    private static final double[] NF4_MIDPOINTS = new double[15];
    static {
        for (int i = 0; i < 15; i++) NF4_MIDPOINTS[i] = ((double) NF4_VALUES[i] + NF4_VALUES[i + 1]) / 2;
    }

    /** The clip ratios {@link RangeMethod#MSE_CLIP} tries, largest first. */
    static final int CLIP_STEPS = 51;

    static float clipRatio(int step) {
        return (float) (1.0 - step / 100.0);
    }

    public enum Granularity { PER_TENSOR, PER_CHANNEL, PER_GROUP }

    public enum RangeMethod { MIN_MAX, MSE_CLIP }

    public enum Grid { UNIFORM, NF4 }

    /** How scales are stored, and the rounding (upwards) that storage implies. */
    public enum ScaleType {
        F32(32), F16(16);

        private final int bits;

        ScaleType(int bits) { this.bits = bits; }

        public int bits() { return bits; }

        /** The smallest storable value {@code >= s} ({@code s >= 0}); F16 saturates at 65504. */
        public float roundUp(double s) {
            if (!(s >= 0)) throw new IllegalArgumentException("scale must be a non-negative number, got " + s);
            float f = (float) s;
            if (f < s) f = Math.nextUp(f);
            if (this == F32) return f;
            short h = FloatFormats.f32ToF16(f);
            float back = FloatFormats.f16ToF32(h);
            if (back < f) back = FloatFormats.f16ToF32((short) (h + 1));
            return Float.isInfinite(back) ? 65504f : back;
        }
    }

    /**
     * A quantization scheme.
     *
     * @param groupSize values per group for {@link Granularity#PER_GROUP} (typically 32, 64 or 128); 0 otherwise
     */
    public record Scheme(Grid grid, int bits, boolean symmetric, Granularity granularity, int groupSize,
                         RangeMethod range, ScaleType scaleType) {
        public Scheme {
            Objects.requireNonNull(grid, "grid");
            Objects.requireNonNull(granularity, "granularity");
            Objects.requireNonNull(range, "range");
            Objects.requireNonNull(scaleType, "scaleType");
            if (bits != 2 && bits != 3 && bits != 4 && bits != 8) throw new IllegalArgumentException("bits must be 2, 3, 4 or 8, got " + bits);
            if (grid == Grid.NF4 && (bits != 4 || !symmetric)) throw new IllegalArgumentException("NF4 is 4-bit and symmetric (absmax scaled)");
            if (granularity == Granularity.PER_GROUP ? groupSize < 1 : groupSize != 0) {
                throw new IllegalArgumentException("groupSize " + groupSize + " does not fit granularity " + granularity);
            }
        }

        public static Scheme symmetric(int bits, Granularity granularity, int groupSize, RangeMethod range, ScaleType scaleType) {
            return new Scheme(Grid.UNIFORM, bits, true, granularity, groupSize, range, scaleType);
        }

        public static Scheme asymmetric(int bits, Granularity granularity, int groupSize, RangeMethod range, ScaleType scaleType) {
            return new Scheme(Grid.UNIFORM, bits, false, granularity, groupSize, range, scaleType);
        }

        /** NF4 per group of {@code groupSize} with an absmax scale (bitsandbytes uses 64 and F32). */
        public static Scheme nf4(int groupSize, RangeMethod range, ScaleType scaleType) {
            return new Scheme(Grid.NF4, 4, true, Granularity.PER_GROUP, groupSize, range, scaleType);
        }

        /** Groups in one row (for per-tensor: 0, there is one group for the whole matrix). */
        public int groupsPerRow(int cols) {
            return switch (granularity) {
                case PER_TENSOR -> 0;
                case PER_CHANNEL -> 1;
                case PER_GROUP -> Math.ceilDiv(cols, groupSize);
            };
        }

        /** Scales (and zero points) for a {@code [rows, cols]} matrix. */
        public long groupCount(int rows, int cols) {
            return granularity == Granularity.PER_TENSOR ? 1 : (long) rows * groupsPerRow(cols);
        }

        /** Largest symmetric code magnitude, {@code 2^(bits-1) - 1}. */
        int qmax() { return (1 << (bits - 1)) - 1; }

        /** Largest asymmetric code, {@code 2^bits - 1}. */
        int levels() { return (1 << bits) - 1; }
    }

    /** Quantizes a row-major {@code [rows, cols]} matrix. */
    public static QuantizedMatrix quantize(float[] weights, int rows, int cols, Scheme scheme) {
        Objects.requireNonNull(scheme, "scheme");
        if (rows < 1 || cols < 1) throw new IllegalArgumentException("shape must be positive, got [" + rows + ", " + cols + "]");
        long n = (long) rows * cols;
        if (weights.length != n) throw new IllegalArgumentException("expected " + n + " weights for [" + rows + ", " + cols + "], got " + weights.length);
        int groups = Math.toIntExact(scheme.groupCount(rows, cols));
        byte[] codes = new byte[Math.toIntExact(BitPacker.packedBytes(n, scheme.bits()))];
        float[] scales = new float[groups];
        byte[] zeros = scheme.symmetric() ? new byte[0] : new byte[Math.toIntExact(BitPacker.packedBytes(groups, scheme.bits()))];
        Params p = new Params();
        int g = 0;
        for (Span s : spans(scheme, rows, cols)) {
            chooseParams(weights, s.start, s.length, scheme, p);
            scales[g] = p.scale;
            if (!scheme.symmetric()) BitPacker.put(zeros, g, scheme.bits(), p.zero);
            for (int i = 0; i < s.length; i++) {
                BitPacker.put(codes, s.start + i, scheme.bits(), encode(weights[s.start + i], scheme, p));
            }
            g++;
        }
        return new QuantizedMatrix(scheme, rows, cols, codes, scales, zeros);
    }

    /** Dequantizes to a new row-major float array. */
    public static float[] dequantize(QuantizedMatrix q) {
        Scheme scheme = q.scheme();
        float[] out = new float[Math.toIntExact((long) q.rows() * q.cols())];
        Params p = new Params();
        int g = 0;
        for (Span s : spans(scheme, q.rows(), q.cols())) {
            p.scale = q.scales()[g];
            p.zero = scheme.symmetric() ? 0 : BitPacker.get(q.zeroPoints(), g, scheme.bits());
            for (int i = 0; i < s.length; i++) {
                out[s.start + i] = decode(BitPacker.get(q.codes(), s.start + i, scheme.bits()), scheme, p);
            }
            g++;
        }
        return out;
    }

    /** The NF4 index nearest to {@code y} (a value already divided by the group's scale). */
    public static int nearestNf4(float y) {
        int lo = 0, hi = 15; // code = number of midpoints strictly below y
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (y > NF4_MIDPOINTS[mid]) lo = mid + 1; else hi = mid;
        }
        return lo;
    }

    // ---------------------------------------------------------------- internals

    /** One group: {@code length} consecutive values from {@code start} of the row-major array. */
    private record Span(int start, int length) {}

    private static Iterable<Span> spans(Scheme scheme, int rows, int cols) {
        int total = rows * cols;
        return switch (scheme.granularity()) {
            case PER_TENSOR -> java.util.List.of(new Span(0, total));
            case PER_CHANNEL, PER_GROUP -> () -> new java.util.Iterator<>() {
                final int width = scheme.granularity() == Granularity.PER_CHANNEL ? cols : scheme.groupSize();
                int row = 0, col = 0;

                @Override public boolean hasNext() { return row < rows; }

                @Override public Span next() {
                    if (row >= rows) throw new java.util.NoSuchElementException();
                    int len = Math.min(width, cols - col);
                    Span s = new Span(row * cols + col, len);
                    col += len;
                    if (col == cols) { col = 0; row++; }
                    return s;
                }
            };
        };
    }

    /** Mutable per-group parameters (scale as stored, zero point, and the multiplier 1/scale). */
    private static final class Params {
        float scale, inv;
        int zero;
    }

    private static void chooseParams(float[] w, int start, int len, Scheme scheme, Params out) {
        float min = Float.POSITIVE_INFINITY, max = Float.NEGATIVE_INFINITY;
        for (int i = start; i < start + len; i++) {
            float v = w[i];
            if (!Float.isFinite(v)) throw new IllegalArgumentException("weight " + i + " is " + v + "; only finite weights can be quantized");
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        setParams(min, max, 1f, scheme, out);
        if (scheme.range() == RangeMethod.MIN_MAX) return;
        double best = groupError(w, start, len, scheme, out);
        Params trial = new Params();
        for (int step = 1; step < CLIP_STEPS && best > 0; step++) {
            setParams(min, max, clipRatio(step), scheme, trial);
            double err = groupError(w, start, len, scheme, trial);
            if (err < best) {
                best = err;
                out.scale = trial.scale;
                out.inv = trial.inv;
                out.zero = trial.zero;
            }
        }
    }

    private static void setParams(float min, float max, float ratio, Scheme scheme, Params p) {
        if (scheme.symmetric()) {
            double absmax = Math.max(-(double) min, max) * ratio;
            double ideal = scheme.grid() == Grid.NF4 ? absmax : absmax / scheme.qmax();
            p.scale = scheme.scaleType().roundUp(ideal);
            p.zero = 0;
        } else {
            double lo = Math.min(min, 0.0) * ratio, hi = Math.max(max, 0.0) * ratio;
            p.scale = scheme.scaleType().roundUp((hi - lo) / scheme.levels());
            p.zero = (int) Math.min(scheme.levels(), Math.max(0, Math.rint(-lo * Int8Rows.inverse(p.scale))));
        }
        p.inv = Int8Rows.inverse(p.scale);
    }

    private static double groupError(float[] w, int start, int len, Scheme scheme, Params p) {
        double sum = 0;
        for (int i = start; i < start + len; i++) {
            double d = (double) w[i] - decode(encode(w[i], scheme, p), scheme, p);
            sum += d * d;
        }
        return sum;
    }

    private static int encode(float x, Scheme scheme, Params p) {
        float y = x * p.inv;
        if (scheme.grid() == Grid.NF4) return nearestNf4(y);
        if (scheme.symmetric()) {
            int qmax = scheme.qmax();
            return (int) Math.rint(Math.min(qmax, Math.max(-qmax, y))) + qmax + 1;
        }
        return (int) Math.min(scheme.levels(), Math.max(0, Math.rint(y) + p.zero));
    }

    private static float decode(int code, Scheme scheme, Params p) {
        if (scheme.grid() == Grid.NF4) return NF4_VALUES[code] * p.scale;
        if (scheme.symmetric()) return (code - scheme.qmax() - 1) * p.scale;
        return (code - p.zero) * p.scale;
    }
}
