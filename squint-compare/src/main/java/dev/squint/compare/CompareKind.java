package dev.squint.compare;

import dev.squint.core.Container;
import dev.squint.core.Model;
import dev.squint.core.SquintException;
import dev.squint.engine.llama.LlamaConfig;
import dev.squint.formats.ModelOpener;
import dev.squint.formats.onnx.OnnxGraph;
import dev.squint.formats.onnx.OnnxModel;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The three kinds of model {@code squint compare} measures, and how a file's kind is told from its container and
 * architecture:
 * <ul>
 *   <li>{@link #DECODER}: a llama-family decoder squint's engine runs (GGUF {@code llama/mistral/qwen2/qwen3},
 *       llama2.c checkpoints, Hugging Face folders of those classes);</li>
 *   <li>{@link #ENCODER}: a BERT-family sentence encoder (GGUF {@code bert}, a Hugging Face {@code BertModel}
 *       folder, or an ONNX graph that takes {@code input_ids});</li>
 *   <li>{@link #ONNX_GRAPH}: any other ONNX graph, run in ONNX Runtime on tensors from {@code --inputs} (an ONNX
 *       text encoder too, when {@code --inputs} is given).</li>
 * </ul>
 */
public enum CompareKind {
    DECODER("decoder"), ENCODER("encoder"), ONNX_GRAPH("onnx");

    /** What compare can evaluate, for error messages. */
    public static final String WHAT_COMPARE_EVALUATES = "squint compare evaluates llama-family decoders (GGUF "
            + String.join("/", LlamaConfig.SUPPORTED) + ", llama2.c .bin, Hugging Face LlamaForCausalLM/MistralForCausalLM/"
            + "Qwen2ForCausalLM/Qwen3ForCausalLM folders) with --text, BERT encoders (ONNX, GGUF bert, Hugging Face BertModel "
            + "folders) with --sentences or --sts, and ONNX graphs with --inputs";

    private static final Set<String> HF_DECODERS = Set.of("LlamaForCausalLM", "MistralForCausalLM", "Qwen2ForCausalLM",
            "Qwen3ForCausalLM", "llama", "mistral", "qwen2", "qwen3");
    private static final Set<String> HF_ENCODERS = Set.of("BertModel", "BertForMaskedLM", "bert");

    private final String reportName;

    CompareKind(String reportName) { this.reportName = reportName; }

    /** The name {@link dev.squint.report.ComparisonReport#kind()} uses. */
    public String reportName() { return reportName; }

    /**
     * The kind of the model at {@code path}.
     *
     * @param graphInputsGiven true when the user gave {@code --inputs}: ONNX files are then generic graphs
     * @throws SquintException (one line) naming what compare evaluates, for anything else
     */
    public static CompareKind of(Path path, boolean graphInputsGiven) {
        Model model;
        try {
            model = ModelOpener.open(path);
        } catch (SquintException e) {
            throw new SquintException(e.getMessage() + "; " + WHAT_COMPARE_EVALUATES);
        }
        try (model) {
            return of(model, graphInputsGiven);
        }
    }

    static CompareKind of(Model model, boolean graphInputsGiven) {
        Container c = model.container();
        String arch = model.architecture().orElse("");
        switch (c) {
            case GGUF, LLAMA2C -> {
                if (LlamaConfig.SUPPORTED.contains(arch)) return DECODER;
                if (arch.equals("bert")) return ENCODER;
                throw unsupported(model, "a " + c.displayName() + " model of architecture '" + arch + "'");
            }
            case SAFETENSORS -> {
                if (HF_DECODERS.contains(arch)) return DECODER;
                if (HF_ENCODERS.contains(arch)) return ENCODER;
                throw unsupported(model, arch.isEmpty() ? "safetensors without a config.json naming the architecture"
                        : "a Hugging Face model of architecture '" + arch + "'");
            }
            case ONNX -> {
                if (graphInputsGiven) return ONNX_GRAPH;
                return takesTokenIds(((OnnxModel) model).graph()) ? ENCODER : ONNX_GRAPH;
            }
        }
        throw unsupported(model, "a " + c.displayName() + " file");
    }

    /** True when a graph input is named {@code input_ids}: a text encoder fed by a tokenizer. */
    static boolean takesTokenIds(OnnxGraph g) {
        Set<String> inits = new HashSet<>(g.initializerNames());
        return g.inputs().stream().anyMatch(v -> !inits.contains(v.name()) && v.name().toLowerCase(Locale.ROOT).equals("input_ids"));
    }

    private static SquintException unsupported(Model model, String what) {
        return new SquintException(model.path() + ": " + what + " cannot be compared; " + WHAT_COMPARE_EVALUATES);
    }

    /** The kinds of several models, which must agree; the error names the first that differs. */
    public static CompareKind common(List<Path> models, boolean graphInputsGiven) {
        CompareKind first = of(models.getFirst(), graphInputsGiven);
        for (Path p : models.subList(1, models.size())) {
            CompareKind k = of(p, graphInputsGiven);
            if (k != first) {
                throw new SquintException(p + " is " + k.article() + ", but the base " + models.getFirst() + " is " + first.article()
                        + "; compare models of one kind");
            }
        }
        return first;
    }

    String article() {
        return switch (this) {
            case DECODER -> "a decoder";
            case ENCODER -> "a sentence encoder";
            case ONNX_GRAPH -> "an ONNX graph";
        };
    }
}
