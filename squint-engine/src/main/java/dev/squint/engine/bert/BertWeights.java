package dev.squint.engine.bert;

import dev.squint.core.GgmlType;
import dev.squint.core.SquintException;
import dev.squint.core.Tensor;
import dev.squint.core.codec.BlockCodec;
import dev.squint.core.codec.Codecs;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * The weights of a BERT encoder. Embedding tables stay in their stored type and are decoded one
 * row per token; projections are {@link Dense}; LayerNorm parameters and biases are floats.
 *
 * <p>The tensors are views into their model's mapping or into an arena the loader owns:
 * {@code owner} is closed with these weights.
 */
public record BertWeights(BertConfig config, Tensor wordEmbeddings, Tensor positionEmbeddings,
                          Tensor tokenTypeEmbeddings, Norm embeddingNorm, List<Layer> layers, AutoCloseable owner)
        implements AutoCloseable {

    /** LayerNorm's scale and shift. */
    public record Norm(float[] weight, float[] bias) {}

    /** One post-LayerNorm transformer block. */
    public record Layer(Dense query, Dense key, Dense value, Dense attentionOutput, Norm attentionNorm,
                        Dense intermediate, Dense output, Norm outputNorm) {
        public List<Dense> projections() {
            return List.of(query, key, value, attentionOutput, intermediate, output);
        }
    }

    public BertWeights {
        layers = List.copyOf(layers);
        int h = config.hidden();
        checkTable(wordEmbeddings, config.vocab(), h);
        checkTable(positionEmbeddings, config.maxPositions(), h);
        checkTable(tokenTypeEmbeddings, config.typeVocab(), h);
        if (layers.size() != config.layers()) throw new SquintException("BERT config says " + config.layers() + " layers, weights have " + layers.size());
    }

    private static void checkTable(Tensor t, int rows, int cols) {
        if (t.shape().rank() != 2 || t.shape().dim(0) != rows || t.shape().dim(1) != cols) {
            throw new SquintException("tensor " + t.name() + ": expected shape [" + rows + ", " + cols + "], got " + t.shape());
        }
        GgmlType type = GgmlType.of(t.dtype()).orElseThrow(() -> new SquintException("tensor " + t.name() + ": dtype " + t.dtype().name() + " cannot be decoded"));
        if (Codecs.find(type).isEmpty()) throw new SquintException("tensor " + t.name() + ": no codec for " + type);
    }

    /** Adds row {@code row} of an embedding table to {@code dst[off .. off + cols)}. */
    static void addRow(Tensor table, int row, float[] dst, int off, float[] scratch) {
        int cols = (int) table.shape().dim(1);
        BlockCodec codec = Codecs.of(GgmlType.of(table.dtype()).orElseThrow());
        MemorySegment data = table.data();
        codec.dequantizeRow(data, row * codec.rowBytes(cols), scratch, 0, cols);
        for (int i = 0; i < cols; i++) dst[off + i] += scratch[i];
    }

    /** Bytes of all projection weights as stored. */
    public long projectionBytes() {
        long n = 0;
        for (Layer l : layers) for (Dense d : l.projections()) n += d.weightBytes();
        return n;
    }

    /** The same model with every projection replaced by {@code f(projection)}; the owner stays the same. */
    public BertWeights withProjections(java.util.function.UnaryOperator<Dense> f, AutoCloseable extraOwner) {
        List<Layer> mapped = layers.stream().map(l -> new Layer(f.apply(l.query()), f.apply(l.key()), f.apply(l.value()),
                f.apply(l.attentionOutput()), l.attentionNorm(), f.apply(l.intermediate()), f.apply(l.output()), l.outputNorm())).toList();
        return new BertWeights(config, wordEmbeddings, positionEmbeddings, tokenTypeEmbeddings, embeddingNorm, mapped, extraOwner);
    }

    @Override
    public void close() {
        try {
            if (owner != null) owner.close();
        } catch (Exception e) {
            throw new SquintException("closing BERT weights: " + e.getMessage());
        }
    }
}
