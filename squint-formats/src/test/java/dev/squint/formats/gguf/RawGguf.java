package dev.squint.formats.gguf;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** Writes GGUF fields one by one, so a test can put any value (valid or hostile) in any field. */
final class RawGguf {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    /** Magic, version, tensor count and metadata count. */
    static RawGguf header(int version, long nTensors, long nKv) {
        return new RawGguf().bytes("GGUF".getBytes(StandardCharsets.US_ASCII)).u32(version).u64(nTensors).u64(nKv);
    }

    RawGguf bytes(byte[] b) { out.write(b, 0, b.length); return this; }

    RawGguf u8(int v) { out.write(v); return this; }

    RawGguf u32(int v) { for (int i = 0; i < 32; i += 8) out.write(v >>> i); return this; }

    RawGguf u64(long v) { for (int i = 0; i < 64; i += 8) out.write((int) (v >>> i)); return this; }

    RawGguf str(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return u64(b.length).bytes(b);
    }

    /** A key with a u32 value. */
    RawGguf kvU32(String key, int value) { return str(key).u32(4).u32(value); }

    /** A tensor info. */
    RawGguf tensor(String name, int type, long offset, long... ne) {
        str(name).u32(ne.length);
        for (long d : ne) u64(d);
        return u32(type).u64(offset);
    }

    /** Zero padding up to the next multiple of {@code alignment}. */
    RawGguf pad(int alignment) {
        while (out.size() % alignment != 0) out.write(0);
        return this;
    }

    RawGguf zeros(int n) { for (int i = 0; i < n; i++) out.write(0); return this; }

    int size() { return out.size(); }

    byte[] toBytes() { return out.toByteArray(); }
}
