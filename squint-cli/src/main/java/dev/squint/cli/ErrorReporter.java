package dev.squint.cli;

import dev.squint.core.SquintException;
import picocli.CommandLine;

import java.io.PrintWriter;

/**
 * The CLI's error policy, for every subcommand: a {@link SquintException} anywhere in the cause
 * chain prints its one-line message (exit 2); a usage error prints picocli's message and where to
 * find help (exit 2); anything else is a bug and prints one line naming the exception (exit 1).
 * Stack traces only with {@code SQUINT_DEBUG}.
 */
final class ErrorReporter implements CommandLine.IExecutionExceptionHandler, CommandLine.IParameterExceptionHandler {
    static final int EXIT_USER_ERROR = 2;
    static final int EXIT_INTERNAL_ERROR = 1;

    private final boolean debug;

    ErrorReporter(boolean debug) {
        this.debug = debug;
    }

    @Override
    public int handleExecutionException(Exception ex, CommandLine cmd, CommandLine.ParseResult parseResult) {
        PrintWriter err = cmd.getErr();
        SquintException user = userError(ex);
        if (user != null) {
            err.println("squint: " + oneLine(user.getMessage(), user));
            trace(err, ex);
            return EXIT_USER_ERROR;
        }
        err.println("squint: internal error: " + ex.getClass().getName() + ": " + oneLine(ex.getMessage(), ex)
                + (debug ? "" : " (run with SQUINT_DEBUG=1 for a stack trace)"));
        trace(err, ex);
        return EXIT_INTERNAL_ERROR;
    }

    @Override
    public int handleParseException(CommandLine.ParameterException ex, String[] args) {
        CommandLine cmd = ex.getCommandLine();
        PrintWriter err = cmd.getErr();
        String name = cmd.getCommandSpec().qualifiedName();
        err.println("squint: " + oneLine(ex.getMessage(), ex) + " (see '" + name + " --help')");
        trace(err, ex);
        return EXIT_USER_ERROR;
    }

    private static SquintException userError(Throwable t) {
        for (int depth = 0; t != null && depth < 16; t = t.getCause(), depth++) {
            if (t instanceof SquintException s) return s;
        }
        return null;
    }

    private void trace(PrintWriter err, Throwable t) {
        if (debug) {
            t.printStackTrace(err);
            err.flush();
        }
    }

    /** Messages are meant to be one line; keep it so even when a library's is not. */
    static String oneLine(String message, Throwable t) {
        if (message == null || message.isBlank()) return t.getClass().getSimpleName();
        return message.strip().replaceAll("\\s*\\R\\s*", " ");
    }
}
