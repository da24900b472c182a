package dev.squint.formats.llama2c;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Writes synthetic llama2.c checkpoints for tests: float number i holds the value i, so a view's contents reveal its offset. */
final class Llama2cFiles {
    private Llama2cFiles() {}

    /** Floats the layout needs for this header (vocab negative = unshared classifier). */
    static long floatCount(int dim, int hidden, int layers, int heads, int kvHeads, int vocab, int seqLen) {
        long kvDim = (long) dim / heads * kvHeads;
        long perLayer = 2L * dim + 2L * dim * dim + 2L * kvDim * dim + 3L * hidden * dim;
        long n = (long) Math.abs(vocab) * dim + layers * perLayer + dim + 2L * seqLen * (dim / heads / 2);
        if (vocab < 0) n += (long) -vocab * dim;
        return n;
    }

    static Path write(Path file, int[] header, long floats) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer h = ByteBuffer.allocate(header.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            for (int v : header) h.putInt(v);
            ch.write(h.flip());
            ByteBuffer buf = ByteBuffer.allocate(4096 * 4).order(ByteOrder.LITTLE_ENDIAN);
            for (long i = 0; i < floats; i++) {
                if (!buf.hasRemaining()) { ch.write(buf.flip()); buf.clear(); }
                buf.putFloat(i);
            }
            ch.write(buf.flip());
        }
        return file;
    }

    static Path write(Path file, int dim, int hidden, int layers, int heads, int kvHeads, int vocab, int seqLen) throws IOException {
        return write(file, new int[] {dim, hidden, layers, heads, kvHeads, vocab, seqLen},
                floatCount(dim, hidden, layers, heads, kvHeads, vocab, seqLen));
    }
}
