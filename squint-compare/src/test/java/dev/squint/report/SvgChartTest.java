package dev.squint.report;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class SvgChartTest {
    @Test
    void sizesSpanningAFactorOfThreeGetALogAxisWithRoundTicks() {
        SvgChart.Axis a = SvgChart.Axis.of(17.6, 90.4, true);
        assertThat(a.log()).isTrue();
        assertThat(a.lo()).isEqualTo(15.0);   // 17.6 / 1.15 = 15.3 → 15
        assertThat(a.hi()).isEqualTo(120.0);  // 90.4 * 1.15 = 104 → 120
        assertThat(a.ticks()).containsExactly(15.0, 20.0, 50.0, 100.0);
        assertThat(a.ticks().stream().map(a::label)).containsExactly("15", "20", "50", "100");
        assertThat(a.frac(15.0)).isZero();
        assertThat(a.frac(120.0)).isEqualTo(1.0);
        // equal ratios take equal room: 20→40 as wide as 40→80
        assertThat(a.frac(40) - a.frac(20)).isCloseTo(a.frac(80) - a.frac(40), org.assertj.core.data.Offset.offset(1e-12));
    }

    @Test
    void narrowRangesStayLinearAndCoverTheData() {
        SvgChart.Axis a = SvgChart.Axis.of(92.88, 100.0, false);
        assertThat(a.log()).isFalse();
        assertThat(a.lo()).isLessThanOrEqualTo(92.88);
        assertThat(a.hi()).isGreaterThanOrEqualTo(100.0);
        assertThat(a.ticks()).first().isEqualTo(a.lo());
        assertThat(a.ticks().size()).isBetween(4, 12);
        SvgChart.Axis flat = SvgChart.Axis.of(1.0, 1.0, false);
        assertThat(flat.lo()).isLessThan(1.0);
        assertThat(flat.hi()).isGreaterThan(1.0);
        assertThat(SvgChart.Axis.of(0.2, 0.5, true).lo()).isZero();
    }

    @Test
    void anEmptyChartIsStillAFramedSvg() {
        String svg = SvgChart.render("c", "t", "x", "y", List.of(), true);
        assertThat(svg).startsWith("<svg id=\"c\"").endsWith("</svg>").contains("aria-label=\"t: no measured points\"")
                .doesNotContain("class=\"point");
    }

    @Test
    void eachKindOfPointHasItsOwnMarker() {
        String svg = SvgChart.render("c", "t", "x", "y", List.of(
                new SvgChart.Point("FP32", 90, 100, SvgChart.Kind.BASE, "FP32"),
                new SvgChart.Point("INT8", 23, 99, SvgChart.Kind.FORM, "INT8"),
                new SvgChart.Point("ref", 23, 98, SvgChart.Kind.REFERENCE, "ref")), true);
        assertThat(svg).contains("<g class=\"point base\"><title>FP32</title><circle").contains("r=\"7\" fill=\"" + SvgChart.BASE_COLOR)
                .contains("<g class=\"point form\"><title>INT8</title><circle")
                .contains("<g class=\"point reference\"><title>ref</title><path")
                .contains(">FP32 (base)</text>").contains(">ref (reference)</text>");
    }
}
