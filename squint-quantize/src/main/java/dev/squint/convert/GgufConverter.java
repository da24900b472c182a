package dev.squint.convert;

import dev.squint.core.AtomicOutput;
import dev.squint.core.Model;
import dev.squint.core.ModelFormatException;
import dev.squint.core.SquintException;
import dev.squint.formats.llama2c.Llama2cModel;
import dev.squint.formats.llama2c.Llama2cReader;
import dev.squint.formats.onnx.OnnxModel;
import dev.squint.formats.onnx.OnnxReader;
import dev.squint.formats.safetensors.SafetensorsModel;
import dev.squint.formats.safetensors.SafetensorsReader;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The library entry point of {@code squint convert}: a llama2.c checkpoint, a Hugging Face folder
 * (llama family or BERT) or an ONNX BERT export to a GGUF file that llama.cpp loads; or, when the
 * output is not a {@code .gguf} file, a Hugging Face folder to a safetensors cast
 * ({@link SafetensorsCaster}).
 *
 * <p>One pass, tensor by tensor: the input is mapped, each output tensor is produced a slab of rows
 * at a time and streamed into the file, so the heap holds a few rows whatever the model size. The
 * output appears whole or not at all, and an output that is an input is refused.
 */
public final class GgufConverter {
    /** Hugging Face architectures this converter reads. */
    public static final List<String> SUPPORTED_HF = List.of(
            "LlamaForCausalLM", "MistralForCausalLM", "Qwen2ForCausalLM", "Qwen3ForCausalLM", "BertModel");

    private GgufConverter() {}

    /** Converts as {@link ConvertOptions} say; the output kind follows from the output path. */
    public static ConvertReport convert(ConvertOptions options) {
        Path in = options.input();
        if (!Files.exists(in)) throw new SquintException(in + ": no such file or folder");
        List<Path> given = new ArrayList<>(List.of(in));
        options.vocab().ifPresent(given::add);
        AtomicOutput.refuseOverwritingInput(options.output(), given);
        if (!isGgufTarget(options.output())) {
            if (!Files.isDirectory(in)) {
                throw new SquintException(options.output() + ": not a .gguf file; safetensors casts need a Hugging Face folder as input, "
                        + in + " is a file");
            }
            return SafetensorsCaster.cast(options);
        }
        long start = System.nanoTime();
        try (ConvertedModel model = open(options)) {
            List<ConvertReport.TensorEntry> entries = GgufEmitter.write(options.output(), model.plan(), model.inputs(), options.listener());
            return new ConvertReport(options.input(), options.output(), "GGUF", model.source(), model.architecture(), List.of(options.output()),
                    entries, model.inputTensorBytes(), GgufEmitter.fileSize(options.output()), (System.nanoTime() - start) / 1e9);
        }
    }

    /**
     * Opens the input as the GGUF it converts to, without writing anything: its metadata and, in
     * file order, each tensor's llama.cpp name, shape, the type the converter would give it and a
     * row-by-row float32 view of its (renamed, permuted, transposed) source. For quantizing straight
     * from a Hugging Face folder, llama2.c checkpoint or ONNX export. Only {@code input},
     * {@code outType}, {@code vocab} and {@code contextLength} of the options are used.
     */
    public static ConvertedModel open(ConvertOptions options) {
        Path in = options.input();
        if (!Files.exists(in)) throw new SquintException(in + ": no such file or folder");
        List<Path> inputs = new ArrayList<>();
        inputs.add(in);
        String name = in.getFileName().toString().toLowerCase(Locale.ROOT);
        if (Files.isDirectory(in)) {
            SafetensorsModel model = SafetensorsReader.open(in);
            try {
                String arch = HfArchitecture.of(model);
                OutType t = gguf(options, OutType.F16);
                GgufTensorPlan plan = arch.equals("BertModel") ? BertConverter.fromHf(model, t) : HfLlamaConverter.plan(model, arch, t);
                return new ConvertedModel(plan, inputs, "Hugging Face " + arch, model.tensorBytes(), model);
            } catch (RuntimeException e) {
                model.close();
                throw e;
            }
        }
        if (name.endsWith(".onnx")) {
            OnnxModel model = OnnxReader.open(in);
            try {
                GgufTensorPlan plan = BertConverter.fromOnnx(model, gguf(options, OutType.F16));
                return new ConvertedModel(plan, inputs, "ONNX BERT", model.tensorBytes(), model);
            } catch (RuntimeException e) {
                model.close();
                throw e;
            }
        }
        Model model;
        try {
            model = Llama2cReader.open(in);
        } catch (ModelFormatException e) {
            throw new SquintException(e.getMessage() + "; squint convert reads llama2.c checkpoints (.bin), "
                    + "Hugging Face folders (" + String.join(", ", SUPPORTED_HF) + ") and ONNX BERT exports (.onnx)", e);
        }
        try {
            Path vocab = Llama2cConverter.tokenizerPath(model, options.vocab());
            inputs.add(vocab);
            GgufTensorPlan plan = Llama2cConverter.plan((Llama2cModel) model, vocab, options, gguf(options, OutType.F32));
            return new ConvertedModel(plan, inputs, "llama2.c", model.tensorBytes(), model);
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    static boolean isGgufTarget(Path out) {
        return out.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".gguf");
    }

    private static OutType gguf(ConvertOptions o, OutType dflt) {
        OutType t = o.outType().orElse(dflt);
        t.ggmlType(); // refuses safetensors-only types with the list of GGUF ones
        return t;
    }
}
