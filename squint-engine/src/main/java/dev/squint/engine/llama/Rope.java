package dev.squint.engine.llama;

/**
 * Rotary position embedding tables, computed as ggml's {@code ggml_rope_ext} does on the CPU: the
 * angle of pair {@code i} at position {@code p} is {@code p · base^(-2i/ropeDim)}, built by repeated
 * float multiplication as ggml does (so angles agree to the last bit with llama.cpp's), divided by a
 * per-pair frequency factor (llama3 scaling, or a GGUF {@code rope_freqs} tensor), then mixed between
 * interpolated ({@code freq_scale · θ}) and extrapolated {@code θ} by YaRN's ramp. Cos and sin are
 * scaled by YaRN's magnitude factor.
 *
 * <p>Normal mode rotates adjacent pairs {@code (2i, 2i+1)}; NeoX mode rotates {@code (i, i + ropeDim/2)}.
 * Dimensions past {@code ropeDim} are left alone.
 */
final class Rope {
    private final int half;
    private final int headDim;
    private final boolean neox;
    private final float[] cos;
    private final float[] sin;

    Rope(LlamaConfig c, float[] freqFactors, int positions) {
        this.half = c.ropeDim() / 2;
        this.headDim = c.headDim();
        this.neox = c.ropeMode() == LlamaConfig.RopeMode.NEOX;
        this.cos = new float[positions * half];
        this.sin = new float[positions * half];
        float[] factors = freqFactors != null ? freqFactors : llama3Factors(c);
        boolean linearLike = !c.ropeScaling().equals("none") && !c.ropeScaling().equals("llama3");
        float freqScale = linearLike ? 1f / c.ropeFactor() : 1f;
        float extFactor = c.ropeScaling().equals("yarn") ? 1f : 0f;
        float mscale = c.yarnAttnFactor();
        float lowCorr = 0, highCorr = 0;
        if (extFactor != 0) {
            lowCorr = (float) Math.max(0, Math.floor(corrDim(c.ropeDim(), c.ropeOrigCtx(), c.yarnBetaFast(), c.ropeTheta())));
            highCorr = (float) Math.min(c.ropeDim() - 1, Math.ceil(corrDim(c.ropeDim(), c.ropeOrigCtx(), c.yarnBetaSlow(), c.ropeTheta())));
            mscale *= 1f + 0.1f * (float) Math.log(1f / freqScale);
        }
        float thetaScale = (float) Math.pow(c.ropeTheta(), -2.0 / c.ropeDim());
        for (int p = 0; p < positions; p++) {
            float theta = p;
            for (int i = 0; i < half; i++) {
                float extrap = factors != null ? theta / factors[i] : theta;
                float interp = freqScale * extrap;
                float angle = interp;
                if (extFactor != 0) {
                    float y = (i - lowCorr) / Math.max(0.001f, highCorr - lowCorr);
                    float ramp = (1 - Math.min(1, Math.max(0, y))) * extFactor;
                    angle = interp * (1 - ramp) + extrap * ramp;
                }
                cos[p * half + i] = (float) Math.cos(angle) * mscale;
                sin[p * half + i] = (float) Math.sin(angle) * mscale;
                theta *= thetaScale;
            }
        }
    }

    int positions() {
        return cos.length / Math.max(1, half);
    }

    private static double corrDim(int nDims, int origCtx, float rotations, float base) {
        return nDims * Math.log(origCtx / (rotations * 2 * Math.PI)) / (2 * Math.log(base));
    }

    /** Per-pair divisors of llama3's rope scaling (what llama.cpp's converter stores as rope_freqs). */
    private static float[] llama3Factors(LlamaConfig c) {
        if (!c.ropeScaling().equals("llama3")) return null;
        int half = c.ropeDim() / 2;
        float[] f = new float[half];
        double lowWavelen = c.ropeOrigCtx() / c.llama3LowFreqFactor();
        double highWavelen = c.ropeOrigCtx() / c.llama3HighFreqFactor();
        for (int i = 0; i < half; i++) {
            double freq = 1.0 / Math.pow(c.ropeTheta(), 2.0 * i / c.ropeDim());
            double wavelen = 2 * Math.PI / freq;
            if (wavelen < highWavelen) f[i] = 1f;
            else if (wavelen > lowWavelen) f[i] = c.ropeFactor();
            else {
                double smooth = (c.ropeOrigCtx() / wavelen - c.llama3LowFreqFactor())
                        / (c.llama3HighFreqFactor() - c.llama3LowFreqFactor());
                f[i] = (float) (1.0 / ((1 - smooth) / c.ropeFactor() + smooth));
            }
        }
        return f;
    }

    /** Rotates {@code count} heads laid out back to back from {@code off} in {@code x}, at position {@code pos}. */
    void apply(float[] x, int off, int count, int pos) {
        int base = pos * half;
        for (int h = 0; h < count; h++) {
            int o = off + h * headDim;
            for (int i = 0; i < half; i++) {
                int a = neox ? o + i : o + 2 * i;
                int b = neox ? o + i + half : o + 2 * i + 1;
                float c = cos[base + i], s = sin[base + i];
                float x0 = x[a], x1 = x[b];
                x[a] = x0 * c - x1 * s;
                x[b] = x0 * s + x1 * c;
            }
        }
    }
}
