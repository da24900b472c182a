package dev.squint.cli;

import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.function.Consumer;

/** One in-process run of the CLI: exit code and what it printed. */
record CliRun(int exitCode, String out, String err) {

    static CliRun of(String... args) {
        return of(false, cli -> {}, args);
    }

    static CliRun of(boolean debug, Consumer<CommandLine> customize, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new Main());
        customize.accept(cli);
        Main.configure(cli, new PrintWriter(out), new PrintWriter(err), debug);
        int code = cli.execute(args);
        return new CliRun(code, out.toString(), err.toString());
    }

    List<String> errLines() { return err.lines().toList(); }
}
