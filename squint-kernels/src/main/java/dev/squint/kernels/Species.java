package dev.squint.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector species every kernel uses, chosen once: the platform's preferred float width, and
 * int/short/byte species with the same lane count, so conversions between them are one lane to one
 * lane. The byte species must be at least 64 bits, so the float species has at least 8 lanes (on a
 * 128-bit-only machine that means a 256-bit species the JIT splits in two).
 */
final class Species {
    private Species() {}

    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED.length() >= 8 ? FloatVector.SPECIES_PREFERRED : FloatVector.SPECIES_256;
    static final int LANES = F.length();
    static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(LANES * 16));
    static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(LANES * 8));
    /**
     * Bytes in the 16-bit species' shape. 16-bit values are moved between vectors and memory as bytes
     * (then reinterpreted): C2 does not intrinsify short-typed loads/stores on byte[]-backed heap
     * segments (measured ~10x slower), while byte-typed ones work for heap and native segments alike.
     */
    static final VectorSpecies<Byte> S_BYTES = VectorSpecies.of(byte.class, S.vectorShape());

    static {
        if (I.length() != LANES || S.length() != LANES || B.length() != LANES) throw new AssertionError("species lane counts differ");
    }

    /** Human-readable description, e.g. for benchmark logs. */
    static String describe() {
        return F + ", " + S + ", " + B;
    }
}
