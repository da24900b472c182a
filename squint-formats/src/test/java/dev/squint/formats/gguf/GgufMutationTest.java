package dev.squint.formats.gguf;

import dev.squint.core.ModelFormatException;
import dev.squint.core.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A seeded mutation run that needs no fuzzing engine, so every build exercises it: bit flips,
 * "interesting" bytes and u64s in count/length positions, truncations and splices of the valid
 * seed files. Each mutant must open or be refused with {@link ModelFormatException}, nothing else.
 */
class GgufMutationTest {
    private static final String SEEDS = "GgufReaderFuzzTestInputs/openArbitraryBytes/";
    private static final String[] SEED_NAMES = {"two-tensors.gguf", "every-value-type.gguf", "v2-align64.gguf", "metadata-only.gguf", "quant-types.gguf"};
    private static final long[] INTERESTING = {0, 1, -1, 0x7F, 0x80, 0xFF, 0xFFFF, 0x7FFFFFFFL, 0x80000000L, 0xFFFFFFFFL, 1L << 32, Long.MAX_VALUE, Long.MIN_VALUE};

    @TempDir Path dir;

    static List<byte[]> seeds() throws IOException {
        List<byte[]> out = new ArrayList<>();
        for (String name : SEED_NAMES) {
            try (InputStream in = GgufMutationTest.class.getResourceAsStream(SEEDS + name)) {
                assertThat(in).as(name).isNotNull();
                out.add(in.readAllBytes());
            }
        }
        return out;
    }

    @Test
    void everySeedIsAValidFile() throws IOException {
        Path f = dir.resolve("seed.gguf");
        for (byte[] seed : seeds()) {
            Files.write(f, seed);
            try (GgufFile g = GgufReader.open(f)) {
                assertThat(g.tensorInfos().size() + g.metadata().size()).isPositive();
            }
        }
    }

    @Test
    void mutantsOpenOrAreRefusedWithModelFormatException() throws IOException {
        List<byte[]> seeds = seeds();
        SplittableRandom rnd = new SplittableRandom(20261127);
        Path f = dir.resolve("mutant.gguf");
        int opened = 0, refused = 0;
        long deadline = System.nanoTime() + 60_000_000_000L; // a bound, not a target: 4000 mutants take a few seconds
        for (int i = 0; i < 4000 && System.nanoTime() < deadline; i++) {
            byte[] m = mutate(seeds.get(rnd.nextInt(seeds.size())), seeds, rnd);
            Files.write(f, m);
            try (GgufFile g = GgufReader.open(f)) {
                for (Tensor t : g.tensors()) if (t.byteSize() > 0) t.data().get(ValueLayout.JAVA_BYTE, t.byteSize() - 1);
                opened++;
            } catch (ModelFormatException e) {
                assertThat(e.getMessage()).startsWith(f.toString()).doesNotContain("\n");
                refused++;
            } catch (RuntimeException | Error e) {
                throw new AssertionError("mutant #" + i + " " + Arrays.toString(Arrays.copyOf(m, Math.min(m.length, 64))) + " gave " + e, e);
            }
        }
        assertThat(refused).isPositive();
        assertThat(opened).isPositive(); // flips inside tensor data keep files valid
    }

    private static byte[] mutate(byte[] seed, List<byte[]> seeds, SplittableRandom rnd) {
        byte[] b = seed.clone();
        int rounds = 1 + rnd.nextInt(3);
        for (int r = 0; r < rounds && b.length > 0; r++) {
            switch (rnd.nextInt(5)) {
                case 0 -> b[rnd.nextInt(b.length)] ^= (byte) (1 << rnd.nextInt(8));
                case 1 -> b[rnd.nextInt(b.length)] = (byte) INTERESTING[rnd.nextInt(INTERESTING.length)];
                case 2 -> { // an interesting u64 where a count, length or offset may sit
                    if (b.length >= 8) {
                        int at = rnd.nextInt(b.length - 7);
                        long v = INTERESTING[rnd.nextInt(INTERESTING.length)];
                        for (int k = 0; k < 8; k++) b[at + k] = (byte) (v >>> (8 * k));
                    }
                }
                case 3 -> b = Arrays.copyOf(b, rnd.nextInt(b.length + 1));
                default -> { // splice: a prefix of this file and a suffix of another
                    byte[] other = seeds.get(rnd.nextInt(seeds.size()));
                    int cut = rnd.nextInt(b.length + 1), from = rnd.nextInt(other.length + 1);
                    byte[] s = Arrays.copyOf(b, cut + other.length - from);
                    System.arraycopy(other, from, s, cut, other.length - from);
                    b = s;
                }
            }
        }
        return b;
    }
}
