package dev.squint.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;

/**
 * The {@code squint} command. The only place that calls {@code System.exit}.
 *
 * <p>Exit codes: 0 success; 2 an error the user can act on (a {@link dev.squint.core.SquintException}
 * such as a malformed model file, or a usage error), reported as one line on stderr; 1 anything else
 * (a bug), also one line unless {@code SQUINT_DEBUG} is set, which adds the stack trace.
 */
@Command(name = "squint", mixinStandardHelpOptions = true, version = "squint 0.1.0",
        description = "Quantize models on the JVM, and measure what it cost.",
        subcommands = {InspectCommand.class, ConvertCommand.class, VerbDispatch.QuantizeVerb.class, RunCommand.class, VerbDispatch.EvalVerb.class,
                VerbDispatch.BenchVerb.class, EmbedCommand.class, ImatrixCommand.class, DemoCommand.class, CompareCommand.class, CommandLine.HelpCommand.class},
        footer = {"", "MODEL arguments take a file, a Hugging Face folder or a bundled model alias: "
                + ModelAliases.HELP,
                "Exit codes: 0 ok, 2 bad input or usage (one line on stderr), 1 internal error.",
                "Set SQUINT_DEBUG=1 to see stack traces."})
public final class Main implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(System.out, true);
        PrintWriter err = new PrintWriter(System.err, true);
        String debug = System.getenv("SQUINT_DEBUG");
        System.exit(run(args, out, err, debug != null && !debug.isEmpty() && !debug.equals("0")));
    }

    /** Runs a command line without exiting, writing to the given streams; returns the exit code. */
    public static int run(String[] args, PrintWriter out, PrintWriter err, boolean debug) {
        CommandLine cli = commandLine(out, err, debug);
        try {
            return cli.execute(args);
        } finally {
            out.flush();
            err.flush();
        }
    }

    /** The configured command tree: output streams and the error policy described above. */
    static CommandLine commandLine(PrintWriter out, PrintWriter err, boolean debug) {
        return configure(new CommandLine(new Main()), out, err, debug);
    }

    /** Applies streams and error policy to a command tree (picocli passes them to the subcommands present). */
    static CommandLine configure(CommandLine cli, PrintWriter out, PrintWriter err, boolean debug) {
        cli.setOut(out);
        cli.setErr(err);
        ErrorReporter errors = new ErrorReporter(debug);
        cli.setExecutionExceptionHandler(errors);
        cli.setParameterExceptionHandler(errors);
        return cli;
    }
}
