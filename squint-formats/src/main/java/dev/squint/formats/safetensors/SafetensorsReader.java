package dev.squint.formats.safetensors;

import com.fasterxml.jackson.databind.JsonNode;
import dev.squint.core.MappedFile;
import dev.squint.core.Metadata;
import dev.squint.core.ModelFormatException;
import dev.squint.core.Tensor;
import dev.squint.core.TensorInfo;
import dev.squint.formats.hf.HfFolder;
import dev.squint.formats.hf.HfJson;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;

/**
 * Opens safetensors weights: a single {@code .safetensors} file, an index file
 * ({@code *.safetensors.index.json}) with the shards beside it, or a Hugging Face model folder
 * holding {@code model.safetensors.index.json} (or one other {@code *.safetensors.index.json})
 * with its shards, a lone {@code model.safetensors}, or any set of {@code *.safetensors} files
 * (read together, names must not repeat).
 *
 * <p>Every shard is mapped once and validated in full (see {@link SafetensorsHeader}) before a
 * single tensor view is made; an index is checked against its shards both ways, and its shard
 * names must stay inside the folder. Every fault is a one-line {@link ModelFormatException}.
 */
public final class SafetensorsReader {
    private SafetensorsReader() {}

    public static SafetensorsModel open(Path path) {
        if (Files.isDirectory(path)) return openFolder(path, findIndex(path));
        if (!Files.exists(path)) throw new ModelFormatException(path, "no such file or folder");
        if (path.getFileName().toString().endsWith(".safetensors.index.json")) {
            return openFolder(path.toAbsolutePath().getParent(), path);
        }
        Path parent = path.toAbsolutePath().getParent();
        List<MappedFile> opened = new ArrayList<>();
        try {
            Shard shard = openShard(path, opened);
            Metadata metadata = toMetadata(List.of(shard));
            return new SafetensorsModel(path, opened, shard.tensors, metadata, Optional.empty(), HfFolder.of(parent));
        } catch (RuntimeException e) {
            opened.forEach(MappedFile::close);
            throw e;
        }
    }

    /**
     * The folder's index: model.safetensors.index.json, else the only {@code *.safetensors.index.json}
     * (diffusers names its own); null if there is none.
     */
    private static Path findIndex(Path dir) {
        Path standard = dir.resolve(SafetensorsIndex.FILE_NAME);
        if (Files.exists(standard)) return standard;
        List<Path> found = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.safetensors.index.json")) {
            for (Path p : ds) found.add(p);
        } catch (IOException e) {
            throw new ModelFormatException(dir, "cannot list folder: " + e.getMessage());
        }
        if (found.size() > 1) {
            found.sort(null);
            throw new ModelFormatException(dir, "several safetensors indexes (" + found.stream().map(p -> p.getFileName().toString())
                    .collect(java.util.stream.Collectors.joining(", ")) + "); open the one you mean");
        }
        return found.isEmpty() ? null : found.getFirst();
    }

    private static SafetensorsModel openFolder(Path dir, Path indexFile) {
        List<MappedFile> opened = new ArrayList<>();
        try {
            List<Shard> shards = new ArrayList<>();
            Optional<SafetensorsIndex> index = Optional.empty();
            if (indexFile != null) {
                SafetensorsIndex idx = readIndex(indexFile);
                index = Optional.of(idx);
                Map<String, Set<String>> namesByShard = new LinkedHashMap<>();
                for (var e : idx.weightMap().entrySet()) {
                    namesByShard.computeIfAbsent(e.getValue(), k -> new LinkedHashSet<>()).add(e.getKey());
                }
                for (String shardName : new TreeSet<>(namesByShard.keySet())) {
                    Path shardPath = resolveShard(indexFile, dir, shardName, namesByShard.get(shardName).iterator().next());
                    Shard shard = openShard(shardPath, opened);
                    crossCheck(indexFile, shardName, namesByShard.get(shardName), shard);
                    shards.add(shard);
                }
            } else if (Files.isRegularFile(dir.resolve("model.safetensors"))) {
                shards.add(openShard(dir.resolve("model.safetensors"), opened));
            } else {
                for (Path p : listSafetensors(dir)) shards.add(openShard(p, opened));
                if (shards.isEmpty()) {
                    throw new ModelFormatException(dir, "no .safetensors file and no " + SafetensorsIndex.FILE_NAME + " in this folder");
                }
            }
            List<Tensor> tensors = new ArrayList<>();
            Map<String, Path> seen = new HashMap<>();
            for (Shard s : shards) {
                for (Tensor t : s.tensors) {
                    Path before = seen.putIfAbsent(t.name(), s.path);
                    if (before != null) {
                        throw new ModelFormatException(s.path, "tensor '" + t.name() + "' is also in " + before.getFileName());
                    }
                    tensors.add(t);
                }
            }
            return new SafetensorsModel(dir, opened, tensors, toMetadata(shards), index, HfFolder.of(dir));
        } catch (RuntimeException e) {
            opened.forEach(MappedFile::close);
            throw e;
        }
    }

    /** One validated shard: its mapping and its tensors in offset order. */
    private record Shard(Path path, SafetensorsHeader header, List<Tensor> tensors) {}

    private static Shard openShard(Path path, List<MappedFile> opened) {
        if (!Files.isRegularFile(path)) throw new ModelFormatException(path, "not a regular file");
        MappedFile mapped;
        try {
            mapped = MappedFile.open(path);
        } catch (UncheckedIOException e) {
            throw new ModelFormatException(path, "cannot map: " + e.getCause().getMessage());
        }
        opened.add(mapped);
        SafetensorsHeader header = SafetensorsHeader.parse(path, mapped.segment());
        return new Shard(path, header, views(header, mapped.segment()));
    }

    /** Parses and validates {@code bytes} as a whole safetensors file; the tensors are views of it. */
    static List<Tensor> tensorsOf(Path path, MemorySegment bytes) {
        return views(SafetensorsHeader.parse(path, bytes), bytes);
    }

    private static List<Tensor> views(SafetensorsHeader header, MemorySegment bytes) {
        List<Tensor> tensors = new ArrayList<>(header.tensors().size());
        for (SafetensorsHeader.Entry e : header.tensors()) {
            TensorInfo info = new TensorInfo(e.name(), e.dtype(), e.shape(), e.byteSize());
            tensors.add(new Tensor(info, bytes.asSlice(e.begin(), e.byteSize())));
        }
        return tensors;
    }

    private static Metadata toMetadata(List<Shard> shards) {
        Metadata.Builder b = Metadata.builder();
        for (Shard s : shards) {
            for (var e : s.header.metadata().entrySet()) {
                if (!b.contains(e.getKey())) b.putString(e.getKey(), e.getValue());
            }
        }
        return b.build();
    }

    static SafetensorsIndex readIndex(Path indexFile) {
        JsonNode root = HfJson.read(indexFile);
        if (!root.isObject()) throw new ModelFormatException(indexFile, "index is not a JSON object");
        JsonNode map = root.get("weight_map");
        if (map == null || !map.isObject()) throw new ModelFormatException(indexFile, "no weight_map object");
        Map<String, String> weightMap = new LinkedHashMap<>();
        for (var e : map.properties()) {
            if (!e.getValue().isTextual()) {
                throw new ModelFormatException(indexFile, "weight_map entry '" + e.getKey() + "' is not a file name string");
            }
            weightMap.put(e.getKey(), e.getValue().textValue());
        }
        OptionalLong totalSize = OptionalLong.empty();
        JsonNode total = root.path("metadata").path("total_size");
        if (!total.isMissingNode() && !total.isNull()) {
            if (!total.isNumber() || total.asDouble() < 0 || total.asDouble() != Math.rint(total.asDouble())) {
                throw new ModelFormatException(indexFile, "metadata.total_size is not a non-negative integer");
            }
            totalSize = OptionalLong.of(total.asLong());
        }
        return new SafetensorsIndex(totalSize, weightMap);
    }

    /** A shard named by the index must be a plain relative path that stays inside the folder. */
    private static Path resolveShard(Path indexFile, Path dir, String shardName, String someTensor) {
        String where = "weight_map entry '" + someTensor + "' names shard '" + shardName + "'";
        if (shardName.isEmpty()) throw new ModelFormatException(indexFile, where + ": empty file name");
        Path rel;
        try {
            rel = Path.of(shardName);
        } catch (InvalidPathException e) {
            throw new ModelFormatException(indexFile, where + ": not a valid file name");
        }
        boolean absolute = rel.isAbsolute() || shardName.startsWith("/") || shardName.startsWith("\\")
                || (shardName.length() > 1 && shardName.charAt(1) == ':');
        boolean climbs = false;
        for (String part : shardName.split("[/\\\\]")) if (part.equals("..")) climbs = true;
        Path base = dir.toAbsolutePath().normalize();
        Path resolved = base.resolve(rel).normalize();
        if (absolute || climbs || !resolved.startsWith(base)) {
            throw new ModelFormatException(indexFile, where + ", which is outside the model folder");
        }
        if (!Files.exists(resolved)) throw new ModelFormatException(indexFile, where + ", which does not exist");
        return resolved;
    }

    private static void crossCheck(Path indexFile, String shardName, Set<String> listed, Shard shard) {
        Set<String> present = new HashSet<>(shard.tensors.size() * 2);
        for (Tensor t : shard.tensors) {
            if (!listed.contains(t.name())) {
                throw new ModelFormatException(shard.path, "tensor '" + t.name() + "' is not listed for this shard in " + indexFile.getFileName());
            }
            present.add(t.name());
        }
        for (String name : listed) {
            if (!present.contains(name)) {
                throw new ModelFormatException(indexFile, "tensor '" + name + "' is mapped to " + shardName + ", which does not hold it");
            }
        }
    }

    private static List<Path> listSafetensors(Path dir) {
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.safetensors")) {
            for (Path p : ds) if (Files.isRegularFile(p)) out.add(p);
        } catch (IOException e) {
            throw new ModelFormatException(dir, "cannot list folder: " + e.getMessage());
        }
        out.sort(null);
        return out;
    }
}
