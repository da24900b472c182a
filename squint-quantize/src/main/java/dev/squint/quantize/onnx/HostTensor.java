package dev.squint.quantize.onnx;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A model input held in memory (calibration or verification data): ONNX element type number,
 * shape and little-endian bytes.
 */
public record HostTensor(String name, int elemType, long[] shape, ByteBuffer data) {
    public HostTensor {
        shape = shape.clone();
        data = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    }

    public long elementCount() {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    public static HostTensor ofLongs(String name, long[] shape, long[] values) {
        ByteBuffer b = ByteBuffer.allocateDirect(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) b.putLong(v);
        return new HostTensor(name, OnnxGraphEditor.INT64, shape, b.flip());
    }

    public static HostTensor ofFloats(String name, long[] shape, float[] values) {
        ByteBuffer b = ByteBuffer.allocateDirect(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) b.putFloat(v);
        return new HostTensor(name, OnnxGraphEditor.FLOAT, shape, b.flip());
    }

    @Override public String toString() { return name + Arrays.toString(shape) + " type " + elemType; }
}
