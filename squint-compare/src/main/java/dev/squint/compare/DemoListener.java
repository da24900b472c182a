package dev.squint.compare;

import dev.squint.report.FormatRow;

import java.util.List;

/** Follows a {@link Demo} run: the rows planned, each row's steps, each row's result. Callbacks come from the demo's thread. */
public interface DemoListener {
    DemoListener NONE = new DemoListener() {};

    /** The rows about to run, in order. */
    default void planned(List<DemoRow> rows) {}

    /** {@code row} moved to a step: "writing all-minilm-l6-v2-fp16.onnx", "embedding 240 sentences", ... */
    default void step(DemoRow row, String what) {}

    /** {@code row} is done; {@code failure} is null, or the one-line reason it could not be measured. */
    default void finished(DemoRow row, FormatRow result, String failure) {}
}
