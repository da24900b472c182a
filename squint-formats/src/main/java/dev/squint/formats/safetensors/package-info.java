/**
 * safetensors: {@link dev.squint.formats.safetensors.SafetensorsReader#open(java.nio.file.Path)}
 * opens a file or a Hugging Face folder (index + shards) as a
 * {@link dev.squint.formats.safetensors.SafetensorsModel} whose tensors are views of one mapping
 * per shard; {@link dev.squint.formats.safetensors.SafetensorsWriter} writes a file or a sharded
 * set atomically, streaming tensor by tensor.
 *
 * <p>Validation follows the reference Rust crate (checked against safetensors 0.8.0), and is
 * stricter in one place: a repeated key in a header is a fault. The writer orders tensors as the
 * crate does (dtype alignment, widest first, then name), so its output for the same tensors and
 * metadata is byte-identical to the crate's, and every tensor is naturally aligned.
 */
package dev.squint.formats.safetensors;
