package dev.squint.formats.onnx;

import dev.squint.core.ModelFormatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * A seeded, bounded mutation fuzzer over the ONNX reader in plain JUnit. It exists because Jazzer
 * 0.24 cannot instrument Java 25 class files ("Unsupported class file major version 69"), so its
 * coverage guidance does not see squint's classes; this test runs everywhere, reproducibly.
 *
 * <p>Each case mutates a seed model (bit flips, interesting bytes, large varints, truncation,
 * insertion, duplicated ranges) with {@code new Random(BASE_SEED + case)}; opening must either
 * succeed or throw {@link ModelFormatException}. Runs for {@code squint.fuzz.seconds} (capped at
 * 60, default 5) or {@link #MAX_CASES} cases, whichever ends first; a failure names the case and saves
 * its input under target/.
 */
class OnnxReaderMutationTest {
    private static final long BASE_SEED = 0x5EED_0_0AAL;
    private static final int MAX_CASES = 20_000;

    @TempDir Path dir;

    @Test
    void mutatedModelsOnlyEverFailWithModelFormatException() throws IOException {
        Files.write(dir.resolve(OnnxFuzzSeeds.EXTERNAL_FILE), new byte[64]);
        List<byte[]> seeds = OnnxFuzzSeeds.all();
        for (byte[] seed : seeds) { // the seeds themselves are valid models
            Path p = dir.resolve("seed.onnx");
            Files.write(p, seed);
            OnnxReader.open(p).close();
        }
        long seconds = Math.min(60, Long.getLong("squint.fuzz.seconds", 5));
        long deadline = System.nanoTime() + Math.max(1, seconds) * 1_000_000_000L;
        Path file = dir.resolve("case.onnx");
        int cases = 0;
        int opened = 0;
        for (; cases < MAX_CASES && System.nanoTime() < deadline; cases++) {
            Random rnd = new Random(BASE_SEED + cases);
            byte[] input = mutate(seeds.get(rnd.nextInt(seeds.size())), rnd);
            Files.write(file, input);
            try (OnnxModel model = OnnxReader.open(file)) {
                model.tensors().forEach(t -> t.data().byteSize());
                model.graph();
                opened++;
            } catch (ModelFormatException expected) {
                assertThat(expected.getMessage()).doesNotContain("\n");
            } catch (Throwable t) {
                Path saved = Path.of("target", "onnx-fuzz-case-" + cases + ".onnx");
                Files.createDirectories(saved.getParent());
                Files.write(saved, input);
                fail("case " + cases + " (seed " + (BASE_SEED + cases) + ", input saved to " + saved + ") threw " + t, t);
            }
        }
        assertThat(cases).isPositive();
        // Some mutations must still be valid models, or the fuzzer only tests the first bytes.
        assertThat(opened).isPositive();
        System.out.println("ONNX mutation fuzzer: " + cases + " cases, " + opened + " opened");
    }

    static byte[] mutate(byte[] seed, Random rnd) {
        byte[] b = seed.clone();
        int rounds = 1 + rnd.nextInt(4);
        for (int r = 0; r < rounds && b.length > 0; r++) {
            int at = rnd.nextInt(b.length);
            switch (rnd.nextInt(7)) {
                case 0 -> b[at] ^= (byte) (1 << rnd.nextInt(8));
                case 1 -> b[at] = (byte) new int[] {0, 1, 0x7F, 0x80, 0xFF, 0x08, 0x0A, 0x12}[rnd.nextInt(8)];
                case 2 -> b = Arrays.copyOf(b, at);
                case 3 -> { // a large varint where a length or count may be
                    byte[] big = {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x07};
                    b = splice(b, at, big, rnd.nextBoolean() ? big.length : 0);
                }
                case 4 -> {
                    byte[] junk = new byte[1 + rnd.nextInt(8)];
                    rnd.nextBytes(junk);
                    b = splice(b, at, junk, 0);
                }
                case 5 -> { // duplicate a range (repeated fields, nested copies)
                    int len = Math.min(b.length - at, 1 + rnd.nextInt(32));
                    b = splice(b, at, Arrays.copyOfRange(b, at, at + len), 0);
                }
                default -> b[at] = (byte) rnd.nextInt(256);
            }
        }
        return b;
    }

    /** {@code b} with {@code removed} bytes at {@code at} replaced by {@code insert}. */
    private static byte[] splice(byte[] b, int at, byte[] insert, int removed) {
        removed = Math.min(removed, b.length - at);
        byte[] out = new byte[b.length - removed + insert.length];
        System.arraycopy(b, 0, out, 0, at);
        System.arraycopy(insert, 0, out, at, insert.length);
        System.arraycopy(b, at + removed, out, at + insert.length, b.length - at - removed);
        return out;
    }
}
