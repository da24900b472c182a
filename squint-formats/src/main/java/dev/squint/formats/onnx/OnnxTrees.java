package dev.squint.formats.onnx;

import dev.squint.formats.onnx.proto.AttributeProto;
import dev.squint.formats.onnx.proto.FunctionProto;
import dev.squint.formats.onnx.proto.GraphProto;
import dev.squint.formats.onnx.proto.ModelProto;
import dev.squint.formats.onnx.proto.NodeProto;
import dev.squint.formats.onnx.proto.SparseTensorProto;
import dev.squint.formats.onnx.proto.TensorProto;
import dev.squint.formats.onnx.proto.TrainingInfoProto;

/**
 * Visits or replaces every TensorProto of a model: graph initializers (dense and sparse), tensors in
 * node attributes, and those in subgraphs, training graphs and model-local functions. Messages are
 * rebuilt only along paths where a tensor was replaced.
 */
final class OnnxTrees {
    private OnnxTrees() {}

    /** Returns the tensor to keep in place of {@code tensor}; {@code where} names its place for messages. */
    @FunctionalInterface
    interface TensorMapper {
        TensorProto map(TensorProto tensor, String where);
    }

    static ModelProto mapTensors(ModelProto model, TensorMapper f) {
        ModelProto.Builder b = null;
        if (model.hasGraph()) {
            GraphProto g = graph(model.getGraph(), "graph", f);
            if (g != model.getGraph()) b = model.toBuilder().setGraph(g);
        }
        for (int i = 0; i < model.getTrainingInfoCount(); i++) {
            TrainingInfoProto t = model.getTrainingInfo(i);
            TrainingInfoProto.Builder tb = null;
            if (t.hasInitialization()) {
                GraphProto g = graph(t.getInitialization(), "training_info[" + i + "].initialization", f);
                if (g != t.getInitialization()) tb = t.toBuilder().setInitialization(g);
            }
            if (t.hasAlgorithm()) {
                GraphProto g = graph(t.getAlgorithm(), "training_info[" + i + "].algorithm", f);
                if (g != t.getAlgorithm()) tb = (tb == null ? t.toBuilder() : tb).setAlgorithm(g);
            }
            if (tb != null) (b == null ? b = model.toBuilder() : b).setTrainingInfo(i, tb);
        }
        for (int i = 0; i < model.getFunctionsCount(); i++) {
            FunctionProto fn = model.getFunctions(i);
            String where = "function '" + fn.getName() + "'";
            FunctionProto.Builder fb = null;
            for (int n = 0; n < fn.getNodeCount(); n++) {
                NodeProto node = node(fn.getNode(n), where, f);
                if (node != fn.getNode(n)) (fb == null ? fb = fn.toBuilder() : fb).setNode(n, node);
            }
            for (int a = 0; a < fn.getAttributeProtoCount(); a++) {
                AttributeProto attr = attribute(fn.getAttributeProto(a), where + " attribute", f);
                if (attr != fn.getAttributeProto(a)) (fb == null ? fb = fn.toBuilder() : fb).setAttributeProto(a, attr);
            }
            if (fb != null) (b == null ? b = model.toBuilder() : b).setFunctions(i, fb);
        }
        return b == null ? model : b.build();
    }

    static GraphProto graph(GraphProto graph, String where, TensorMapper f) {
        GraphProto.Builder b = null;
        for (int i = 0; i < graph.getInitializerCount(); i++) {
            TensorProto t = f.map(graph.getInitializer(i), where + " initializer '" + graph.getInitializer(i).getName() + "'");
            if (t != graph.getInitializer(i)) (b == null ? b = graph.toBuilder() : b).setInitializer(i, t);
        }
        for (int i = 0; i < graph.getSparseInitializerCount(); i++) {
            SparseTensorProto s = sparse(graph.getSparseInitializer(i), where + " sparse initializer", f);
            if (s != graph.getSparseInitializer(i)) (b == null ? b = graph.toBuilder() : b).setSparseInitializer(i, s);
        }
        for (int i = 0; i < graph.getNodeCount(); i++) {
            NodeProto n = node(graph.getNode(i), where, f);
            if (n != graph.getNode(i)) (b == null ? b = graph.toBuilder() : b).setNode(i, n);
        }
        return b == null ? graph : b.build();
    }

    private static NodeProto node(NodeProto node, String where, TensorMapper f) {
        NodeProto.Builder b = null;
        String here = where + " node '" + (node.getName().isEmpty() ? node.getOpType() : node.getName()) + "'";
        for (int i = 0; i < node.getAttributeCount(); i++) {
            AttributeProto a = attribute(node.getAttribute(i), here, f);
            if (a != node.getAttribute(i)) (b == null ? b = node.toBuilder() : b).setAttribute(i, a);
        }
        return b == null ? node : b.build();
    }

    private static AttributeProto attribute(AttributeProto attr, String where, TensorMapper f) {
        String here = where + " attribute '" + attr.getName() + "'";
        AttributeProto.Builder b = null;
        if (attr.hasT()) {
            TensorProto t = f.map(attr.getT(), here);
            if (t != attr.getT()) b = attr.toBuilder().setT(t);
        }
        for (int i = 0; i < attr.getTensorsCount(); i++) {
            TensorProto t = f.map(attr.getTensors(i), here + "[" + i + "]");
            if (t != attr.getTensors(i)) (b == null ? b = attr.toBuilder() : b).setTensors(i, t);
        }
        if (attr.hasG()) {
            GraphProto g = graph(attr.getG(), here + " graph", f);
            if (g != attr.getG()) (b == null ? b = attr.toBuilder() : b).setG(g);
        }
        for (int i = 0; i < attr.getGraphsCount(); i++) {
            GraphProto g = graph(attr.getGraphs(i), here + " graph[" + i + "]", f);
            if (g != attr.getGraphs(i)) (b == null ? b = attr.toBuilder() : b).setGraphs(i, g);
        }
        if (attr.hasSparseTensor()) {
            SparseTensorProto s = sparse(attr.getSparseTensor(), here, f);
            if (s != attr.getSparseTensor()) (b == null ? b = attr.toBuilder() : b).setSparseTensor(s);
        }
        for (int i = 0; i < attr.getSparseTensorsCount(); i++) {
            SparseTensorProto s = sparse(attr.getSparseTensors(i), here + "[" + i + "]", f);
            if (s != attr.getSparseTensors(i)) (b == null ? b = attr.toBuilder() : b).setSparseTensors(i, s);
        }
        return b == null ? attr : b.build();
    }

    private static SparseTensorProto sparse(SparseTensorProto s, String where, TensorMapper f) {
        SparseTensorProto.Builder b = null;
        if (s.hasValues()) {
            TensorProto t = f.map(s.getValues(), where + " values '" + s.getValues().getName() + "'");
            if (t != s.getValues()) b = s.toBuilder().setValues(t);
        }
        if (s.hasIndices()) {
            TensorProto t = f.map(s.getIndices(), where + " indices of '" + s.getValues().getName() + "'");
            if (t != s.getIndices()) (b == null ? b = s.toBuilder() : b).setIndices(t);
        }
        return b == null ? s : b.build();
    }
}
