package dev.squint.core;

import java.nio.file.Path;

/**
 * A file that is not what it claims to be: truncated, corrupt, hostile or unsupported. The
 * message always names the file and the fault in one line, e.g.
 * {@code model.gguf: tensor 'blk.0.attn_q.weight': data offset 1234 is outside the file (size 1000)}.
 */
public class ModelFormatException extends SquintException {
    private final transient Path file;
    private final String fault;

    public ModelFormatException(Path file, String fault) {
        super(oneLine(file + ": " + fault));
        this.file = file;
        this.fault = oneLine(fault);
    }

    public ModelFormatException(Path file, String fault, Throwable cause) {
        super(oneLine(file + ": " + fault), cause);
        this.file = file;
        this.fault = oneLine(fault);
    }

    /**
     * Escapes control characters: faults quote names and strings read from hostile files, and a
     * newline or escape sequence in them must not break the one-line message or the terminal.
     */
    static String oneLine(String s) {
        StringBuilder sb = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029') {
                if (sb == null) sb = new StringBuilder(s.length() + 16).append(s, 0, i);
                switch (c) {
                    case '\n' -> sb.append("\\n");
                    case '\r' -> sb.append("\\r");
                    case '\t' -> sb.append("\\t");
                    default -> sb.append(String.format("\\u%04x", (int) c));
                }
            } else if (sb != null) {
                sb.append(c);
            }
        }
        return sb == null ? s : sb.toString();
    }

    public Path file() { return file; }

    public String fault() { return fault; }
}
