package dev.squint.quantize.onnx;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.squint.core.SquintException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Runs ONNX models in ONNX Runtime's CPU provider and returns outputs as float arrays. */
public final class OrtRunner implements AutoCloseable {
    /** One output: its ONNX Runtime type, shape and values widened to float (integers and bools included). */
    public record Output(String name, OnnxJavaType type, long[] shape, float[] values) {}

    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final OrtSession session;
    private final Path path;

    public OrtRunner(Path model) {
        this(model, 0);
    }

    /**
     * A session whose operators use {@code intraOpThreads} threads (0: ONNX Runtime's default, one per
     * core), so its speed can be compared with another runtime's at the same thread count.
     */
    public OrtRunner(Path model, int intraOpThreads) {
        if (intraOpThreads < 0) throw new IllegalArgumentException("intraOpThreads must be at least 0: " + intraOpThreads);
        this.path = model;
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
            so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            if (intraOpThreads > 0) {
                so.setIntraOpNumThreads(intraOpThreads);
                so.setInterOpNumThreads(1);
            }
            session = env.createSession(model.toString(), so);
        } catch (OrtException e) {
            throw new SquintException(model + ": ONNX Runtime cannot load it: " + oneLine(e.getMessage()));
        }
    }

    public List<String> outputNames() { return new ArrayList<>(session.getOutputNames()); }

    public List<String> inputNames() { return new ArrayList<>(session.getInputNames()); }

    /** Runs the model; outputs in the session's output order. */
    public Map<String, Output> run(Map<String, HostTensor> inputs) {
        Map<String, OnnxTensor> feed = new HashMap<>();
        try {
            for (String name : session.getInputNames()) {
                HostTensor t = inputs.get(name);
                if (t == null) throw new SquintException(path + ": no data for input '" + name + "'");
                feed.put(name, OnnxTensor.createTensor(env, nativeOrder(t.data()), t.shape(), javaType(t.elemType())));
            }
            Map<String, Output> out = new LinkedHashMap<>();
            try (OrtSession.Result r = session.run(feed)) {
                for (Map.Entry<String, OnnxValue> e : r) {
                    if (!(e.getValue() instanceof OnnxTensor t)) continue;
                    TensorInfo info = t.getInfo();
                    out.put(e.getKey(), new Output(e.getKey(), info.type, info.getShape(), floats(t)));
                }
            }
            return out;
        } catch (OrtException e) {
            throw new SquintException(path + ": ONNX Runtime failed to run it: " + oneLine(e.getMessage()));
        } finally {
            feed.values().forEach(OnnxTensor::close);
        }
    }

    private static ByteBuffer nativeOrder(ByteBuffer b) {
        ByteBuffer d = ByteBuffer.allocateDirect(b.remaining()).order(ByteOrder.nativeOrder());
        d.put(b.duplicate());
        return d.flip();
    }

    static OnnxJavaType javaType(int elemType) {
        return switch (elemType) {
            case 1 -> OnnxJavaType.FLOAT;
            case 2 -> OnnxJavaType.UINT8;
            case 3 -> OnnxJavaType.INT8;
            case 5 -> OnnxJavaType.INT16;
            case 6 -> OnnxJavaType.INT32;
            case 7 -> OnnxJavaType.INT64;
            case 9 -> OnnxJavaType.BOOL;
            case 10 -> OnnxJavaType.FLOAT16;
            case 11 -> OnnxJavaType.DOUBLE;
            case 16 -> OnnxJavaType.BFLOAT16;
            default -> throw new SquintException("input element type " + elemType + " is not supported for ONNX Runtime runs");
        };
    }

    private static float[] floats(OnnxTensor t) {
        TensorInfo info = t.getInfo();
        int n = (int) info.getNumElements();
        float[] v = new float[n];
        switch (info.type) {
            case FLOAT -> {
                FloatBuffer fb = t.getFloatBuffer();
                fb.get(v);
            }
            case DOUBLE -> { var b = t.getDoubleBuffer(); for (int i = 0; i < n; i++) v[i] = (float) b.get(i); }
            case INT64 -> { var b = t.getLongBuffer(); for (int i = 0; i < n; i++) v[i] = b.get(i); }
            case INT32 -> { var b = t.getIntBuffer(); for (int i = 0; i < n; i++) v[i] = b.get(i); }
            case FLOAT16, BFLOAT16 -> {
                ByteBuffer b = t.getByteBuffer().order(ByteOrder.nativeOrder());
                for (int i = 0; i < n; i++) {
                    short h = b.getShort(2 * i);
                    v[i] = info.type == OnnxJavaType.FLOAT16 ? dev.squint.core.codec.FloatFormats.f16ToF32(h)
                            : dev.squint.core.codec.FloatFormats.bf16ToF32(h);
                }
            }
            default -> {
                ByteBuffer b = t.getByteBuffer();
                for (int i = 0; i < n && i < b.remaining(); i++) v[i] = b.get(i);
            }
        }
        return v;
    }

    static String oneLine(String s) {
        String line = String.valueOf(s).replace('\n', ' ').replace('\r', ' ');
        return line.length() > 400 ? line.substring(0, 400) + "..." : line;
    }

    @Override public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            throw new SquintException(path + ": cannot close the ONNX Runtime session: " + oneLine(e.getMessage()));
        }
    }
}
