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
        super(file + ": " + fault);
        this.file = file;
        this.fault = fault;
    }

    public ModelFormatException(Path file, String fault, Throwable cause) {
        super(file + ": " + fault, cause);
        this.file = file;
        this.fault = fault;
    }

    public Path file() { return file; }

    public String fault() { return fault; }
}
