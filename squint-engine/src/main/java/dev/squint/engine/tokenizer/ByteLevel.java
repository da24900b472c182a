package dev.squint.engine.tokenizer;

/**
 * GPT-2's byte-to-unicode table: byte-level BPE vocabularies spell every byte as one printable
 * character, so that token texts are valid strings without spaces or control characters. Bytes
 * {@code !..~}, {@code ¡..¬} and {@code ®..ÿ} stand for themselves; the other 68 bytes, in increasing
 * order, become U+0100, U+0101, ... (so space 0x20 is {@code Ġ} U+0120 and newline 0x0A is {@code Ċ} U+010A).
 */
final class ByteLevel {

    private static final char[] BYTE_TO_CHAR = new char[256];
    /** Inverse of BYTE_TO_CHAR over U+0000..U+01FF; -1 where a character stands for no byte. */
    private static final short[] CHAR_TO_BYTE = new short[0x200];

    static {
        java.util.Arrays.fill(CHAR_TO_BYTE, (short) -1);
        int extra = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = printable ? (char) b : (char) (256 + extra++);
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = (short) b;
        }
    }

    private ByteLevel() {}

    static char charOf(int b) { return BYTE_TO_CHAR[b & 0xFF]; }

    /** The byte {@code c} stands for, or -1. */
    static int byteOf(int c) { return c >= 0 && c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1; }

    /** Each UTF-8 byte of {@code text} as its character. */
    static String encode(String text) {
        byte[] utf8 = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        char[] out = new char[utf8.length];
        for (int i = 0; i < utf8.length; i++) out[i] = BYTE_TO_CHAR[utf8[i] & 0xFF];
        return new String(out);
    }
}
