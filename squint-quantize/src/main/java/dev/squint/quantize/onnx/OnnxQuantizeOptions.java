package dev.squint.quantize.onnx;

import java.util.Set;

/**
 * What an ONNX quantization pass does.
 *
 * @param mode            which pass
 * @param perChannel      one scale per output channel of a weight instead of one per tensor
 * @param reduceRange     7-bit weights (int8 in [-64, 63]): avoids the u8×s8 saturation of the
 *                        pre-VNNI x86 int8 kernels, at some precision
 * @param signedWeights   int8 weights (zero point 0); false gives uint8 asymmetric weights
 * @param blockSize       INT4: weights per block along K (16 to 256, a power of two; 32 by default);
 *                        NF4: weights per absmax block (same choices; 64 by default, as bitsandbytes)
 * @param symmetric       INT4: symmetric blocks (implicit zero point 8) instead of asymmetric ones
 * @param calibrator      static INT8: how activation ranges are chosen from calibration data
 * @param includeNodes    quantize only nodes with these names or op types (empty: every supported one)
 * @param excludeNodes    never quantize nodes with these names or op types
 * @param fp16KeepFloat   FP16: op types kept in FP32 (with Casts around them)
 * @param externalDataThreshold tensors of at least this many bytes go to an external data file
 * @param fuseQdq         static INT8: float readers of a quantized node's output read its DequantizeLinear
 *                        too, so that ONNX Runtime fuses DQ → op → Q into QLinear ops (faster, less exact).
 *                        all-MiniLM-L6-v2, 64 STS calibration sentences, batch 8: fused 48 QLinearMatMul,
 *                        43 ms vs FP32's 80 ms, per-token cosine 0.914; unfused ORT runs the QDQ graph in float,
 *                        slower than FP32, cosine 0.993
 * @param smoothing       dynamic INT8: SmoothQuant migration strength α in [0, 1] (0 = off). Each quantized
 *                        activation is divided per channel by {@code s_j = max|X_j|^α / max|W_j,:|^(1-α)} and
 *                        the weight rows multiplied by it (exact in float), so that a few outlier channels no
 *                        longer set the per-tensor activation scale; channel maxima from the calibration data
 * @param gptq            dynamic, int8-weight and INT4: round MatMul/Gemm weights with GPTQ's error compensation
 *                        ({@link Gptq}), from input Hessians over the calibration data (required), instead of to nearest
 */
public record OnnxQuantizeOptions(Mode mode, boolean perChannel, boolean reduceRange, boolean signedWeights, int blockSize,
                                  boolean symmetric, Calibrator calibrator, Set<String> includeNodes, Set<String> excludeNodes,
                                  Set<String> fp16KeepFloat, long externalDataThreshold,
                                  boolean fuseQdq, float smoothing, boolean gptq) {

    /**
     * FP16 weights and compute; DYNAMIC int8 (DynamicQuantizeLinear + MatMulInteger); STATIC int8 QDQ with
     * calibration; INT4 weight-only (MatMulNBits); INT8_WEIGHT weight-only int8 (DequantizeLinear feeding
     * the float MatMul/Gemm); NF4 weight-only (MatMulBnb4, bitsandbytes' NormalFloat-4).
     */
    public enum Mode { FP16, DYNAMIC, STATIC, INT4, INT8_WEIGHT, NF4 }

    /**
     * Calibrators: MIN_MAX (observed range), PERCENTILE (99.99th percentile of |x|), ENTROPY (the
     * clipping threshold minimising the KL divergence between the 2048-bin histogram and its
     * 128-level quantization, as TensorRT), MSE (the threshold minimising expected squared
     * quantization plus clipping error over the histogram).
     */
    public enum Calibrator { MIN_MAX, PERCENTILE, ENTROPY, MSE }

    /**
     * Op types kept in FP32 by default for FP16: those whose float16 result overflows or loses most
     * (x² and its mean in a LayerNorm variance pass 65504 once activations reach ~256; Exp/Softmax on
     * wide logits; Erf-GELU near saturation), plus ops whose float inputs must stay float32 (Resize
     * scales, Range) or that draw random numbers. Measured on all-MiniLM-L6-v2 in ONNX Runtime's CPU
     * provider (32 STS sentences): cosine to FP32 0.9999995 and max abs error 0.021 with this list,
     * 0.9999996 and 0.011 with none — the CPU provider runs most float16 ops in float32 through inserted
     * Casts, so there the list costs a little; it is kept because the file may run on a provider with
     * real float16 kernels. (The decisive FP16 fix was elsewhere: clamping -3.4e38 mask constants to
     * -65504, without which MiniLM's output was NaN.) --keep-float replaces the list.
     */
    public static final Set<String> DEFAULT_FP16_KEEP_FLOAT = Set.of("ReduceMean", "Pow", "Sqrt", "LayerNormalization",
            "Softmax", "Exp", "Erf", "Range", "ReduceSum", "Log", "SimplifiedLayerNormalization", "RandomNormal", "RandomUniform",
            "RandomNormalLike", "RandomUniformLike", "NonMaxSuppression", "TopK", "Resize");

    public OnnxQuantizeOptions {
        java.util.Objects.requireNonNull(mode, "mode");
        java.util.Objects.requireNonNull(calibrator, "calibrator");
        if (mode == Mode.NF4 && !symmetric) throw new IllegalArgumentException("NF4 is absmax-scaled (symmetric); it has no asymmetric form");
        if (mode == Mode.INT8_WEIGHT && (!signedWeights || reduceRange)) {
            throw new IllegalArgumentException("weight-only INT8 stores symmetric int8 weights; unsigned weights and reduce-range belong to dynamic INT8");
        }
        if (!(smoothing >= 0 && smoothing <= 1)) throw new IllegalArgumentException("smoothing α must be in [0, 1]: " + smoothing);
        if (gptq && mode != Mode.DYNAMIC && mode != Mode.INT8_WEIGHT && mode != Mode.INT4) {
            throw new IllegalArgumentException("GPTQ rounding applies to dynamic, int8-weight and int4 weights, not " + mode);
        }
        if (externalDataThreshold < 0) throw new IllegalArgumentException("external data threshold must not be negative: " + externalDataThreshold);
        if (blockSize != 32 && blockSize != 64 && blockSize != 128 && blockSize != 16 && blockSize != 256) {
            throw new IllegalArgumentException("block size must be 16, 32, 64, 128 or 256: " + blockSize);
        }
        includeNodes = Set.copyOf(includeNodes);
        excludeNodes = Set.copyOf(excludeNodes);
        fp16KeepFloat = Set.copyOf(fp16KeepFloat);
    }

    public static OnnxQuantizeOptions of(Mode mode) {
        return new OnnxQuantizeOptions(mode, mode == Mode.DYNAMIC || mode == Mode.STATIC || mode == Mode.INT8_WEIGHT, false, true,
                mode == Mode.NF4 ? 64 : 32, true, Calibrator.MIN_MAX, Set.of(), Set.of(),
                DEFAULT_FP16_KEEP_FLOAT, Long.MAX_VALUE, true, 0f, false);
    }

    public OnnxQuantizeOptions withPerChannel(boolean v) { return new OnnxQuantizeOptions(mode, v, reduceRange, signedWeights, blockSize, symmetric, calibrator, includeNodes, excludeNodes, fp16KeepFloat, externalDataThreshold, fuseQdq, smoothing, gptq); }
    public OnnxQuantizeOptions withReduceRange(boolean v) { return new OnnxQuantizeOptions(mode, perChannel, v, signedWeights, blockSize, symmetric, calibrator, includeNodes, excludeNodes, fp16KeepFloat, externalDataThreshold, fuseQdq, smoothing, gptq); }
    public OnnxQuantizeOptions withSignedWeights(boolean v) { return new OnnxQuantizeOptions(mode, perChannel, reduceRange, v, blockSize, symmetric, calibrator, includeNodes, excludeNodes, fp16KeepFloat, externalDataThreshold, fuseQdq, smoothing, gptq); }
    public OnnxQuantizeOptions withBlockSize(int v) { return new OnnxQuantizeOptions(mode, perChannel, reduceRange, signedWeights, v, symmetric, calibrator, includeNodes, excludeNodes, fp16KeepFloat, externalDataThreshold, fuseQdq, smoothing, gptq); }
    public OnnxQuantizeOptions withSymmetric(boolean v) { return new OnnxQuantizeOptions(mode, perChannel, reduceRange, signedWeights, blockSize, v, calibrator, includeNodes, excludeNodes, fp16KeepFloat, externalDataThreshold, fuseQdq, smoothing, gptq); }
    public OnnxQuantizeOptions withCalibrator(Calibrator v) { return new OnnxQuantizeOptions(mode, perChannel, reduceRange, signedWeights, blockSize, symmetric, v, includeNodes, excludeNodes, fp16KeepFloat, externalDataThreshold, fuseQdq, smoothing, gptq); }
    public OnnxQuantizeOptions withInclude(Set<String> v) { return new OnnxQuantizeOptions(mode, perChannel, reduceRange, signedWeights, blockSize, symmetric, calibrator, v, excludeNodes, fp16KeepFloat, externalDataThreshold, fuseQdq, smoothing, gptq); }
    public OnnxQuantizeOptions withExclude(Set<String> v) { return new OnnxQuantizeOptions(mode, perChannel, reduceRange, signedWeights, blockSize, symmetric, calibrator, includeNodes, v, fp16KeepFloat, externalDataThreshold, fuseQdq, smoothing, gptq); }
    public OnnxQuantizeOptions withFp16KeepFloat(Set<String> v) { return new OnnxQuantizeOptions(mode, perChannel, reduceRange, signedWeights, blockSize, symmetric, calibrator, includeNodes, excludeNodes, v, externalDataThreshold, fuseQdq, smoothing, gptq); }
    public OnnxQuantizeOptions withExternalDataThreshold(long v) { return new OnnxQuantizeOptions(mode, perChannel, reduceRange, signedWeights, blockSize, symmetric, calibrator, includeNodes, excludeNodes, fp16KeepFloat, v, fuseQdq, smoothing, gptq); }

    public OnnxQuantizeOptions withSmoothing(float v) { return new OnnxQuantizeOptions(mode, perChannel, reduceRange, signedWeights, blockSize, symmetric, calibrator, includeNodes, excludeNodes, fp16KeepFloat, externalDataThreshold, fuseQdq, v, gptq); }

    public OnnxQuantizeOptions withFuseQdq(boolean v) { return new OnnxQuantizeOptions(mode, perChannel, reduceRange, signedWeights, blockSize, symmetric, calibrator, includeNodes, excludeNodes, fp16KeepFloat, externalDataThreshold, v, smoothing, gptq); }

    public OnnxQuantizeOptions withGptq(boolean v) { return new OnnxQuantizeOptions(mode, perChannel, reduceRange, signedWeights, blockSize, symmetric, calibrator, includeNodes, excludeNodes, fp16KeepFloat, externalDataThreshold, fuseQdq, smoothing, v); }

    /** Whether the include/exclude lists let node {@code name} of {@code opType} be quantized; null if so, else why not. */
    String selectionVeto(String name, String opType) {
        if (excludeNodes.contains(name) || excludeNodes.contains(opType)) return "excluded by --exclude";
        if (!includeNodes.isEmpty() && !includeNodes.contains(name) && !includeNodes.contains(opType)) return "not in --include";
        return null;
    }
}
