package dev.squint.quantize.onnx;

import dev.squint.core.ModelFormatException;
import dev.squint.core.ScalarType;
import dev.squint.core.SquintException;
import dev.squint.core.Tensor;
import dev.squint.formats.hf.HfTokenizer;
import dev.squint.formats.hf.WordPiece;
import dev.squint.formats.onnx.OnnxGraph;
import dev.squint.formats.safetensors.SafetensorsReader;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Calibration (and verification) inputs: tensors named after the graph's inputs, from
 * {@code .npy} (one input; the file name without extension names it), {@code .npz} (one member per
 * input), safetensors, or a text file (one sentence a line) encoded with the model's tokenizer.json
 * ({@link WordPiece}: BERT-style WordPiece only).
 *
 * <p>Tensors are split along their first axis into batches of {@code batchSize} samples; at most
 * {@code limit} samples are used ({@code --calibration-size}).
 */
public final class CalibrationData {
    private CalibrationData() {}

    /** Hard limits for .npy headers and element counts read from files. */
    private static final int MAX_HEADER = 1 << 16;
    private static final long MAX_CALIBRATION_BYTES = 1L << 30;

    /** Loads tensors from {@code file} (by extension) and splits them into batches. */
    public static List<Map<String, HostTensor>> load(Path file, OnnxGraph graph, Path tokenizerJson, int limit, int batchSize) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        Map<String, HostTensor> all;
        if (name.endsWith(".npy")) {
            String input = file.getFileName().toString().replaceFirst("(?i)\\.npy$", "");
            all = Map.of(input, readNpy(file, input, readAll(file)));
        } else if (name.endsWith(".npz")) {
            all = readNpz(file);
        } else if (name.endsWith(".safetensors")) {
            all = readSafetensors(file);
        } else {
            if (tokenizerJson == null) throw new SquintException(file + ": text calibration needs the model's tokenizer.json (--tokenizer)");
            List<String> lines;
            try {
                lines = Files.readAllLines(file, StandardCharsets.UTF_8).stream().map(String::strip).filter(s -> !s.isEmpty()).toList();
            } catch (IOException e) {
                throw new SquintException(file + ": cannot read: " + e.getMessage());
            }
            if (lines.size() > limit) lines = lines.subList(0, limit);
            WordPiece wordPiece = wordPiece(tokenizerJson);
            List<Map<String, HostTensor>> batches = new ArrayList<>();
            for (int i = 0; i < lines.size(); i += batchSize) {
                batches.add(tokenInputs(wordPiece, lines.subList(i, Math.min(lines.size(), i + batchSize)), 128, inputNames(graph)));
            }
            for (Map<String, HostTensor> b : batches) check(graph, b);
            return batches;
        }
        return split(all, graph, limit, batchSize);
    }

    /** The WordPiece tokenizer of {@code tokenizerJson}; other tokenizer models cannot encode calibration text. */
    public static WordPiece wordPiece(Path tokenizerJson) {
        HfTokenizer tokenizer = HfTokenizer.read(tokenizerJson);
        if (tokenizer.model().type() != HfTokenizer.ModelType.WORD_PIECE) {
            throw new ModelFormatException(tokenizerJson, "is not a WordPiece tokenizer (model type " + tokenizer.model().type()
                    + "); give calibration tensors (.npy/.npz/safetensors) instead");
        }
        return WordPiece.of(tokenizer);
    }

    /**
     * input_ids, attention_mask and token_type_ids (those among {@code inputs}) for a batch of
     * sentences, each {@code [CLS] ... [SEP]} cut to {@code maxLength}, padded to the longest.
     */
    public static Map<String, HostTensor> tokenInputs(WordPiece wordPiece, List<String> sentences, int maxLength, Set<String> inputs) {
        List<int[]> all = sentences.stream().map(s -> wordPiece.encodeForModel(s, maxLength).ids()).toList();
        int len = all.stream().mapToInt(a -> a.length).max().orElse(2);
        int b = all.size();
        long[] ids = new long[b * len], mask = new long[b * len], types = new long[b * len];
        for (int i = 0; i < b; i++) {
            int[] row = all.get(i);
            for (int j = 0; j < len; j++) {
                boolean real = j < row.length;
                ids[i * len + j] = real ? row[j] : wordPiece.padId();
                mask[i * len + j] = real ? 1 : 0;
            }
        }
        long[] shape = {b, len};
        Map<String, HostTensor> m = new LinkedHashMap<>();
        if (inputs.contains("input_ids")) m.put("input_ids", HostTensor.ofLongs("input_ids", shape, ids));
        if (inputs.contains("attention_mask")) m.put("attention_mask", HostTensor.ofLongs("attention_mask", shape, mask));
        if (inputs.contains("token_type_ids")) m.put("token_type_ids", HostTensor.ofLongs("token_type_ids", shape, types));
        return m;
    }

    static Set<String> inputNames(OnnxGraph graph) {
        Set<String> inits = new HashSet<>(graph.initializerNames());
        Set<String> names = new java.util.LinkedHashSet<>();
        for (OnnxGraph.ValueInfo v : graph.inputs()) if (!inits.contains(v.name())) names.add(v.name());
        return names;
    }

    /** Splits named tensors into batches along their first axis, after checking them against the graph. */
    public static List<Map<String, HostTensor>> split(Map<String, HostTensor> all, OnnxGraph graph, int limit, int batchSize) {
        check(graph, all);
        long samples = Long.MAX_VALUE;
        for (HostTensor t : all.values()) samples = Math.min(samples, t.shape().length == 0 ? 1 : t.shape()[0]);
        samples = Math.min(samples, limit);
        List<Map<String, HostTensor>> batches = new ArrayList<>();
        for (long start = 0; start < samples; start += batchSize) {
            long n = Math.min(batchSize, samples - start);
            Map<String, HostTensor> b = new LinkedHashMap<>();
            for (HostTensor t : all.values()) b.put(t.name(), slice(t, start, n));
            batches.add(b);
        }
        return batches;
    }

    private static HostTensor slice(HostTensor t, long start, long n) {
        if (t.shape().length == 0) return t;
        long rowBytes = t.data().remaining() / Math.max(1, t.shape()[0]);
        ByteBuffer b = t.data().duplicate();
        b.position((int) (b.position() + start * rowBytes));
        b.limit((int) (b.position() + n * rowBytes));
        long[] s = t.shape().clone();
        s[0] = n;
        return new HostTensor(t.name(), t.elemType(), s, b.slice());
    }

    /**
     * Checks that {@code batch} gives every graph input with its element type, rank and fixed
     * dimensions; the error names the input and the shape the graph expects.
     */
    public static void check(OnnxGraph graph, Map<String, HostTensor> batch) {
        Set<String> inits = new HashSet<>(graph.initializerNames());
        Set<String> known = new HashSet<>();
        for (OnnxGraph.ValueInfo v : graph.inputs()) {
            if (inits.contains(v.name())) continue;
            known.add(v.name());
            HostTensor t = batch.get(v.name());
            if (!(v.type() instanceof OnnxGraph.ValueType.TensorType tt)) continue;
            String expected = describe(tt);
            if (t == null) throw new SquintException("calibration data has no tensor for input '" + v.name() + "' (expected " + expected + ")");
            if (tt.elemType() != 0 && tt.elemType() != t.elemType()) {
                throw new SquintException("calibration input '" + v.name() + "' has element type " + typeName(t.elemType())
                        + ", the graph expects " + expected);
            }
            if (tt.shape().isPresent()) {
                List<OnnxGraph.Dim> dims = tt.shape().get();
                boolean ok = dims.size() == t.shape().length;
                for (int i = 0; ok && i < dims.size(); i++) {
                    if (dims.get(i) instanceof OnnxGraph.Dim.Fixed f && f.value() != t.shape()[i]) ok = false;
                }
                if (!ok) throw new SquintException("calibration input '" + v.name() + "' has shape " + Arrays.toString(t.shape())
                        + ", the graph expects " + expected);
            }
        }
        for (String name : batch.keySet()) {
            if (!known.contains(name)) throw new SquintException("calibration data has tensor '" + name + "', which is not a graph input; inputs are " + known);
        }
    }

    private static String describe(OnnxGraph.ValueType.TensorType tt) {
        StringBuilder sb = new StringBuilder(typeName(tt.elemType())).append(" [");
        List<OnnxGraph.Dim> dims = tt.shape().orElse(List.of());
        for (int i = 0; i < dims.size(); i++) {
            if (i > 0) sb.append(", ");
            sb.append(switch (dims.get(i)) {
                case OnnxGraph.Dim.Fixed f -> Long.toString(f.value());
                case OnnxGraph.Dim.Symbolic s -> s.name();
                case OnnxGraph.Dim.Unknown u -> "?";
            });
        }
        return sb.append(tt.shape().isPresent() ? "]" : "?]").toString();
    }

    static String typeName(int elemType) {
        return ScalarType.fromOnnx(elemType).map(Object::toString).orElse("type " + elemType);
    }

    private static byte[] readAll(Path file) {
        try {
            long size = Files.size(file);
            if (size > MAX_CALIBRATION_BYTES) throw new SquintException(file + ": " + size + " bytes of calibration data; use at most 1 GiB");
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new SquintException(file + ": cannot read: " + e.getMessage());
        }
    }

    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    /**
     * Reads a NumPy .npy array (format 1.0, 2.0 or 3.0; C order; little-endian or single-byte
     * types f4, f2, f8, i8, i4, i1, u1, b1).
     */
    static HostTensor readNpy(Path where, String name, byte[] bytes) {
        if (bytes.length < 10 || (bytes[0] & 0xff) != 0x93 || !new String(bytes, 1, 5, StandardCharsets.ISO_8859_1).equals("NUMPY")) {
            throw new ModelFormatException(where, "'" + name + "' is not a .npy array (bad magic)");
        }
        int major = bytes[6];
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int headerLen, headerStart;
        if (major == 1) { headerLen = b.getShort(8) & 0xffff; headerStart = 10; }
        else if (major == 2 || major == 3) {
            if (bytes.length < 12) throw new ModelFormatException(where, "'" + name + "' is truncated in its header");
            headerLen = b.getInt(8); headerStart = 12;
        } else throw new ModelFormatException(where, "'" + name + "' has .npy format version " + major + ", not 1, 2 or 3");
        if (headerLen < 0 || headerLen > MAX_HEADER || headerStart + headerLen > bytes.length) {
            throw new ModelFormatException(where, "'" + name + "' has a header length " + headerLen + " outside the file");
        }
        String header = new String(bytes, headerStart, headerLen, StandardCharsets.ISO_8859_1);
        Matcher d = DESCR.matcher(header), f = FORTRAN.matcher(header), s = SHAPE.matcher(header);
        if (!d.find() || !f.find() || !s.find()) throw new ModelFormatException(where, "'" + name + "' has a .npy header without descr, fortran_order or shape");
        if (f.group(1).equals("True")) throw new ModelFormatException(where, "'" + name + "' is in Fortran order; save it in C order");
        int elemType, width;
        switch (d.group(1)) {
            case "<f4" -> { elemType = 1; width = 4; }
            case "<f2" -> { elemType = 10; width = 2; }
            case "<f8" -> { elemType = 11; width = 8; }
            case "<i8" -> { elemType = 7; width = 8; }
            case "<i4" -> { elemType = 6; width = 4; }
            case "|i1" -> { elemType = 3; width = 1; }
            case "|u1" -> { elemType = 2; width = 1; }
            case "|b1" -> { elemType = 9; width = 1; }
            default -> throw new ModelFormatException(where, "'" + name + "' has dtype " + d.group(1) + ", which squint does not read");
        }
        List<Long> dims = new ArrayList<>();
        for (String part : s.group(1).split(",")) {
            String p = part.strip();
            if (p.isEmpty()) continue;
            try {
                long v = Long.parseLong(p);
                if (v < 0) throw new NumberFormatException();
                dims.add(v);
            } catch (NumberFormatException e) {
                throw new ModelFormatException(where, "'" + name + "' has a bad dimension '" + p + "' in its shape");
            }
        }
        long count = 1;
        for (long v : dims) {
            if (v != 0 && count > MAX_CALIBRATION_BYTES / v) throw new ModelFormatException(where, "'" + name + "' has shape " + dims + ", too large");
            count *= v;
        }
        long dataStart = headerStart + (long) headerLen;
        if (count * width != bytes.length - dataStart) {
            throw new ModelFormatException(where, "'" + name + "' holds " + (bytes.length - dataStart) + " data bytes, its shape " + dims
                    + " of " + d.group(1) + " needs " + count * width);
        }
        ByteBuffer data = ByteBuffer.allocateDirect((int) (count * width)).order(ByteOrder.LITTLE_ENDIAN);
        data.put(bytes, (int) dataStart, (int) (count * width)).flip();
        return new HostTensor(name, elemType, dims.stream().mapToLong(Long::longValue).toArray(), data);
    }

    private static Map<String, HostTensor> readNpz(Path file) {
        Map<String, HostTensor> out = new LinkedHashMap<>();
        try (ZipFile zip = new ZipFile(file.toFile())) {
            long total = 0;
            for (ZipEntry e : java.util.Collections.list(zip.entries())) {
                if (e.isDirectory() || !e.getName().endsWith(".npy")) continue;
                String name = e.getName().substring(0, e.getName().length() - 4);
                try (InputStream in = zip.getInputStream(e)) {
                    byte[] bytes = in.readNBytes((int) Math.min(MAX_CALIBRATION_BYTES - total, Integer.MAX_VALUE - 16) + 1);
                    total += bytes.length;
                    if (total > MAX_CALIBRATION_BYTES) throw new SquintException(file + ": more than 1 GiB of calibration data");
                    out.put(name, readNpy(file, name, bytes));
                }
            }
        } catch (IOException e) {
            throw new ModelFormatException(file, "not a readable .npz (zip) archive: " + e.getMessage());
        }
        if (out.isEmpty()) throw new ModelFormatException(file, "holds no .npy arrays");
        return out;
    }

    private static Map<String, HostTensor> readSafetensors(Path file) {
        Map<String, HostTensor> out = new LinkedHashMap<>();
        try (var model = SafetensorsReader.open(file)) {
            for (Tensor t : model.tensors()) {
                if (!(t.dtype() instanceof ScalarType st)) continue;
                ByteBuffer data = ByteBuffer.allocateDirect((int) t.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
                data.put(t.data().asByteBuffer()).flip();
                out.put(t.name(), new HostTensor(t.name(), st.onnxId(), t.shape().dims(), data));
            }
        }
        return out;
    }
}
