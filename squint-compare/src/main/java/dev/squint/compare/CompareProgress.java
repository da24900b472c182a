package dev.squint.compare;

/**
 * Progress of a comparison, one model at a time: the CLI draws a bar per model on a terminal, tests and pipes
 * pass {@link #QUIET}.
 */
public interface CompareProgress {
    /** A new model starts: its row name and how many steps it will take. */
    void model(String name, long steps);

    /** One step of the current model is done. */
    void step();

    /** The current model is done. */
    default void modelDone() {}

    CompareProgress QUIET = new CompareProgress() {
        @Override public void model(String name, long steps) {}

        @Override public void step() {}
    };
}
