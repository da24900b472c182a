package dev.squint.core;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * One read-only mapping of a whole file, owned by a shared arena. Tensors are {@code asSlice}
 * views of {@link #segment()}; closing unmaps the file (views become unusable). Mapping, not
 * reading, keeps heap use independent of file size: the OS pages bytes in as they are touched.
 */
public final class MappedFile implements AutoCloseable {
    private final Path path;
    private final Arena arena;
    private final MemorySegment segment;

    private MappedFile(Path path, Arena arena, MemorySegment segment) {
        this.path = path;
        this.arena = arena;
        this.segment = segment;
    }

    public static MappedFile open(Path path) {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            MemorySegment seg = size == 0 ? MemorySegment.NULL.reinterpret(0) : ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            return new MappedFile(path, arena, seg);
        } catch (IOException e) {
            arena.close();
            throw new UncheckedIOException(path + ": cannot map: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    public Path path() { return path; }

    public MemorySegment segment() { return segment; }

    public long size() { return segment.byteSize(); }

    @Override public void close() {
        if (arena.scope().isAlive()) arena.close();
    }
}
