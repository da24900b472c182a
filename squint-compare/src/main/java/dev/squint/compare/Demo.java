package dev.squint.compare;

import ai.onnxruntime.OrtEnvironment;
import dev.squint.convert.ConvertOptions;
import dev.squint.convert.GgufConverter;
import dev.squint.convert.OutType;
import dev.squint.core.Model;
import dev.squint.core.ScalarType;
import dev.squint.core.SquintException;
import dev.squint.core.Tensor;
import dev.squint.engine.bert.BertEncoder;
import dev.squint.engine.bert.BertLoader;
import dev.squint.engine.bert.EncoderEval;
import dev.squint.engine.tokenizer.WordPieceTokenizer;
import dev.squint.formats.ModelOpener;
import dev.squint.formats.onnx.OnnxGraph;
import dev.squint.formats.onnx.OnnxModel;
import dev.squint.formats.onnx.OnnxReader;
import dev.squint.kernels.RowParallel;
import dev.squint.quantize.GgufQuantizer;
import dev.squint.quantize.QuantType;
import dev.squint.quantize.QuantizeOptions;
import dev.squint.quantize.QuantizeReport;
import dev.squint.quantize.onnx.HostTensor;
import dev.squint.quantize.onnx.OnnxQuantizeOptions;
import dev.squint.quantize.onnx.OnnxQuantizeReport;
import dev.squint.quantize.onnx.OnnxQuantizer;
import dev.squint.report.ComparisonReport;
import dev.squint.report.FormatRow;
import dev.squint.report.Metric;
import dev.squint.report.Verdicts;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * {@code squint demo}: one model, every format squint writes, each written to a real file, run in the runtime
 * that would deploy it, and measured in the same run on the same tokens — size on disk, bits per weight, fidelity
 * to FP32 (cosine of sentence embeddings, top-10 retrieval agreement), STS Spearman when an STS file is given,
 * sentences/s at batch 32 and peak resident memory.
 *
 * <p>The base is the FP32 ONNX export run in ONNX Runtime; its embeddings are the reference every row's are
 * compared with. ONNX rows (FP16, INT8 dynamic and static, INT4, and the outside {@code -q} reference) run in
 * ONNX Runtime's CPU provider; GGUF rows (BF16, Q8_0, Q5_K_M, Q4_K_M, Q4_0) in squint's BERT engine. A row that
 * fails (a pass refuses the model, ONNX Runtime refuses the file) becomes a row with its reason, and the demo
 * goes on; only the base failing stops it.
 *
 * <p>Entry point: {@link #run(DemoOptions, DemoListener)}.
 */
public final class Demo {
    /** Sentences per batch, for quality and speed alike. */
    public static final int BATCH = 32;
    /** Neighbours compared for retrieval agreement. */
    public static final int TOP_K = 10;
    /** Calibration sentences for static INT8, in batches of {@link #CALIBRATION_BATCH}. */
    static final int CALIBRATION_SENTENCES = 64;
    static final int CALIBRATION_BATCH = 8;

    /**
     * The report and which rows could not be measured.
     *
     * @param failures row → one-line reason, in table order; empty when every row was measured
     */
    public record Result(ComparisonReport report, Map<DemoRow, String> failures, Path out) {
        public Result {
            failures = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(failures));
        }

        public boolean complete() { return failures.isEmpty(); }
    }

    private final DemoOptions options;
    private final DemoListener listener;
    private final String stem;
    private final String ortRuntime;
    private WordPieceTokenizer tokenizer;
    private List<WordPieceTokenizer.Batch> batches;
    private List<WordPieceTokenizer.Batch> stsFirst, stsSecond;
    private double[] stsGold;
    private List<Map<String, HostTensor>> calibration;
    private float[][] baseEmbeddings;
    private long weightCount;
    private Path ggufF32;

    private Demo(DemoOptions options, DemoListener listener) {
        this.options = options;
        this.listener = listener;
        this.stem = options.model().getFileName().toString().replaceFirst("(?i)\\.onnx$", "");
        this.ortRuntime = "ONNX Runtime " + OrtEnvironment.getEnvironment().getVersion();
    }

    /**
     * Writes every row's file into {@code options.out()} and measures it.
     *
     * @throws SquintException when nothing can be compared: the base model cannot be read or run, the sentences or
     *                         STS file are unreadable, the output folder cannot be created
     */
    public static Result run(DemoOptions options, DemoListener listener) {
        return new Demo(options, listener).run();
    }

    private Result run() {
        Instant started = Instant.now();
        long wallStart = System.nanoTime();
        long cpuStart = processCpuNanos();
        String loadBefore = loadAverage();
        try {
            Files.createDirectories(options.out());
        } catch (IOException e) {
            throw new SquintException(options.out() + ": cannot create the output folder: " + e.getMessage());
        }
        DemoCorpus corpus = DemoCorpus.load(options.sentences());
        prepare(corpus);
        listener.planned(options.rows());
        List<FormatRow> rows = new ArrayList<>();
        Map<DemoRow, String> failures = new LinkedHashMap<>();
        Map<DemoRow, double[]> seconds = new LinkedHashMap<>(); // wall, CPU
        try (RowParallel pool = new RowParallel(options.threads())) {
            for (DemoRow row : options.rows()) {
                FormatRow result;
                String failure = null;
                long rowStart = System.nanoTime(), rowCpu = processCpuNanos();
                try {
                    result = runRow(row, pool);
                } catch (RuntimeException e) {
                    if (row == DemoRow.FP32) throw e;
                    failure = oneLine(e);
                    failures.put(row, failure);
                    result = failedRow(row, failure);
                }
                rows.add(result);
                seconds.put(row, new double[]{(System.nanoTime() - rowStart) / 1e9, (processCpuNanos() - rowCpu) / 1e9});
                listener.finished(row, result, failure);
            }
        } finally {
            deleteQuietly(ggufF32);
        }
        Map<String, String> env = environment(corpus, started, wallStart, cpuStart, loadBefore, seconds);
        ComparisonReport report = new ComparisonReport("squint demo: " + stem + " in every format", stem, "encoder",
                "mean cosine similarity to FP32 embeddings", "sentences/s", rows, List.of(), env);
        return new Result(Verdicts.withComputedVerdicts(report, options.policy()), failures, options.out());
    }

    // ---- preparation: tokens, reference embeddings ----

    private void prepare(DemoCorpus corpus) {
        // squint's engine decides the tokenization (tokenizer.json beside the model, its truncation length);
        // every row, ONNX Runtime's included, is fed these same ids.
        try (BertEncoder base = BertLoader.open(options.model(), new RowParallel(1))) {
            tokenizer = base.tokenizer();
        }
        batches = batches(corpus.sentences());
        if (options.sts().isPresent()) {
            List<EncoderEval.StsPair> pairs = EncoderEval.readSts(options.sts().get());
            if (options.stsPairs() > 0 && options.stsPairs() < pairs.size()) pairs = pairs.subList(0, options.stsPairs());
            stsFirst = batches(pairs.stream().map(EncoderEval.StsPair::first).toList());
            stsSecond = batches(pairs.stream().map(EncoderEval.StsPair::second).toList());
            stsGold = pairs.stream().mapToDouble(EncoderEval.StsPair::gold).toArray();
        }
        List<String> calib = corpus.calibration().subList(0, Math.min(CALIBRATION_SENTENCES, corpus.calibration().size()));
        calibration = new ArrayList<>();
        List<String> inputs = graphInputs(options.model());
        for (int i = 0; i < calib.size(); i += CALIBRATION_BATCH) {
            calibration.add(SentenceEmbedder.inputs(tokenizer.batch(calib.subList(i, Math.min(calib.size(), i + CALIBRATION_BATCH))), inputs));
        }
        weightCount = matrixWeights(options.model());
    }

    private List<WordPieceTokenizer.Batch> batches(List<String> sentences) {
        List<WordPieceTokenizer.Batch> out = new ArrayList<>();
        for (int i = 0; i < sentences.size(); i += BATCH) out.add(tokenizer.batch(sentences.subList(i, Math.min(sentences.size(), i + BATCH))));
        return out;
    }

    /** The graph's inputs that are not initializers: what a batch must feed. */
    private static List<String> graphInputs(Path model) {
        try (OnnxModel m = OnnxReader.open(model)) {
            java.util.Set<String> inits = new java.util.HashSet<>(m.graph().initializerNames());
            return m.graph().inputs().stream().map(OnnxGraph.ValueInfo::name).filter(n -> !inits.contains(n)).toList();
        }
    }

    /** Elements of the base's 2-D float tensors (projections and embedding tables): what bits per weight divide by. */
    static long matrixWeights(Path model) {
        try (Model m = ModelOpener.open(model)) {
            long n = 0;
            for (Tensor t : m.tensors()) if (t.shape().rank() == 2 && t.dtype() == ScalarType.F32) n += t.shape().elementCount();
            if (n == 0) throw new SquintException(model + ": no 2-D float32 weights; the demo starts from an FP32 export");
            return n;
        }
    }

    // ---- one row ----

    private FormatRow runRow(DemoRow row, RowParallel pool) {
        List<String> notes = new ArrayList<>();
        Produced p = produce(row, notes);
        long bytes = sizeOnDisk(p.file);
        Measured m = measure(row, p.file, pool);
        if (row == DemoRow.FP32) baseEmbeddings = m.embeddings;
        EncoderEval.Fidelity f = EncoderEval.fidelity(baseEmbeddings, m.embeddings, TOP_K);
        List<Metric> quality = new ArrayList<>();
        quality.add(new Metric("cosine_mean", "mean cosine to FP32", f.meanCosine(), Metric.Direction.HIGHER, ""));
        quality.add(new Metric("cosine_min", "min cosine to FP32", f.minCosine(), Metric.Direction.HIGHER, ""));
        quality.add(new Metric("retrieval_top" + TOP_K, "top-" + TOP_K + " agreement", f.retrievalAgreement(), Metric.Direction.HIGHER, ""));
        if (stsGold != null) quality.add(new Metric("sts_spearman", "STS Spearman", m.spearman, Metric.Direction.HIGHER, ""));
        notes.addAll(m.notes);
        return new FormatRow(row.label(), p.format, runtimeName(row), Optional.of(p.file.toString()), bytes,
                bytes * 8.0 / weightCount, f.meanCosine(), quality, m.throughput, m.peakBytes, notes, row == DemoRow.ORT_INT8_REFERENCE);
    }

    private FormatRow failedRow(DemoRow row, String reason) {
        List<Metric> quality = new ArrayList<>(List.of(
                new Metric("cosine_mean", "mean cosine to FP32", Double.NaN, Metric.Direction.HIGHER, ""),
                new Metric("cosine_min", "min cosine to FP32", Double.NaN, Metric.Direction.HIGHER, ""),
                new Metric("retrieval_top" + TOP_K, "top-" + TOP_K + " agreement", Double.NaN, Metric.Direction.HIGHER, "")));
        if (stsGold != null) quality.add(new Metric("sts_spearman", "STS Spearman", Double.NaN, Metric.Direction.HIGHER, ""));
        return new FormatRow(row.label(), "-", runtimeName(row), Optional.empty(), -1, Double.NaN, Double.NaN, quality, Double.NaN, -1,
                List.of(FAILED + reason), row == DemoRow.ORT_INT8_REFERENCE);
    }

    /** Notes of a row that could not be measured start with this. */
    public static final String FAILED = "failed: ";

    private String runtimeName(DemoRow row) {
        return row.runtime() == DemoRow.Runtime.ONNX_RUNTIME ? ortRuntime : "squint engine";
    }

    private record Produced(Path file, String format) {}

    private Produced produce(DemoRow row, List<String> notes) {
        return switch (row) {
            case FP32 -> new Produced(options.model(), "ONNX float32");
            case ORT_INT8_REFERENCE -> {
                Path q = options.reference().orElseThrow(() -> new SquintException("no -q reference model was given"));
                notes.add("not written by squint: ONNX Runtime's quantize_dynamic output, shipped by langchain4j");
                yield new Produced(q, "ONNX int8 MatMulInteger");
            }
            case FP16 -> onnx(row, OnnxQuantizeOptions.of(OnnxQuantizeOptions.Mode.FP16), "fp16", "ONNX float16", notes);
            case INT8_WEIGHT -> onnx(row, OnnxQuantizeOptions.of(OnnxQuantizeOptions.Mode.INT8_WEIGHT).withGptq(true), "int8-weight",
                    "ONNX int8 weights, per channel", notes);
            case INT8_DYNAMIC -> onnx(row, OnnxQuantizeOptions.of(OnnxQuantizeOptions.Mode.DYNAMIC).withGptq(true), "int8-dynamic",
                    "ONNX int8 MatMulInteger", notes);
            case INT8_STATIC -> onnx(row, OnnxQuantizeOptions.of(OnnxQuantizeOptions.Mode.STATIC), "int8-static",
                    "ONNX int8 QDQ, calibrated", notes);
            case INT4 -> onnx(row, OnnxQuantizeOptions.of(OnnxQuantizeOptions.Mode.INT4).withGptq(true), "int4", "ONNX MatMulNBits 4-bit, g32", notes);
            case NF4 -> onnx(row, OnnxQuantizeOptions.of(OnnxQuantizeOptions.Mode.NF4), "nf4", "ONNX MatMulBnb4 NF4, g64", notes);
            case BF16 -> {
                Path out = options.out().resolve(stem + "-bf16.gguf");
                listener.step(row, "writing " + out.getFileName());
                GgufConverter.convert(ConvertOptions.of(options.model(), out).withOutType(OutType.BF16));
                notes.add("BF16 as GGUF for squint's engine (llama.cpp runs it too): ONNX Runtime's CPU provider has almost no bfloat16 kernels");
                yield new Produced(out, "GGUF BF16");
            }
            case Q8_0 -> gguf(row, QuantType.Q8_0, notes);
            case Q5_K_M -> gguf(row, QuantType.Q5_K_M, notes);
            case Q4_K_M -> gguf(row, QuantType.Q4_K_M, notes);
            case Q4_0 -> gguf(row, QuantType.Q4_0, notes);
        };
    }

    private int calibrationCount() {
        int n = 0;
        for (Map<String, HostTensor> b : calibration) n += (int) b.values().iterator().next().shape()[0];
        return n;
    }

    /**
     * An ONNX pass through {@link OnnxQuantizer}, which also checks the result in ONNX Runtime: static INT8
     * and GPTQ-rounded modes (as {@code squint quantize} does when given calibration data) calibrate and verify
     * on all calibration batches, other modes verify on the first only.
     */
    private Produced onnx(DemoRow row, OnnxQuantizeOptions o, String suffix, String format, List<String> notes) {
        Path out = options.out().resolve(stem + "-" + suffix + ".onnx");
        listener.step(row, "writing " + out.getFileName());
        List<Map<String, HostTensor>> data = o.mode() == OnnxQuantizeOptions.Mode.STATIC || o.gptq() ? calibration : calibration.subList(0, 1);
        OnnxQuantizer.Result r = OnnxQuantizer.quantize(options.model(), out, o, data, 1);
        passNote(o, r.report()).ifPresent(notes::add);
        for (String problem : r.verification().problems()) notes.add("ONNX Runtime check: " + problem);
        return new Produced(out, format);
    }

    /** What a pass converted, by op type ("MatMul ×36, Gather ×1"), and how many float nodes it left. */
    static Optional<String> passNote(OnnxQuantizeOptions o, OnnxQuantizeReport rep) {
        Map<String, Integer> byOp = new TreeMap<>();
        List<String> whole = new ArrayList<>();
        for (OnnxQuantizeReport.Entry e : rep.entries()) {
            if (!e.quantized()) continue;
            if (e.opType().equals("*")) whole.add(e.detail()); // a graph-wide pass (FP16) describes itself
            else byOp.merge(e.opType(), 1, Integer::sum);
        }
        List<String> parts = new ArrayList<>(whole);
        if (!byOp.isEmpty()) {
            StringBuilder sb = new StringBuilder("converted ");
            byOp.forEach((op, n) -> sb.append(sb.length() > 10 ? ", " : "").append(op).append(" ×").append(n));
            parts.add(sb.toString());
        }
        if (o.mode() == OnnxQuantizeOptions.Mode.STATIC) parts.add(calibratorName(o) + " calibration on built-in sentences");
        if (o.gptq()) parts.add("GPTQ rounding from built-in calibration sentences");
        if (parts.isEmpty()) return Optional.empty();
        return Optional.of(String.join("; ", parts) + "; " + rep.keptFloat().size() + " nodes left in float");
    }

    private static String calibratorName(OnnxQuantizeOptions o) {
        return o.calibrator().name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** A GGUF mix quantized from one F32 conversion of the ONNX export (made on first use, deleted at the end). */
    private Produced gguf(DemoRow row, QuantType type, List<String> notes) {
        if (ggufF32 == null) {
            Path f32 = options.out().resolve("." + stem + "-f32.demo.gguf");
            listener.step(row, "converting to GGUF (bert, F32)");
            GgufConverter.convert(ConvertOptions.of(options.model(), f32).withOutType(OutType.F32));
            ggufF32 = f32;
        }
        Path out = options.out().resolve(stem + "-" + type.name() + ".gguf");
        listener.step(row, "writing " + out.getFileName());
        QuantizeReport r = GgufQuantizer.quantize(QuantizeOptions.of(ggufF32, out, type).withThreads(options.threads()));
        Map<String, Integer> fallbacks = new TreeMap<>();
        for (QuantizeReport.TensorResult t : r.tensors()) {
            String fb = t.plan().fallback();
            if (fb != null) fallbacks.merge(fb.replaceFirst(":.*", ""), 1, Integer::sum);
        }
        fallbacks.forEach((what, n) -> notes.add(n + " tensors " + what + " (rows of " + rowLengthOf(r) + " are not a multiple of 256)"));
        return new Produced(out, "GGUF " + type.name() + " (bert)");
    }

    private static String rowLengthOf(QuantizeReport r) {
        return r.tensors().stream().filter(t -> t.plan().fallback() != null).map(t -> Long.toString(t.plan().rowLength()))
                .distinct().reduce((a, b) -> a + "/" + b).orElse("?");
    }

    // ---- measuring ----

    private record Measured(float[][] embeddings, double throughput, double spearman, long peakBytes, List<String> notes) {}

    /**
     * Loads {@code file} in the row's runtime and measures it. Speed: after one warm-up batch, every sentence is
     * embedded once in batches of {@link #BATCH} (those embeddings are the row's quality figures), then batches
     * go on cyclically until {@link DemoOptions#speedSeconds()} have passed; sentences/s = sentences / wall time.
     * Peak memory covers loading, warm-up and timing (STS runs after the peak is read).
     */
    private Measured measure(DemoRow row, Path file, RowParallel pool) {
        List<String> notes = new ArrayList<>();
        System.gc(); // drop the previous row's garbage so it does not count in this row's peak
        boolean reset = PeakMemory.reset();
        listener.step(row, "loading " + file.getFileName());
        try (SentenceEmbedder e = row.runtime() == DemoRow.Runtime.ONNX_RUNTIME
                ? SentenceEmbedder.onnxRuntime(file, options.threads()) : SentenceEmbedder.squintEngine(file, pool)) {
            listener.step(row, "warming up");
            e.embed(batches.getFirst());
            listener.step(row, "embedding " + sentenceCount() + " sentences");
            long t0 = System.nanoTime();
            List<float[]> all = new ArrayList<>();
            for (WordPieceTokenizer.Batch b : batches) all.addAll(List.of(e.embed(b)));
            long sentences = all.size();
            int next = 0;
            while (System.nanoTime() - t0 < options.speedSeconds() * 1e9) {
                WordPieceTokenizer.Batch b = batches.get(next++ % batches.size());
                e.embed(b);
                sentences += b.size();
            }
            double throughput = sentences / ((System.nanoTime() - t0) / 1e9);
            long peak = reset ? PeakMemory.peakBytes().orElse(-1) : -1;
            if (!reset) notes.add("peak memory not measured: /proc/self/clear_refs is not writable here");
            double spearman = Double.NaN;
            if (stsGold != null) {
                listener.step(row, "STS, " + stsGold.length + " pairs");
                float[][] a = embedAll(e, stsFirst), b = embedAll(e, stsSecond);
                double[] cos = new double[stsGold.length];
                for (int i = 0; i < cos.length; i++) cos[i] = EncoderEval.cosine(a[i], b[i]);
                spearman = EncoderEval.spearman(cos, stsGold);
            }
            return new Measured(all.toArray(new float[0][]), throughput, spearman, peak, notes);
        }
    }

    private static float[][] embedAll(SentenceEmbedder e, List<WordPieceTokenizer.Batch> batches) {
        List<float[]> all = new ArrayList<>();
        for (WordPieceTokenizer.Batch b : batches) all.addAll(List.of(e.embed(b)));
        return all.toArray(new float[0][]);
    }

    private int sentenceCount() {
        return batches.stream().mapToInt(WordPieceTokenizer.Batch::size).sum();
    }

    // ---- environment ----

    private Map<String, String> environment(DemoCorpus corpus, Instant started, long wallStart, long cpuStart, String loadBefore,
                                            Map<DemoRow, double[]> seconds) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("model", options.model().getFileName().toString());
        env.put("machine", cpuName() + ", " + Runtime.getRuntime().availableProcessors() + " processors");
        env.put("threads", options.threads() + " (ONNX Runtime intra-op threads and squint engine threads alike)");
        env.put("java", System.getProperty("java.vm.name") + " " + Runtime.version());
        env.put("onnx runtime", ortRuntime + ", CPU provider");
        env.put("sentences", corpus.source() + ", tokenized once by " + stem + "'s tokenizer.json (at most "
                + tokenizer.maxLength() + " tokens) and fed to every row");
        env.put("quality", "cosine of each sentence embedding to the FP32 row's (ONNX Runtime), mean and minimum; top-" + TOP_K
                + " agreement = mean overlap of each sentence's " + TOP_K + " nearest neighbours with FP32's");
        if (stsGold != null) env.put("sts", options.sts().get().getFileName() + ", first " + stsGold.length + " pairs, Spearman of cosine vs gold");
        env.put("speed", "sentences/s at batch " + BATCH + ", wall clock over all sentences and at least " + options.speedSeconds()
                + " s after one warm-up batch, in the row's runtime");
        env.put("peak memory", "peak resident set (VmHWM) while the row's file was loaded and run, including the JVM "
                + "(heap, ONNX Runtime's native memory, mapped model pages)");
        env.put("bits per weight", String.format(Locale.ROOT, "file bits / %,d weights of the 2-D tensors (projections and embedding "
                + "tables); biases, norms, scales and container overhead are counted in", weightCount));
        env.put("calibration", calibrationCount() + " built-in sentences, disjoint from the built-in evaluation sentences");
        env.put("output", options.out().toAbsolutePath().normalize().toString());
        env.put("load average", "before " + loadBefore + ", after " + loadAverage() + " (1/5/15 min; a busy machine slows every row)");
        StringBuilder times = new StringBuilder();
        seconds.forEach((row, t) -> times.append(times.isEmpty() ? "" : ", ").append(row.label())
                .append(String.format(Locale.ROOT, " %.1f s (%.1f s CPU)", t[0], t[1])));
        env.put("time per row", times + " — writing the file, loading and measuring it; CPU is this process's");
        env.put("date", started.truncatedTo(ChronoUnit.SECONDS).toString());
        double wall = (System.nanoTime() - wallStart) / 1e9;
        long cpu = processCpuNanos();
        env.put("demo time", String.format(Locale.ROOT, "%.1f s wall, %.1f s CPU (this process)", wall,
                cpu < 0 || cpuStart < 0 ? Double.NaN : (cpu - cpuStart) / 1e9));
        return env;
    }

    private static long processCpuNanos() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) return os.getProcessCpuTime();
        return -1;
    }

    private static String loadAverage() {
        try {
            String[] p = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return p[0] + " " + p[1] + " " + p[2];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    private static String cpuName() {
        try (Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo"))) {
            return lines.filter(l -> l.startsWith("model name")).map(l -> l.substring(l.indexOf(':') + 1).strip()).findFirst().orElse("unknown CPU");
        } catch (IOException | RuntimeException e) {
            return System.getProperty("os.arch");
        }
    }

    // ---- files ----

    /** Bytes on disk of a model: the file, plus ONNX external data files named after it. */
    static long sizeOnDisk(Path file) {
        try {
            long n = Files.size(file);
            Path data = file.resolveSibling(file.getFileName() + ".data");
            if (Files.isRegularFile(data)) n += Files.size(data);
            return n;
        } catch (IOException e) {
            throw new SquintException(file + ": cannot read its size: " + e.getMessage());
        }
    }

    private static void deleteQuietly(Path p) {
        if (p == null) return;
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            // a leftover temporary file in the output folder is harmless
        }
    }

    static String oneLine(Throwable e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        if (!(e instanceof SquintException)) m = e.getClass().getSimpleName() + ": " + m;
        m = m.replace('\n', ' ').replace('\r', ' ');
        return m.length() > 300 ? m.substring(0, 300) + "..." : m;
    }
}
