package dev.squint.engine.ops;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Row dots of Q4_0 and Q8_0 weights against Q8_0 activations, accumulated the way llama.cpp's AVX2 kernels
 * do: each block's integer products become floats, scaled by {@code d_w · d_a} and added into a vector
 * accumulator with FMA; one horizontal sum per row. The codec dots in squint-kernels reproduce ggml's
 * scalar reference instead (one reduction and one float sum per block), which costs a reduction per 32
 * values; results here differ from them by float rounding only.
 *
 * <p>Block layouts (ggml): Q8_0 = f16 scale + 32 int8; Q4_0 = f16 scale + 16 bytes, value {@code i} the
 * low nibble of byte {@code i} and value {@code i + 16} the high nibble, minus 8. Products stay in 16 bits
 * ({@code |q4 − 8| · |q8| ≤ 1024}, {@code |q8 · q8| ≤ 16384}) before conversion.
 */
final class BlockDots {
    private BlockDots() {}

    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_128;
    private static final VectorSpecies<Short> S = ShortVector.SPECIES_256;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    private static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private static float half(MemorySegment m, long o) {
        return Float.float16ToFloat(m.get(LE_SHORT, o));
    }

    static float q4_0(int n, MemorySegment w, long wo, MemorySegment a, long ao) {
        FloatVector acc0 = FloatVector.zero(F), acc1 = FloatVector.zero(F);
        int nb = n / 32;
        for (int b = 0; b < nb; b++) {
            long x = wo + 18L * b, y = ao + 34L * b;
            FloatVector d = FloatVector.broadcast(F, half(w, x) * half(a, y));
            ByteVector q = ByteVector.fromMemorySegment(B, w, x + 2, LE);
            ByteVector lo = q.and((byte) 0x0F).sub((byte) 8);
            ByteVector hi = q.lanewise(VectorOperators.LSHR, 4).and((byte) 0x0F).sub((byte) 8);
            ShortVector y0 = (ShortVector) ByteVector.fromMemorySegment(B, a, y + 2, LE).convertShape(VectorOperators.B2S, S, 0);
            ShortVector y1 = (ShortVector) ByteVector.fromMemorySegment(B, a, y + 18, LE).convertShape(VectorOperators.B2S, S, 0);
            ShortVector p = ((ShortVector) lo.convertShape(VectorOperators.B2S, S, 0)).mul(y0)
                    .add(((ShortVector) hi.convertShape(VectorOperators.B2S, S, 0)).mul(y1));
            acc0 = ((FloatVector) p.convertShape(VectorOperators.S2F, F, 0)).fma(d, acc0);
            acc1 = ((FloatVector) p.convertShape(VectorOperators.S2F, F, 1)).fma(d, acc1);
        }
        return acc0.add(acc1).reduceLanes(VectorOperators.ADD);
    }

    static float q8_0(int n, MemorySegment w, long wo, MemorySegment a, long ao) {
        FloatVector acc0 = FloatVector.zero(F), acc1 = FloatVector.zero(F);
        int nb = n / 32;
        for (int b = 0; b < nb; b++) {
            long x = wo + 34L * b, y = ao + 34L * b;
            FloatVector d = FloatVector.broadcast(F, half(w, x) * half(a, y));
            for (int h = 0; h < 2; h++) {
                ShortVector xs = (ShortVector) ByteVector.fromMemorySegment(B, w, x + 2 + 16 * h, LE).convertShape(VectorOperators.B2S, S, 0);
                ShortVector ys = (ShortVector) ByteVector.fromMemorySegment(B, a, y + 2 + 16 * h, LE).convertShape(VectorOperators.B2S, S, 0);
                ShortVector p = xs.mul(ys);
                acc0 = ((FloatVector) p.convertShape(VectorOperators.S2F, F, 0)).fma(d, acc0);
                acc1 = ((FloatVector) p.convertShape(VectorOperators.S2F, F, 1)).fma(d, acc1);
            }
        }
        return acc0.add(acc1).reduceLanes(VectorOperators.ADD);
    }
}
