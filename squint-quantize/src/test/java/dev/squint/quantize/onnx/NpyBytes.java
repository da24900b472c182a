package dev.squint.quantize.onnx;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/** Writes .npy/.npz files as NumPy does (format 1.0, header padded to 64 bytes), for the tests. */
final class NpyBytes {
    private NpyBytes() {}

    static byte[] floats(long[] shape, float[] v) {
        StringBuilder dims = new StringBuilder();
        for (long d : shape) dims.append(d).append(", ");
        String header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims.toString().strip().replaceAll(",$", shape.length == 1 ? "," : "") + "), }";
        int total = 10 + header.length() + 1;
        int pad = (64 - total % 64) % 64;
        header = header + " ".repeat(pad) + "\n";
        ByteBuffer b = ByteBuffer.allocate(10 + header.length() + v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.ISO_8859_1)).put((byte) 1).put((byte) 0).putShort((short) header.length());
        b.put(header.getBytes(StandardCharsets.ISO_8859_1));
        for (float f : v) b.putFloat(f);
        return b.array();
    }

    static void npz(Path file, Map<String, byte[]> arrays) throws IOException {
        try (OutputStream os = Files.newOutputStream(file); ZipOutputStream zip = new ZipOutputStream(os)) {
            for (var e : arrays.entrySet()) {
                zip.putNextEntry(new ZipEntry(e.getKey() + ".npy"));
                zip.write(e.getValue());
                zip.closeEntry();
            }
        }
    }
}
