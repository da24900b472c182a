package dev.squint.report;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.stream.Collectors;

import static dev.squint.report.Derived.hasThroughput;
import static dev.squint.report.Derived.timesFaster;
import static dev.squint.report.Derived.timesSmaller;
import static dev.squint.report.Figures.known;
import static dev.squint.report.Figures.knownBytes;
import static dev.squint.report.Figures.megabytesWithUnit;
import static dev.squint.report.Figures.percent;
import static dev.squint.report.Figures.ratio;
import static dev.squint.report.Figures.threshold;

/**
 * Turns a table of measured rows into advice: the questions "when should I quantize, and to what?" answered from
 * the numbers alone, each answer carrying the figures behind it.
 *
 * <p>Rows flagged {@link FormatRow#reference()} (an outside tool's output) take part in comparisons — a squint row
 * the reference beats on every axis is "not worth it" — but are never the recommended pick; when a reference would
 * have won a question the reason says so. Unmeasured figures (NaN quality or throughput, unknown size) leave a row
 * out of the questions that need them rather than guessing.
 */
public final class Verdicts {
    /** Question prefixes, stable so callers and tests can find a verdict. */
    public static final String SMALLEST = "Smallest file keeping";
    public static final String FASTEST = "Fastest keeping";
    public static final String HIGHEST_FIDELITY = "Highest fidelity smaller than";
    public static final String MEMORY_BUDGET = "Best pick within";
    public static final String NOT_WORTH_IT = "Not worth it";
    public static final String QUANTIZE_AT_ALL = "Quantize at all?";
    /** The answer of {@link #QUANTIZE_AT_ALL} when no form beats the base. */
    public static final String DONT_QUANTIZE = "don't quantize";

    private Verdicts() {}

    /** The verdicts for this report under this policy, in reading order (the report's own verdicts are ignored). */
    public static List<Verdict> compute(ComparisonReport report, VerdictPolicy policy) {
        return new Computation(report, policy).all();
    }

    /** The report with its verdicts replaced by {@link #compute}'s. */
    public static ComparisonReport withComputedVerdicts(ComparisonReport report, VerdictPolicy policy) {
        return report.withVerdicts(compute(report, policy));
    }

    private static final class Computation {
        final ComparisonReport report;
        final VerdictPolicy policy;
        final FormatRow base;
        final String unit;

        Computation(ComparisonReport report, VerdictPolicy policy) {
            this.report = report;
            this.policy = policy;
            this.base = report.base();
            this.unit = report.throughputUnit() == null || report.throughputUnit().isBlank() ? "items/s" : report.throughputUnit();
        }

        List<Verdict> all() {
            List<Verdict> out = new ArrayList<>();
            out.add(smallest());
            out.add(fastest());
            out.add(highestFidelity());
            policy.memoryBudgetBytes().ifPresent(b -> out.add(memoryBudget(b)));
            out.addAll(notWorthIt());
            out.add(quantizeAtAll());
            return out;
        }

        double q(FormatRow row) { return Derived.qualityKept(base, row); }

        boolean keeps(FormatRow row) { return known(q(row)) && q(row) >= policy.keepQuality(); }

        boolean aboveFloor(FormatRow row) { return known(q(row)) && q(row) >= policy.rejectBelowQuality(); }

        List<FormatRow> own(Predicate<FormatRow> filter) {
            return report.rows().stream().filter(r -> !r.reference()).filter(filter).toList();
        }

        List<FormatRow> references(Predicate<FormatRow> filter) {
            return report.rows().stream().filter(FormatRow::reference).filter(filter).toList();
        }

        boolean faster(FormatRow a, FormatRow b) {
            return hasThroughput(a) && hasThroughput(b) && a.throughput() > b.throughput() * (1 + policy.speedTolerance());
        }

        boolean slower(FormatRow a, FormatRow b) {
            return hasThroughput(a) && hasThroughput(b) && a.throughput() < b.throughput() * (1 - policy.speedTolerance());
        }

        String sizeFigures(FormatRow row) {
            String s = megabytesWithUnit(row.fileBytes());
            double x = timesSmaller(base, row);
            return row == base || !known(x) ? s : s + " (" + ratio(x) + " smaller than " + base.name() + ")";
        }

        String speedFigures(FormatRow row) {
            if (!hasThroughput(row)) return "throughput not measured";
            String s = Figures.throughput(row.throughput()) + " " + unit;
            double x = timesFaster(base, row);
            return row == base || !known(x) ? s : s + " (" + ratio(x) + " " + base.name() + ")";
        }

        String qualityFigures(FormatRow row) {
            return known(q(row)) ? percent(q(row)) + " quality kept" : "quality not measured";
        }

        String label(FormatRow row) {
            return row.reference() ? row.name() + " (outside reference)" : row.name();
        }

        Verdict smallest() {
            String question = SMALLEST + " ≥ " + threshold(policy.keepQuality()) + " quality?";
            Comparator<FormatRow> bySize = Comparator.comparingLong(FormatRow::fileBytes);
            Comparator<FormatRow> order = bySize.thenComparing(Comparator.comparingDouble(this::q).reversed());
            Optional<FormatRow> pick = own(r -> keeps(r) && knownBytes(r.fileBytes())).stream().min(order);
            if (pick.isEmpty()) return new Verdict(question, "not measured", "no row has both a measured size and a quality of at least " + threshold(policy.keepQuality()) + ".");
            FormatRow p = pick.get();
            StringBuilder reason = new StringBuilder();
            if (p == base) {
                reason.append("no smaller form keeps ").append(threshold(policy.keepQuality())).append(" of ").append(headline()).append('.');
                own(r -> r != base && knownBytes(r.fileBytes()) && r.fileBytes() < base.fileBytes() && known(q(r)))
                        .stream().max(Comparator.comparingDouble(this::q))
                        .ifPresent(c -> reason.append(" Closest: ").append(c.name()).append(", ").append(qualityFigures(c))
                                .append(" at ").append(sizeFigures(c)).append('.'));
            } else {
                reason.append(sizeFigures(p)).append(", ").append(qualityFigures(p)).append('.');
            }
            references(r -> keeps(r) && knownBytes(r.fileBytes()) && r.fileBytes() < p.fileBytes()).stream().min(order)
                    .ifPresent(ref -> reason.append(" The outside reference ").append(ref.name()).append(" is smaller (")
                            .append(megabytesWithUnit(ref.fileBytes())).append(", ").append(qualityFigures(ref))
                            .append(") but is not squint output."));
            String answer = p == base ? p.name() + " — keep the base" : p.name();
            return new Verdict(question, answer, reason.toString());
        }

        Verdict fastest() {
            String question = FASTEST + " ≥ " + threshold(policy.keepQuality()) + " quality?";
            Comparator<FormatRow> bySpeed = Comparator.comparingDouble(FormatRow::throughput);
            Optional<FormatRow> pick = own(r -> keeps(r) && hasThroughput(r)).stream().max(bySpeed);
            if (pick.isEmpty()) return new Verdict(question, "not measured", "no row has both a measured throughput and a quality of at least " + threshold(policy.keepQuality()) + ".");
            FormatRow p = pick.get();
            StringBuilder reason = new StringBuilder();
            String answer;
            if (p == base || !faster(p, base)) {
                answer = base.name() + " — keep the base";
                reason.append("no form keeping ").append(threshold(policy.keepQuality()))
                        .append(" is measurably faster than ").append(base.name()).append(" (").append(speedFigures(base)).append(")");
                if (p != base) reason.append("; the quickest, ").append(p.name()).append(", runs at ").append(speedFigures(p))
                        .append(", within the ").append(threshold(policy.speedTolerance())).append(" noise margin");
                reason.append('.');
            } else {
                answer = p.name();
                reason.append(speedFigures(p)).append(", ").append(qualityFigures(p)).append(", ").append(megabytesWithUnit(p.fileBytes())).append('.');
            }
            FormatRow winner = p;
            references(r -> keeps(r) && hasThroughput(r) && faster(r, winner)).stream().max(bySpeed)
                    .ifPresent(ref -> reason.append(" The outside reference ").append(ref.name()).append(" is faster (")
                            .append(speedFigures(ref)).append(") but is not squint output."));
            return new Verdict(question, answer, reason.toString());
        }

        Verdict highestFidelity() {
            String question = HIGHEST_FIDELITY + " " + base.name() + "?";
            if (!knownBytes(base.fileBytes())) return new Verdict(question, "not measured", base.name() + "'s size was not measured.");
            Comparator<FormatRow> order = Comparator.comparingDouble(this::q)
                    .thenComparing(Comparator.comparingLong(FormatRow::fileBytes).reversed());
            Optional<FormatRow> pick = own(r -> r != base && knownBytes(r.fileBytes()) && r.fileBytes() < base.fileBytes() && known(q(r)))
                    .stream().max(order);
            if (pick.isEmpty()) return new Verdict(question, "none", "no form with a measured quality is smaller than " + base.name() + " (" + megabytesWithUnit(base.fileBytes()) + ").");
            FormatRow p = pick.get();
            StringBuilder reason = new StringBuilder(qualityFigures(p)).append(" at ").append(sizeFigures(p)).append('.');
            if (!aboveFloor(p)) reason.append(" Even so it loses more than the ").append(threshold(1 - policy.rejectBelowQuality())).append(" allowed.");
            references(r -> knownBytes(r.fileBytes()) && r.fileBytes() < base.fileBytes() && known(q(r)) && q(r) > q(p)).stream().max(order)
                    .ifPresent(ref -> reason.append(" The outside reference ").append(ref.name()).append(" keeps more (")
                            .append(qualityFigures(ref)).append(") but is not squint output."));
            return new Verdict(question, p.name(), reason.toString());
        }

        long footprint(FormatRow r) { return r.peakMemoryBytes() > 0 ? r.peakMemoryBytes() : r.fileBytes(); }

        String footprintFigures(FormatRow r) {
            return r.peakMemoryBytes() > 0 ? "peak memory " + megabytesWithUnit(r.peakMemoryBytes())
                    : "file " + megabytesWithUnit(r.fileBytes()) + " (peak memory not measured; the file is a lower bound)";
        }

        Verdict memoryBudget(long budget) {
            String question = MEMORY_BUDGET + " " + megabytesWithUnit(budget) + " of memory?";
            Comparator<FormatRow> order = Comparator.comparingDouble(this::q)
                    .thenComparing(Comparator.comparingLong(this::footprint).reversed());
            List<FormatRow> measured = own(r -> knownBytes(footprint(r)) && known(q(r)));
            Optional<FormatRow> pick = measured.stream().filter(r -> footprint(r) <= budget).max(order);
            if (pick.isEmpty()) {
                String reason = measured.stream().min(Comparator.comparingLong(this::footprint))
                        .map(r -> "the smallest footprint is " + r.name() + "'s: " + footprintFigures(r) + ".")
                        .orElse("no row has a measured footprint and quality.");
                return new Verdict(question, "nothing fits", reason);
            }
            FormatRow p = pick.get();
            StringBuilder reason = new StringBuilder(footprintFigures(p)).append(" ≤ ").append(megabytesWithUnit(budget))
                    .append(", ").append(qualityFigures(p)).append(", ").append(speedFigures(p)).append('.');
            if (!aboveFloor(p)) reason.append(" Nothing that fits keeps ").append(threshold(policy.rejectBelowQuality())).append(": think twice.");
            return new Verdict(question, p.name(), reason.toString());
        }

        List<Verdict> notWorthIt() {
            List<Verdict> out = new ArrayList<>();
            for (FormatRow row : own(r -> r != base)) {
                List<String> why = new ArrayList<>();
                if (known(q(row)) && !aboveFloor(row)) {
                    why.add("keeps only " + percent(q(row)) + " of " + headline() + ", below the " + threshold(policy.rejectBelowQuality()) + " floor");
                }
                double smaller = timesSmaller(base, row);
                if (slower(row, base) && known(smaller) && smaller < policy.minSizeGainIfSlower()) {
                    why.add("slower than " + base.name() + " (" + Figures.throughput(row.throughput()) + " vs " + Figures.throughput(base.throughput())
                            + " " + unit + ", " + ratio(timesFaster(base, row)) + ") and only " + ratio(smaller) + " smaller (a slower form must be " + ratio(policy.minSizeGainIfSlower()) + " smaller)");
                }
                dominator(row).ifPresent(d -> why.add(label(d) + " is at least as small (" + megabytesWithUnit(d.fileBytes()) + " vs "
                        + megabytesWithUnit(row.fileBytes()) + "), keeps at least as much (" + percent(q(d)) + " vs " + percent(q(row))
                        + ")" + (hasThroughput(d) && hasThroughput(row) ? " and is at least as fast (" + Figures.throughput(d.throughput()) + " vs "
                        + Figures.throughput(row.throughput()) + " " + unit + ")" : "")));
                if (!why.isEmpty()) out.add(new Verdict(NOT_WORTH_IT, row.name(), capitalize(String.join("; ", why)) + "."));
            }
            return out;
        }

        /**
         * Another row that is no bigger, keeps no less quality and is not slower (when both speeds are measured),
         * and is strictly better in size or quality. The best-quality such row, so the reason names the strongest rival.
         */
        Optional<FormatRow> dominator(FormatRow row) {
            if (!known(q(row)) || !knownBytes(row.fileBytes())) return Optional.empty();
            boolean rowTimed = hasThroughput(row);
            return report.rows().stream()
                    .filter(d -> d != row && known(q(d)) && knownBytes(d.fileBytes()))
                    .filter(d -> d.fileBytes() <= row.fileBytes() && q(d) >= q(row))
                    .filter(d -> d.fileBytes() < row.fileBytes() || q(d) > q(row))
                    .filter(d -> rowTimed ? hasThroughput(d) && !slower(d, row) : !hasThroughput(d))
                    .max(Comparator.comparingDouble(this::q).thenComparing(Comparator.comparingLong(FormatRow::fileBytes).reversed()));
        }

        Verdict quantizeAtAll() {
            List<FormatRow> wins = own(r -> r != base && aboveFloor(r)
                    && ((knownBytes(r.fileBytes()) && knownBytes(base.fileBytes()) && r.fileBytes() < base.fileBytes()) || faster(r, base)));
            if (wins.isEmpty()) {
                String why = report.rows().size() == 1 ? "there is nothing to compare " + base.name() + " with."
                        : "no form is smaller or faster than " + base.name() + " while keeping " + threshold(policy.rejectBelowQuality())
                        + " of " + headline() + "; keep " + base.name() + ".";
                return new Verdict(QUANTIZE_AT_ALL, DONT_QUANTIZE, capitalize(why));
            }
            long others = own(r -> r != base).size();
            String names = wins.stream().map(FormatRow::name).collect(Collectors.joining(", "));
            return new Verdict(QUANTIZE_AT_ALL, "yes",
                    wins.size() + " of " + others + " forms are smaller or faster than " + base.name() + " while keeping "
                            + threshold(policy.rejectBelowQuality()) + " of " + headline() + ": " + names + ".");
        }

        String headline() {
            String h = report.qualityHeadline();
            return h == null || h.isBlank() ? "the quality" : h;
        }
    }

    private static String capitalize(String s) {
        return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }
}
