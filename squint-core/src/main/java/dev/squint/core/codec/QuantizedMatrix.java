package dev.squint.core.codec;

import java.util.Objects;

/**
 * A matrix quantized by {@link IntQuantizer}: shape {@code [rows, cols]} (row-major), the scheme, the
 * codes packed {@code scheme.bits()} bits each ({@link BitPacker} layout, element order row-major),
 * one scale per group (values exactly representable in {@code scheme.scaleType()}), and for
 * asymmetric schemes one zero point per group, packed {@code bits} bits each the same way (empty
 * for symmetric schemes). Groups are numbered row-major.
 */
public record QuantizedMatrix(IntQuantizer.Scheme scheme, int rows, int cols, byte[] codes, float[] scales, byte[] zeroPoints) {

    public QuantizedMatrix {
        Objects.requireNonNull(scheme, "scheme");
        Objects.requireNonNull(codes, "codes");
        Objects.requireNonNull(scales, "scales");
        Objects.requireNonNull(zeroPoints, "zeroPoints");
        if (rows < 1 || cols < 1) throw new IllegalArgumentException("shape must be positive, got [" + rows + ", " + cols + "]");
        long groups = scheme.groupCount(rows, cols);
        if (codes.length != BitPacker.packedBytes((long) rows * cols, scheme.bits())) throw new IllegalArgumentException("codes: expected " + BitPacker.packedBytes((long) rows * cols, scheme.bits()) + " bytes, got " + codes.length);
        if (scales.length != groups) throw new IllegalArgumentException("scales: expected " + groups + ", got " + scales.length);
        long zeroBytes = scheme.symmetric() ? 0 : BitPacker.packedBytes(groups, scheme.bits());
        if (zeroPoints.length != zeroBytes) throw new IllegalArgumentException("zeroPoints: expected " + zeroBytes + " bytes, got " + zeroPoints.length);
    }

    public long elementCount() {
        return (long) rows * cols;
    }

    public long groupCount() {
        return scales.length;
    }

    /** The stored (unsigned) code of element {@code (row, col)}. */
    public int code(int row, int col) {
        return BitPacker.get(codes, (long) row * cols + col, scheme.bits());
    }

    /** The zero point of group {@code g} (0 for symmetric schemes). */
    public int zeroPoint(int g) {
        return scheme.symmetric() ? 0 : BitPacker.get(zeroPoints, g, scheme.bits());
    }

    /**
     * Storage bits per weight: code bits plus scale bits (32 or 16 per group) plus zero-point bits
     * ({@code bits} per group, asymmetric only), divided by the element count. Byte padding at the
     * end of the packed streams is not counted (see {@link #storageBytes()}).
     */
    public double bitsPerWeight() {
        long groups = groupCount();
        long total = elementCount() * scheme.bits()
                + groups * scheme.scaleType().bits()
                + (scheme.symmetric() ? 0 : groups * scheme.bits());
        return (double) total / elementCount();
    }

    /** Bytes of the packed codes, scales and packed zero points, as stored. */
    public long storageBytes() {
        return codes.length + groupCount() * (scheme.scaleType().bits() / 8) + zeroPoints.length;
    }

    public float[] dequantize() {
        return IntQuantizer.dequantize(this);
    }
}
