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
import java.util.Random;
import java.util.Set;

/**
 * GPTQ against round-to-nearest on all-MiniLM-L6-v2, measured so that the choice cannot be tuned on the
 * STS test set. TinyStories-valid.txt has 19 stories, one a line: the sentences of stories 1–10 are the
 * calibration data (GPTQ's Hessians, and the verification inside the quantizer); the sentences of stories
 * 11–19 longer than 15 characters (386) are the held-out fidelity set, used for nothing else. Fidelity is the
 * cosine of mean-pooled, normalised embeddings to FP32's (mean and minimum). STS Spearman on sts-test (1,379
 * pairs) is reported after, with a paired bootstrap of GPTQ − RTN (500 resamples of the pairs, seed 7).
 * Then the dynamic INT8 models are timed interleaved at batch 32 (GPTQ changes only integer codes).
 *
 * <p>Usage: {@code OnnxGptqBench MODELS_DIR SHARED_DIR WORK_DIR [ROUNDS [CALIBRATION_SENTENCES]]} (MODELS_DIR as
 * for {@link OnnxQuantizeBench}; CALIBRATION_SENTENCES: use only the first N calibration sentences, as
 * {@code --calibration-size} does). ROUNDS 0: held-out fidelity only, no STS and no timing. Not a test: prints tables.
 */
public final class OnnxGptqBench {
    private OnnxGptqBench() {}

    private static final Set<String> INPUTS = Set.of("input_ids", "attention_mask", "token_type_ids");

    static List<String> sentences(List<String> stories, int minLength) {
        List<String> out = new ArrayList<>();
        for (String story : stories) {
            for (String s : story.strip().split("(?<=[.!?])\\s+")) if (s.strip().length() >= minLength && !s.isBlank()) out.add(s.strip());
        }
        return out;
    }

    public static void main(String[] args) throws IOException {
        Path models = Path.of(args[0]), shared = Path.of(args[1]), work = Files.createDirectories(Path.of(args[2]));
        int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 12;
        int calibrationLimit = args.length > 4 ? Integer.parseInt(args[4]) : Integer.MAX_VALUE;
        Path fp32 = models.resolve("all-minilm-l6-v2/all-minilm-l6-v2.onnx");
        Path ortQ = models.resolve("all-minilm-l6-v2-q/all-minilm-l6-v2-q.onnx");
        WordPiece enc = CalibrationData.wordPiece(models.resolve("all-minilm-l6-v2/all-minilm-l6-v2-tokenizer.json"));

        List<String> stories = Files.readAllLines(shared.resolve("data/TinyStories-valid.txt"), StandardCharsets.UTF_8);
        List<String> calibText = sentences(stories.subList(0, 10), 1);
        if (calibText.size() > calibrationLimit) calibText = calibText.subList(0, calibrationLimit);
        List<String> heldOut = sentences(stories.subList(10, 19), 16);
        List<Map<String, HostTensor>> calib = new ArrayList<>();
        for (int i = 0; i < calibText.size(); i += 16) {
            calib.add(CalibrationData.tokenInputs(enc, calibText.subList(i, Math.min(calibText.size(), i + 16)), 128, INPUTS));
        }
        List<String[]> sts = new ArrayList<>();
        for (String line : Files.readAllLines(shared.resolve("data/stsbenchmark/sts-test.csv"), StandardCharsets.UTF_8)) {
            String[] f = line.split("\t");
            if (f.length >= 7) sts.add(new String[] {f[4], f[5], f[6]});
        }
        List<String> stsSentences = new ArrayList<>();
        for (String[] s : sts) { stsSentences.add(s[1]); stsSentences.add(s[2]); }
        double[] gold = sts.stream().mapToDouble(s -> Double.parseDouble(s[0])).toArray();
        System.out.printf(Locale.ROOT, "calibration: %d sentences of stories 1-10; held-out fidelity: %d sentences of stories 11-19; STS: %d pairs%n",
                calibText.size(), heldOut.size(), sts.size());

        Map<String, Path> variants = new LinkedHashMap<>();
        variants.put("FP32", fp32);
        variants.put("ONNX Runtime -q", ortQ);
        for (Mode mode : List.of(Mode.DYNAMIC, Mode.INT4, Mode.INT8_WEIGHT)) {
            for (boolean gptq : new boolean[] {false, true}) {
                String name = (mode == Mode.DYNAMIC ? "dynamic INT8" : mode == Mode.INT4 ? "INT4 block 32" : "INT8 weight-only") + (gptq ? " GPTQ" : " RTN");
                Path out = work.resolve(mode.toString().toLowerCase(Locale.ROOT) + (gptq ? "-gptq" : "-rtn") + ".onnx");
                long t0 = System.nanoTime();
                OnnxQuantizer.Result r = OnnxQuantizer.quantize(fp32, out, OnnxQuantizeOptions.of(mode).withGptq(gptq), calib, 1);
                if (!r.verification().problems().isEmpty()) throw new IllegalStateException(name + ": " + r.verification().problems());
                System.out.printf(Locale.ROOT, "%s: quantized and verified in %.1f s%s%n", name, (System.nanoTime() - t0) / 1e9,
                        r.report().notes().stream().filter(n -> n.startsWith("GPTQ")).map(n -> "; " + n).findFirst().orElse(""));
                variants.put(name, out);
            }
        }

        float[][] refHeld = null, refSts = null;
        Map<String, double[]> preds = new LinkedHashMap<>();
        System.out.println();
        System.out.println("| model | bytes | cosine, held-out (mean) | min | cosine, STS sentences | STS Spearman |");
        System.out.println("|---|---:|---:|---:|---:|---:|");
        for (var e : variants.entrySet()) {
            float[][] held, embSts;
            try (OrtRunner r = new OrtRunner(e.getValue())) {
                held = OnnxQuantizeBench.embedAll(r, enc, heldOut);
                embSts = rounds == 0 ? held : OnnxQuantizeBench.embedAll(r, enc, stsSentences);
            }
            if (refHeld == null) { refHeld = held; refSts = embSts; }
            double mean = 0, min = 1, meanSts = 0;
            for (int i = 0; i < held.length; i++) {
                double c = OnnxQuantizeBench.dot(held[i], refHeld[i]);
                mean += c;
                min = Math.min(min, c);
            }
            if (rounds == 0) {
                System.out.printf(Locale.ROOT, "| %s | %,d | %.5f | %.5f | – | – |%n", e.getKey(), Files.size(e.getValue()), mean / held.length, min);
                continue;
            }
            for (int i = 0; i < embSts.length; i++) meanSts += OnnxQuantizeBench.dot(embSts[i], refSts[i]);
            double[] pred = new double[sts.size()];
            for (int i = 0; i < pred.length; i++) pred[i] = OnnxQuantizeBench.dot(embSts[2 * i], embSts[2 * i + 1]);
            preds.put(e.getKey(), pred);
            System.out.printf(Locale.ROOT, "| %s | %,d | %.5f | %.5f | %.5f | %.4f |%n", e.getKey(), Files.size(e.getValue()), mean / held.length, min,
                    meanSts / embSts.length, OnnxQuantizeBench.spearman(pred, gold));
        }
        if (rounds == 0) return;
        System.out.println();
        System.out.println("| comparison | ΔSTS | 95 % interval (paired bootstrap, 500, seed 7) |");
        System.out.println("|---|---:|---|");
        for (String[] pair : List.of(new String[] {"dynamic INT8 GPTQ", "dynamic INT8 RTN"}, new String[] {"dynamic INT8 GPTQ", "ONNX Runtime -q"},
                new String[] {"dynamic INT8 RTN", "ONNX Runtime -q"}, new String[] {"INT4 block 32 GPTQ", "INT4 block 32 RTN"},
                new String[] {"INT8 weight-only GPTQ", "INT8 weight-only RTN"})) {
            double[] ci = bootstrap(preds.get(pair[0]), preds.get(pair[1]), gold);
            System.out.printf(Locale.ROOT, "| %s − %s | %+.4f | [%+.4f, %+.4f] |%n", pair[0], pair[1], ci[0], ci[1], ci[2]);
        }

        // Speed: GPTQ changes integer codes only, so ONNX Runtime should run both dynamic graphs alike.
        List<String> timed = List.of("ONNX Runtime -q", "dynamic INT8 RTN", "dynamic INT8 GPTQ");
        Map<String, HostTensor> batch32 = CalibrationData.tokenInputs(enc, stsSentences.subList(0, 32), 128, INPUTS);
        Map<String, OrtRunner> runners = new LinkedHashMap<>();
        Map<String, double[]> ms = new LinkedHashMap<>();
        for (String t : timed) {
            OrtRunner r = new OrtRunner(variants.get(t));
            r.run(batch32);
            runners.put(t, r);
            ms.put(t, new double[rounds]);
        }
        for (int round = 0; round < rounds; round++) {
            for (var e : runners.entrySet()) {
                long t0 = System.nanoTime();
                e.getValue().run(batch32);
                ms.get(e.getKey())[round] = (System.nanoTime() - t0) / 1e6;
            }
        }
        System.out.println();
        System.out.println("| model | batch-32 ms (median of " + rounds + ", interleaved) | min ms |");
        System.out.println("|---|---:|---:|");
        for (var e : runners.entrySet()) {
            double[] t = ms.get(e.getKey());
            Arrays.sort(t);
            System.out.printf(Locale.ROOT, "| %s | %.1f | %.1f |%n", e.getKey(), t[t.length / 2], t[0]);
            e.getValue().close();
        }
    }

    /** Spearman(a) − Spearman(b) on the full set, and the 2.5 % and 97.5 % points over resampled pairs. */
    static double[] bootstrap(double[] a, double[] b, double[] gold) {
        int n = gold.length, reps = 500;
        Random rnd = new Random(7);
        double[] d = new double[reps];
        double[] ra = new double[n], rb = new double[n], rg = new double[n];
        for (int rep = 0; rep < reps; rep++) {
            for (int i = 0; i < n; i++) {
                int j = rnd.nextInt(n);
                ra[i] = a[j];
                rb[i] = b[j];
                rg[i] = gold[j];
            }
            d[rep] = OnnxQuantizeBench.spearman(ra, rg) - OnnxQuantizeBench.spearman(rb, rg);
        }
        Arrays.sort(d);
        return new double[] {OnnxQuantizeBench.spearman(a, gold) - OnnxQuantizeBench.spearman(b, gold), d[(int) (0.025 * reps)], d[(int) (0.975 * reps) - 1]};
    }
}
