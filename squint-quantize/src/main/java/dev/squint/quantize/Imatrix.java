package dev.squint.quantize;

import dev.squint.core.GgmlType;
import dev.squint.core.ModelFormatException;
import dev.squint.core.SquintException;
import dev.squint.core.Tensor;
import dev.squint.formats.gguf.GgufFile;
import dev.squint.formats.gguf.GgufReader;
import dev.squint.formats.gguf.GgufTensorInfo;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An importance matrix as llama-quantize uses it: per weight tensor name, one importance value per
 * column (per expert for 3-D tensors), i.e. the mean of the squared activations that column saw.
 *
 * <p>Two file formats, both produced by {@code llama-imatrix}:
 * <ul>
 *   <li>legacy {@code .dat} (little-endian): {@code i32 n_entries}, then per entry {@code i32 name_len,
 *       name bytes, i32 ncall, i32 nval, f32[nval] sums}; then optionally {@code i32 last_call,
 *       i32 dataset_len, dataset bytes}. Values are {@code sums / ncall} (the sums as they are when
 *       {@code ncall} is 0).</li>
 *   <li>GGUF: per entry an F32 tensor {@code NAME.in_sum2} {@code [ne0, n_mat]} and an F32 tensor
 *       {@code NAME.counts} {@code [1, n_mat]}; value {@code j*ne0+i} is {@code in_sum2 / counts[j]}, or 1
 *       where a count is 0 (the matrix never saw input). Metadata {@code imatrix.datasets} (strings)
 *       and {@code imatrix.chunk_count}.</li>
 * </ul>
 * Entries with no counts or no sums are skipped, as llama-quantize does.
 */
public final class Imatrix {
    private static final int MAX_NAME = 4096;
    private static final int GGUF_MAGIC = 0x46554747; // "GGUF" as a little-endian u32

    private final Path file;
    private final Map<String, float[]> values;
    private final List<String> datasets;
    private final int chunkCount;

    private Imatrix(Path file, Map<String, float[]> values, List<String> datasets, int chunkCount) {
        this.file = file;
        this.values = values;
        this.datasets = List.copyOf(datasets);
        this.chunkCount = chunkCount;
    }

    /** Loads either format (GGUF when the file starts with the GGUF magic). */
    public static Imatrix load(Path file) {
        if (!Files.isRegularFile(file)) throw new SquintException(file + ": no such importance-matrix file");
        Imatrix m;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer magic = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(magic, 0);
            boolean gguf = magic.position() == 4 && magic.getInt(0) == GGUF_MAGIC;
            m = gguf ? null : loadLegacy(file, ch);
        } catch (IOException e) {
            throw new SquintException(file + ": cannot read: " + e.getMessage(), e);
        }
        if (m == null) m = loadGguf(file);
        for (Map.Entry<String, float[]> e : m.values.entrySet()) {
            for (float f : e.getValue()) {
                if (!Float.isFinite(f)) throw new ModelFormatException(file, "entry " + e.getKey() + " holds a non-finite value " + f);
            }
        }
        return m;
    }

    private static Imatrix loadLegacy(Path file, FileChannel ch) throws IOException {
        long size = ch.size();
        Reader r = new Reader(file, ch, size);
        int n = r.i32("entry count");
        if (n < 0 || n > size / 12) throw new ModelFormatException(file, "legacy imatrix: entry count " + n + " does not fit the file");
        Map<String, float[]> values = new LinkedHashMap<>();
        for (int e = 0; e < n; e++) {
            int len = r.i32("name length of entry " + e);
            if (len <= 0 || len > MAX_NAME) throw new ModelFormatException(file, "legacy imatrix: entry " + e + " has a name length of " + len);
            String name = new String(r.bytes(len, "name of entry " + e), StandardCharsets.UTF_8);
            int ncall = r.i32("call count of " + name);
            int nval = r.i32("value count of " + name);
            if (nval < 0 || (long) nval * 4 > size - r.pos) {
                throw new ModelFormatException(file, "legacy imatrix: entry " + name + " claims " + nval + " values, more than the file holds");
            }
            ByteBuffer b = ByteBuffer.wrap(r.bytes(nval * 4, "values of " + name)).order(ByteOrder.LITTLE_ENDIAN);
            float[] v = new float[nval];
            b.asFloatBuffer().get(v);
            if (ncall > 0) for (int i = 0; i < nval; i++) v[i] = v[i] / ncall;
            if (nval > 0) values.put(name, v);
        }
        int lastCall = 0;
        List<String> datasets = new ArrayList<>();
        if (r.pos < size) {
            lastCall = r.i32("last call");
            int len = r.i32("dataset name length");
            if (len < 0 || len > size - r.pos) throw new ModelFormatException(file, "legacy imatrix: dataset name length " + len + " does not fit the file");
            datasets.add(new String(r.bytes(len, "dataset name"), StandardCharsets.UTF_8));
        }
        return new Imatrix(file, values, datasets, lastCall);
    }

    private static Imatrix loadGguf(Path file) {
        try (GgufFile g = GgufReader.open(file)) {
            Map<String, GgufTensorInfo> sums = new LinkedHashMap<>();
            Map<String, GgufTensorInfo> counts = new HashMap<>();
            for (GgufTensorInfo t : g.tensorInfos()) {
                if (t.name().endsWith(".in_sum2")) sums.put(t.name().substring(0, t.name().length() - 8), t);
                else if (t.name().endsWith(".counts")) counts.put(t.name().substring(0, t.name().length() - 7), t);
            }
            if (sums.isEmpty()) throw new ModelFormatException(file, "GGUF file holds no *.in_sum2 tensors: not an importance matrix");
            Map<String, float[]> values = new LinkedHashMap<>();
            for (Map.Entry<String, GgufTensorInfo> e : sums.entrySet()) {
                String name = e.getKey();
                GgufTensorInfo s = e.getValue();
                GgufTensorInfo c = counts.get(name);
                if (c == null) throw new ModelFormatException(file, "entry " + name + " has in_sum2 but no counts tensor");
                if (s.type() != GgmlType.F32 || c.type() != GgmlType.F32) {
                    throw new ModelFormatException(file, "entry " + name + ": in_sum2 and counts must be F32");
                }
                long nCounts = c.elementCount();
                long nSums = s.elementCount();
                if (nCounts == 0 || nSums == 0) continue;
                if (nSums % nCounts != 0 || nSums > Integer.MAX_VALUE) {
                    throw new ModelFormatException(file, "entry " + name + ": " + nSums + " sums do not split into " + nCounts + " matrices");
                }
                float[] sumv = floats(g, s.name());
                float[] cnt = floats(g, c.name());
                int ne0 = (int) (nSums / nCounts);
                float[] v = new float[(int) nSums];
                for (int j = 0; j < nCounts; j++) {
                    float count = cnt[j];
                    for (int i = 0; i < ne0; i++) v[j * ne0 + i] = count > 0f ? sumv[j * ne0 + i] / count : 1f;
                }
                values.put(name, v);
            }
            List<String> datasets = g.metadata().strings("imatrix.datasets").orElse(List.of());
            int chunks = g.metadata().integer("imatrix.chunk_count").orElse(0L).intValue();
            return new Imatrix(file, values, datasets, chunks);
        }
    }

    private static float[] floats(GgufFile g, String tensor) {
        Tensor t = g.tensor(tensor).orElseThrow();
        return t.data().toArray(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN));
    }

    public Path file() { return file; }

    /** Importance values for a weight tensor, by its name. */
    public Optional<float[]> get(String tensorName) { return Optional.ofNullable(values.get(tensorName)); }

    public int entryCount() { return values.size(); }

    public List<String> datasets() { return datasets; }

    /** Chunks the matrix was computed on (0 if unknown). */
    public int chunkCount() { return chunkCount; }

    private static final class Reader {
        private final Path file;
        private final FileChannel ch;
        private final long size;
        long pos;

        Reader(Path file, FileChannel ch, long size) {
            this.file = file;
            this.ch = ch;
            this.size = size;
        }

        int i32(String what) throws IOException {
            return ByteBuffer.wrap(bytes(4, what)).order(ByteOrder.LITTLE_ENDIAN).getInt();
        }

        byte[] bytes(int n, String what) throws IOException {
            if (n > size - pos) throw new ModelFormatException(file, "legacy imatrix: truncated at the " + what);
            ByteBuffer b = ByteBuffer.allocate(n);
            while (b.hasRemaining()) {
                if (ch.read(b, pos + b.position()) < 0) throw new ModelFormatException(file, "legacy imatrix: truncated at the " + what);
            }
            pos += n;
            return b.array();
        }
    }
}
