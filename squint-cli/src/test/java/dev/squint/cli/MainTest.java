package dev.squint.cli;

import dev.squint.core.SquintException;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.Command;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.concurrent.Callable;

import static org.assertj.core.api.Assertions.assertThat;

class MainTest {

    @Command(name = "boom")
    static final class Boom implements Callable<Integer> {
        final RuntimeException toThrow;
        Boom(RuntimeException toThrow) { this.toThrow = toThrow; }
        @Override public Integer call() { throw toThrow; }
    }

    @Test
    void everySubcommandHasHelp() {
        StringWriter sink = new StringWriter();
        var names = Main.commandLine(new PrintWriter(sink), new PrintWriter(sink), false).getSubcommands().keySet();
        assertThat(names).contains("inspect", "help");
        for (String name : names) {
            CliRun run = CliRun.of(name, "--help");
            assertThat(run.exitCode()).as(name).isZero();
            assertThat(run.err()).as(name).isEmpty();
            assertThat(run.out()).as(name).contains("Usage: squint " + name + " [-h");
        }
        assertThat(CliRun.of("help", "inspect").out()).startsWith("Usage: squint inspect");
    }

    @Test
    void topLevelHelpNamesCommandsAndAliases() {
        for (String[] args : new String[][] {{"--help"}, {}}) {
            CliRun run = CliRun.of(args);
            assertThat(run.exitCode()).isZero();
            assertThat(run.out()).contains("Usage: squint", "inspect", "all-minilm-l6-v2", "all-minilm-l6-v2-q", "SQUINT_DEBUG");
        }
        assertThat(CliRun.of("inspect", "--help").out()).contains("all-minilm-l6-v2-q", "--json", "--all", "--full");
    }

    @Test
    void unknownSubcommandIsAUsageError() {
        CliRun run = CliRun.of("frobnicate");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("frobnicate", "'squint --help'");
    }

    @Test
    void internalErrorsAreOneLineWithoutStackTrace() {
        CliRun run = CliRun.of(false, cli -> cli.addSubcommand(new Boom(new IllegalStateException("bad\nstate"))), "boom");
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.out()).isEmpty();
        assertThat(run.errLines()).containsExactly(
                "squint: internal error: java.lang.IllegalStateException: bad state (run with SQUINT_DEBUG=1 for a stack trace)");
    }

    @Test
    void debugAddsTheStackTrace() {
        CliRun run = CliRun.of(true, cli -> cli.addSubcommand(new Boom(new IllegalStateException("bad"))), "boom");
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.errLines().getFirst()).isEqualTo("squint: internal error: java.lang.IllegalStateException: bad");
        assertThat(run.err()).contains("java.lang.IllegalStateException: bad\n\tat dev.squint.cli.MainTest");
    }

    @Test
    void squintExceptionsAreUserErrorsEvenWhenWrapped() {
        CliRun direct = CliRun.of(false, cli -> cli.addSubcommand(new Boom(new SquintException("do this next"))), "boom");
        assertThat(direct.exitCode()).isEqualTo(2);
        assertThat(direct.errLines()).containsExactly("squint: do this next");

        RuntimeException wrapped = new UncheckedIOException(new java.io.IOException(new SquintException("inner advice")));
        CliRun run = CliRun.of(false, cli -> cli.addSubcommand(new Boom(wrapped)), "boom");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.errLines()).containsExactly("squint: inner advice");
    }

    @Test
    void runFlushesAndReturnsTheCode() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        assertThat(Main.run(new String[] {"--version"}, new PrintWriter(out), new PrintWriter(err), false)).isZero();
        assertThat(out.toString()).contains("squint 0.1.0");
    }
}
