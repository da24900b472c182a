package dev.squint.core;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes a file so that it either appears whole or not at all. Bytes go to a hidden temp file in
 * the target's folder; {@link #commit()} syncs it and renames it over the target in one step.
 * Closing without commit (an exception, a failed write, a full disk) deletes the temp file, and
 * a shutdown hook deletes any temp file still open when the JVM is interrupted (Ctrl-C).
 * An output that is the same file as one of the inputs is refused before anything is written.
 */
public final class AtomicOutput implements AutoCloseable {
    private static final Set<Path> PENDING = ConcurrentHashMap.newKeySet();
    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            for (Path p : PENDING) {
                try { Files.deleteIfExists(p); } catch (IOException ignored) { /* best effort on exit */ }
            }
        }, "squint-temp-cleanup"));
    }

    private final Path target;
    private final Path temp;
    private final FileChannel channel;
    private OutputStream stream;
    private boolean committed;

    private AtomicOutput(Path target, Path temp, FileChannel channel) {
        this.target = target;
        this.temp = temp;
        this.channel = channel;
    }

    public static AtomicOutput create(Path target) {
        return create(target, List.of());
    }

    /**
     * @param inputs files (or folders) the output must not replace
     * @throws SquintException if the target is one of the inputs
     */
    public static AtomicOutput create(Path target, Collection<Path> inputs) {
        refuseOverwritingInput(target, inputs);
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        try {
            Files.createDirectories(dir);
            Path temp = dir.resolve("." + abs.getFileName() + ".tmp-" + ProcessHandle.current().pid() + "-"
                    + Long.toHexString(ThreadLocalRandom.current().nextLong()));
            PENDING.add(temp);
            FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, StandardOpenOption.READ);
            return new AtomicOutput(abs, temp, ch);
        } catch (IOException e) {
            throw new SquintException(target + ": cannot create the output: " + e.getMessage(), e);
        }
    }

    /** Throws if {@code target} names the same file as any input (a folder input covers its files). */
    public static void refuseOverwritingInput(Path target, Collection<Path> inputs) {
        Path t = target.toAbsolutePath().normalize();
        for (Path in : inputs) {
            Path i = in.toAbsolutePath().normalize();
            boolean same = t.equals(i) || (Files.isDirectory(i) && t.startsWith(i) && Files.exists(t));
            try {
                if (!same && Files.exists(t) && Files.exists(i)) same = Files.isSameFile(t, i);
            } catch (IOException ignored) {
                // cannot compare: fall through to the path comparison already made
            }
            if (same) {
                throw new SquintException(target + ": refusing to overwrite an input; choose another output path");
            }
        }
    }

    public Path target() { return target; }

    public Path tempPath() { return temp; }

    /** The channel over the temp file, for positional writes. */
    public FileChannel channel() { return channel; }

    /** A buffered stream over the temp file (sequential writes). */
    public OutputStream stream() {
        if (stream == null) {
            stream = new BufferedOutputStream(Channels.newOutputStream(channel), 1 << 20) {
                @Override public void close() throws IOException { flush(); } // the channel is closed by commit/close
            };
        }
        return stream;
    }

    /** Syncs the temp file and renames it into place. */
    public void commit() {
        try {
            if (stream != null) stream.flush();
            channel.force(true);
            channel.close();
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            committed = true;
            PENDING.remove(temp);
        } catch (IOException e) {
            throw new SquintException(target + ": cannot finish writing: " + e.getMessage()
                    + " (check free disk space); nothing was written", e);
        }
    }

    @Override public void close() {
        if (committed) return;
        try {
            channel.close();
        } catch (IOException ignored) {
            // the temp file is deleted below either way
        }
        try {
            Files.deleteIfExists(temp);
        } catch (NoSuchFileException ignored) {
            // already gone
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            PENDING.remove(temp);
        }
    }
}
