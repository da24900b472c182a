package dev.squint.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A scatter chart drawn as inline SVG: each point a labelled marker, the base highlighted, outside references drawn
 * hollow. Hand-written SVG rather than a Java2D/JFreeChart PNG because it needs no fonts or AWT on the machine that
 * writes the report (a fresh headless JDK may have no fontconfig fonts), stays sharp at any zoom, and keeps the
 * labels as real text a browser can search and a screen reader can read.
 *
 * <p>Labels are placed greedily: each tries a few positions around its marker and takes the first that overlaps
 * neither an earlier label nor the plot's edge, so close points stay readable without a layout engine.
 */
final class SvgChart {
    enum Kind { BASE, FORM, REFERENCE }

    record Point(String label, double x, double y, Kind kind, String tooltip) {}

    static final int WIDTH = 560;
    static final int HEIGHT = 400;
    private static final int LEFT = 70, RIGHT = 20, TOP = 40, BOTTOM = 56;
    private static final double CHAR_W = 7.0, FONT = 11, LINE = 14;
    static final String BASE_COLOR = "#c0392b", FORM_COLOR = "#1f5fbf", REFERENCE_COLOR = "#7a3db8";

    private SvgChart() {}

    /**
     * @param id      the svg element's id
     * @param title   chart title (also the accessible name)
     * @param xLabel  x axis label
     * @param yLabel  y axis label
     * @param xFromZero start the x axis at zero (sizes) rather than at the smallest value
     */
    static String render(String id, String title, String xLabel, String yLabel, List<Point> points, boolean xFromZero) {
        double minX = Double.POSITIVE_INFINITY, maxX = Double.NEGATIVE_INFINITY, minY = Double.POSITIVE_INFINITY, maxY = Double.NEGATIVE_INFINITY;
        for (Point p : points) {
            minX = Math.min(minX, p.x()); maxX = Math.max(maxX, p.x());
            minY = Math.min(minY, p.y()); maxY = Math.max(maxY, p.y());
        }
        if (points.isEmpty()) { minX = 0; maxX = 1; minY = 0; maxY = 1; }
        Axis xa = Axis.of(minX, maxX, xFromZero);
        Axis ya = Axis.of(minY, maxY, false);
        double plotW = WIDTH - LEFT - RIGHT, plotH = HEIGHT - TOP - BOTTOM;

        StringBuilder s = new StringBuilder();
        s.append("<svg id=\"").append(Html.attr(id)).append("\" class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 ")
                .append(WIDTH).append(' ').append(HEIGHT).append("\" width=\"").append(WIDTH).append("\" height=\"").append(HEIGHT)
                .append("\" role=\"img\" aria-label=\"").append(Html.attr(title + ": " + describe(points))).append("\">\n");
        s.append("<title>").append(Html.text(title)).append("</title>\n");
        s.append("<rect x=\"0\" y=\"0\" width=\"").append(WIDTH).append("\" height=\"").append(HEIGHT).append("\" fill=\"#ffffff\"/>\n");
        s.append("<text x=\"").append(WIDTH / 2).append("\" y=\"20\" text-anchor=\"middle\" font-size=\"14\" font-weight=\"bold\">")
                .append(Html.text(title)).append("</text>\n");
        // grid and ticks
        for (double t : xa.ticks()) {
            double px = LEFT + xa.frac(t) * plotW;
            s.append(line(px, TOP, px, TOP + plotH, "#e3e3e3"));
            s.append(text(px, TOP + plotH + 16, xa.label(t), "middle", FONT, "#333"));
        }
        for (double t : ya.ticks()) {
            double py = TOP + plotH - ya.frac(t) * plotH;
            s.append(line(LEFT, py, LEFT + plotW, py, "#e3e3e3"));
            s.append(text(LEFT - 6, py + 4, ya.label(t), "end", FONT, "#333"));
        }
        s.append("<rect x=\"").append(LEFT).append("\" y=\"").append(TOP).append("\" width=\"").append(fmt(plotW)).append("\" height=\"")
                .append(fmt(plotH)).append("\" fill=\"none\" stroke=\"#777\"/>\n");
        s.append(text(LEFT + plotW / 2, HEIGHT - 12, xLabel + (xa.log() ? ", log scale" : ""), "middle", 12, "#111"));
        s.append("<text transform=\"translate(16 ").append(fmt(TOP + plotH / 2)).append(") rotate(-90)\" text-anchor=\"middle\" font-size=\"12\" fill=\"#111\">")
                .append(Html.text(yLabel + (ya.log() ? ", log scale" : ""))).append("</text>\n");

        // markers first (labels must avoid all of them), then labels
        List<double[]> occupied = new ArrayList<>();
        List<double[]> centers = new ArrayList<>();
        for (Point p : points) {
            double px = LEFT + xa.frac(p.x()) * plotW, py = TOP + plotH - ya.frac(p.y()) * plotH;
            centers.add(new double[]{px, py});
            occupied.add(new double[]{px - 7, py - 7, px + 7, py + 7});
            s.append("<g class=\"point ").append(p.kind().name().toLowerCase(Locale.ROOT)).append("\">");
            s.append("<title>").append(Html.text(p.tooltip())).append("</title>");
            switch (p.kind()) {
                case BASE -> s.append("<circle cx=\"").append(fmt(px)).append("\" cy=\"").append(fmt(py))
                        .append("\" r=\"7\" fill=\"").append(BASE_COLOR).append("\" stroke=\"#000\" stroke-width=\"1.5\"/>");
                case FORM -> s.append("<circle cx=\"").append(fmt(px)).append("\" cy=\"").append(fmt(py))
                        .append("\" r=\"5\" fill=\"").append(FORM_COLOR).append("\"/>");
                case REFERENCE -> s.append("<path d=\"M").append(fmt(px)).append(' ').append(fmt(py - 7)).append(" L").append(fmt(px + 7)).append(' ')
                        .append(fmt(py)).append(" L").append(fmt(px)).append(' ').append(fmt(py + 7)).append(" L").append(fmt(px - 7)).append(' ')
                        .append(fmt(py)).append(" Z\" fill=\"#ffffff\" stroke=\"").append(REFERENCE_COLOR).append("\" stroke-width=\"2\"/>");
            }
            s.append("</g>\n");
        }
        for (int i = 0; i < points.size(); i++) {
            Point p = points.get(i);
            double px = centers.get(i)[0], py = centers.get(i)[1];
            String label = p.label() + (p.kind() == Kind.BASE ? " (base)" : p.kind() == Kind.REFERENCE ? " (reference)" : "");
            double w = label.codePointCount(0, label.length()) * CHAR_W + 2, h = LINE; // estimated: no font metrics without AWT
            double[] box = place(px, py, w, h, occupied, plotW, plotH);
            occupied.add(box);
            double tx = box[0], ty = box[3] - 3;
            // a label pushed away from its marker gets a leader line to the label's nearest edge
            double ex = Math.max(box[0], Math.min(px, box[2])), ey = Math.max(box[1], Math.min(py, box[3]));
            if (Math.hypot(ex - px, ey - py) > 12) s.append(line(px, py, ex, ey, "#999"));
            String color = p.kind() == Kind.BASE ? BASE_COLOR : p.kind() == Kind.REFERENCE ? REFERENCE_COLOR : "#111";
            s.append("<text class=\"point-label\" x=\"").append(fmt(tx)).append("\" y=\"").append(fmt(ty)).append("\" font-size=\"").append(fmt(FONT))
                    .append("\" fill=\"").append(color).append("\">").append(Html.text(label)).append("</text>\n");
        }
        s.append("</svg>");
        return s.toString();
    }

    /** The first free spot for a w×h label near (px, py): right, left, above, below, then further out. */
    private static double[] place(double px, double py, double w, double h, List<double[]> occupied, double plotW, double plotH) {
        double[][] offsets = new double[40][];
        int n = 0;
        offsets[n++] = new double[]{9, -h / 2};
        offsets[n++] = new double[]{-9 - w, -h / 2};
        offsets[n++] = new double[]{-w / 2, -9 - h};
        offsets[n++] = new double[]{-w / 2, 9};
        for (int k = 1; k <= 6; k++) {
            offsets[n++] = new double[]{9, -h / 2 - k * h};
            offsets[n++] = new double[]{9, -h / 2 + k * h};
            offsets[n++] = new double[]{-9 - w, -h / 2 - k * h};
            offsets[n++] = new double[]{-9 - w, -h / 2 + k * h};
        }
        double[] fallback = null;
        for (int i = 0; i < n; i++) {
            double x0 = px + offsets[i][0], y0 = py + offsets[i][1];
            double[] box = {x0, y0, x0 + w, y0 + h};
            boolean inside = x0 >= LEFT + 2 && x0 + w <= LEFT + plotW - 2 && y0 >= TOP + 2 && y0 + h <= TOP + plotH - 2;
            if (!inside) continue;
            if (fallback == null) fallback = box;
            boolean clear = true;
            for (double[] o : occupied) {
                if (box[0] < o[2] && o[0] < box[2] && box[1] < o[3] && o[1] < box[3]) { clear = false; break; }
            }
            if (clear) return box;
        }
        if (fallback != null) return fallback;
        // a label wider than the room beside its point: clamp into the plot
        double x0 = Math.max(LEFT + 2, Math.min(px + 9, LEFT + plotW - 2 - w));
        double y0 = Math.max(TOP + 2, Math.min(py - h / 2, TOP + plotH - 2 - h));
        return new double[]{x0, y0, x0 + w, y0 + h};
    }

    private static String describe(List<Point> points) {
        if (points.isEmpty()) return "no measured points";
        StringBuilder sb = new StringBuilder();
        for (Point p : points) {
            if (!sb.isEmpty()) sb.append("; ");
            sb.append(p.tooltip());
        }
        return sb.toString();
    }

    private static String line(double x1, double y1, double x2, double y2, String color) {
        return "<line x1=\"" + fmt(x1) + "\" y1=\"" + fmt(y1) + "\" x2=\"" + fmt(x2) + "\" y2=\"" + fmt(y2) + "\" stroke=\"" + color + "\"/>\n";
    }

    private static String text(double x, double y, String t, String anchor, double size, String color) {
        return "<text x=\"" + fmt(x) + "\" y=\"" + fmt(y) + "\" text-anchor=\"" + anchor + "\" font-size=\"" + fmt(size) + "\" fill=\"" + color + "\">"
                + Html.text(t) + "</text>\n";
    }

    static String fmt(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }

    /**
     * An axis with "nice" ticks (1, 2 or 5 × 10^k) that cover the data: linear, or logarithmic when the values span
     * a factor of 3 or more — sizes are compared as ratios ("4× smaller"), and a log axis spreads the cluster of
     * 4- and 8-bit forms that a linear one squeezes against the left edge.
     */
    record Axis(double lo, double hi, double step, boolean log) {
        static Axis of(double min, double max, boolean fromZero) {
            if (min > 0 && max / min >= 3) {
                double lo = niceBelow(min / 1.15), hi = niceAbove(max * 1.15);
                return new Axis(lo, hi, 0, true);
            }
            if (!(max > min)) {
                double pad = min == 0 ? 1 : Math.abs(min) * 0.05;
                min -= pad;
                max += pad;
            }
            double span = max - min;
            double step = nice(span / 5);
            double lo = fromZero && min >= 0 ? 0 : Math.floor((min - span * 0.04) / step) * step;
            double hi = Math.ceil((max + span * 0.06) / step) * step;
            return new Axis(lo, hi, step, false);
        }

        static double nice(double raw) {
            double mag = Math.pow(10, Math.floor(Math.log10(raw)));
            double f = raw / mag;
            return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
        }

        /** Round mantissas for log-axis ends: close enough to the data that little of the axis is empty. */
        private static final double[] MANTISSAS = {1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10};

        /** The largest round value (mantissa × 10^k) not above v. */
        static double niceBelow(double v) {
            double mag = Math.pow(10, Math.floor(Math.log10(v)));
            double best = mag;
            for (double m : MANTISSAS) if (m * mag <= v * (1 + 1e-12)) best = m * mag;
            return best;
        }

        /** The smallest round value (mantissa × 10^k) not below v. */
        static double niceAbove(double v) {
            double mag = Math.pow(10, Math.floor(Math.log10(v)));
            for (double m : MANTISSAS) if (m * mag >= v * (1 - 1e-12)) return m * mag;
            return 10 * mag;
        }

        double frac(double v) {
            return log ? (Math.log(v) - Math.log(lo)) / (Math.log(hi) - Math.log(lo)) : (v - lo) / (hi - lo);
        }

        List<Double> ticks() {
            List<Double> t = new ArrayList<>();
            if (log) {
                for (int k = (int) Math.floor(Math.log10(lo)); k <= (int) Math.ceil(Math.log10(hi)); k++) {
                    for (int m : new int[]{1, 2, 5}) {
                        double v = m * Math.pow(10, k);
                        if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) t.add(v);
                    }
                }
                // label the ends too when no 1-2-5 tick sits near them
                if (t.isEmpty() || t.getFirst() / lo > 1.25) t.addFirst(lo);
                if (t.getLast() > 0 && hi / t.getLast() > 1.25) t.addLast(hi);
                return t;
            }
            for (int i = 0; lo + i * step <= hi + step * 1e-9 && i < 100; i++) t.add(lo + i * step);
            return t;
        }

        String label(double v) {
            if (log) return new java.math.BigDecimal(v).round(new java.math.MathContext(3)).stripTrailingZeros().toPlainString();
            int decimals = Math.max(0, (int) -Math.floor(Math.log10(step) + 1e-9));
            if (Math.abs(v) < step * 1e-9) v = 0;
            return String.format(Locale.ROOT, "%." + decimals + "f", v);
        }
    }
}
