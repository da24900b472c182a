/**
 * ONNX models: {@link dev.squint.formats.onnx.OnnxReader} opens a {@code .onnx} file (and its external
 * data) as an {@link dev.squint.formats.onnx.OnnxModel}, whose tensors are views of mapped files and
 * whose graph is available as records ({@link dev.squint.formats.onnx.OnnxGraph}) and as the generated
 * protobuf classes ({@code dev.squint.formats.onnx.proto}, from {@code src/main/proto/onnx.proto});
 * {@link dev.squint.formats.onnx.OnnxWriter} writes a model back, inline or with external data.
 *
 * <p>Tensor bytes bypass protobuf-java in both directions (see {@code OnnxWire}): the reader hands
 * protobuf a copy of the file without its {@code raw_data} payloads, and the writer streams payloads
 * from memory segments into the serialized structure.
 */
package dev.squint.formats.onnx;
