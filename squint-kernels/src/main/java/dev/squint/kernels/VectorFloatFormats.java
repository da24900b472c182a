package dev.squint.kernels;

import dev.squint.core.codec.FloatFormats;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

import static dev.squint.kernels.Species.F;
import static dev.squint.kernels.Species.I;
import static dev.squint.kernels.Species.LANES;
import static dev.squint.kernels.Species.S;
import static dev.squint.kernels.Species.S_BYTES;

/**
 * Vector API twins of {@link FloatFormats}' row conversions (FP16 and BF16 to and from float32,
 * little-endian 16-bit values in a {@link MemorySegment}). Results are bit-identical to the scalar
 * reference, NaNs included: the same integer algorithms, lane-wise, with masks for the branches.
 *
 * <p>Each row runs a scalar head until the 16-bit side is aligned to the vector width (when its
 * address allows it), a vector body, and a scalar tail.
 */
public final class VectorFloatFormats {
    private VectorFloatFormats() {}

    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    /** Elements to process one by one before {@code seg + offset} is aligned to the 16-bit vector size. */
    static int head(MemorySegment seg, long offset, int n) {
        long address = seg.address() + offset;
        if ((address & 1) != 0) return 0; // cannot ever align 2-byte elements: go straight to the body
        long bytes = S.vectorByteSize();
        long misaligned = Math.floorMod(address, bytes);
        return misaligned == 0 ? 0 : (int) Math.min(n, (bytes - misaligned) / 2);
    }

    /** Loads one vector of little-endian 16-bit values (via bytes: see {@link Species#S_BYTES}). */
    private static ShortVector load(MemorySegment seg, long offset) {
        return ByteVector.fromMemorySegment(S_BYTES, seg, offset, LE).reinterpretAsShorts();
    }

    private static void store(ShortVector v, MemorySegment seg, long offset) {
        v.reinterpretAsBytes().intoMemorySegment(seg, offset, LE);
    }

    public static void f32ToF16Row(float[] src, int srcOffset, MemorySegment dst, long dstOffset, int n) {
        int i = head(dst, dstOffset, n);
        FloatFormats.f32ToF16Row(src, srcOffset, dst, dstOffset, i);
        for (; i <= n - LANES; i += LANES) {
            IntVector x = FloatVector.fromArray(F, src, srcOffset + i).reinterpretAsInts();
            IntVector sign = x.lanewise(VectorOperators.LSHR, 16).and(0x8000);
            IntVector a = x.and(0x7FFF_FFFF);
            IntVector normal = a.sub(112 << 23).add(0xFFF)
                    .add(a.lanewise(VectorOperators.LSHR, 13).and(1))
                    .lanewise(VectorOperators.LSHR, 13);
            IntVector subnormal = a.reinterpretAsFloats().add(0.5f).reinterpretAsInts().sub(0x3F00_0000);
            IntVector h = subnormal.blend(normal, a.compare(VectorOperators.GE, 0x3880_0000));
            h = h.blend(0x7C00, a.compare(VectorOperators.GE, 0x477F_F000));
            h = h.blend(0x7E00, a.compare(VectorOperators.GT, 0x7F80_0000));
            ShortVector out = (ShortVector) h.or(sign).convertShape(VectorOperators.I2S, S, 0);
            store(out, dst, dstOffset + 2L * i);
        }
        FloatFormats.f32ToF16Row(src, srcOffset + i, dst, dstOffset + 2L * i, n - i);
    }

    public static void f16ToF32Row(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
        int i = head(src, srcOffset, n);
        FloatFormats.f16ToF32Row(src, srcOffset, dst, dstOffset, i);
        for (; i <= n - LANES; i += LANES) {
            ShortVector hs = load(src, srcOffset + 2L * i);
            IntVector h = ((IntVector) hs.convertShape(VectorOperators.S2I, I, 0)).and(0xFFFF);
            IntVector sign = h.and(0x8000).lanewise(VectorOperators.LSHL, 16);
            IntVector exp = h.and(0x7C00);
            IntVector mant = h.and(0x3FF);
            VectorMask<Integer> infNan = exp.compare(VectorOperators.EQ, 0x7C00);
            VectorMask<Integer> nan = infNan.and(mant.compare(VectorOperators.NE, 0));
            IntVector normal = h.and(0x7FFF).lanewise(VectorOperators.LSHL, 13).add(112 << 23);
            normal = normal.add(IntVector.broadcast(I, 112 << 23), infNan);
            normal = normal.lanewise(VectorOperators.OR, IntVector.broadcast(I, 0x0040_0000), nan);
            IntVector subnormal = ((FloatVector) mant.convert(VectorOperators.I2F, 0)).mul(0x1p-24f).reinterpretAsInts();
            IntVector mag = normal.blend(subnormal, exp.compare(VectorOperators.EQ, 0));
            mag.or(sign).reinterpretAsFloats().intoArray(dst, dstOffset + i);
        }
        FloatFormats.f16ToF32Row(src, srcOffset + 2L * i, dst, dstOffset + i, n - i);
    }

    public static void f32ToBf16Row(float[] src, int srcOffset, MemorySegment dst, long dstOffset, int n) {
        int i = head(dst, dstOffset, n);
        FloatFormats.f32ToBf16Row(src, srcOffset, dst, dstOffset, i);
        for (; i <= n - LANES; i += LANES) {
            IntVector u = FloatVector.fromArray(F, src, srcOffset + i).reinterpretAsInts();
            IntVector rounded = u.add(0x7FFF).add(u.lanewise(VectorOperators.LSHR, 16).and(1)).lanewise(VectorOperators.LSHR, 16);
            IntVector quietNan = u.lanewise(VectorOperators.LSHR, 16).or(0x40);
            IntVector b = rounded.blend(quietNan, u.and(0x7FFF_FFFF).compare(VectorOperators.GT, 0x7F80_0000));
            store((ShortVector) b.convertShape(VectorOperators.I2S, S, 0), dst, dstOffset + 2L * i);
        }
        FloatFormats.f32ToBf16Row(src, srcOffset + i, dst, dstOffset + 2L * i, n - i);
    }

    public static void bf16ToF32Row(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
        int i = head(src, srcOffset, n);
        FloatFormats.bf16ToF32Row(src, srcOffset, dst, dstOffset, i);
        for (; i <= n - LANES; i += LANES) {
            ShortVector hs = load(src, srcOffset + 2L * i);
            IntVector w = ((IntVector) hs.convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16);
            w.reinterpretAsFloats().intoArray(dst, dstOffset + i);
        }
        FloatFormats.bf16ToF32Row(src, srcOffset + 2L * i, dst, dstOffset + i, n - i);
    }
}
