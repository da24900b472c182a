package dev.squint.engine.ops;

import dev.squint.core.GgmlType;
import dev.squint.core.SquintException;
import dev.squint.core.Tensor;
import dev.squint.core.codec.BlockCodec;
import dev.squint.core.codec.Codecs;
import dev.squint.kernels.KQuantVectorKernels;
import dev.squint.kernels.MatVecKernels;
import dev.squint.kernels.MatrixKernels;
import dev.squint.kernels.PanelGemm;
import dev.squint.kernels.RowParallel;
import dev.squint.kernels.VectorCodecs;
import dev.squint.kernels.VectorFloatFormats;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A linear layer {@code y = x · Wᵀ + b} whose weight stays in its stored type (F32, F16, BF16 or
 * any ggml block type): {@code W} is {@code [out, in]}, {@code x} is {@code [tokens, in]} and
 * {@code y} is {@code [tokens, out]}, all row-major. Output rows are split across threads; each
 * output element is computed by one thread in a fixed order, so results do not depend on the
 * thread count.
 *
 * <p><b>Numerics, as ggml's CPU matmul.</b> Every token row of {@code x} is first converted to the
 * weight codec's activation type ({@link BlockCodec#vecDotType()}: F32 for F32 weights, F16 for F16,
 * Q8_0 for Q4_0/Q8_0/Q5_0, Q8_1 for Q4_1/Q5_1, Q8_K for the K-quants), then each output is the codec's
 * dot of a stored weight row with a converted token row. This is what llama.cpp computes, so logits
 * agree with its to float rounding. F32 weights take a Vector API dot straight from the mapped rows;
 * Q4_0 and Q8_0 use {@link BlockDots} (llama.cpp's AVX2 accumulation order, one reduction per row); the
 * other block types use the codec dots of squint-kernels (Q4_K/Q6_K vector dots patched in).
 *
 * <p>One token (generation) takes the matrix × vector kernels of {@link MatVecKernels} for F16, Q8_0,
 * Q4_0, Q4_K and Q6_K: four weight rows per pass straight from the mapped segment, the same integer block
 * sums with one float scale per block, float accumulation in vector lanes (so results differ from the
 * batched path by float summation order only).
 *
 * <p>A weight row is read once per call and dotted with every token, so batched prompts amortise it.
 * The converted-activation buffer is kept between calls (grown when a larger batch arrives), so a
 * steady decode loop allocates nothing; one instance serves one forward pass at a time.
 *
 * <p>{@link #dynamic} builds the W8A8 variant: weights re-quantized once to Q8_0 on load, activations
 * quantized per token to Q8_0 on the fly, integer dot products inside each block.
 */
public final class Linear {
    /** A weight row (at {@code wo}) dotted with an activation row in the codec's vecDotType (at {@code ao}). */
    @FunctionalInterface
    interface RowDot {
        float dot(int n, MemorySegment w, long wo, MemorySegment a, long ao);
    }

    /** Sees each batch of inputs before it is multiplied (importance-matrix collection). */
    @FunctionalInterface
    public interface InputObserver {
        void accept(Linear layer, float[] x, int tokens);
    }

    private static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED;
    private static final ValueLayout.OfFloat LE_FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final String name;
    private final MemorySegment weight;
    private final BlockCodec codec;
    private final BlockCodec actCodec;
    private final int in;
    private final int out;
    private final long rowBytes;
    private final long actRowBytes;
    private final float[] bias;
    private final boolean f32;
    private final RowDot rowDot;
    private final boolean half;
    private float[] actFloats = new float[0];
    /**
     * Quantized activations. Off-heap on purpose: the Vector API's segment loads share one type profile
     * across all callers, and a heap segment seen there next to the mapped weights makes C2 compile every
     * weight load for both kinds (measured: generation after a prompt batch fell from 10.7 to 7.4 tok/s).
     */
    private MemorySegment act = MemorySegment.NULL;
    private InputObserver observer;
    /** One token's activations for the matrix × vector kernels ({@link #matVec}). */
    private final MatVecKernels.Q8Token token = new MatVecKernels.Q8Token();
    /** F16 weights only: whether they hold no Inf/NaN (scanned on first use), so the unchecked kernel applies. */
    private Boolean f16Finite;
    /** Which matrix × vector activation form this layer's kernel reads ({@link #actKind(GgmlType)}). */
    private final int actKind;
    /** The layer whose prepared token the next {@link #matVecRows} reads (this one, or one of its group). */
    private Linear tokenSource = this;
    /** The single-token product as a reusable range (no lambda per call), writing {@link #matVecOut}. */
    private final RowParallel.RowRange matVecRange = (from, to) -> matVecRows(from, to, this.matVecOut);
    private float[] matVecOut;
    /**
     * Q8_0/Q4_0 weights only: their block scales as floats, off the heap (decoded on first use, see
     * {@link MatVecKernels#blockScales}): 4 bytes per 32 weights, +12 % of Q8_0's and +22 % of Q4_0's
     * weight bytes held in memory, for a kernel that no longer decodes an F16 scale per block.
     */
    private MemorySegment blockScales;

    private Linear(String name, MemorySegment weight, GgmlType type, int in, int out, float[] bias) {
        this.name = name;
        // A mapped slice, re-viewed as a plain native segment (same address and lifetime): the kernels'
        // segment loads then see one segment class for weights and scratch alike (see #act).
        this.weight = weight.isNative() ? weight.reinterpret(weight.byteSize()) : weight;
        this.codec = fastest(type);
        this.in = in;
        this.out = out;
        this.rowBytes = codec.rowBytes(in);
        this.bias = bias;
        this.f32 = type == GgmlType.F32;
        this.half = type == GgmlType.F16 || type == GgmlType.BF16;
        this.rowDot = type == GgmlType.Q4_0 ? BlockDots::q4_0 : type == GgmlType.Q8_0 ? BlockDots::q8_0 : codec::dot;
        this.actCodec = fastest(codec.vecDotType());
        this.actRowBytes = actCodec.rowBytes(in);
        this.actKind = actKind(type);
        if (in % codec.vecDotType().blockSize() != 0 || in % type.blockSize() != 0) {
            throw new SquintException("tensor " + name + ": rows of " + in + " values are not a multiple of the "
                    + type + " block size " + type.blockSize());
        }
    }

    /**
     * @param weight a 2-D tensor {@code [out, in]}
     * @param bias   {@code out} values, or null
     */
    public static Linear of(Tensor weight, float[] bias) {
        int[] dims = check(weight, bias);
        GgmlType type = typeOf(weight);
        return new Linear(weight.name(), weight.data(), type, dims[1], dims[0], bias);
    }

    /**
     * The W8A8 form of {@code weight}: its rows re-quantized to Q8_0 once (kept as is if already Q8_0),
     * so every product runs as int8 × int8 block dots with per-token Q8_0 activations. Rows whose length
     * is not a multiple of 32 cannot be Q8_0 blocks; those layers keep their stored type.
     */
    public static Linear dynamic(Tensor weight, float[] bias, Arena arena) {
        int[] dims = check(weight, bias);
        GgmlType type = typeOf(weight);
        int out = dims[0], in = dims[1];
        if (type == GgmlType.Q8_0 || in % 32 != 0) return new Linear(weight.name(), weight.data(), type, in, out, bias);
        Linear stored = new Linear(weight.name(), weight.data(), type, in, out, bias);
        BlockCodec q8 = fastest(GgmlType.Q8_0);
        long qRow = q8.rowBytes(in);
        MemorySegment q = arena.allocate(qRow * out, 16);
        float[] row = new float[in];
        for (int j = 0; j < out; j++) {
            stored.row(j, row);
            q8.quantizeRow(row, 0, in, q, j * qRow, null);
        }
        return new Linear(weight.name(), q, GgmlType.Q8_0, in, out, bias);
    }

    private static int[] check(Tensor weight, float[] bias) {
        if (weight.shape().rank() != 2) {
            throw new SquintException("tensor " + weight.name() + ": a linear weight must be 2-D, got " + weight.shape());
        }
        long out = weight.shape().dim(0), in = weight.shape().dim(1);
        if (in > Integer.MAX_VALUE || out > Integer.MAX_VALUE) {
            throw new SquintException("tensor " + weight.name() + ": shape " + weight.shape() + " too large for one layer");
        }
        if (bias != null && bias.length != out) {
            throw new SquintException("tensor " + weight.name() + ": bias has " + bias.length + " values for " + out + " outputs");
        }
        return new int[] {(int) out, (int) in};
    }

    private static GgmlType typeOf(Tensor weight) {
        GgmlType type = GgmlType.of(weight.dtype()).orElseThrow(() -> new SquintException(
                "tensor " + weight.name() + ": dtype " + weight.dtype().name() + " cannot run in a linear layer"));
        if (Codecs.find(type).isEmpty()) {
            java.util.List<GgmlType> supported = java.util.Arrays.stream(GgmlType.values()).filter(t -> Codecs.find(t).isPresent()).toList();
            throw new SquintException("tensor " + weight.name() + ": type " + type + " is not supported; supported: " + supported);
        }
        return type;
    }

    /** The vector codec where squint-kernels has one, with the K-quant vector dots patched in. */
    private static BlockCodec fastest(GgmlType type) {
        BlockCodec base = VectorCodecs.of(type);
        if (type != GgmlType.Q4_K && type != GgmlType.Q6_K) return base;
        return new BlockCodec() {
            @Override public GgmlType type() { return type; }
            @Override public GgmlType vecDotType() { return base.vecDotType(); }
            @Override public void quantizeRow(float[] src, int so, int n, MemorySegment dst, long d, float[] imp) {
                base.quantizeRow(src, so, n, dst, d, imp);
            }
            @Override public void dequantizeRow(MemorySegment src, long so, float[] dst, int d, int n) {
                if (type == GgmlType.Q4_K) KQuantVectorKernels.dequantizeQ4K(src, so, dst, d, n);
                else KQuantVectorKernels.dequantizeQ6K(src, so, dst, d, n);
            }
            @Override public float dot(int n, MemorySegment x, long xo, MemorySegment y, long yo) {
                return type == GgmlType.Q4_K ? KQuantVectorKernels.dotQ4K(n, x, xo, y, yo) : KQuantVectorKernels.dotQ6K(n, x, xo, y, yo);
            }
        };
    }

    public String name() { return name; }

    public int in() { return in; }

    public int out() { return out; }

    public GgmlType type() { return codec.type(); }

    /** Bytes of weight data one forward pass reads (each row once). */
    public long weightBytes() { return rowBytes * out; }

    /** Installs (or with null removes) an observer of this layer's inputs. */
    public void observe(InputObserver observer) { this.observer = observer; }

    /** Computes {@code y[tokens × out]} from {@code x[tokens × in]}. */
    public void forward(float[] x, int tokens, float[] y, RowParallel threads) {
        if (x.length < (long) tokens * in || y.length < (long) tokens * out) {
            throw new IllegalArgumentException(name + ": buffers too small for " + tokens + " tokens");
        }
        if (observer != null) observer.accept(this, x, tokens);
        if (tokens == 1 && matVec(x, y, threads)) return;
        if (f32) {
            threads.forRows(out, (from, to) -> f32Rows(x, tokens, y, from, to));
            return;
        }
        long need = actRowBytes * tokens;
        ensureAct(need);
        MemorySegment a = act;
        threads.forRows(tokens, (from, to) -> {
            for (int t = from; t < to; t++) quantizeActivation(x, t * in, a, t * actRowBytes);
        });
        if (half) {
            // F16/BF16: both sides hold 16-bit floats, so decode the rounded activations and each weight row
            // once, then take float dots (ggml's F16 dot also multiplies and sums in float)
            if (actFloats.length < tokens * in) actFloats = new float[tokens * in];
            float[] xr = actFloats;
            for (int t = 0; t < tokens; t++) halfRow(a, t * actRowBytes, xr, t * in);
            threads.forRows(out, (from, to) -> {
                float[] row = new float[in]; // one per range, not per row
                for (int j = from; j < to; j++) {
                    halfRow(weight, j * rowBytes, row, 0);
                    float b = bias == null ? 0f : bias[j];
                    for (int t = 0; t < tokens; t++) y[t * out + j] = floatDot(row, xr, t * in) + b;
                }
            });
            return;
        }
        threads.forRows(out, (from, to) -> {
            for (int j = from; j < to; j++) {
                float b = bias == null ? 0f : bias[j];
                long w = j * rowBytes;
                for (int t = 0; t < tokens; t++) {
                    y[t * out + j] = rowDot.dot(in, weight, w, a, t * actRowBytes) + b;
                }
            }
        });
    }

    /**
     * One token row to the activation type. Q8_0 and Q8_1 round as llama.cpp's x86 build does (multiplier
     * 127/amax, half to even; ggml's scalar reference uses 1/d and half away from zero), so quantized
     * logits follow llama.cpp's on this kind of machine.
     */
    private void quantizeActivation(float[] x, int xo, MemorySegment a, long ao) {
        GgmlType t = actCodec.type();
        if (t == GgmlType.Q8_0 || t == GgmlType.Q8_1) MatVecKernels.quantizeQ8Blocks(x, xo, in, a, ao, t == GgmlType.Q8_1);
        else actCodec.quantizeRow(x, xo, in, a, ao, null);
    }

    // ---------------------------------------------------------------- one token (generation)

    /**
     * The single-token product for the types with a matrix × vector kernel ({@link MatVecKernels}: four
     * weight rows per pass, weights read straight from the mapped segment); false for the others.
     */
    private boolean matVec(float[] x, float[] y, RowParallel threads) {
        if (actKind == NO_MATVEC) return false;
        prepareToken(x);
        matVecOut = y;
        try {
            threads.forRows(out, matVecRange);
        } finally {
            matVecOut = null;
        }
        return true;
    }

    /** Activation kinds of the matrix × vector kernels: layers of one kind can share one converted token. */
    private static final int NO_MATVEC = 0, ACT_Q8_0 = 1, ACT_Q8_K = 2, ACT_F16 = 3;

    private static int actKind(GgmlType t) {
        return switch (t) {
            case Q8_0, Q4_0 -> ACT_Q8_0;
            case Q4_K, Q6_K -> ACT_Q8_K;
            case F16 -> ACT_F16;
            default -> NO_MATVEC;
        };
    }

    /** Converts one token to this layer's matrix × vector activation form ({@link #token} or {@link #tokenFloats}). */
    private void prepareToken(float[] x) {
        if (actKind == ACT_Q8_0) {
            MatVecKernels.quantizeQ8_0(x, 0, in, token);
        } else if (actKind == ACT_Q8_K) {
            MatVecKernels.quantizeQ8K(x, 0, in, token); // as the Q8_K codec, straight into the kernels' layout
        } else {
            ensureAct(2L * in);
            if (actFloats.length < in) actFloats = new float[in];
            VectorFloatFormats.f32ToF16Row(x, 0, act, 0, in); // ggml rounds the activations to F16
            VectorFloatFormats.f16ToF32Row(act, 0, actFloats, 0, in);
        }
        prepareWeights();
        tokenSource = this;
    }

    /** One-time facts about the weights the matrix × vector kernels use, found on first use (before any thread reads them). */
    private void prepareWeights() {
        GgmlType t = codec.type();
        if (t == GgmlType.F16 && f16Finite == null) f16Finite = MatVecKernels.f16AllFinite(weight, 0, (long) out * in); // skips a check per vector
        if ((t == GgmlType.Q8_0 || t == GgmlType.Q4_0) && blockScales == null) {
            blockScales = MatVecKernels.blockScales(weight, 0, rowBytes, out, in, t == GgmlType.Q8_0 ? 34 : 18);
        }
    }

    /** Outputs {@code [from, to)} of the single-token product from the prepared token, bias included. */
    private void matVecRows(int from, int to, float[] y) {
        Linear src = tokenSource;
        MatVecKernels.Q8Token a = src.token;
        switch (codec.type()) {
            case Q8_0 -> MatVecKernels.q8_0Rows(weight, 0, rowBytes, blockScales, from, to, a, y, 0);
            case Q4_0 -> MatVecKernels.q4_0Rows(weight, 0, rowBytes, blockScales, from, to, a, y, 0);
            case Q4_K -> MatVecKernels.q4_KRows(weight, 0, rowBytes, from, to, a, y, 0);
            case Q6_K -> MatVecKernels.q6_KRows(weight, 0, rowBytes, from, to, a, y, 0);
            default -> {
                if (f16Finite) MatVecKernels.f16RowsFinite(weight, 0, rowBytes, in, from, to, src.actFloats, 0, y, 0);
                else MatVecKernels.f16Rows(weight, 0, rowBytes, in, from, to, src.actFloats, 0, y, 0);
            }
        }
        if (bias != null) for (int j = from; j < to; j++) y[j] += bias[j];
    }

    /**
     * Several single-token products over one input, in one parallel dispatch (q, k and v; or gate and up):
     * the token is converted once per activation kind and the threads split the outputs of all layers as
     * one range. Each output is computed by the same code as in {@link #forward}, so results are identical.
     * Reuse one instance per group: it allocates nothing per call. Not thread-safe.
     */
    public static final class MatVecGroup implements RowParallel.RowRange {
        private final Linear[] layers;
        private final int[] starts;
        private final boolean paired;
        private final boolean fast;
        private final float[][] outs;
        private float[] x;
        private RowParallel.RowRange tail;

        private MatVecGroup(boolean paired, Linear... layers) {
            this.layers = layers.clone();
            this.paired = paired;
            this.starts = new int[layers.length + 1];
            boolean all = true;
            for (int i = 0; i < layers.length; i++) {
                starts[i + 1] = starts[i] + layers[i].out;
                all &= layers[i].actKind != NO_MATVEC && layers[i].in == layers[0].in;
                if (paired && layers[i].out != layers[0].out) throw new IllegalArgumentException("paired layers differ in outputs");
            }
            this.fast = all;
            this.outs = new float[layers.length][];
        }

        /** Outputs of all layers as one range (the split crosses from one layer's rows into the next). */
        public static MatVecGroup concatenated(Linear... layers) {
            return new MatVecGroup(false, layers);
        }

        /**
         * Layers with the same number of outputs, split by output index: a range {@code [a, b)} computes rows
         * {@code [a, b)} of every layer, then runs the tail over {@code [a, b)} (SwiGLU of gate and up).
         */
        public static MatVecGroup paired(Linear... layers) {
            return new MatVecGroup(true, layers);
        }

        /**
         * {@code outs[i] = layers[i](x)} for one token, then (paired groups) {@code tail} over the output
         * index. Layers without a matrix × vector kernel run one by one through {@link Linear#forward}, the
         * tail after them on the caller's thread.
         */
        public void forward(float[] x, float[][] outs, RowParallel.RowRange tail, RowParallel threads) {
            if (outs.length != layers.length) throw new IllegalArgumentException("one output per layer");
            if (!fast) {
                for (int i = 0; i < layers.length; i++) layers[i].forward(x, 1, outs[i], threads);
                if (tail != null) tail.run(0, layers[0].out);
                return;
            }
            for (int i = 0; i < layers.length; i++) {
                Linear l = layers[i];
                if (x.length < l.in || outs[i].length < l.out) throw new IllegalArgumentException(l.name + ": buffers too small for 1 token");
                if (l.observer != null) l.observer.accept(l, x, 1);
                Linear same = null;
                for (int j = 0; j < i && same == null; j++) if (layers[j].actKind == l.actKind) same = layers[j];
                if (same == null) l.prepareToken(x);
                else {
                    l.tokenSource = same;
                    l.prepareWeights();
                }
                this.outs[i] = outs[i];
            }
            this.x = x;
            this.tail = tail;
            try {
                threads.forRows(paired ? layers[0].out : starts[layers.length], this);
            } finally {
                this.x = null;
                this.tail = null;
                java.util.Arrays.fill(this.outs, null);
            }
        }

        @Override
        public void run(int from, int to) {
            if (paired) {
                for (int i = 0; i < layers.length; i++) layers[i].matVecRows(from, to, outs[i]);
                if (tail != null) tail.run(from, to);
                return;
            }
            for (int i = 0; i < layers.length; i++) {
                int a = Math.max(from, starts[i]), b = Math.min(to, starts[i + 1]);
                if (a < b) layers[i].matVecRows(a - starts[i], b - starts[i], outs[i]);
            }
        }
    }

    /** Scratch memory outside the heap, freed by the GC once unreachable. */
    static MemorySegment offHeap(long bytes) {
        return Arena.ofAuto().allocate(Math.max(bytes, 1), 64);
    }

    private void ensureAct(long bytes) {
        if (act.byteSize() < bytes) act = offHeap(bytes);
    }

    private void f32Rows(float[] x, int tokens, float[] y, int from, int to) {
        int bound = FS.loopBound(in);
        for (int j = from; j < to; j++) {
            float b = bias == null ? 0f : bias[j];
            long w = j * rowBytes;
            for (int t = 0; t < tokens; t++) {
                int xo = t * in;
                FloatVector acc = FloatVector.zero(FS);
                int i = 0;
                for (; i < bound; i += FS.length()) {
                    FloatVector wv = FloatVector.fromMemorySegment(FS, weight, w + 4L * i, ByteOrder.LITTLE_ENDIAN);
                    acc = wv.fma(FloatVector.fromArray(FS, x, xo + i), acc);
                }
                float s = acc.reduceLanes(VectorOperators.ADD);
                for (; i < in; i++) s += weight.get(LE_FLOAT, w + 4L * i) * x[xo + i];
                y[t * out + j] = s + b;
            }
        }
    }

    private void halfRow(MemorySegment src, long off, float[] dst, int dstOff) {
        if (codec.type() == GgmlType.F16) VectorFloatFormats.f16ToF32Row(src, off, dst, dstOff, in);
        else VectorFloatFormats.bf16ToF32Row(src, off, dst, dstOff, in);
    }

    private float floatDot(float[] w, float[] x, int xo) {
        FloatVector acc = FloatVector.zero(FS);
        int bound = FS.loopBound(in), i = 0;
        for (; i < bound; i += FS.length()) {
            acc = FloatVector.fromArray(FS, w, i).fma(FloatVector.fromArray(FS, x, xo + i), acc);
        }
        float s = acc.reduceLanes(VectorOperators.ADD);
        for (; i < in; i++) s += w[i] * x[xo + i];
        return s;
    }

    // ---- batched prompts (matrix × matrix) ----

    /** Fewest tokens for which {@link #forwardBatch} tiles over tokens; below it, per-token dots. */
    public static final int MIN_BATCH = 8;

    /**
     * Scratch for {@link #forwardBatch}, shared by every layer of one session (one product at a time):
     * the activations rounded to each layer's activation type, their transpose, and per-thread panels.
     */
    public static final class BatchWorkspace {
        private float[] rounded = new float[0];
        private float[] transposed = new float[0];
        private final ThreadLocal<PanelGemm.Scratch> panels = ThreadLocal.withInitial(PanelGemm.Scratch::new);
        private final ThreadLocal<MemorySegment[]> actRows = ThreadLocal.withInitial(() -> new MemorySegment[] {MemorySegment.NULL});

        float[] rounded(int n) {
            if (rounded.length < n) rounded = new float[n];
            return rounded;
        }

        float[] transposed(int n) {
            if (transposed.length < n) transposed = new float[n];
            return transposed;
        }

        MemorySegment actRow(long bytes) {
            MemorySegment[] holder = actRows.get();
            if (holder[0].byteSize() < bytes) holder[0] = offHeap(bytes); // off-heap: see Linear#act
            return holder[0];
        }
    }

    /**
     * {@code y[tokens × out]} from {@code x[tokens × in]} for a batch of prompt tokens, tiled over tokens:
     * the activations are converted once to the codec's activation type (as {@link #forward} and ggml do) and
     * back to floats, then {@link PanelGemm} decodes each weight block once and multiplies it into every
     * token. Outputs equal {@link #forward}'s to float rounding (different summation order), are identical
     * at any thread count, and fewer than {@link #MIN_BATCH} tokens simply run {@link #forward}.
     */
    public void forwardBatch(float[] x, int tokens, float[] y, RowParallel threads, BatchWorkspace ws) {
        if (tokens < MIN_BATCH) {
            forward(x, tokens, y, threads);
            return;
        }
        if (x.length < (long) tokens * in || y.length < (long) tokens * out) {
            throw new IllegalArgumentException(name + ": buffers too small for " + tokens + " tokens");
        }
        if (observer != null) observer.accept(this, x, tokens);
        int tp = PanelGemm.paddedTokens(tokens);
        float[] xT = ws.transposed(in * tp);
        float[] src = x;
        if (!f32) {
            // the activation type's values: quantize each token row and decode it back (exact for Q8_0/F16)
            float[] rounded = ws.rounded(tokens * in);
            threads.forRows(tokens, (from, to) -> {
                MemorySegment buf = ws.actRow(actRowBytes);
                for (int t = from; t < to; t++) {
                    if (codec.type() == GgmlType.F16) {
                        VectorFloatFormats.f32ToF16Row(x, t * in, buf, 0, in);
                        VectorFloatFormats.f16ToF32Row(buf, 0, rounded, t * in, in);
                    } else if (codec.type() == GgmlType.BF16) {
                        VectorFloatFormats.f32ToBf16Row(x, t * in, buf, 0, in);
                        VectorFloatFormats.bf16ToF32Row(buf, 0, rounded, t * in, in);
                    } else {
                        quantizeActivation(x, t * in, buf, 0);
                        actCodec.dequantizeRow(buf, 0, rounded, t * in, in);
                    }
                }
            });
            src = rounded;
        }
        float[] rows = src;
        threads.forRows(in, (from, to) -> {
            for (int k = from; k < to; k++) {
                int o = k * tp;
                for (int t = 0; t < tokens; t++) xT[o + t] = rows[t * in + k];
                for (int t = tokens; t < tp; t++) xT[o + t] = 0f;
            }
        });
        PanelGemm.RowDecoder decoder;
        if (f32) decoder = (row, k0, n, dst, off) -> MemorySegment.copy(weight, LE_FLOAT, row * rowBytes + 4L * k0, dst, off, n);
        else if (codec.type() == GgmlType.F16) decoder = (row, k0, n, dst, off) -> VectorFloatFormats.f16ToF32Row(weight, row * rowBytes + 2L * k0, dst, off, n);
        else if (codec.type() == GgmlType.BF16) decoder = (row, k0, n, dst, off) -> VectorFloatFormats.bf16ToF32Row(weight, row * rowBytes + 2L * k0, dst, off, n);
        else decoder = (row, k0, n, dst, off) -> codec.dequantizeRow(weight, row * rowBytes + codec.rowBytes(k0), dst, off, n);
        // whole row blocks per thread, so no block is cut in two by the split
        int blocks = (out + PanelGemm.ROW_BLOCK - 1) / PanelGemm.ROW_BLOCK;
        threads.forRows(blocks, (from, to) -> PanelGemm.rows(MatrixKernels.Impl.VECTOR, decoder, in, xT, tokens, y, out, bias,
                from * PanelGemm.ROW_BLOCK, Math.min(out, to * PanelGemm.ROW_BLOCK), ws.panels.get()));
    }

    /** Dequantizes weight row {@code j} into {@code dst}. */
    public void row(int j, float[] dst) {
        codec.dequantizeRow(weight, j * rowBytes, dst, 0, in);
    }
}
