package dev.squint.cli;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class ProgressTest {

    @Test
    void onlyATerminalOutsideCiIsInteractive() {
        assertThat(Progress.isInteractive(true, Map.of())).isTrue();
        assertThat(Progress.isInteractive(true, Map.of("CI", "true"))).isFalse();
        assertThat(Progress.isInteractive(false, Map.of())).isFalse();
    }

    @Test
    void surefireStderrIsNotATerminal() {
        // the forked test JVM writes stderr to a pipe
        assertThat(Progress.stderrIsTerminal()).isFalse();
    }

    @Test
    void testsRunWithoutATerminalSoBarsStaySilent() {
        // surefire pipes the test JVM's output: start() must detect that and draw nothing on stderr
        PrintStream saved = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try (Progress p = Progress.start("quantize", 10); Progress b = Progress.startBytes("write", 5_000_000)) {
            assertThat(p.visible()).isFalse();
            assertThat(b.visible()).isFalse();
            for (int i = 0; i < 10; i++) p.step();
            b.stepBy(5_000_000);
            p.message("tensor 3");
            assertThat(p.done()).isEqualTo(10);
        } finally {
            System.setErr(saved);
        }
        assertThat(captured.size()).isZero();
    }

    @Test
    void quietBarCountsButDrawsNothing() {
        try (Progress p = Progress.quiet()) {
            p.stepBy(7);
            assertThat(p.done()).isEqualTo(7);
            assertThat(p.visible()).isFalse();
        }
    }

    @Test
    void aDrawnBarShowsTaskAndCount() throws InterruptedException {
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        try (Progress p = Progress.drawnOn(new PrintStream(sink, true, StandardCharsets.UTF_8), 100, "quantize", 4)) {
            assertThat(p.visible()).isTrue();
            p.stepBy(2);
            Thread.sleep(300); // the bar redraws on a timer
        }
        String drawn = sink.toString(StandardCharsets.UTF_8);
        assertThat(drawn).contains("quantize").contains("2/4");
    }
}
