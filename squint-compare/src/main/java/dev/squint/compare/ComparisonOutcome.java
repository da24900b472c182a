package dev.squint.compare;

import dev.squint.report.FormatRow;

import java.util.List;
import java.util.Map;

/**
 * What one kind of comparison (decoder, encoder, ONNX graph) measured: its rows, base first, how they were
 * measured, and what its quality and throughput columns mean — everything {@link Compare} needs to build the report.
 */
record ComparisonOutcome(List<FormatRow> rows, Map<String, String> environment, String qualityHeadline, String throughputUnit) {}
