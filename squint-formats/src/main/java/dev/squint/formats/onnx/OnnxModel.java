package dev.squint.formats.onnx;

import dev.squint.core.Container;
import dev.squint.core.MappedFile;
import dev.squint.core.MetaValue;
import dev.squint.core.Metadata;
import dev.squint.core.Model;
import dev.squint.core.ModelFormatException;
import dev.squint.core.Tensor;
import dev.squint.core.TensorInfo;
import dev.squint.formats.onnx.OnnxGraph.AttributeValue;
import dev.squint.formats.onnx.OnnxGraph.Dim;
import dev.squint.formats.onnx.OnnxGraph.ValueType;
import dev.squint.formats.onnx.OnnxTensorData.Layout;
import dev.squint.formats.onnx.proto.AttributeProto;
import dev.squint.formats.onnx.proto.GraphProto;
import dev.squint.formats.onnx.proto.ModelProto;
import dev.squint.formats.onnx.proto.NodeProto;
import dev.squint.formats.onnx.proto.OperatorSetIdProto;
import dev.squint.formats.onnx.proto.SparseTensorProto;
import dev.squint.formats.onnx.proto.StringStringEntryProto;
import dev.squint.formats.onnx.proto.TensorProto;
import dev.squint.formats.onnx.proto.TensorShapeProto;
import dev.squint.formats.onnx.proto.TypeProto;
import dev.squint.formats.onnx.proto.ValueInfoProto;

import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * An opened ONNX model: the parsed {@link ModelProto}, its initializers as {@link Tensor}s and a
 * read-only {@link OnnxGraph} view.
 *
 * <p><b>Tensor data.</b> Nothing is copied onto the heap: {@code raw_data} tensors are slices of the
 * one mapping of the .onnx file, external-data tensors are slices of their data file (each mapped
 * once). Tensors stored in typed lists ({@code float_data}, {@code int32_data}, ...) are converted to
 * little-endian bytes in off-heap memory owned by this model the first time they are asked for; ONNX
 * exporters use raw_data for weights, so these are small constants in practice.
 *
 * <p><b>The proto.</b> {@link #proto()} is the whole ModelProto except that each
 * {@code TensorProto.raw_data} is replaced by a reference to the bytes in the mapped file (an unknown
 * field, see {@link OnnxWire}); {@link #bytes(TensorProto)} resolves any tensor of it, and
 * {@link OnnxWriter} writes it (or a modified copy) back with the bytes in place.
 *
 * <p><b>Tensors.</b> {@link #tensors()} lists the main graph's dense initializers in file order.
 * Initializers of subgraphs and training graphs, sparse initializers and string tensors are not
 * listed (they are checked all the same, and reachable through {@link #proto()} and
 * {@link #graph()}).
 *
 * <p><b>Metadata keys.</b> Each {@code metadata_props} entry under its own key (the first of
 * duplicate keys wins), then: {@code onnx.ir_version} (int64), {@code onnx.producer_name},
 * {@code onnx.producer_version}, {@code onnx.domain}, {@code onnx.model_version} (int64),
 * {@code onnx.doc_string}, {@code onnx.graph_name} (each only when set), and
 * {@code onnx.opset.<domain>} (int64) per opset import, the default domain written {@code ai.onnx}.
 */
public final class OnnxModel implements Model {
    private final Path path;
    private final MappedFile file;
    private final ModelProto proto;
    private final List<OnnxWire.Payload> payloads;
    private final Map<Path, MappedFile> externalFiles = new LinkedHashMap<>();
    private final Arena arena = Arena.ofShared();
    private final Map<TensorProto, MemorySegment> converted = new IdentityHashMap<>();
    private final Metadata metadata;
    private List<Tensor> tensors;
    private OnnxGraph graph;
    private boolean closed;

    OnnxModel(Path path, MappedFile file, ModelProto proto, List<OnnxWire.Payload> payloads) {
        this.path = path;
        this.file = file;
        this.proto = proto;
        this.payloads = List.copyOf(payloads);
        this.metadata = buildMetadata(proto);
    }

    /** Checks every tensor and graph of the model; maps the external data files. */
    void validate() {
        if (!proto.hasGraph()) throw fault("has no graph");
        checkGraph(proto.getGraph(), "graph", 0);
        for (int i = 0; i < proto.getTrainingInfoCount(); i++) {
            var t = proto.getTrainingInfo(i);
            if (t.hasInitialization()) checkGraph(t.getInitialization(), "training_info[" + i + "].initialization", 0);
            if (t.hasAlgorithm()) checkGraph(t.getAlgorithm(), "training_info[" + i + "].algorithm", 0);
        }
        OnnxTrees.mapTensors(proto, (t, where) -> {
            Layout layout = layoutOf(t, where);
            if (layout.storage() != OnnxTensorData.Storage.TYPED) view(t, layout, where);
            return t;
        });
    }

    private void checkGraph(GraphProto g, String where, int depth) {
        if (depth > OnnxWire.MAX_DEPTH) throw fault(where + ": subgraphs are nested more than " + OnnxWire.MAX_DEPTH + " deep");
        Set<String> names = new HashSet<>();
        for (int i = 0; i < g.getInitializerCount(); i++) {
            String name = g.getInitializer(i).getName();
            if (name.isEmpty()) throw fault(where + ": initializer #" + i + " has no name");
            if (!names.add(name)) throw fault(where + ": initializer '" + name + "' appears twice");
        }
        for (int i = 0; i < g.getSparseInitializerCount(); i++) {
            SparseTensorProto s = g.getSparseInitializer(i);
            if (!s.hasValues() || !s.hasIndices()) throw fault(where + ": sparse initializer #" + i + " lacks its values or indices");
            String name = g.getSparseInitializer(i).getValues().getName();
            if (name.isEmpty()) throw fault(where + ": sparse initializer #" + i + " has no name");
            if (!names.add(name)) throw fault(where + ": initializer '" + name + "' appears twice");
        }
        for (NodeProto n : g.getNodeList()) {
            for (AttributeProto a : n.getAttributeList()) {
                String here = where + " node '" + n.getName() + "' attribute '" + a.getName() + "'";
                if (a.hasG()) checkGraph(a.getG(), here, depth + 1);
                for (GraphProto sub : a.getGraphsList()) checkGraph(sub, here, depth + 1);
            }
        }
    }

    private Layout layoutOf(TensorProto t, String where) {
        try {
            return OnnxTensorData.layout(t);
        } catch (IllegalArgumentException e) {
            throw fault(where + " " + e.getMessage());
        }
    }

    private ModelFormatException fault(String message) {
        return new ModelFormatException(path, message);
    }

    @Override public Container container() { return Container.ONNX; }

    @Override public Path path() { return path; }

    @Override public Metadata metadata() { return metadata; }

    /** The parsed model; raw_data payloads are references into the mapped file (see the class comment). */
    public ModelProto proto() {
        ensureOpen();
        return proto;
    }

    /** The .onnx file and every external data file it refers to. */
    public List<Path> files() {
        List<Path> all = new ArrayList<>();
        all.add(path);
        all.addAll(externalFiles.keySet());
        return all;
    }

    /**
     * This model's tensor bytes for {@link OnnxWriter}: views for raw_data and external-data tensors of
     * {@link #proto()} (or of a modified copy that keeps them), null for tensors that hold their
     * values in the proto.
     */
    public OnnxWriter.TensorData tensorData() {
        return t -> {
            boolean external = t.hasDataLocation() && t.getDataLocation() == TensorProto.DataLocation.EXTERNAL;
            return external || t.getUnknownFields().hasField(OnnxWire.PAYLOAD_REF_FIELD) ? bytes(t) : null;
        };
    }

    @Override public synchronized List<Tensor> tensors() {
        ensureOpen();
        if (tensors == null) {
            List<Tensor> list = new ArrayList<>();
            for (TensorProto t : proto.getGraph().getInitializerList()) {
                Tensor tensor = tensor(t);
                if (OnnxTensorData.isDense(tensor.dtype())) list.add(tensor);
            }
            tensors = List.copyOf(list);
        }
        return tensors;
    }

    /** A tensor of this model's proto (any initializer or attribute tensor) with its data view. */
    public Tensor tensor(TensorProto t) {
        Layout layout = layoutOf(t, "tensor '" + t.getName() + "'");
        return new Tensor(layout.info(), bytes(t));
    }

    /**
     * The bytes of any tensor of this model's proto: a view of the mapped file or external data, or
     * the converted typed values. A tensor built elsewhere with inline raw_data gets a view of it.
     * String tensors have no fixed-width bytes and give an empty segment.
     */
    public synchronized MemorySegment bytes(TensorProto t) {
        ensureOpen();
        String where = "tensor '" + t.getName() + "'";
        Layout layout = layoutOf(t, where);
        if (layout.storage() != OnnxTensorData.Storage.TYPED) return view(t, layout, where);
        MemorySegment seg = converted.get(t);
        if (seg == null) {
            seg = OnnxTensorData.convertTyped(t, layout.info(), arena);
            converted.put(t, seg);
        }
        return seg;
    }

    private MemorySegment view(TensorProto t, Layout layout, String where) {
        TensorInfo info = layout.info();
        return switch (layout.storage()) {
            case RAW_REF -> {
                List<Long> refs = t.getUnknownFields().getField(OnnxWire.PAYLOAD_REF_FIELD).getVarintList();
                long ref = refs.isEmpty() ? -1 : refs.getLast();
                if (ref < 0 || ref >= payloads.size()) throw fault(where + " refers to raw data this model does not hold");
                OnnxWire.Payload p = payloads.get((int) ref);
                if (p.length() != info.byteSize()) throw fault(where + " " + OnnxTensorData.rawLengthMismatch(p.length(), info).getMessage());
                yield file.segment().asSlice(p.offset(), p.length());
            }
            case RAW_INLINE -> MemorySegment.ofBuffer(t.getRawData().asReadOnlyByteBuffer());
            case EXTERNAL -> external(t, info, where);
            case STRINGS, EMPTY -> MemorySegment.ofArray(new byte[0]);
            case TYPED -> throw new IllegalStateException("typed tensors are converted, not viewed");
        };
    }

    // A location is a relative POSIX path; anything absolute or climbing out of the model's folder is refused.
    // The check is on the path as written, not on where symbolic links lead: the Hugging Face cache links
    // every file of a snapshot to a blob outside the snapshot's folder, and such models must open.
    private static final Pattern DRIVE = Pattern.compile("^[A-Za-z]:.*");

    private MemorySegment external(TensorProto t, TensorInfo info, String where) {
        String location = OnnxTensorData.externalValue(t, "location");
        if (location == null || location.isEmpty()) throw fault(where + ": external data has no location");
        if (location.startsWith("/") || location.startsWith("\\") || DRIVE.matcher(location).matches() || location.indexOf('\0') >= 0) {
            throw fault(where + ": external data location '" + location + "' is not a relative path");
        }
        for (String part : location.split("[/\\\\]")) {
            if (part.equals("..")) throw fault(where + ": external data location '" + location + "' leaves the model's folder");
        }
        Path dir = path.toAbsolutePath().normalize().getParent();
        Path target;
        try {
            target = dir.resolve(location).normalize();
        } catch (InvalidPathException e) {
            throw fault(where + ": external data location '" + location + "' is not a valid path");
        }
        if (!target.startsWith(dir) || target.equals(dir)) {
            throw fault(where + ": external data location '" + location + "' leaves the model's folder");
        }
        long offset = parseNonNegative(OnnxTensorData.externalValue(t, "offset"), 0, where, "offset");
        long length = parseNonNegative(OnnxTensorData.externalValue(t, "length"), info.byteSize(), where, "length");
        if (length != info.byteSize()) {
            throw fault(where + ": external data length " + length + " differs from the " + info.byteSize()
                    + " bytes its shape " + info.shape() + " of " + info.dtype() + " needs");
        }
        MappedFile data = externalFiles.get(target);
        if (data == null) {
            if (!Files.isRegularFile(target)) throw fault(where + ": external data file '" + location + "' does not exist or is not a file");
            try {
                data = MappedFile.open(target);
            } catch (UncheckedIOException e) {
                throw fault(where + ": cannot map external data file '" + location + "': " + e.getCause().getMessage());
            }
            externalFiles.put(target, data);
        }
        if (offset > data.size() || length > data.size() - offset) {
            throw fault(where + ": external data [" + offset + ", " + offset + " + " + length + ") lies outside '"
                    + location + "' (" + data.size() + " bytes)");
        }
        return data.segment().asSlice(offset, length);
    }

    private long parseNonNegative(String text, long absent, String where, String key) {
        if (text == null) return absent;
        try {
            long v = Long.parseLong(text.trim());
            if (v >= 0) return v;
        } catch (NumberFormatException ignored) {
            // reported below with the offending text
        }
        throw fault(where + ": external data " + key + " '" + text + "' is not a non-negative integer");
    }

    @Override public long fileSize() {
        long n = file.size();
        for (MappedFile f : externalFiles.values()) n += f.size();
        return n;
    }

    /** ONNX records no architecture name, and guessing from operator names would not be certain. */
    @Override public Optional<String> architecture() { return Optional.empty(); }

    /** The main graph as immutable records (built on first use). */
    public synchronized OnnxGraph graph() {
        ensureOpen();
        if (graph == null) graph = toGraph(proto.getGraph());
        return graph;
    }

    private Map<String, Long> opsets() {
        Map<String, Long> m = new LinkedHashMap<>();
        for (OperatorSetIdProto o : proto.getOpsetImportList()) m.putIfAbsent(o.getDomain(), o.getVersion());
        return m;
    }

    private OnnxGraph toGraph(GraphProto g) {
        List<OnnxGraph.Node> nodes = new ArrayList<>(g.getNodeCount());
        for (NodeProto n : g.getNodeList()) {
            List<OnnxGraph.Attribute> attrs = new ArrayList<>(n.getAttributeCount());
            for (AttributeProto a : n.getAttributeList()) attrs.add(new OnnxGraph.Attribute(a.getName(), attributeValue(a)));
            nodes.add(new OnnxGraph.Node(n.getName(), n.getOpType(), n.getDomain(), n.getInputList(), n.getOutputList(), attrs));
        }
        List<String> sparseNames = g.getSparseInitializerList().stream().map(s -> s.getValues().getName()).toList();
        return new OnnxGraph(g.getName(), proto.getIrVersion(), proto.getProducerName(), proto.getProducerVersion(), opsets(),
                nodes, valueInfos(g.getInputList()), valueInfos(g.getOutputList()), valueInfos(g.getValueInfoList()),
                g.getInitializerList().stream().map(TensorProto::getName).toList(), sparseNames);
    }

    private AttributeValue attributeValue(AttributeProto a) {
        if (!a.getRefAttrName().isEmpty()) return new AttributeValue.Reference(a.getRefAttrName());
        boolean missing = switch (a.getType()) {
            case TENSOR -> !a.hasT();
            case GRAPH -> !a.hasG();
            case SPARSE_TENSOR -> !a.hasSparseTensor() || !a.getSparseTensor().hasValues() || !a.getSparseTensor().hasIndices();
            case TYPE_PROTO -> !a.hasTp();
            case SPARSE_TENSORS -> a.getSparseTensorsList().stream().anyMatch(s -> !s.hasValues() || !s.hasIndices());
            default -> false;
        };
        if (missing) return new AttributeValue.Undefined(a.getType().getNumber());
        return switch (a.getType()) {
            case FLOAT -> new AttributeValue.FloatValue(a.getF());
            case INT -> new AttributeValue.IntValue(a.getI());
            case STRING -> new AttributeValue.StringValue(a.getS().toStringUtf8());
            case TENSOR -> new AttributeValue.TensorValue(tensor(a.getT()));
            case GRAPH -> new AttributeValue.GraphValue(toGraph(a.getG()));
            case SPARSE_TENSOR -> new AttributeValue.SparseTensorValue(sparse(a.getSparseTensor()));
            case TYPE_PROTO -> new AttributeValue.TypeValue(valueType(a.getTp()));
            case FLOATS -> new AttributeValue.Floats(a.getFloatsList());
            case INTS -> new AttributeValue.Ints(a.getIntsList());
            case STRINGS -> new AttributeValue.Strings(a.getStringsList().stream().map(s -> s.toStringUtf8()).toList());
            case TENSORS -> new AttributeValue.Tensors(a.getTensorsList().stream().map(this::tensor).toList());
            case GRAPHS -> new AttributeValue.Graphs(a.getGraphsList().stream().map(this::toGraph).toList());
            case SPARSE_TENSORS -> new AttributeValue.SparseTensors(a.getSparseTensorsList().stream().map(this::sparse).toList());
            case TYPE_PROTOS -> new AttributeValue.TypeValues(a.getTypeProtosList().stream().map(OnnxModel::valueType).toList());
            case UNDEFINED -> new AttributeValue.Undefined(0);
        };
    }

    private OnnxGraph.SparseTensor sparse(SparseTensorProto s) {
        return new OnnxGraph.SparseTensor(tensor(s.getValues()), tensor(s.getIndices()), s.getDimsList());
    }

    private static List<OnnxGraph.ValueInfo> valueInfos(List<ValueInfoProto> list) {
        return list.stream().map(v -> new OnnxGraph.ValueInfo(v.getName(), valueType(v.getType()))).toList();
    }

    private static ValueType valueType(TypeProto t) {
        return switch (t.getValueCase()) {
            case TENSOR_TYPE -> new ValueType.TensorType(t.getTensorType().getElemType(),
                    t.getTensorType().hasShape() ? Optional.of(dims(t.getTensorType().getShape())) : Optional.empty());
            case SPARSE_TENSOR_TYPE -> new ValueType.SparseTensorType(t.getSparseTensorType().getElemType(),
                    t.getSparseTensorType().hasShape() ? Optional.of(dims(t.getSparseTensorType().getShape())) : Optional.empty());
            case SEQUENCE_TYPE -> new ValueType.SequenceType(valueType(t.getSequenceType().getElemType()));
            case MAP_TYPE -> new ValueType.MapType(t.getMapType().getKeyType(), valueType(t.getMapType().getValueType()));
            case OPTIONAL_TYPE -> new ValueType.OptionalType(valueType(t.getOptionalType().getElemType()));
            case OPAQUE_TYPE -> new ValueType.OpaqueType(t.getOpaqueType().getDomain(), t.getOpaqueType().getName());
            case VALUE_NOT_SET -> new ValueType.Unknown();
        };
    }

    private static List<Dim> dims(TensorShapeProto shape) {
        return shape.getDimList().stream().map(d -> (Dim) switch (d.getValueCase()) {
            case DIM_VALUE -> new Dim.Fixed(d.getDimValue());
            case DIM_PARAM -> new Dim.Symbolic(d.getDimParam());
            case VALUE_NOT_SET -> new Dim.Unknown();
        }).toList();
    }

    private static Metadata buildMetadata(ModelProto p) {
        Metadata.Builder b = Metadata.builder();
        for (StringStringEntryProto e : p.getMetadataPropsList()) {
            if (!b.contains(e.getKey())) b.putString(e.getKey(), e.getValue());
        }
        b.put("onnx.ir_version", new MetaValue.I64(p.getIrVersion()));
        if (!p.getProducerName().isEmpty()) b.putString("onnx.producer_name", p.getProducerName());
        if (!p.getProducerVersion().isEmpty()) b.putString("onnx.producer_version", p.getProducerVersion());
        if (!p.getDomain().isEmpty()) b.putString("onnx.domain", p.getDomain());
        if (p.hasModelVersion()) b.put("onnx.model_version", new MetaValue.I64(p.getModelVersion()));
        if (!p.getDocString().isEmpty()) b.putString("onnx.doc_string", p.getDocString());
        if (p.hasGraph() && !p.getGraph().getName().isEmpty()) b.putString("onnx.graph_name", p.getGraph().getName());
        for (OperatorSetIdProto o : p.getOpsetImportList()) {
            String key = "onnx.opset." + (o.getDomain().isEmpty() ? "ai.onnx" : o.getDomain());
            if (!b.contains(key)) b.put(key, new MetaValue.I64(o.getVersion()));
        }
        return b.build();
    }

    private void ensureOpen() {
        if (closed) throw new IllegalStateException(path + ": the model is closed");
    }

    @Override public synchronized void close() {
        if (closed) return;
        closed = true;
        for (MappedFile f : externalFiles.values()) f.close();
        file.close();
        arena.close();
    }
}
