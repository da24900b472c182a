package dev.squint.bench;

import dev.squint.core.Model;
import dev.squint.core.Tensor;
import dev.squint.formats.ModelOpener;
import dev.squint.formats.gguf.GgufFile;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Opens a model the way {@code squint inspect} does (ModelOpener), prints what it found, touches a
 * few bytes of the last tensor, then reports the JVM's peak heap and the process's peak RSS. Run
 * with a small {@code -Xmx} to show that opening a model costs memory for its metadata, not its
 * tensors.
 *
 * <p>Usage: {@code OpenModel PATH}
 */
public final class OpenModel {
    private OpenModel() {}

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: OpenModel PATH");
            System.exit(2);
        }
        long start = System.nanoTime();
        try (Model m = ModelOpener.open(Path.of(args[0]))) {
            long openedNs = System.nanoTime() - start;
            System.out.printf("container:       %s%n", m.container().displayName());
            System.out.printf("architecture:    %s%n", m.architecture().orElse("?"));
            System.out.printf("file size:       %,d bytes%n", m.fileSize());
            System.out.printf("tensors:         %d (%,d parameters, %,d bytes of data)%n", m.tensors().size(), m.parameterCount(), m.tensorBytes());
            System.out.printf("metadata keys:   %d%n", m.metadata().size());
            System.out.printf("open time:       %.1f ms%n", openedNs / 1e6);
            Tensor last = m.tensors().getLast();
            MemorySegment data = last.data();
            String where = m instanceof GgufFile g
                    ? String.format("absolute offset %,d", g.dataOffset() + g.tensorInfo(last.name()).orElseThrow().offset()) : "";
            byte[] head = data.asSlice(0, Math.min(8, data.byteSize())).toArray(ValueLayout.JAVA_BYTE);
            byte middle = data.get(ValueLayout.JAVA_BYTE, data.byteSize() / 2);
            System.out.printf("last tensor:     %s %s %s, %s%n", last.name(), last.dtype(), last.shape(), where);
            System.out.printf("its first bytes: \"%s\", middle byte %d%n", printable(head), middle);
        }
        long peakHeap = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP && pool.getPeakUsage() != null) peakHeap += pool.getPeakUsage().getUsed();
        }
        System.out.printf("max heap:        %,d bytes (-Xmx)%n", Runtime.getRuntime().maxMemory());
        System.out.printf("peak heap used:  %,d bytes (sum of heap pools' peaks)%n", peakHeap);
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmHWM") || line.startsWith("VmRSS")) System.out.println(line.replaceAll("\\s+", " "));
        }
    }

    private static String printable(byte[] b) {
        StringBuilder sb = new StringBuilder();
        for (byte c : b) sb.append(c >= 0x20 && c < 0x7F ? (char) c : '.');
        return sb.toString();
    }
}
