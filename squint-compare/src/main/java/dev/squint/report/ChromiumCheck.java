package dev.squint.report;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Opens an HTML report in headless Chromium and checks that its charts were drawn: a probe script measures each
 * chart element and its point markers in the laid-out page ({@code --dump-dom}), then a screenshot of the same page
 * is searched for the markers' colours inside each chart's box. The report itself carries no script; the probe is
 * added to a copy.
 *
 * <p>{@code java -cp squint.jar dev.squint.report.ChromiumCheck REPORT.html [WORKDIR]} exits 0 when every chart
 * rendered, 1 when one did not, 3 when no Chromium is installed ({@code scripts/check-report-in-chromium.sh}).
 */
public final class ChromiumCheck {
    /** One chart as Chromium drew it. Coordinates are CSS pixels from the top left of the page. */
    public record ChartRender(String id, int x, int y, int width, int height, int pointsDrawn, int markerPixels) {
        /** Laid out with a size, every declared point marker has a size, and the screenshot shows marker colours in its box. */
        public boolean rendered(int expectedPoints) {
            if (expectedPoints == 0) return width > 0 && height > 0 && pointsDrawn == 0; // nothing measured: an empty frame is right
            return width > 0 && height > 0 && pointsDrawn == expectedPoints && pointsDrawn > 0 && markerPixels >= 20 * Math.min(pointsDrawn, 3);
        }
    }

    /** What the check saw; {@code expectedPoints} per chart is what the page's markup declares. */
    public record Result(List<ChartRender> charts, List<Integer> expectedPoints, Path screenshot) {
        public boolean allRendered() {
            if (charts.isEmpty()) return false;
            for (int i = 0; i < charts.size(); i++) if (!charts.get(i).rendered(expectedPoints.get(i))) return false;
            return true;
        }
    }

    private static final int WIDTH = 1200;
    private static final Pattern PROBE = Pattern.compile("SQUINTCHARTS\\[([^\\]]*)\\]");
    private static final Pattern SVG_OPEN = Pattern.compile("<svg\\b[^>]*\\bclass=\"chart\"[^>]*>");
    private static final Pattern POINT = Pattern.compile("<g class=\"point ");
    private static final String PROBE_SCRIPT = """
            <script>(function () {
              var out = [];
              document.querySelectorAll('svg.chart').forEach(function (c) {
                var r = c.getBoundingClientRect(), drawn = 0;
                c.querySelectorAll('g.point').forEach(function (g) {
                  var b = g.getBoundingClientRect();
                  if (b.width > 0 && b.height > 0) drawn++;
                });
                out.push([c.id || '?', Math.round(r.left + window.scrollX), Math.round(r.top + window.scrollY),
                          Math.round(r.width), Math.round(r.height), drawn].join(','));
              });
              var d = document.createElement('pre');
              d.textContent = 'SQUINT' + 'CHARTS[' + out.join(';') + ']'; // split so the script's own text never matches
              document.body.appendChild(d);
            })();</script>
            """;

    private ChromiumCheck() {}

    /** The Chromium binary: system property {@code squint.chromium}, else {@code chromium}, {@code chromium-browser}, {@code google-chrome} on the PATH. */
    public static Optional<Path> findChromium() {
        String configured = System.getProperty("squint.chromium");
        if (configured != null && !configured.isBlank()) {
            Path p = Path.of(configured);
            return Files.isExecutable(p) ? Optional.of(p) : Optional.empty();
        }
        String path = System.getenv("PATH");
        if (path == null) return Optional.empty();
        for (String name : List.of("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")) {
            for (String dir : path.split(File.pathSeparator)) {
                if (dir.isEmpty()) continue;
                Path p = Path.of(dir, name);
                if (Files.isExecutable(p) && !Files.isDirectory(p)) return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /**
     * Runs the check on {@code html} with {@code chromium}, using {@code workDir} for the probe copy, the browser
     * profile and the screenshot ({@code workDir/screenshot.png}).
     */
    public static Result check(Path chromium, Path html, Path workDir, Duration timeout) throws IOException, InterruptedException {
        Files.createDirectories(workDir);
        String page = Files.readString(html, StandardCharsets.UTF_8);
        List<Integer> expected = new ArrayList<>();
        Matcher svg = SVG_OPEN.matcher(page);
        while (svg.find()) {
            int end = page.indexOf("</svg>", svg.end());
            if (end < 0) end = page.length();
            expected.add((int) POINT.matcher(page.substring(svg.end(), end)).results().count());
        }
        int at = page.lastIndexOf("</body>");
        String probed = at < 0 ? page + PROBE_SCRIPT : page.substring(0, at) + PROBE_SCRIPT + page.substring(at);
        Path probePage = workDir.resolve("probe.html");
        Files.writeString(probePage, probed, StandardCharsets.UTF_8);
        String url = probePage.toAbsolutePath().toUri().toString();

        Path dom = workDir.resolve("dom.html");
        run(chromium, workDir, timeout, dom, "--dump-dom", "--window-size=" + WIDTH + ",1000", url);
        Matcher m = PROBE.matcher(Files.readString(dom, StandardCharsets.UTF_8));
        if (!m.find()) throw new IOException("Chromium ran but the probe left no result in the page (see " + dom + ")");
        List<int[]> boxes = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        List<Integer> drawn = new ArrayList<>();
        int bottom = 600;
        for (String chart : m.group(1).isEmpty() ? new String[0] : m.group(1).split(";")) {
            String[] f = chart.split(",");
            ids.add(f[0]);
            int[] box = {Integer.parseInt(f[1]), Integer.parseInt(f[2]), Integer.parseInt(f[3]), Integer.parseInt(f[4])};
            boxes.add(box);
            drawn.add(Integer.parseInt(f[5]));
            bottom = Math.max(bottom, box[1] + box[3] + 40);
        }
        // one screenshot tall enough to hold every chart, at the same width so the layout is the same
        Path shot = workDir.resolve("screenshot.png");
        Files.deleteIfExists(shot);
        run(chromium, workDir, timeout, workDir.resolve("screenshot.log"), "--screenshot=" + shot.toAbsolutePath(),
                "--window-size=" + WIDTH + "," + Math.min(bottom, 16000), url);
        BufferedImage image = Files.exists(shot) ? ImageIO.read(shot.toFile()) : null;
        if (image == null) throw new IOException("Chromium wrote no readable screenshot at " + shot);
        List<ChartRender> charts = new ArrayList<>();
        for (int i = 0; i < boxes.size(); i++) {
            int[] b = boxes.get(i);
            charts.add(new ChartRender(ids.get(i), b[0], b[1], b[2], b[3], drawn.get(i), markerPixels(image, b)));
        }
        while (expected.size() < charts.size()) expected.add(-1);
        return new Result(List.copyOf(charts), List.copyOf(expected.subList(0, charts.size())), shot);
    }

    /** Pixels inside the box whose colour is (near) one of the point marker colours. */
    static int markerPixels(BufferedImage image, int[] box) {
        int[][] colours = {rgb(SvgChart.FORM_COLOR), rgb(SvgChart.BASE_COLOR), rgb(SvgChart.REFERENCE_COLOR)};
        int count = 0;
        int x1 = Math.min(image.getWidth(), box[0] + box[2]), y1 = Math.min(image.getHeight(), box[1] + box[3]);
        for (int y = Math.max(0, box[1]); y < y1; y++) {
            for (int x = Math.max(0, box[0]); x < x1; x++) {
                int p = image.getRGB(x, y);
                int r = (p >> 16) & 0xff, g = (p >> 8) & 0xff, bl = p & 0xff;
                for (int[] c : colours) {
                    if (Math.abs(r - c[0]) + Math.abs(g - c[1]) + Math.abs(bl - c[2]) < 40) { count++; break; }
                }
            }
        }
        return count;
    }

    private static int[] rgb(String hex) {
        int v = Integer.parseInt(hex.substring(1), 16);
        return new int[]{(v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff};
    }

    private static void run(Path chromium, Path workDir, Duration timeout, Path stdout, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(chromium.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--hide-scrollbars", "--force-device-scale-factor=1", "--no-first-run", "--disable-extensions",
                "--user-data-dir=" + workDir.resolve("profile").toAbsolutePath()));
        cmd.addAll(List.of(args));
        Path log = workDir.resolve("chromium-stderr.log");
        Process p = new ProcessBuilder(cmd).redirectOutput(stdout.toFile()).redirectError(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            throw new IOException("Chromium did not finish within " + timeout.toSeconds() + " s (see " + log + ")");
        }
        if (p.exitValue() != 0) throw new IOException("Chromium exited with " + p.exitValue() + " (see " + log + ")");
    }

    public static void main(String[] args) throws Exception {
        System.setProperty("java.awt.headless", "true");
        if (args.length < 1 || args.length > 2) {
            System.err.println("usage: ChromiumCheck REPORT.html [WORKDIR]");
            System.exit(2);
        }
        Path html = Path.of(args[0]);
        if (!Files.isRegularFile(html)) {
            System.err.println(html + ": no such file");
            System.exit(2);
        }
        Optional<Path> chromium = findChromium();
        if (chromium.isEmpty()) {
            System.err.println("no chromium binary found: install Debian's 'chromium' package, or point at one (CHROMIUM=PATH for scripts/check-report-in-chromium.sh, -Dsquint.chromium=PATH for java)");
            System.exit(3);
        }
        Path work = args.length == 2 ? Path.of(args[1]) : Files.createTempDirectory("squint-chromium-");
        Result r = check(chromium.get(), html, work, Duration.ofSeconds(90));
        for (int i = 0; i < r.charts().size(); i++) {
            ChartRender c = r.charts().get(i);
            int want = r.expectedPoints().get(i);
            System.out.printf("%-28s %s  box %dx%d at (%d,%d), %d of %d points drawn, %d marker pixels%n", c.id(),
                    c.rendered(want) ? "rendered" : "NOT RENDERED", c.width(), c.height(), c.x(), c.y(), c.pointsDrawn(), want, c.markerPixels());
        }
        if (r.charts().isEmpty()) System.out.println("no charts (svg.chart) found in " + html);
        System.out.println("screenshot: " + r.screenshot());
        System.exit(r.allRendered() ? 0 : 1);
    }
}
