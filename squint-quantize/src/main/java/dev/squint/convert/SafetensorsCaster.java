package dev.squint.convert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.squint.core.AtomicOutput;
import dev.squint.core.ScalarType;
import dev.squint.core.Shape;
import dev.squint.core.SquintException;
import dev.squint.core.Tensor;
import dev.squint.core.codec.FloatFormats;
import dev.squint.formats.hf.HfConfig;
import dev.squint.formats.safetensors.SafetensorsIndex;
import dev.squint.formats.safetensors.SafetensorsModel;
import dev.squint.formats.safetensors.SafetensorsReader;
import dev.squint.formats.safetensors.SafetensorsWriter;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Casts the weights of a Hugging Face folder to F16, BF16 or FP8 and writes a folder transformers
 * loads as it loaded the original: the input's shard files under the same names, each tensor in the
 * shard that held it (or, with a shard size, transformers' size-based sharding), the index when
 * sharded, and every other file of the folder copied ({@code config.json} updated). The folder is
 * written under a temporary name and renamed into place, so a failure leaves nothing behind.
 *
 * <ul>
 *   <li><b>f16 / bf16</b>: every F32, F16 and BF16 tensor is cast (round to nearest even);
 *       other dtypes are copied. {@code torch_dtype} (and {@code dtype}) become
 *       {@code float16} / {@code bfloat16}.</li>
 *   <li><b>fp8</b>: transformers' fine-grained FP8 convention ({@code quant_method: "fp8"},
 *       as DeepSeek-V3 and Qwen FP8 checkpoints): each Linear weight (a 2-D {@code *.weight}
 *       that is not an embedding, norm or {@code lm_head}) is stored as {@code F8_E4M3} with an F32
 *       {@code <name>_scale_inv} beside it: the scale {@code amax / 448} by which the stored
 *       values are multiplied to give the weight. Per tensor, so {@code weight_block_size} is null and
 *       the scale is a 0-dimensional tensor: transformers' {@code FP8Linear} (integrations/finegrained_fp8)
 *       declares {@code weight_scale_inv} as a scalar parameter when its block size is None. {@code quantization_config} is
 *       {@code {"quant_method": "fp8", "activation_scheme": "dynamic", "weight_block_size": null,
 *       "modules_to_not_convert": [...]}} listing the 2-D weights left in their dtype (lm_head);
 *       embeddings, norms and biases keep their dtype, as does {@code torch_dtype}.</li>
 * </ul>
 */
public final class SafetensorsCaster {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final int SLAB = 4 << 20;

    private SafetensorsCaster() {}

    public static ConvertReport cast(ConvertOptions options) {
        long start = System.nanoTime();
        Path in = options.input(), out = options.output();
        OutType type = options.outType().orElseThrow(() -> new SquintException(
                "a safetensors cast needs --outtype (" + OutType.names(false) + "); for GGUF give an output ending in .gguf"));
        ScalarType target = type.safetensorsType();
        if (Files.exists(out) && !Files.isDirectory(out)) throw new SquintException(out + ": is a file; a safetensors cast writes a folder");
        AtomicOutput.refuseOverwritingInput(out, List.of(in));
        if (out.toAbsolutePath().normalize().startsWith(in.toAbsolutePath().normalize())) {
            throw new SquintException(out + ": is inside the input folder; choose an output folder elsewhere");
        }
        try (SafetensorsModel model = SafetensorsReader.open(in)) {
            model.config().orElseThrow(() -> new SquintException(in + ": no config.json; a safetensors cast needs a Hugging Face folder"));
            List<SafetensorsWriter.Entry> entries = new ArrayList<>();
            List<ConvertReport.TensorEntry> report = new ArrayList<>();
            List<String> keptLinear = new ArrayList<>();
            for (Tensor t : model.tensors()) {
                boolean castable = t.dtype() == ScalarType.F32 || t.dtype() == ScalarType.F16 || t.dtype() == ScalarType.BF16;
                if (!castable) {
                    add(entries, report, SafetensorsWriter.Entry.of(t), t, Optional.empty());
                } else if (type != OutType.FP8) {
                    add(entries, report, cast(t, target), t, Optional.empty());
                } else if (isLinearWeight(t)) {
                    float scale = fp8Scale(t);
                    add(entries, report, fp8(t, scale), t, Optional.empty());
                    MemorySegment s = MemorySegment.ofArray(new byte[4]);
                    s.set(SourceTensor.F32_LE, 0, scale);
                    SafetensorsWriter.Entry se = SafetensorsWriter.Entry.of(t.name() + "_scale_inv", ScalarType.F32, Shape.of(), s);
                    entries.add(se);
                    report.add(new ConvertReport.TensorEntry(se.name(), t.name(), "-", "F32", se.shape(), 4, Optional.of("FP8 dequantization scale")));
                } else {
                    if (t.shape().rank() == 2 && t.name().endsWith(".weight") && t.name().contains("lm_head")) {
                        keptLinear.add(t.name().substring(0, t.name().length() - ".weight".length()));
                    }
                    add(entries, report, SafetensorsWriter.Entry.of(t), t, Optional.of("kept in " + t.dtype().name()));
                }
            }
            Map<String, MemorySegment> sources = new java.util.HashMap<>();
            for (Tensor t : model.tensors()) sources.put(t.name(), t.data());
            long totalOut = entries.stream().mapToLong(SafetensorsWriter.Entry::byteSize).sum();
            Map<Path, byte[]> sideFiles = sideFiles(in, type, keptLinear);
            options.listener().started(entries.size(), totalOut);
            List<SafetensorsWriter.Entry> counted = entries.stream().map(e -> new SafetensorsWriter.Entry(e.name(), e.dtype(), e.shape(), ch -> {
                e.data().writeTo(ch);
                MemorySegment source = sources.get(e.name());
                if (source != null && source.isMapped()) source.unload(); // keep RSS to the tensors in flight
                options.listener().tensorWritten(e.name(), e.byteSize());
            })).toList();
            List<Path> written = writeFolder(model, out, counted, sideFiles, options);
            long outBytes = 0;
            for (Path p : written) outBytes += GgufEmitter.fileSize(p);
            String arch = model.architecture().orElse("?");
            return new ConvertReport(in, out, "safetensors", "Hugging Face " + arch, arch, written, report, model.tensorBytes(),
                    outBytes, (System.nanoTime() - start) / 1e9);
        }
    }

    /**
     * Writes the whole output folder under a temporary name beside {@code out} and renames it into
     * place at the end, so a failure or Ctrl-C leaves no partial folder. Without a shard size the
     * input's sharding is kept: each tensor goes to the shard file (same name) that held it.
     */
    private static List<Path> writeFolder(SafetensorsModel model, Path out, List<SafetensorsWriter.Entry> entries,
                                          Map<Path, byte[]> sideFiles, ConvertOptions options) {
        Path target = out.toAbsolutePath().normalize();
        try {
            if (Files.isDirectory(target)) {
                try (Stream<Path> s = Files.list(target)) {
                    if (s.findAny().isPresent()) throw new SquintException(out + ": exists and is not empty; choose a new output folder");
                }
            }
            Files.createDirectories(target.getParent());
        } catch (IOException e) {
            throw new SquintException(out + ": cannot create: " + e.getMessage(), e);
        }
        Path temp = target.resolveSibling("." + target.getFileName() + ".tmp-" + ProcessHandle.current().pid() + "-"
                + Long.toHexString(System.nanoTime()));
        Thread cleanup = new Thread(() -> deleteTree(temp), "squint-cast-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanup);
        boolean done = false;
        try {
            Files.createDirectories(temp);
            SafetensorsWriter.Options wo = SafetensorsWriter.Options.defaults().withInputs(List.of(model.path()))
                    .withOrder(SafetensorsWriter.TensorOrder.AS_GIVEN).withMetadata(Map.of("format", "pt"));
            List<String> files = new ArrayList<>();
            if (options.maxShardBytes().isPresent()) {
                for (Path p : SafetensorsWriter.writeSharded(temp, entries, options.maxShardBytes().getAsLong(), wo)) {
                    files.add(p.getFileName().toString());
                }
            } else {
                Map<String, List<SafetensorsWriter.Entry>> groups = new LinkedHashMap<>();
                Map<String, String> weightMap = model.index().map(SafetensorsIndex::weightMap).orElse(Map.of());
                for (Path shard : model.shardPaths()) groups.put(shard.getFileName().toString(), new ArrayList<>());
                String single = model.shardPaths().size() == 1 ? model.shardPaths().getFirst().getFileName().toString() : null;
                for (SafetensorsWriter.Entry e : entries) {
                    String source = e.name().endsWith("_scale_inv") ? e.name().substring(0, e.name().length() - "_scale_inv".length()) : e.name();
                    String file = single != null ? single : weightMap.get(source);
                    if (file == null || !groups.containsKey(file)) throw new SquintException(model.path() + ": the index does not place tensor " + source);
                    groups.get(file).add(e);
                }
                Map<String, String> index = new java.util.TreeMap<>();
                long total = 0;
                for (Map.Entry<String, List<SafetensorsWriter.Entry>> g : groups.entrySet()) {
                    SafetensorsWriter.write(temp.resolve(g.getKey()), g.getValue(), wo);
                    files.add(g.getKey());
                    for (SafetensorsWriter.Entry e : g.getValue()) {
                        index.put(e.name(), g.getKey());
                        total += e.byteSize();
                    }
                }
                if (single == null) {
                    var root = JSON.createObjectNode();
                    root.putObject("metadata").put("total_size", total);
                    var map = root.putObject("weight_map");
                    index.forEach(map::put);
                    Files.write(temp.resolve(SafetensorsIndex.FILE_NAME), JSON.writeValueAsBytes(root));
                    files.add(SafetensorsIndex.FILE_NAME);
                }
            }
            for (Map.Entry<Path, byte[]> f : sideFiles.entrySet()) {
                Path p = temp.resolve(f.getKey());
                Files.createDirectories(p.getParent());
                Files.write(p, f.getValue());
                files.add(f.getKey().toString());
            }
            if (Files.isDirectory(target)) Files.delete(target); // empty, checked above
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
            done = true;
            List<Path> written = new ArrayList<>();
            for (String f : files) written.add(target.resolve(f));
            return written;
        } catch (IOException e) {
            throw new SquintException(out + ": cannot write: " + e.getMessage() + " (check free disk space); nothing was written", e);
        } finally {
            if (!done) deleteTree(temp);
            try {
                Runtime.getRuntime().removeShutdownHook(cleanup);
            } catch (IllegalStateException ignored) {
                // the JVM is already shutting down; the hook deletes the temp folder
            }
        }
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) return;
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // best effort: a temp folder left behind is hidden and named for the process
        }
    }

    private static void add(List<SafetensorsWriter.Entry> entries, List<ConvertReport.TensorEntry> report, SafetensorsWriter.Entry e,
                            Tensor src, Optional<String> note) {
        entries.add(e);
        report.add(new ConvertReport.TensorEntry(e.name(), src.name(), src.dtype().name(), e.dtype().name(), e.shape(), e.byteSize(), note));
    }

    /** A Linear layer's weight: 2-D, named {@code *.weight}, not an embedding table, a norm or the LM head. */
    static boolean isLinearWeight(Tensor t) {
        String n = t.name().toLowerCase(Locale.ROOT);
        return t.shape().rank() == 2 && n.endsWith(".weight") && !n.contains("embed") && !n.contains("norm") && !n.contains("lm_head");
    }

    private static SafetensorsWriter.Entry cast(Tensor t, ScalarType target) {
        if (t.dtype() == target) return SafetensorsWriter.Entry.of(t);
        SourceTensor src = SourceTensor.of(t);
        return new SafetensorsWriter.Entry(t.name(), target, t.shape(), ch -> rows(src, 2, ch, (row, seg, n) -> {
            if (target == ScalarType.F16) FloatFormats.f32ToF16Row(row, 0, seg, 0, n);
            else if (target == ScalarType.BF16) FloatFormats.f32ToBf16Row(row, 0, seg, 0, n);
            else MemorySegment.copy(row, 0, seg, SourceTensor.F32_LE, 0, n);
        }));
    }

    /** {@code amax / 448}: the per-tensor scale that maps the largest magnitude onto E4M3's largest finite value (1 for an all-zero tensor). */
    static float fp8Scale(Tensor t) {
        SourceTensor src = SourceTensor.of(t);
        float[] row = new float[(int) t.shape().rowLength()];
        float amax = 0;
        for (long r = 0; r < t.shape().rowCount(); r++) {
            src.readRow(r, row);
            for (float v : row) if (Float.isFinite(v)) amax = Math.max(amax, Math.abs(v));
        }
        src.release(); // the scan pages the whole tensor in; it is read again when written
        return amax == 0 ? 1f : amax / FloatFormats.E4M3FN_MAX;
    }

    private static SafetensorsWriter.Entry fp8(Tensor t, float scale) {
        SourceTensor src = SourceTensor.of(t);
        float inv = 1f / scale;
        return new SafetensorsWriter.Entry(t.name(), ScalarType.F8_E4M3FN, t.shape(), ch -> rows(src, 1, ch, (row, seg, n) -> {
            for (int i = 0; i < n; i++) seg.set(java.lang.foreign.ValueLayout.JAVA_BYTE, i, FloatFormats.f32ToE4m3fn(row[i] * inv));
        }));
    }

    @FunctionalInterface
    private interface RowEncoder {
        void encode(float[] row, MemorySegment dst, int n);
    }

    private static void rows(SourceTensor src, int bytesPerValue, WritableByteChannel ch, RowEncoder enc) throws IOException {
        Shape shape = src.shape();
        int n = (int) shape.rowLength();
        if (shape.elementCount() == 0) return;
        float[] row = new float[n];
        ByteBuffer buf = ByteBuffer.allocateDirect(Math.max(n * bytesPerValue, Math.min(SLAB, (int) Math.min(Integer.MAX_VALUE, shape.elementCount() * bytesPerValue))))
                .order(ByteOrder.LITTLE_ENDIAN);
        MemorySegment seg = MemorySegment.ofBuffer(buf);
        int rowBytes = n * bytesPerValue;
        for (long r = 0; r < shape.rowCount(); r++) {
            if (buf.position() + rowBytes > buf.capacity()) flush(buf, ch);
            src.readRow(r, row);
            enc.encode(row, seg.asSlice(buf.position(), rowBytes), n);
            buf.position(buf.position() + rowBytes);
        }
        flush(buf, ch);
    }

    private static void flush(ByteBuffer buf, WritableByteChannel ch) throws IOException {
        buf.flip();
        while (buf.hasRemaining()) ch.write(buf);
        buf.clear();
    }

    /** The non-weight files of the folder (relative path to bytes), config.json updated for the cast. */
    private static Map<Path, byte[]> sideFiles(Path in, OutType type, List<String> keptLinear) {
        Map<Path, byte[]> out = new LinkedHashMap<>();
        try (Stream<Path> walk = Files.walk(in, 3)) {
            for (Path p : walk.filter(Files::isRegularFile).sorted().toList()) {
                String name = p.getFileName().toString();
                Path rel = in.relativize(p);
                if (name.endsWith(".safetensors") || name.equals(SafetensorsIndex.FILE_NAME) || name.endsWith(".bin")
                        || name.endsWith(".pt") || name.endsWith(".pth") || name.endsWith(".gguf") || name.endsWith(".onnx")
                        || name.endsWith(".h5") || name.endsWith(".msgpack") || rel.startsWith(".git") || rel.getNameCount() > 2) continue;
                byte[] bytes = Files.readAllBytes(p);
                if (rel.toString().equals(HfConfig.FILE_NAME)) bytes = updatedConfig(p, bytes, type, keptLinear);
                out.put(rel, bytes);
            }
        } catch (IOException e) {
            throw new SquintException(in + ": cannot read the folder: " + e.getMessage(), e);
        }
        return out;
    }

    static byte[] updatedConfig(Path file, byte[] bytes, OutType type, List<String> keptLinear) throws IOException {
        JsonNode root = JSON.readTree(bytes);
        if (!(root instanceof ObjectNode o)) throw new SquintException(file + ": top level is not a JSON object");
        if (type == OutType.FP8) {
            ObjectNode q = o.putObject("quantization_config");
            q.put("quant_method", "fp8");
            q.put("activation_scheme", "dynamic");
            q.putNull("weight_block_size");
            var modules = q.putArray("modules_to_not_convert");
            keptLinear.forEach(modules::add);
        } else {
            String dtype = type == OutType.F16 ? "float16" : "bfloat16";
            o.put("torch_dtype", dtype);
            if (o.has("dtype")) o.put("dtype", dtype);
        }
        return JSON.writeValueAsBytes(o);
    }
}
