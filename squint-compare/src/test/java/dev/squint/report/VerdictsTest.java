package dev.squint.report;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

import static dev.squint.report.SyntheticReports.reference;
import static dev.squint.report.SyntheticReports.report;
import static dev.squint.report.SyntheticReports.row;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class VerdictsTest {
    private static final long MB = 1_000_000;
    private static final VerdictPolicy POLICY = VerdictPolicy.defaults();

    // base 100 MB at 100/s; every other row chosen so one verdict has one right answer
    private static final FormatRow BASE = row("FP32", 100 * MB, 1.0, 100, 400 * MB);
    private static final FormatRow HALF = row("FP16", 50 * MB, 0.9995, 90, 300 * MB);
    private static final FormatRow INT8 = row("INT8", 25 * MB, 0.992, 180, 200 * MB);
    private static final FormatRow INT4 = row("INT4", 14 * MB, 0.985, 150, 150 * MB);
    private static final FormatRow BROKEN = row("INT2", 8 * MB, 0.90, 200, 120 * MB);

    private static Verdict find(List<Verdict> vs, String questionPrefix) {
        return vs.stream().filter(v -> v.question().startsWith(questionPrefix)).findFirst()
                .orElseThrow(() -> new AssertionError("no verdict " + questionPrefix + " in " + vs));
    }

    private static List<Verdict> notWorth(List<Verdict> vs) {
        return vs.stream().filter(v -> v.question().equals(Verdicts.NOT_WORTH_IT)).toList();
    }

    @Test
    void smallestKeepingQualityIgnoresSmallerRowsBelowTheThreshold() {
        List<Verdict> vs = Verdicts.compute(report(BASE, HALF, INT8, INT4, BROKEN), POLICY);
        Verdict v = find(vs, Verdicts.SMALLEST);
        assertThat(v.question()).contains("99 %");
        assertThat(v.answer()).isEqualTo("INT8");
        assertThat(v.reason()).contains("25.0 MB").contains("4.00× smaller than FP32").contains("99.20 %");
        // a looser policy lets the 98.5 % INT4 win
        Verdict loose = find(Verdicts.compute(report(BASE, HALF, INT8, INT4, BROKEN),
                new VerdictPolicy(0.98, 0.97, 1.5, 0.05, OptionalLong.empty())), Verdicts.SMALLEST);
        assertThat(loose.answer()).isEqualTo("INT4");
    }

    @Test
    void whenNoSmallerRowKeepsQualityTheBaseIsTheAnswerAndTheClosestIsNamed() {
        Verdict v = find(Verdicts.compute(report(BASE, INT4, BROKEN), POLICY), Verdicts.SMALLEST);
        assertThat(v.answer()).startsWith("FP32").contains("keep the base");
        assertThat(v.reason()).contains("Closest: INT4").contains("98.50 %");
    }

    @Test
    void aReferenceIsNeverThePickButIsMentionedWhenItWouldHaveWon() {
        FormatRow ref = reference("ORT -q", 20 * MB, 0.995, 400);
        List<Verdict> vs = Verdicts.compute(report(BASE, HALF, INT8, ref), POLICY);
        Verdict smallest = find(vs, Verdicts.SMALLEST);
        assertThat(smallest.answer()).isEqualTo("INT8");
        assertThat(smallest.reason()).contains("outside reference ORT -q is smaller").contains("20.0 MB");
        Verdict fastest = find(vs, Verdicts.FASTEST);
        assertThat(fastest.answer()).isEqualTo("INT8");
        assertThat(fastest.reason()).contains("outside reference ORT -q is faster");
        Verdict fidelity = find(vs, Verdicts.HIGHEST_FIDELITY);
        assertThat(fidelity.answer()).isEqualTo("FP16");
        assertThat(vs).noneMatch(v -> v.answer().equals("ORT -q"));
    }

    @Test
    void fastestKeepingQualityAndNoiseMargin() {
        Verdict v = find(Verdicts.compute(report(BASE, HALF, INT8, BROKEN), POLICY), Verdicts.FASTEST);
        assertThat(v.answer()).isEqualTo("INT8"); // INT2 is faster but keeps 90 %
        assertThat(v.reason()).contains("180 sentences/s").contains("1.80× FP32");
        // 3 % faster is within the 5 % noise margin: keep the base
        Verdict noise = find(Verdicts.compute(report(BASE, row("FP16", 50 * MB, 0.9999, 103, -1)), POLICY), Verdicts.FASTEST);
        assertThat(noise.answer()).startsWith("FP32");
        assertThat(noise.reason()).contains("FP16").contains("noise margin");
    }

    @Test
    void highestFidelityAmongRowsSmallerThanTheBase() {
        FormatRow bigger = row("FP32 copy", 120 * MB, 1.0, 100, -1);
        Verdict v = find(Verdicts.compute(report(BASE, bigger, INT8, HALF, INT4), POLICY), Verdicts.HIGHEST_FIDELITY);
        assertThat(v.question()).isEqualTo("Highest fidelity smaller than FP32?");
        assertThat(v.answer()).isEqualTo("FP16");
        assertThat(v.reason()).contains("99.95 %").contains("50.0 MB").contains("2.00×");
        Verdict low = find(Verdicts.compute(report(BASE, BROKEN), POLICY), Verdicts.HIGHEST_FIDELITY);
        assertThat(low.answer()).isEqualTo("INT2");
        assertThat(low.reason()).contains("loses more than the 3 % allowed");
    }

    @Test
    void memoryBudgetPicksTheBestQualityThatFits() {
        VerdictPolicy budget = POLICY.withMemoryBudget(210 * MB);
        List<Verdict> vs = Verdicts.compute(report(BASE, HALF, INT8, INT4, BROKEN), budget);
        Verdict v = find(vs, Verdicts.MEMORY_BUDGET);
        assertThat(v.question()).contains("210.0 MB");
        assertThat(v.answer()).isEqualTo("INT8"); // FP16 needs 300 MB
        assertThat(v.reason()).contains("peak memory 200.0 MB");
        assertThat(find(Verdicts.compute(report(BASE, HALF, INT8), POLICY.withMemoryBudget(100 * MB)), Verdicts.MEMORY_BUDGET))
                .satisfies(n -> {
                    assertThat(n.answer()).isEqualTo("nothing fits");
                    assertThat(n.reason()).contains("INT8").contains("200.0 MB");
                });
        assertThat(Verdicts.compute(report(BASE, HALF), POLICY)).noneMatch(x -> x.question().startsWith(Verdicts.MEMORY_BUDGET));
    }

    @Test
    void memoryBudgetFallsBackToTheFileSizeAndSaysSo() {
        FormatRow unmeasured = row("INT8", 25 * MB, 0.992, 180, -1);
        Verdict v = find(Verdicts.compute(report(BASE, unmeasured), POLICY.withMemoryBudget(30 * MB)), Verdicts.MEMORY_BUDGET);
        assertThat(v.answer()).isEqualTo("INT8");
        assertThat(v.reason()).contains("peak memory not measured").contains("lower bound");
    }

    @Test
    void notWorthItNamesEachReasonInNumbers() {
        FormatRow slowNotSmall = row("BF16-ish", 80 * MB, 0.9999, 60, -1);  // slower and only 1.25× smaller
        FormatRow dominated = row("Q6", 30 * MB, 0.990, 170, -1);           // INT8 is smaller, better and as fast
        FormatRow slowButSmall = row("NF4", 13 * MB, 0.986, 70, -1);        // slower but 7.7× smaller: worth it
        List<Verdict> vs = notWorth(Verdicts.compute(report(BASE, slowNotSmall, dominated, INT8, slowButSmall, BROKEN), POLICY));
        assertThat(vs).extracting(Verdict::answer).containsExactlyInAnyOrder("BF16-ish", "Q6", "INT2");
        Verdict slow = vs.stream().filter(v -> v.answer().equals("BF16-ish")).findFirst().orElseThrow();
        assertThat(slow.reason()).startsWith("Slower than FP32 (60.0 vs 100 sentences/s, 0.60×)").contains("1.25× smaller").contains("1.50×");
        Verdict dom = vs.stream().filter(v -> v.answer().equals("Q6")).findFirst().orElseThrow();
        assertThat(dom.reason()).contains("INT8 is at least as small").contains("25.0 MB vs 30.0 MB").contains("99.20 % vs 99.00 %");
        Verdict broken = vs.stream().filter(v -> v.answer().equals("INT2")).findFirst().orElseThrow();
        assertThat(broken.reason()).contains("90.00 %").contains("below the 97 % floor");
    }

    @Test
    void aRowBeatenByTheReferenceIsNotWorthItAndTheReferenceIsNotJudged() {
        FormatRow ref = reference("ORT -q", 20 * MB, 0.995, 400);
        FormatRow weakRef = reference("other tool", 90 * MB, 0.80, 10);
        List<Verdict> vs = notWorth(Verdicts.compute(report(BASE, INT8, ref, weakRef), POLICY));
        assertThat(vs).singleElement().satisfies(v -> {
            assertThat(v.answer()).isEqualTo("INT8");
            assertThat(v.reason()).contains("ORT -q (outside reference)");
        });
    }

    @Test
    void dontQuantizeWhenNothingBeatsTheBaseWithinTheFloor() {
        FormatRow biggerSlower = row("FP32 other runtime", 110 * MB, 1.0, 80, -1);
        Verdict v = find(Verdicts.compute(report(BASE, BROKEN, biggerSlower), POLICY), Verdicts.QUANTIZE_AT_ALL);
        assertThat(v.answer()).isEqualTo(Verdicts.DONT_QUANTIZE);
        assertThat(v.reason()).contains("keep FP32").contains("97 %");
        Verdict alone = find(Verdicts.compute(report(BASE), POLICY), Verdicts.QUANTIZE_AT_ALL);
        assertThat(alone.answer()).isEqualTo(Verdicts.DONT_QUANTIZE);
        assertThat(alone.reason()).contains("nothing to compare");
        // a reference that beats the base does not make "quantize" the advice: it is not squint output
        Verdict refOnly = find(Verdicts.compute(report(BASE, reference("ORT -q", 20 * MB, 0.995, 400)), POLICY), Verdicts.QUANTIZE_AT_ALL);
        assertThat(refOnly.answer()).isEqualTo(Verdicts.DONT_QUANTIZE);
        Verdict yes = find(Verdicts.compute(report(BASE, INT8, BROKEN), POLICY), Verdicts.QUANTIZE_AT_ALL);
        assertThat(yes.answer()).isEqualTo("yes");
        assertThat(yes.reason()).startsWith("1 of 2 forms").endsWith("INT8.");
    }

    @Test
    void unmeasuredFiguresLeaveRowsOutInsteadOfGuessing() {
        FormatRow noQuality = row("GGUF Q4_0", 13 * MB, Double.NaN, Double.NaN, -1);
        FormatRow noSize = new FormatRow("in-memory", "f16", "squint engine", Optional.empty(), -1, Double.NaN, 0.9999,
                List.of(), 500, -1, List.of(), false);
        FormatRow baseNoQuality = row("FP32", 100 * MB, Double.NaN, Double.NaN, -1);
        List<Verdict> vs = Verdicts.compute(report(baseNoQuality, noQuality, noSize), POLICY.withMemoryBudget(50 * MB));
        assertThat(find(vs, Verdicts.SMALLEST).answer()).startsWith("FP32"); // the base keeps all of its own quality
        assertThat(find(vs, Verdicts.FASTEST).answer()).startsWith("FP32"); // only the size-less row has a speed... and it keeps quality
        assertThat(find(vs, Verdicts.HIGHEST_FIDELITY).answer()).isEqualTo("none");
        assertThat(find(vs, Verdicts.MEMORY_BUDGET).answer()).isEqualTo("nothing fits");
        assertThat(notWorth(vs)).isEmpty();
        assertThat(find(vs, Verdicts.QUANTIZE_AT_ALL).answer()).isEqualTo(Verdicts.DONT_QUANTIZE);
        assertThat(vs).allSatisfy(v -> assertThat(v.reason()).doesNotContain("NaN"));
    }

    @Test
    void thePolicyRejectsNonsense() {
        assertThatThrownBy(() -> new VerdictPolicy(1.2, 0.97, 1.5, 0.05, OptionalLong.empty())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new VerdictPolicy(0.97, 0.99, 1.5, 0.05, OptionalLong.empty())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new VerdictPolicy(0.99, 0.97, 0.5, 0.05, OptionalLong.empty())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new VerdictPolicy(0.99, 0.97, 1.5, Double.NaN, OptionalLong.empty())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> POLICY.withMemoryBudget(0)).isInstanceOf(IllegalArgumentException.class);
    }
}
