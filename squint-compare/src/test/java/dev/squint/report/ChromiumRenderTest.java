package dev.squint.report;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The HTML report opened in a real browser: both charts laid out with every point drawn and visible in a screenshot. */
class ChromiumRenderTest {
    @Test
    void chartsRenderInHeadlessChromium(@TempDir Path dir) throws Exception {
        System.setProperty("java.awt.headless", "true");
        Optional<Path> chromium = ChromiumCheck.findChromium();
        assumeTrue(chromium.isPresent(), "no chromium binary on PATH (apt-get install chromium): skipping the browser render check");
        ComparisonReport r = Verdicts.withComputedVerdicts(SyntheticReports.demoShaped(), VerdictPolicy.defaults());
        Path html = dir.resolve("report.html");
        Files.writeString(html, Reports.html(r));

        ChromiumCheck.Result result = ChromiumCheck.check(chromium.get(), html, dir.resolve("chromium"), Duration.ofSeconds(90));

        assertThat(result.charts()).extracting(ChromiumCheck.ChartRender::id)
                .containsExactly(HtmlReport.QUALITY_CHART_ID, HtmlReport.SPEED_CHART_ID);
        // every row has a size and quality; one row has no throughput, so the speed chart has one point fewer
        assertThat(result.expectedPoints()).containsExactly(6, 5);
        for (ChromiumCheck.ChartRender c : result.charts()) {
            assertThat(c.width()).as(c.id() + " width").isGreaterThan(300);
            assertThat(c.height()).as(c.id() + " height").isGreaterThan(200);
            assertThat(c.markerPixels()).as(c.id() + " marker pixels in the screenshot").isGreaterThan(100);
        }
        assertThat(result.charts().get(0).pointsDrawn()).isEqualTo(6);
        assertThat(result.charts().get(1).pointsDrawn()).isEqualTo(5);
        assertThat(result.allRendered()).isTrue();
    }

    @Test
    void aPageWhoseChartsCannotDrawFailsTheCheck(@TempDir Path dir) throws Exception {
        Optional<Path> chromium = ChromiumCheck.findChromium();
        assumeTrue(chromium.isPresent(), "no chromium binary on PATH (apt-get install chromium): skipping the browser render check");
        ComparisonReport r = SyntheticReports.demoShaped();
        // the same page with its charts hidden: laid out with no size, so nothing is drawn
        String hidden = Reports.html(r).replace("</style>", "svg.chart { display: none !important; }\n</style>");
        Path html = dir.resolve("hidden.html");
        Files.writeString(html, hidden);

        ChromiumCheck.Result result = ChromiumCheck.check(chromium.get(), html, dir.resolve("chromium"), Duration.ofSeconds(90));

        assertThat(result.charts()).hasSize(2).allSatisfy(c -> {
            assertThat(c.width()).isZero();
            assertThat(c.markerPixels()).isZero();
        });
        assertThat(result.allRendered()).isFalse();
    }
}
