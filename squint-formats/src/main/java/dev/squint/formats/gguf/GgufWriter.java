package dev.squint.formats.gguf;

import dev.squint.core.AtomicOutput;
import dev.squint.core.Model;
import dev.squint.core.SquintException;
import dev.squint.core.Tensor;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Writes a GGUF file from a {@link GgufPlan}: header, metadata and tensor infos first, then the
 * data section streamed one tensor at a time from a {@link TensorSource}, so a quantizer can
 * produce each tensor while it is written and never holds more than it chooses to. Output goes
 * through {@link AtomicOutput}: the file appears whole or not at all, and an output that is one of
 * the inputs is refused before anything is written.
 *
 * <p>Tensors are written in data-offset order (file order for computed plans). Gaps and padding
 * are zeros, as ggml writes them.
 *
 * <p>{@link AtomicOutput#commit()} syncs the file before renaming it, and syncing a gigabyte of
 * dirty pages at the end takes a second or more of wall time on this kind of machine. So every
 * {@link #WRITEBACK_BYTES} written, a background thread asks the kernel to write back what is dirty
 * so far ({@code force(false)}, i.e. fdatasync), while the tensor source keeps producing; the final
 * sync then has only the tail left.
 */
public final class GgufWriter {
    private static final int CHUNK = 16 << 20;
    /** Bytes written between background write-backs. */
    static final long WRITEBACK_BYTES = 64L << 20;
    private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(64 << 10).asReadOnlyBuffer();

    private GgufWriter() {}

    /** Produces the bytes of one tensor; must write exactly {@link GgufTensorInfo#byteSize()} bytes to the sink. */
    @FunctionalInterface
    public interface TensorSource {
        void write(GgufTensorInfo tensor, TensorSink sink) throws IOException;
    }

    /** Where a {@link TensorSource} writes one tensor's bytes, in order, in as many pieces as it likes. */
    public interface TensorSink {
        void write(MemorySegment bytes) throws IOException;

        default void write(byte[] bytes) throws IOException { write(MemorySegment.ofArray(bytes)); }

        default void write(ByteBuffer bytes) throws IOException { write(MemorySegment.ofBuffer(bytes)); bytes.position(bytes.limit()); }

        /** Bytes of the current tensor written so far. */
        long written();
    }

    /** A source that copies each tensor from the same-named tensor of an opened model. */
    public static TensorSource from(Model model) {
        return (tensor, sink) -> sink.write(model.tensor(tensor.name())
                .orElseThrow(() -> new SquintException(model.path() + ": has no tensor '" + tensor.name() + "' to copy"))
                .data());
    }

    /** A source that writes each tensor from a segment looked up by name. */
    public static TensorSource from(Map<String, MemorySegment> data) {
        return (tensor, sink) -> {
            MemorySegment s = data.get(tensor.name());
            if (s == null) throw new SquintException("no data given for tensor '" + tensor.name() + "'");
            sink.write(s);
        };
    }

    /** Writes {@code file} unchanged to {@code target}: the same bytes, since padding is zeros in files ggml writes. */
    public static void copy(GgufFile file, Path target) {
        write(target, GgufPlan.of(file), from(file), List.of(file.path()));
    }

    /**
     * Writes the planned file to {@code target}.
     *
     * @param inputs files the output must not replace (the models the data is read from)
     * @throws SquintException if the output is an input, a source writes the wrong number of bytes,
     *         or the file cannot be written; no file is left at {@code target} then (an existing one is untouched)
     */
    public static void write(Path target, GgufPlan plan, TensorSource source, Collection<Path> inputs) {
        try (AtomicOutput out = AtomicOutput.create(target, inputs); Writeback writeback = new Writeback(out.channel())) {
            FileChannel ch = out.channel();
            writeFully(ch, ByteBuffer.wrap(plan.header()));
            zeros(ch, plan.dataOffset() - plan.headerSize());
            List<GgufTensorInfo> order = new ArrayList<>(plan.tensors());
            order.sort(Comparator.comparingLong(GgufTensorInfo::offset));
            long pos = 0; // relative to the data section
            for (GgufTensorInfo t : order) {
                if (t.byteSize() == 0) continue;
                zeros(ch, t.offset() - pos);
                CountingSink sink = new CountingSink(ch, t, writeback);
                source.write(t, sink);
                if (sink.written != t.byteSize()) {
                    throw new SquintException(target + ": tensor '" + t.name() + "' got " + sink.written
                            + " bytes from its source, expected " + t.byteSize() + "; nothing was written");
                }
                pos = t.end();
            }
            zeros(ch, plan.dataSectionSize() - pos);
            writeback.finish();
            out.commit();
        } catch (IOException e) {
            throw new SquintException(target + ": cannot write: " + e.getMessage() + " (check free disk space); nothing was written", e);
        }
    }

    /**
     * Starts an fdatasync of the output on a daemon thread every {@link #WRITEBACK_BYTES} (one at a
     * time; if one is still running the next waits for the following threshold). A failure there is
     * reported by {@link #finish()}, and the final sync in {@link AtomicOutput#commit()} repeats it anyway.
     */
    private static final class Writeback implements AutoCloseable {
        private final FileChannel ch;
        private long pending;
        private Thread running;
        private volatile IOException failure;

        Writeback(FileChannel ch) {
            this.ch = ch;
        }

        void wrote(long bytes) {
            pending += bytes;
            if (pending < WRITEBACK_BYTES || (running != null && running.isAlive())) return;
            pending = 0;
            running = Thread.ofPlatform().daemon().name("squint-writeback").start(() -> {
                try {
                    ch.force(false);
                } catch (IOException e) {
                    if (ch.isOpen()) failure = e; // a closed channel means the write was abandoned
                }
            });
        }

        /** Waits for a running write-back; throws its failure. */
        void finish() throws IOException {
            join();
            if (failure != null) throw failure;
        }

        private void join() {
            if (running == null) return;
            boolean interrupted = false;
            while (true) {
                try {
                    running.join();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) Thread.currentThread().interrupt();
        }

        /** Runs before the output is closed (resources close in reverse order), so no sync races the close. */
        @Override public void close() {
            join();
        }
    }

    private static final class CountingSink implements TensorSink {
        private final FileChannel ch;
        private final GgufTensorInfo tensor;
        private final Writeback writeback;
        private long written;

        CountingSink(FileChannel ch, GgufTensorInfo tensor, Writeback writeback) {
            this.ch = ch;
            this.tensor = tensor;
            this.writeback = writeback;
        }

        @Override public void write(MemorySegment bytes) throws IOException {
            long n = bytes.byteSize();
            if (n > tensor.byteSize() - written) {
                throw new SquintException("tensor '" + tensor.name() + "': its source wrote more than its "
                        + tensor.byteSize() + " bytes");
            }
            for (long off = 0; off < n; off += CHUNK) {
                writeFully(ch, bytes.asSlice(off, Math.min(CHUNK, n - off)).asByteBuffer());
            }
            written += n;
            writeback.wrote(n);
        }

        @Override public long written() { return written; }
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) ch.write(b);
    }

    private static void zeros(FileChannel ch, long n) throws IOException {
        while (n > 0) {
            ByteBuffer z = ZEROS.duplicate();
            z.limit((int) Math.min(z.capacity(), n));
            n -= z.remaining();
            writeFully(ch, z);
        }
    }
}
