package dev.squint.core.codec;

import dev.squint.core.GgmlType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;

class IqGridsTest {

    @Test
    void codebookResourceIsGgmlCommonTablesByteForByte() throws Exception {
        byte[] all;
        try (InputStream in = IqGrids.class.getResourceAsStream(IqGrids.RESOURCE)) {
            all = in.readAllBytes();
        }
        // SHA-256 of ggml-common.h's ksigns_iq2xs, iq2xxs_grid, iq2xs_grid, iq2s_grid, iq3xxs_grid, iq3s_grid,
        // iq1s_grid written little-endian back to back by the generator (ggml-iq/README.md).
        assertThat(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(all)))
                .isEqualTo("752a9eb3aca3e21273d53408e8a3ec996221791102262b20c8a7837eb0d7d720");
    }

    static long entry(byte[] table, int groupSize, int i) {
        long v = 0;
        for (int j = groupSize - 1; j >= 0; j--) v = v << 8 | (table[i * groupSize + j] & 0xFF);
        return v;
    }

    @Test
    void entriesReadAsInGgmlCommonH() {
        // Literals from ggml-common.h (first and last entries of each table, plus a few in between).
        assertThat(entry(IqGrids.IQ2XXS, 8, 0)).isEqualTo(0x0808080808080808L);
        assertThat(entry(IqGrids.IQ2XXS, 8, 1)).isEqualTo(0x080808080808082bL);
        assertThat(entry(IqGrids.IQ2XXS, 8, 17)).isEqualTo(0x080808082b080808L);
        assertThat(entry(IqGrids.IQ3XXS, 4, 0)).isEqualTo(0x04040404L);
        assertThat(entry(IqGrids.IQ3XXS, 4, 5)).isEqualTo(0x04040c3eL);
        assertThat(entry(IqGrids.IQ3XXS, 4, 23)).isEqualTo(0x04140404L);
        assertThat(entry(IqGrids.IQ1S, 8, 0)).isEqualTo(0xffffffffffffffffL);
        assertThat(entry(IqGrids.IQ1S, 8, 1)).isEqualTo(0xffffffffffffff01L);
        assertThat(entry(IqGrids.IQ1S, 8, 11)).isEqualTo(0xffffffff00ff0000L);
        for (int i = 0; i < 128; i++) {
            assertThat(IqGrids.signs(i)).isEqualTo(i | (Integer.bitCount(i) & 1) << 7);
        }
    }

    static long fnv(long h, byte b) {
        return (h ^ (b & 0xFF)) * 0x100000001b3L;
    }

    /** FNV-1a over lattice bytes, map as little-endian int32, neighbour lists as little-endian uint16 (as the generator). */
    static long fingerprint(IqGrids.Search.Tables t) {
        long h = 0xcbf29ce484222325L;
        for (byte b : t.lattice()) h = fnv(h, b);
        for (int m : t.map()) for (int k = 0; k < 4; k++) h = fnv(h, (byte) (m >>> (8 * k)));
        for (char c : t.neighbours()) {
            h = fnv(h, (byte) c);
            h = fnv(h, (byte) (c >>> 8));
        }
        return h;
    }

    @ParameterizedTest
    @CsvSource({
        // search, neighbour-list length, FNV-1a of ggml's iq2_data[]/iq3_data[] after its init (generator output)
        "IQ2_XXS, 417400, 2269e4eb44966ea1",
        "IQ2_XS, 551722, a34872421c4f3843",
        "IQ1, 1375339, 8d2d8fc028d1e7ce",
        "IQ2_S, 209100, a84dc54ee4f6f54a",
        "IQ3_XXS, 22825, 85cae2b4dad454f1",
        "IQ3_S, 28317, 2af14ec41c223a4b",
    })
    void searchTablesEqualGgmlsInit(IqGrids.Search search, int neighbourLength, String fnvHex) {
        IqGrids.Search.Tables t = search.tables();
        assertThat(t.neighbours()).hasSize(neighbourLength);
        assertThat(t.map()).hasSize(search.mapSize());
        assertThat(Long.toHexString(fingerprint(t))).isEqualTo(fnvHex);
    }

    @Test
    void searchTablesAreBuiltOnceAndSharedAcrossThreads() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<IqGrids.Search.Tables>> results = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                results.add(pool.submit(() -> {
                    start.await();
                    return IqGrids.Search.IQ3_XXS.tables();
                }));
            }
            start.countDown();
            IqGrids.Search.Tables first = results.get(0).get();
            for (Future<IqGrids.Search.Tables> f : results) assertThat(f.get()).isSameAs(first);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void concurrentFreshBuildsAreIdentical() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            List<Future<IqGrids.Search.Tables>> builds = new ArrayList<>();
            for (int i = 0; i < 3; i++) builds.add(pool.submit(IqGrids.Search.IQ2_XS::build));
            long expected = fingerprint(IqGrids.Search.IQ2_XS.tables());
            for (Future<IqGrids.Search.Tables> f : builds) {
                assertThat(f.get()).isNotSameAs(IqGrids.Search.IQ2_XS.tables());
                assertThat(fingerprint(f.get())).isEqualTo(expected);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void concurrentQuantizationIsDeterministic() throws Exception {
        int n = 512;
        SplittableRandom rnd = new SplittableRandom(9);
        float[] x = new float[n], w = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) rnd.nextGaussian();
            w[i] = (float) Math.exp(rnd.nextGaussian());
        }
        List<GgmlType> types = GridCodecVectorsTest.TYPES;
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Callable<byte[]>> jobs = new ArrayList<>();
            for (int rep = 0; rep < 4; rep++) {
                for (GgmlType t : types) {
                    jobs.add(() -> {
                        byte[] out = new byte[(int) Codecs.of(t).rowBytes(n)];
                        Codecs.of(t).quantizeRow(x, 0, n, MemorySegment.ofArray(out), 0, w);
                        return out;
                    });
                }
            }
            List<Future<byte[]>> done = pool.invokeAll(jobs);
            for (int i = 0; i < done.size(); i++) {
                assertThat(done.get(i).get()).as("job %d", i).isEqualTo(done.get(i % types.size()).get());
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
