package dev.squint.bench;

import dev.squint.formats.hf.WordPiece;

import dev.squint.quantize.onnx.CalibrationData;
import dev.squint.quantize.onnx.HostTensor;
import dev.squint.quantize.onnx.OnnxQuantizeOptions;
import dev.squint.quantize.onnx.OnnxQuantizeOptions.Mode;
import dev.squint.quantize.onnx.OnnxQuantizer;
import dev.squint.quantize.onnx.OrtRunner;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * all-MiniLM-L6-v2 in ONNX Runtime: FP32, ONNX Runtime's own int8 (-q) and squint's dynamic INT8,
 * static INT8, INT4, FP16, INT8 weight-only and NF4 — file size, mean cosine of sentence embeddings to FP32, STS-benchmark
 * test Spearman, and latency/throughput at batch 32. Not a test: prints a table.
 *
 * <p>Usage: {@code OnnxQuantizeBench MODELS_DIR SHARED_DIR WORK_DIR} (MODELS_DIR holds
 * all-minilm-l6-v2/ and all-minilm-l6-v2-q/ as Maven unpacks them; static INT8 calibrates on the
 * first 64 lines of TinyStories-valid.txt, not on STS).
 */
public final class OnnxQuantizeBench {
    private OnnxQuantizeBench() {}

    private static final Set<String> INPUTS = Set.of("input_ids", "attention_mask", "token_type_ids");

    public static void main(String[] args) throws IOException {
        Path models = Path.of(args[0]), shared = Path.of(args[1]), work = Files.createDirectories(Path.of(args[2]));
        Path fp32 = models.resolve("all-minilm-l6-v2/all-minilm-l6-v2.onnx");
        Path ortQ = models.resolve("all-minilm-l6-v2-q/all-minilm-l6-v2-q.onnx");
        WordPiece enc = CalibrationData.wordPiece(models.resolve("all-minilm-l6-v2/all-minilm-l6-v2-tokenizer.json"));

        List<String[]> sts = new ArrayList<>();
        for (String line : Files.readAllLines(shared.resolve("data/stsbenchmark/sts-test.csv"), StandardCharsets.UTF_8)) {
            String[] f = line.split("\t");
            if (f.length >= 7) sts.add(new String[] {f[4], f[5], f[6]});
        }
        List<String> calibText = Files.readAllLines(shared.resolve("data/TinyStories-valid.txt"), StandardCharsets.UTF_8).stream()
                .map(String::strip).filter(s -> s.length() > 20).limit(64).toList();
        List<Map<String, HostTensor>> calib = new ArrayList<>();
        for (int i = 0; i < calibText.size(); i += 8) calib.add(CalibrationData.tokenInputs(enc, calibText.subList(i, Math.min(calibText.size(), i + 8)), 128, INPUTS));

        Map<String, Path> variants = new LinkedHashMap<>();
        variants.put("fp32", fp32);
        variants.put("onnxruntime -q (dynamic int8)", ortQ);
        variants.put("squint dynamic int8", quantize(fp32, work.resolve("dynamic.onnx"), OnnxQuantizeOptions.of(Mode.DYNAMIC), calib));
        variants.put("squint static int8 (minmax, per-channel, QDQ fused)", quantize(fp32, work.resolve("static.onnx"), OnnxQuantizeOptions.of(Mode.STATIC), calib));
        variants.put("squint static int8 (minmax, per-channel, --no-qdq-fusion)",
                quantize(fp32, work.resolve("static-unfused.onnx"), OnnxQuantizeOptions.of(Mode.STATIC).withFuseQdq(false), calib));
        variants.put("squint int4 (block 32)", quantize(fp32, work.resolve("int4.onnx"), OnnxQuantizeOptions.of(Mode.INT4), calib));
        variants.put("squint fp16", quantize(fp32, work.resolve("fp16.onnx"), OnnxQuantizeOptions.of(Mode.FP16), calib));
        variants.put("squint int8 weight-only", quantize(fp32, work.resolve("int8-weight.onnx"), OnnxQuantizeOptions.of(Mode.INT8_WEIGHT), calib));
        variants.put("squint nf4 (block 64)", quantize(fp32, work.resolve("nf4.onnx"), OnnxQuantizeOptions.of(Mode.NF4), calib));

        List<String> sentences = new ArrayList<>();
        for (String[] s : sts) { sentences.add(s[1]); sentences.add(s[2]); }
        Map<String, HostTensor> batch32 = CalibrationData.tokenInputs(enc, sentences.subList(0, 32), 128, INPUTS);
        float[][] reference = null;
        Map<String, String> quality = new LinkedHashMap<>();
        Map<String, OrtRunner> runners = new LinkedHashMap<>();
        for (var e : variants.entrySet()) {
            OrtRunner r = new OrtRunner(e.getValue());
            runners.put(e.getKey(), r);
            float[][] emb = embedAll(r, enc, sentences);
            if (reference == null) reference = emb;
            double cos = 0;
            for (int i = 0; i < emb.length; i++) cos += dot(emb[i], reference[i]);
            cos /= emb.length;
            double[] pred = new double[sts.size()], gold = new double[sts.size()];
            for (int i = 0; i < sts.size(); i++) {
                pred[i] = dot(emb[2 * i], emb[2 * i + 1]);
                gold[i] = Double.parseDouble(sts.get(i)[0]);
            }
            quality.put(e.getKey(), String.format(Locale.ROOT, "%,d | %.5f | %.4f", Files.size(e.getValue()), cos, spearman(pred, gold)));
        }
        // Timing interleaved round by round, so that load from other processes falls on every model alike.
        Map<String, double[]> ms = new LinkedHashMap<>();
        int rounds = 12;
        for (var e : runners.entrySet()) { e.getValue().run(batch32); ms.put(e.getKey(), new double[rounds]); }
        for (int round = 0; round < rounds; round++) {
            for (var e : runners.entrySet()) {
                long t0 = System.nanoTime();
                e.getValue().run(batch32);
                ms.get(e.getKey())[round] = (System.nanoTime() - t0) / 1e6;
            }
        }
        System.out.println("| model | bytes | cosine to FP32 | STS-test Spearman | batch-32 ms (median of " + rounds + ", interleaved) | min ms | sentences/s (median) |");
        System.out.println("|---|---:|---:|---:|---:|---:|---:|");
        for (var e : runners.entrySet()) {
            double[] t = ms.get(e.getKey());
            Arrays.sort(t);
            double med = t[t.length / 2];
            System.out.printf(Locale.ROOT, "| %s | %s | %.1f | %.1f | %.0f |%n", e.getKey(), quality.get(e.getKey()), med, t[0], 32000 / med);
            e.getValue().close();
        }
    }

    private static Path quantize(Path in, Path out, OnnxQuantizeOptions o, List<Map<String, HostTensor>> calib) {
        OnnxQuantizer.Result r = OnnxQuantizer.quantize(in, out, o, calib, 1);
        if (!r.verification().problems().isEmpty()) throw new IllegalStateException(o.mode() + ": " + r.verification().problems());
        return out;
    }

    static float[][] embedAll(OrtRunner r, WordPiece enc, List<String> sentences) {
        float[][] out = new float[sentences.size()][];
        for (int start = 0; start < sentences.size(); start += 32) {
            List<String> part = sentences.subList(start, Math.min(sentences.size(), start + 32));
            Map<String, HostTensor> batch = CalibrationData.tokenInputs(enc, part, 128, INPUTS);
            OrtRunner.Output o = r.run(batch).get("last_hidden_state");
            int b = (int) o.shape()[0], len = (int) o.shape()[1], dim = (int) o.shape()[2];
            var mask = batch.get("attention_mask").data();
            for (int i = 0; i < b; i++) {
                float[] e = new float[dim];
                int count = 0;
                for (int j = 0; j < len; j++) {
                    if (mask.getLong((i * len + j) * 8) == 0) continue;
                    count++;
                    for (int d = 0; d < dim; d++) e[d] += o.values()[(i * len + j) * dim + d];
                }
                double norm = 0;
                for (int d = 0; d < dim; d++) { e[d] /= count; norm += e[d] * e[d]; }
                for (int d = 0; d < dim; d++) e[d] /= (float) Math.sqrt(norm);
                out[start + i] = e;
            }
        }
        return out;
    }

    static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    static double spearman(double[] a, double[] b) {
        double[] ra = ranks(a), rb = ranks(b);
        double ma = Arrays.stream(ra).average().orElse(0), mb = Arrays.stream(rb).average().orElse(0);
        double num = 0, da = 0, db = 0;
        for (int i = 0; i < ra.length; i++) {
            num += (ra[i] - ma) * (rb[i] - mb);
            da += (ra[i] - ma) * (ra[i] - ma);
            db += (rb[i] - mb) * (rb[i] - mb);
        }
        return num / Math.sqrt(da * db);
    }

    /** Ranks from 1, ties sharing their average rank. */
    private static double[] ranks(double[] v) {
        Integer[] idx = new Integer[v.length];
        for (int i = 0; i < v.length; i++) idx[i] = i;
        Arrays.sort(idx, (x, y) -> Double.compare(v[x], v[y]));
        double[] r = new double[v.length];
        for (int i = 0; i < v.length; ) {
            int j = i;
            while (j + 1 < v.length && v[idx[j + 1]] == v[idx[i]]) j++;
            double avg = (i + j) / 2.0 + 1;
            for (int k = i; k <= j; k++) r[idx[k]] = avg;
            i = j + 1;
        }
        return r;
    }
}
