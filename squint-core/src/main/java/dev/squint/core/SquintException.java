package dev.squint.core;

/**
 * An error the user can act on. Its message is one line that says what went wrong and, where it
 * helps, what to do next; the CLI prints it without a stack trace and exits with code 2.
 */
public class SquintException extends RuntimeException {
    public SquintException(String message) { super(message); }

    public SquintException(String message, Throwable cause) { super(message, cause); }
}
