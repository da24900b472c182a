package dev.squint.convert;

/** Progress of a conversion, tensor by tensor (the CLI draws a bar from it). */
public interface ConvertListener {
    ConvertListener NONE = new ConvertListener() {};

    /** Called once the plan is known, before any tensor is written. */
    default void started(int tensorCount, long outputTensorBytes) {}

    /** Called after each tensor is written. */
    default void tensorWritten(String name, long bytes) {}
}
