package dev.squint.engine.ops;

import dev.squint.core.GgmlType;
import dev.squint.core.Shape;
import dev.squint.core.Tensor;
import dev.squint.core.TensorInfo;
import dev.squint.core.codec.Codecs;
import dev.squint.kernels.RowParallel;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/** One dispatch for several single-token products gives exactly what each layer's own forward gives. */
class MatVecGroupTest {
    private static final int IN = 512; // two Q8_K super-blocks

    private static Linear layer(GgmlType type, int out, boolean withBias, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] w = new float[out * IN];
        for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextGaussian() * (1 + i % 5);
        MemorySegment seg = Arena.ofAuto().allocate(type.bytesFor(w.length), 64);
        Codecs.quantizeChunk(type, w, 0, out, IN, seg, 0, null);
        float[] bias = null;
        if (withBias) {
            bias = new float[out];
            for (int j = 0; j < out; j++) bias[j] = (float) rnd.nextGaussian();
        }
        return Linear.of(new Tensor(TensorInfo.of("w" + type + "_" + out, type.toDType(), Shape.of(out, IN)), seg), bias);
    }

    private static float[] input(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] x = new float[IN];
        for (int i = 0; i < IN; i++) x[i] = (float) rnd.nextGaussian();
        return x;
    }

    private static float[][] separately(Linear[] layers, float[] x) {
        float[][] ys = new float[layers.length][];
        try (RowParallel one = new RowParallel(1)) {
            for (int i = 0; i < layers.length; i++) {
                ys[i] = new float[layers[i].out()];
                layers[i].forward(x, 1, ys[i], one);
            }
        }
        return ys;
    }

    @Test
    void concatenatedGroupsEqualEachLayersForwardAtAnyThreadCount() {
        GgmlType[][] groups = {
                {GgmlType.Q8_0, GgmlType.Q8_0, GgmlType.Q8_0},
                {GgmlType.Q4_0, GgmlType.Q4_0, GgmlType.Q4_0},
                {GgmlType.Q4_K, GgmlType.Q4_K, GgmlType.Q6_K}, // Q4_K_M's q, k and v
                {GgmlType.F16, GgmlType.F16, GgmlType.F16},
                {GgmlType.Q8_0, GgmlType.F16, GgmlType.Q6_K, GgmlType.Q4_0}, // three activation kinds in one group
                {GgmlType.Q5_0, GgmlType.Q8_0, GgmlType.Q8_0}, // no matrix × vector kernel for Q5_0: one by one
        };
        int[] outs = {37, 9, 11, 6}; // odd sizes: ranges end inside four-row groups and cross layers
        for (GgmlType[] types : groups) {
            Linear[] layers = new Linear[types.length];
            for (int i = 0; i < types.length; i++) layers[i] = layer(types[i], outs[i], i == 1, 100 + i);
            Linear.MatVecGroup group = Linear.MatVecGroup.concatenated(layers);
            for (int token = 0; token < 3; token++) {
                float[] x = input(7 + token);
                float[][] expected = separately(layers, x);
                for (int threads : new int[] {1, 2, 3, 5, 8}) {
                    float[][] ys = new float[layers.length][];
                    for (int i = 0; i < layers.length; i++) ys[i] = new float[layers[i].out()];
                    try (RowParallel par = new RowParallel(threads)) {
                        group.forward(x, ys, null, par);
                    }
                    for (int i = 0; i < layers.length; i++) {
                        assertThat(ys[i]).as("%s, layer %d, %d threads", java.util.Arrays.toString(types), i, threads).containsExactly(expected[i]);
                    }
                }
            }
        }
    }

    @Test
    void pairedGroupRunsTheTailOverEveryOutputOnceAfterBothLayers() {
        for (GgmlType type : new GgmlType[] {GgmlType.Q8_0, GgmlType.Q4_K, GgmlType.Q5_0}) {
            int ff = 43;
            Linear gate = layer(type, ff, false, 1), up = layer(type, ff, false, 2);
            Linear.MatVecGroup group = Linear.MatVecGroup.paired(gate, up);
            float[] x = input(3);
            float[][] sep = separately(new Linear[] {gate, up}, x);
            float[] expected = new float[ff];
            for (int i = 0; i < ff; i++) expected[i] = sep[0][i] / (1f + (float) Math.exp(-sep[0][i])) * sep[1][i];
            for (int threads : new int[] {1, 2, 3, 4}) {
                float[] g = new float[ff], u = new float[ff];
                int[] tailHits = new int[ff];
                RowParallel.RowRange swiGlu = (from, to) -> {
                    for (int i = from; i < to; i++) {
                        tailHits[i]++;
                        g[i] = g[i] / (1f + (float) Math.exp(-g[i])) * u[i];
                    }
                };
                try (RowParallel par = new RowParallel(threads)) {
                    group.forward(x, new float[][] {g, u}, swiGlu, par);
                }
                assertThat(g).as("%s, %d threads", type, threads).containsExactly(expected);
                assertThat(u).containsExactly(sep[1]);
                assertThat(tailHits).containsOnly(1);
            }
        }
    }

    @Test
    void observersSeeTheInputOfEveryLayerOnce() {
        Linear a = layer(GgmlType.Q8_0, 8, false, 1), b = layer(GgmlType.Q4_0, 8, false, 2);
        List<String> seen = new ArrayList<>();
        Linear.InputObserver obs = (l, x, tokens) -> seen.add(l.name() + ":" + tokens);
        a.observe(obs);
        b.observe(obs);
        try (RowParallel par = new RowParallel(2)) {
            Linear.MatVecGroup.concatenated(a, b).forward(input(1), new float[][] {new float[8], new float[8]}, null, par);
        }
        assertThat(seen).containsExactly(a.name() + ":1", b.name() + ":1");
    }
}
