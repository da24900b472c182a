package dev.squint.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code squint} command. The only place that calls {@code System.exit}. */
@Command(name = "squint", mixinStandardHelpOptions = true, version = "squint 0.1.0",
        description = "Quantize models on the JVM, and measure what it cost.",
        subcommands = {CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new Main()).execute(args));
    }
}
