package dev.squint.formats.safetensors;

import dev.squint.core.ScalarType;
import dev.squint.formats.safetensors.SafetensorsWriter.Entry;
import dev.squint.formats.safetensors.SafetensorsWriter.Options;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A seeded, structure-aware mutation fuzzer in plain JUnit, complementing the Jazzer target: it
 * mutates valid files and the hostile-table files in ways that reach past the first checks (JSON
 * numbers swapped for edge values, keys duplicated, the length prefix recomputed after the header
 * changes), deterministically and in every test run, for a bounded time
 * ({@code squint.fuzz.seconds}, at most 15 s) and iteration count. (It was first written because
 * Jazzer 0.24.0 could not instrument Java 25 class files; 0.30.0 can.) A failure prints the seed,
 * the iteration and the input in base64.
 */
class SafetensorsMutationFuzzTest {
    private static final long SEED = 0x5AFE7E45L;
    private static final int MAX_ITERATIONS = 25_000;
    private static final String[] EDGE_NUMBERS = {"0", "1", "-1", "7", "8", "4294967296", "9223372036854775807",
            "9223372036854775808", "18446744073709551616", "-9223372036854775808", "1e400", "0.5", "1e2", "null", "\"3\"", "[]", "{}"};
    private static final String[] EDGE_TOKENS = {"{", "}", "[", "]", ",", ":", "\"", "\"__metadata__\"", "\"dtype\"", "\"shape\"",
            "\"data_offsets\"", "\"F4\"", "\"BOOL\"", "\"F8_E8M0\"", "\"C64\"", "\\u0000", "\\ud800", " ", "\u00ff"};

    @TempDir Path dir;

    private List<byte[]> seeds() throws IOException {
        List<byte[]> seeds = new ArrayList<>();
        List<Entry> entries = new ArrayList<>();
        int i = 0;
        for (ScalarType t : ScalarType.values()) {
            if (t.safetensorsName().isEmpty()) continue;
            entries.add(SafetensorsRoundTripTest.entry("t" + i++, t, i, 2, 4));
        }
        Path full = dir.resolve("all.safetensors");
        SafetensorsWriter.write(full, entries, Options.defaults().withMetadata(java.util.Map.of("format", "pt", "note", "seed")));
        seeds.add(Files.readAllBytes(full));
        Path small = dir.resolve("small.safetensors");
        SafetensorsWriter.write(small, entries.subList(0, 3), Options.defaults());
        seeds.add(Files.readAllBytes(small));
        SafetensorsHostileTest.cases().forEach(a -> seeds.add(((byte[]) ((org.junit.jupiter.api.Named<?>) a.get()[0]).getPayload())));
        return seeds;
    }

    @Test
    void mutatedFilesOnlyEverFailAsFormatFaults() throws IOException {
        List<byte[]> seeds = seeds();
        for (byte[] s : seeds) SafetensorsFuzzTest.SafetensorsFuzzing.check(s);
        long budgetNanos = Math.min(15, Long.getLong("squint.fuzz.seconds", 5)) * 1_000_000_000L;
        long start = System.nanoTime();
        Random random = new Random(SEED);
        int iterations = 0;
        int accepted = 0;
        java.util.Set<String> faultKinds = new java.util.HashSet<>();
        for (; iterations < MAX_ITERATIONS && System.nanoTime() - start < budgetNanos; iterations++) {
            byte[] input = mutate(random, seeds);
            try {
                String fault = SafetensorsFuzzTest.SafetensorsFuzzing.check(input);
                if (fault == null) accepted++;
                else faultKinds.add(fault.replaceAll("'[^']*'|\\d+|\\[.*?]|\\(.*\\)", "_"));
            } catch (Throwable t) {
                throw new AssertionError("seed " + SEED + ", iteration " + iterations + ": " + t
                        + "\ninput (base64): " + Base64.getEncoder().encodeToString(input), t);
            }
        }
        if (budgetNanos == 0) return; // squint.fuzz.seconds=0: stored seeds only
        System.out.printf("safetensors mutation fuzz: %d inputs, %d accepted, %d kinds of fault%n", iterations, accepted, faultKinds.size());
        assertThat(iterations).isGreaterThan(100);
        // the mutations must reach deep checks, not stop at the length prefix
        assertThat(faultKinds.size()).as(faultKinds.toString()).isGreaterThan(15);
        assertThat(accepted).isPositive();
    }

    private static byte[] mutate(Random r, List<byte[]> seeds) {
        byte[] base = seeds.get(r.nextInt(seeds.size()));
        int rounds = 1 + r.nextInt(4);
        byte[] b = base.clone();
        for (int k = 0; k < rounds; k++) {
            b = switch (r.nextInt(8)) {
                case 0 -> flipBits(r, b);
                case 1 -> setLength(r, b);
                case 2 -> editHeader(r, b, (h, rr) -> replaceNumber(rr, h));
                case 3 -> editHeader(r, b, (h, rr) -> insertToken(rr, h));
                case 4 -> editHeader(r, b, (h, rr) -> duplicateSpan(rr, h));
                case 5 -> truncateOrExtend(r, b);
                case 6 -> editHeader(r, b, (h, rr) -> deleteSpan(rr, h));
                default -> splice(r, b, seeds.get(r.nextInt(seeds.size())));
            };
        }
        return b;
    }

    private static byte[] flipBits(Random r, byte[] b) {
        if (b.length == 0) return b;
        byte[] out = b.clone();
        int n = 1 + r.nextInt(8);
        for (int i = 0; i < n; i++) out[r.nextInt(out.length)] ^= (byte) (1 << r.nextInt(8));
        return out;
    }

    private static byte[] setLength(Random r, byte[] b) {
        if (b.length < 8) return b;
        long current = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        long[] choices = {0, 1, current - 1, current + 1, current + 8, b.length - 8, b.length - 7, Long.MAX_VALUE, -1, 100_000_001, 99_999_999};
        byte[] out = b.clone();
        ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN).putLong(0, choices[r.nextInt(choices.length)]);
        return out;
    }

    private interface HeaderEdit { String apply(String header, Random r); }

    /** Rewrites the header text, then (usually) fixes the length prefix so the change reaches the parser. */
    private static byte[] editHeader(Random r, byte[] b, HeaderEdit edit) {
        if (b.length < 8) return b;
        long n = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        if (n < 0 || n > b.length - 8) return flipBits(r, b);
        String header = new String(b, 8, (int) n, StandardCharsets.UTF_8);
        byte[] data = Arrays.copyOfRange(b, (int) (8 + n), b.length);
        byte[] h = edit.apply(header, r).getBytes(StandardCharsets.UTF_8);
        long declared = r.nextInt(8) == 0 ? n : h.length;
        return StBytes.file(declared, h, data);
    }

    private static String replaceNumber(Random r, String h) {
        List<int[]> spans = new ArrayList<>();
        for (int i = 0; i < h.length(); i++) {
            if (Character.isDigit(h.charAt(i))) {
                int j = i;
                while (j < h.length() && Character.isDigit(h.charAt(j))) j++;
                spans.add(new int[] {i, j});
                i = j;
            }
        }
        if (spans.isEmpty()) return insertToken(r, h);
        int[] s = spans.get(r.nextInt(spans.size()));
        String replacement = r.nextBoolean() ? EDGE_NUMBERS[r.nextInt(EDGE_NUMBERS.length)]
                : Long.toString(Long.parseLong(h.substring(s[0], Math.min(s[1], s[0] + 18))) + r.nextInt(17) - 8);
        return h.substring(0, s[0]) + replacement + h.substring(s[1]);
    }

    private static String insertToken(Random r, String h) {
        int at = h.isEmpty() ? 0 : r.nextInt(h.length());
        return h.substring(0, at) + EDGE_TOKENS[r.nextInt(EDGE_TOKENS.length)] + h.substring(at);
    }

    private static String duplicateSpan(Random r, String h) {
        if (h.length() < 2) return h;
        int a = r.nextInt(h.length()), c = a + r.nextInt(Math.min(80, h.length() - a));
        int at = r.nextInt(h.length());
        return h.substring(0, at) + h.substring(a, c) + h.substring(at);
    }

    private static String deleteSpan(Random r, String h) {
        if (h.length() < 2) return h;
        int a = r.nextInt(h.length()), c = a + r.nextInt(Math.min(40, h.length() - a));
        return h.substring(0, a) + h.substring(c);
    }

    private static byte[] truncateOrExtend(Random r, byte[] b) {
        return r.nextBoolean() ? Arrays.copyOf(b, r.nextInt(b.length + 1)) : Arrays.copyOf(b, b.length + 1 + r.nextInt(16));
    }

    private static byte[] splice(Random r, byte[] a, byte[] other) {
        int cut = a.length == 0 ? 0 : r.nextInt(a.length);
        int from = other.length == 0 ? 0 : r.nextInt(other.length);
        byte[] out = Arrays.copyOf(a, cut + other.length - from);
        System.arraycopy(other, from, out, cut, other.length - from);
        return out;
    }
}
