package dev.squint.core.codec;

/**
 * ggml's shared quantization search routines ({@code ggml-quants.c}), reproduced bit for bit.
 *
 * <p>Every routine evaluates its float expressions in ggml's order, one IEEE float operation at a
 * time: ggml's reference build targets plain x86-64 (SSE, {@code FLT_EVAL_METHOD == 0}, no FMA
 * contraction), and Java neither widens nor fuses float arithmetic, so the same sequence of
 * operations gives the same bits. Keep that in mind when touching anything here: regrouping
 * {@code w*x*l} as {@code w*(x*l)} changes results.
 *
 * <p>Arrays stand in for ggml's pointers: each array argument has an offset, and output arrays
 * are written exactly where ggml writes through its pointer. {@code byte[]} level arrays hold
 * ggml's {@code int8_t}/{@code uint8_t} levels; the routines that ggml types {@code uint8_t}
 * ({@code make_qkx*}, {@code make_qp_quants}) store the low 8 bits, read them back with
 * {@code & 0xFF}.
 *
 * <p>The signatures are stable: other codecs (legacy and i-quant families) call them.
 */
public final class GgmlQuantMath {
    /** ggml's {@code GROUP_MAX_EPS}: groups whose largest magnitude is below this quantize to zero. */
    public static final float GROUP_MAX_EPS = 1e-15f;

    private GgmlQuantMath() {}

    /**
     * ggml's {@code nearest_int}: round to nearest, ties to even, by adding 1.5·2^23 and reading
     * the mantissa. Valid for |v| ≤ 4194303 (ggml asserts that); outside that range the result is
     * whatever the bit trick gives, as in a release build of ggml.
     */
    public static int nearestInt(float v) {
        float biased = v + 12582912.f;
        int bits = Float.floatToRawIntBits(biased);
        return (bits & 0x007fffff) - 0x00400000;
    }

    /** ggml's {@code GGML_FP32_TO_FP16} (IEEE round-to-nearest-even), as raw bits. */
    public static short fp16(float v) {
        return Float.floatToFloat16(v);
    }

    /** Round-trips a float through fp16, as ggml does when it re-reads a stored scale. */
    public static float roundFp16(float v) {
        return Float.float16ToFloat(Float.floatToFloat16(v));
    }

    private static float weightOf(int rmseType, float x) {
        return switch (rmseType) {
            case 1 -> x * x;
            case 2 -> 1f;
            case 3 -> Math.abs(x);
            default -> (float) Math.sqrt(Math.abs(x));
        };
    }

    /**
     * ggml's {@code make_qx_quants}: symmetric quantization of {@code n} values to levels
     * {@code [0, 2·nmax)} (stored offset by {@code nmax}), searching 18 scales around
     * {@code nmax/max} for the least weighted squared error.
     *
     * @param rmseType 0: plain rounding, no search; 1: weights x²; 2: weights 1; 3: |x|; other: sqrt|x|;
     *                 negative: one least-squares step, returns the mean of it and the plain scale
     * @param qw       weights (replace the rmseType weights when not null), read from {@code qwOff}
     * @return the scale (dequantized value = scale · (L − nmax))
     */
    public static float makeQxQuants(int n, int nmax, float[] x, int xOff, byte[] L, int lOff,
                                     int rmseType, float[] qw, int qwOff) {
        float max = 0;
        float amax = 0;
        for (int i = 0; i < n; ++i) {
            float ax = Math.abs(x[xOff + i]);
            if (ax > amax) {
                amax = ax;
                max = x[xOff + i];
            }
        }
        if (amax < GROUP_MAX_EPS) {
            for (int i = 0; i < n; ++i) L[lOff + i] = 0;
            return 0.f;
        }
        float iscale = -nmax / max;
        if (rmseType == 0) {
            for (int i = 0; i < n; ++i) {
                int l = nearestInt(iscale * x[xOff + i]);
                L[lOff + i] = (byte) (nmax + Math.max(-nmax, Math.min(nmax - 1, l)));
            }
            return 1 / iscale;
        }
        boolean returnEarly = false;
        if (rmseType < 0) {
            rmseType = -rmseType;
            returnEarly = true;
        }
        float sumlx = 0;
        float suml2 = 0;
        for (int i = 0; i < n; ++i) {
            float xi = x[xOff + i];
            int l = nearestInt(iscale * xi);
            l = Math.max(-nmax, Math.min(nmax - 1, l));
            L[lOff + i] = (byte) (l + nmax);
            float w = qw != null ? qw[qwOff + i] : weightOf(rmseType, xi);
            sumlx += w * xi * l;
            suml2 += w * l * l;
        }
        float scale = suml2 != 0 ? sumlx / suml2 : 0.0f;
        if (returnEarly) return suml2 > 0 ? 0.5f * (scale + 1 / iscale) : 1 / iscale;
        float best = scale * sumlx;
        for (int is = -9; is <= 9; ++is) {
            if (is == 0) continue;
            iscale = -(nmax + 0.1f * is) / max;
            sumlx = suml2 = 0;
            for (int i = 0; i < n; ++i) {
                float xi = x[xOff + i];
                int l = nearestInt(iscale * xi);
                l = Math.max(-nmax, Math.min(nmax - 1, l));
                float w = qw != null ? qw[qwOff + i] : weightOf(rmseType, xi);
                sumlx += w * xi * l;
                suml2 += w * l * l;
            }
            if (suml2 > 0 && sumlx * sumlx > best * suml2) {
                for (int i = 0; i < n; ++i) {
                    int l = nearestInt(iscale * x[xOff + i]);
                    L[lOff + i] = (byte) (nmax + Math.max(-nmax, Math.min(nmax - 1, l)));
                }
                scale = sumlx / suml2;
                best = scale * sumlx;
            }
        }
        return scale;
    }

    /**
     * ggml's {@code make_q3_quants}: symmetric quantization to {@code [0, 2·nmax)} with x²
     * weights; with {@code doRmse}, up to 5 rounds of coordinate descent on single levels.
     */
    public static float makeQ3Quants(int n, int nmax, float[] x, int xOff, byte[] L, int lOff, boolean doRmse) {
        float max = 0;
        float amax = 0;
        for (int i = 0; i < n; ++i) {
            float ax = Math.abs(x[xOff + i]);
            if (ax > amax) {
                amax = ax;
                max = x[xOff + i];
            }
        }
        if (amax < GROUP_MAX_EPS) {
            for (int i = 0; i < n; ++i) L[lOff + i] = 0;
            return 0.f;
        }
        float iscale = -nmax / max;
        if (doRmse) {
            float sumlx = 0;
            float suml2 = 0;
            for (int i = 0; i < n; ++i) {
                float xi = x[xOff + i];
                int l = nearestInt(iscale * xi);
                l = Math.max(-nmax, Math.min(nmax - 1, l));
                L[lOff + i] = (byte) l;
                float w = xi * xi;
                sumlx += w * xi * l;
                suml2 += w * l * l;
            }
            for (int itry = 0; itry < 5; ++itry) {
                int nChanged = 0;
                for (int i = 0; i < n; ++i) {
                    float xi = x[xOff + i];
                    int li = L[lOff + i];
                    float w = xi * xi;
                    float slx = sumlx - w * xi * li;
                    if (slx > 0) {
                        float sl2 = suml2 - w * li * li;
                        int newL = nearestInt(xi * sl2 / slx);
                        newL = Math.max(-nmax, Math.min(nmax - 1, newL));
                        if (newL != li) {
                            slx += w * xi * newL;
                            sl2 += w * newL * newL;
                            if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2) {
                                L[lOff + i] = (byte) newL;
                                sumlx = slx;
                                suml2 = sl2;
                                ++nChanged;
                            }
                        }
                    }
                }
                if (nChanged == 0) break;
            }
            for (int i = 0; i < n; ++i) L[lOff + i] = (byte) (L[lOff + i] + nmax);
            return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
        }
        for (int i = 0; i < n; ++i) {
            int l = nearestInt(iscale * x[xOff + i]);
            l = Math.max(-nmax, Math.min(nmax - 1, l));
            L[lOff + i] = (byte) (l + nmax);
        }
        return 1 / iscale;
    }

    /**
     * ggml's {@code make_qkx2_quants}: asymmetric quantization to {@code [0, nmax]} with a min,
     * scanning {@code nstep+1} scales {@code (rmin + rdelta·is + nmax)/(max − min)} for the least
     * weighted error (absolute with {@code useMad}, squared otherwise).
     *
     * @param weights  {@code n} weights from {@code wOff} (required)
     * @param mins     receives {@code -min} (a non-negative offset) at {@code minIdx}
     * @param Laux     scratch of at least {@code n} bytes
     * @return the scale (dequantized value = scale · L − mins[minIdx])
     */
    public static float makeQkx2Quants(int n, int nmax, float[] x, int xOff, float[] weights, int wOff,
                                       byte[] L, int lOff, float[] mins, int minIdx, byte[] Laux,
                                       float rmin, float rdelta, int nstep, boolean useMad) {
        float min = x[xOff];
        float max = x[xOff];
        float sumW = weights[wOff];
        float sumX = sumW * x[xOff];
        for (int i = 1; i < n; ++i) {
            float xi = x[xOff + i];
            if (xi < min) min = xi;
            if (xi > max) max = xi;
            float w = weights[wOff + i];
            sumW += w;
            sumX += w * xi;
        }
        if (min > 0) min = 0;
        if (max == min) {
            for (int i = 0; i < n; ++i) L[lOff + i] = 0;
            mins[minIdx] = -min;
            return 0.f;
        }
        float iscale = nmax / (max - min);
        float scale = 1 / iscale;
        float bestError = 0;
        for (int i = 0; i < n; ++i) {
            float xi = x[xOff + i];
            int l = nearestInt(iscale * (xi - min));
            l = Math.max(0, Math.min(nmax, l));
            L[lOff + i] = (byte) l;
            float diff = scale * l + min - xi;
            diff = useMad ? Math.abs(diff) : diff * diff;
            bestError += weights[wOff + i] * diff;
        }
        if (nstep < 1) {
            mins[minIdx] = -min;
            return scale;
        }
        for (int is = 0; is <= nstep; ++is) {
            iscale = (rmin + rdelta * is + nmax) / (max - min);
            float sumL = 0, sumL2 = 0, sumXL = 0;
            for (int i = 0; i < n; ++i) {
                float xi = x[xOff + i];
                int l = nearestInt(iscale * (xi - min));
                l = Math.max(0, Math.min(nmax, l));
                Laux[i] = (byte) l;
                float w = weights[wOff + i];
                sumL += w * l;
                sumL2 += w * l * l;
                sumXL += w * l * xi;
            }
            float D = sumW * sumL2 - sumL * sumL;
            if (D > 0) {
                float thisScale = (sumW * sumXL - sumX * sumL) / D;
                float thisMin = (sumL2 * sumX - sumL * sumXL) / D;
                if (thisMin > 0) {
                    thisMin = 0;
                    thisScale = sumXL / sumL2;
                }
                float curError = 0;
                for (int i = 0; i < n; ++i) {
                    float diff = thisScale * (Laux[i] & 0xFF) + thisMin - x[xOff + i];
                    diff = useMad ? Math.abs(diff) : diff * diff;
                    curError += weights[wOff + i] * diff;
                }
                if (curError < bestError) {
                    System.arraycopy(Laux, 0, L, lOff, n);
                    bestError = curError;
                    scale = thisScale;
                    min = thisMin;
                }
            }
        }
        mins[minIdx] = -min;
        return scale;
    }

    /**
     * ggml's {@code make_qkx3_quants}: as {@link #makeQkx2Quants} but with weights x² when
     * {@code weights} is null, and guarded against the search producing levels out of range.
     */
    public static float makeQkx3Quants(int n, int nmax, float[] x, int xOff, float[] weights, int wOff,
                                       byte[] L, int lOff, float[] mins, int minIdx, byte[] Laux,
                                       float rmin, float rdelta, int nstep, boolean useMad) {
        float min = x[xOff];
        float max = x[xOff];
        float sumW = weights != null ? weights[wOff] : x[xOff] * x[xOff];
        float sumX = sumW * x[xOff];
        for (int i = 1; i < n; ++i) {
            float xi = x[xOff + i];
            if (xi < min) min = xi;
            if (xi > max) max = xi;
            float w = weights != null ? weights[wOff + i] : xi * xi;
            sumW += w;
            sumX += w * xi;
        }
        if (min > 0) min = 0;
        if (max <= min) {
            for (int i = 0; i < n; ++i) L[lOff + i] = 0;
            mins[minIdx] = -min;
            return 0.f;
        }
        float iscale = nmax / (max - min);
        float scale = 1 / iscale;
        float bestMad = 0;
        for (int i = 0; i < n; ++i) {
            float xi = x[xOff + i];
            int l = nearestInt(iscale * (xi - min));
            l = Math.max(0, Math.min(nmax, l));
            L[lOff + i] = (byte) l;
            float diff = scale * l + min - xi;
            diff = useMad ? Math.abs(diff) : diff * diff;
            float w = weights != null ? weights[wOff + i] : xi * xi;
            bestMad += w * diff;
        }
        if (nstep < 1) {
            mins[minIdx] = -min;
            return scale;
        }
        for (int is = 0; is <= nstep; ++is) {
            iscale = (rmin + rdelta * is + nmax) / (max - min);
            float sumL = 0, sumL2 = 0, sumXL = 0;
            for (int i = 0; i < n; ++i) {
                float xi = x[xOff + i];
                // v can be huge, infinite or NaN once min sits near max: clamp before rounding (as ggml)
                float v = iscale * (xi - min);
                int l = v > 0 ? nearestInt(v < nmax ? v : nmax) : 0;
                Laux[i] = (byte) l;
                float w = weights != null ? weights[wOff + i] : xi * xi;
                sumL += w * l;
                sumL2 += w * l * l;
                sumXL += w * l * xi;
            }
            float D = sumW * sumL2 - sumL * sumL;
            if (D > 0) {
                float thisScale = (sumW * sumXL - sumX * sumL) / D;
                float thisMin = (sumL2 * sumX - sumL * sumXL) / D;
                if (thisMin > 0) {
                    thisMin = 0;
                    thisScale = sumXL / sumL2;
                }
                float mad = 0;
                for (int i = 0; i < n; ++i) {
                    float xi = x[xOff + i];
                    float diff = thisScale * (Laux[i] & 0xFF) + thisMin - xi;
                    diff = useMad ? Math.abs(diff) : diff * diff;
                    float w = weights != null ? weights[wOff + i] : xi * xi;
                    mad += w * diff;
                }
                if (mad < bestMad) {
                    System.arraycopy(Laux, 0, L, lOff, n);
                    bestMad = mad;
                    scale = thisScale;
                    min = thisMin;
                }
            }
        }
        mins[minIdx] = -min;
        return scale;
    }

    /**
     * ggml's {@code make_qp_quants}: quantizes non-negative values (block scales or mins) to
     * {@code [0, nmax]} with weights, searching 8 scales then refining single levels.
     */
    public static float makeQpQuants(int n, int nmax, float[] x, int xOff, byte[] L, int lOff,
                                     float[] quantWeights, int qwOff) {
        float max = 0;
        for (int i = 0; i < n; ++i) {
            float xi = x[xOff + i];
            max = max > xi ? max : xi;
        }
        if (max < GROUP_MAX_EPS) {
            for (int i = 0; i < n; ++i) L[lOff + i] = 0;
            return 0.f;
        }
        float iscale = nmax / max;
        for (int i = 0; i < n; ++i) L[lOff + i] = (byte) nearestInt(iscale * x[xOff + i]);
        float scale = 1 / iscale;
        float bestMse = 0;
        for (int i = 0; i < n; ++i) {
            float diff = x[xOff + i] - scale * (L[lOff + i] & 0xFF);
            float w = quantWeights[qwOff + i];
            bestMse += w * diff * diff;
        }
        for (int is = -4; is <= 4; ++is) {
            if (is == 0) continue;
            float iscaleIs = (0.1f * is + nmax) / max;
            float scaleIs = 1 / iscaleIs;
            float mse = 0;
            for (int i = 0; i < n; ++i) {
                int l = nearestInt(iscaleIs * x[xOff + i]);
                l = Math.min(nmax, l);
                float diff = x[xOff + i] - scaleIs * l;
                float w = quantWeights[qwOff + i];
                mse += w * diff * diff;
            }
            if (mse < bestMse) {
                bestMse = mse;
                iscale = iscaleIs;
            }
        }
        float sumlx = 0;
        float suml2 = 0;
        for (int i = 0; i < n; ++i) {
            int l = nearestInt(iscale * x[xOff + i]);
            l = Math.min(nmax, l);
            L[lOff + i] = (byte) l;
            float w = quantWeights[qwOff + i];
            sumlx += w * x[xOff + i] * l;
            suml2 += w * l * l;
        }
        for (int itry = 0; itry < 5; ++itry) {
            int nChanged = 0;
            for (int i = 0; i < n; ++i) {
                float xi = x[xOff + i];
                int li = L[lOff + i] & 0xFF;
                float w = quantWeights[qwOff + i];
                float slx = sumlx - w * xi * li;
                float sl2 = suml2 - w * li * li;
                if (slx > 0 && sl2 > 0) {
                    int newL = nearestInt(xi * sl2 / slx);
                    newL = Math.min(nmax, newL);
                    if (newL != li) {
                        slx += w * xi * newL;
                        sl2 += w * newL * newL;
                        if (slx * slx * suml2 > sumlx * sumlx * sl2) {
                            L[lOff + i] = (byte) newL;
                            sumlx = slx;
                            suml2 = sl2;
                            ++nChanged;
                        }
                    }
                }
            }
            if (nChanged == 0) break;
        }
        return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
    }

    /**
     * ggml's {@code get_scale_min_k4}: the 6-bit scale of sub-block {@code j} (0..7) from the
     * 12-byte packed scales of a Q4_K/Q5_K block ({@code q[qOff..qOff+12)}).
     */
    public static int scaleK4(int j, byte[] q, int qOff) {
        if (j < 4) return q[qOff + j] & 63;
        return (q[qOff + j + 4] & 0xF) | (((q[qOff + j - 4] & 0xFF) >> 6) << 4);
    }

    /** The 6-bit min of sub-block {@code j}, the other half of {@code get_scale_min_k4}. */
    public static int minK4(int j, byte[] q, int qOff) {
        if (j < 4) return q[qOff + j + 4] & 63;
        return ((q[qOff + j + 4] & 0xFF) >> 4) | (((q[qOff + j] & 0xFF) >> 6) << 4);
    }
}
