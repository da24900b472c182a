package dev.squint.cli;

import dev.squint.core.GgmlType;
import dev.squint.quantize.RandomLlamaModel;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A quantization that dies half-way leaves no file behind: {@code squint quantize} in a child JVM is
 * stopped by a full disk (a file-size limit, {@code ulimit -f}, makes the kernel refuse writes past it
 * just as a full disk does: the JVM ignores SIGXFSZ, so the write fails with an IOException) and by
 * Ctrl-C (SIGINT). Linux only (bash, kill).
 */
class InterruptedQuantizeTest {
    @TempDir static Path models;
    static Path model;

    @TempDir Path out;

    /** About 40 M weights (80 MB of F16): Q6_K takes seconds on 1 thread, long enough to interrupt. */
    @BeforeAll static void writeModel() {
        assumeTrue(System.getProperty("os.name").startsWith("Linux") && Files.isExecutable(Path.of("/bin/bash")), "needs Linux and bash");
        model = models.resolve("m-f16.gguf");
        RandomLlamaModel.write(model, new RandomLlamaModel.Shape(1024, 4, 8, 8, 2816, 1024), GgmlType.F16, 3);
    }

    private static List<String> squint(String... args) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx512m",
                "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(List.of(args));
        return cmd;
    }

    private List<String> leftInOut() throws IOException {
        try (Stream<Path> s = Files.list(out)) {
            return s.map(p -> p.getFileName().toString()).toList();
        }
    }

    @Test
    void fullDiskLeavesNoFileAndSaysWhatToDo() throws Exception {
        Path target = out.resolve("q.gguf");
        // 2 MiB (ulimit -f counts KiB in bash): the header and the first tensors fit, the rest does not
        String limited = "ulimit -f 2048 && exec \"$@\"";
        List<String> cmd = new ArrayList<>(List.of("/bin/bash", "-c", limited, "bash"));
        cmd.addAll(squint("quantize", "--threads", "2", model.toString(), target.toString(), "Q8_0"));
        Process p = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(err).isEqualTo(2);
        List<String> lines = err.lines().filter(l -> !l.startsWith("WARNING: Using incubator modules")).toList();
        assertThat(lines).as(err).hasSize(1);
        assertThat(lines.getFirst()).startsWith("squint: " + target).contains("File too large")
                .contains("check free disk space").contains("nothing was written");
        assertThat(leftInOut()).isEmpty();
    }

    @Test
    void ctrlCLeavesNoFile() throws Exception {
        Path target = out.resolve("q.gguf");
        Process p = new ProcessBuilder(squint("quantize", "--threads", "1", model.toString(), target.toString(), "Q6_K"))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        // wait until the temporary output exists (the header is written first), then press Ctrl-C
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (leftInOut().isEmpty() && p.isAlive() && System.nanoTime() < deadline) Thread.sleep(20);
        assumeTrue(p.isAlive() && !leftInOut().isEmpty(), "the quantization finished before it could be interrupted");
        assertThat(leftInOut()).allMatch(n -> n.startsWith(".q.gguf.tmp-"));
        Process kill = new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).start();
        assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(130); // 128 + SIGINT: the JVM ran its shutdown hooks and exited
        assertThat(leftInOut()).isEmpty();
    }
}
