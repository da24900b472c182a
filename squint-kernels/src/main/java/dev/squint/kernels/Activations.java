package dev.squint.kernels;

import dev.squint.kernels.MatrixKernels.Impl;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Element-wise activations of the decoder's feed-forward block over whole batches.
 */
public final class Activations {
    private Activations() {}

    private static final VectorSpecies<Float> F = Species.F;

    /**
     * SwiGLU's gating, in place: {@code gate[i] = silu(gate[i]) · up[i]} for {@code i} in {@code [from, to)},
     * {@code silu(g) = g / (1 + e^-g)}. The vector form takes {@code e^x} from the Vector API's {@code EXP}
     * (within an ulp or so of {@link Math#exp}), so the two agree to float rounding, not bit for bit.
     */
    public static void siluMul(Impl impl, float[] gate, float[] up, int from, int to) {
        int i = from;
        if (impl == Impl.VECTOR) {
            for (; i <= to - F.length(); i += F.length()) {
                FloatVector g = FloatVector.fromArray(F, gate, i);
                FloatVector e = g.neg().lanewise(VectorOperators.EXP);
                g.div(e.add(1f)).mul(FloatVector.fromArray(F, up, i)).intoArray(gate, i);
            }
        }
        for (; i < to; i++) {
            float g = gate[i];
            gate[i] = g / (1f + (float) Math.exp(-g)) * up[i];
        }
    }
}
