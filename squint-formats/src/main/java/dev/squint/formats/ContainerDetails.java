package dev.squint.formats;

import java.util.OptionalLong;
import java.util.SequencedMap;

/**
 * What a reader knows about how its container stores a model, beyond the {@link dev.squint.core.Model}
 * interface: header facts and where each tensor's bytes sit in the file. Optional: a reader's
 * model implements it when it has something to say, and {@code squint inspect} shows it.
 */
public interface ContainerDetails {

    /** Container facts as label to text, in display order (e.g. format version, header size, alignment). */
    SequencedMap<String, String> containerFacts();

    /** Offset of the tensor's first byte in its file, if the container stores tensors at file offsets. */
    OptionalLong dataOffset(String tensorName);
}
