package dev.squint.formats.onnx;

import com.google.protobuf.CodedInputStream;
import dev.squint.core.MappedFile;
import dev.squint.core.ModelFormatException;
import dev.squint.formats.onnx.proto.ModelProto;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Opens ONNX models ({@code .onnx}: one serialized {@code ModelProto}, optionally with external data
 * files beside it).
 *
 * <p>The file is mapped once. Its protobuf structure is parsed by protobuf-java from a copy that
 * leaves out every {@code raw_data} payload ({@link OnnxWire}), so only the graph goes onto the heap
 * and tensors stay views of the mapping. A protobuf message, and so an .onnx file, cannot exceed
 * 2 GiB; larger models keep their weights in external data files.
 *
 * <p>Every fault (empty, truncated or malformed file, missing graph, unknown data types, negative or
 * overflowing shapes, raw_data or external data whose length does not match the shape, duplicate
 * initializers, external data outside the model's folder or outside its file) is a
 * {@link ModelFormatException} naming the tensor.
 */
public final class OnnxReader {
    private OnnxReader() {}

    /** Protobuf's own limit on a message, which bounds the .onnx file. */
    static final long MAX_PROTO_BYTES = Integer.MAX_VALUE;
    /** The most structure (the file without raw_data) parsed onto the heap. */
    static final long MAX_SKELETON_BYTES = 256L << 20;
    /** Nesting limit handed to protobuf-java (its default). */
    static final int RECURSION_LIMIT = 100;

    public static OnnxModel open(Path path) {
        if (!Files.isRegularFile(path)) throw new ModelFormatException(path, "no such file");
        MappedFile file;
        try {
            file = MappedFile.open(path);
        } catch (UncheckedIOException e) {
            throw new ModelFormatException(path, "cannot map the file: " + e.getCause().getMessage());
        }
        OnnxModel model = null;
        try {
            if (file.size() == 0) throw new ModelFormatException(path, "empty file");
            if (file.size() > MAX_PROTO_BYTES) {
                throw new ModelFormatException(path, "file is " + file.size() + " bytes, but a protobuf message (an .onnx file) "
                        + "cannot exceed 2 GiB; models this large keep their weights in external data files");
            }
            OnnxWire.Stripped stripped;
            try {
                stripped = OnnxWire.strip(file.segment(), MAX_SKELETON_BYTES);
            } catch (OnnxWire.WireException e) {
                throw new ModelFormatException(path, "malformed protobuf: " + e.getMessage());
            }
            ModelProto proto = parse(path, stripped.skeleton());
            model = new OnnxModel(path, file, proto, stripped.payloads());
            model.validate();
            return model;
        } catch (RuntimeException e) {
            if (model != null) model.close();
            else file.close();
            throw e;
        }
    }

    private static ModelProto parse(Path path, byte[] skeleton) {
        try {
            CodedInputStream in = CodedInputStream.newInstance(skeleton);
            in.enableAliasing(true); // strings and bytes of the skeleton are shared, not copied again
            in.setRecursionLimit(RECURSION_LIMIT);
            in.setSizeLimit(Integer.MAX_VALUE);
            return ModelProto.parseFrom(in);
        } catch (IOException e) { // InvalidProtocolBufferException; nothing else is read
            throw new ModelFormatException(path, "malformed protobuf: " + oneLine(String.valueOf(e.getMessage())));
        } catch (RuntimeException e) {
            throw new ModelFormatException(path, "malformed protobuf: " + oneLine(String.valueOf(e.getMessage())));
        } catch (OutOfMemoryError e) {
            // Millions of tiny messages can expand far beyond their wire size; the partial parse is garbage now.
            throw new ModelFormatException(path, "the model's structure (" + skeleton.length + " bytes without raw_data) "
                    + "does not fit in the Java heap; raise -Xmx");
        }
    }

    private static String oneLine(String s) {
        String line = s.replace('\n', ' ').replace('\r', ' ');
        return line.length() > 300 ? line.substring(0, 300) + "..." : line;
    }
}
