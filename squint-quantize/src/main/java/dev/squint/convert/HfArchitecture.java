package dev.squint.convert;

import dev.squint.core.SquintException;
import dev.squint.formats.hf.HfConfig;
import dev.squint.formats.safetensors.SafetensorsModel;

/** Picks the supported architecture of a Hugging Face folder from {@code config.json}. */
final class HfArchitecture {
    private HfArchitecture() {}

    static String of(SafetensorsModel model) {
        HfConfig config = model.config().orElseThrow(() -> new SquintException(model.path()
                + ": no config.json; a Hugging Face folder needs one to be converted"));
        for (String a : config.architectures()) {
            if (GgufConverter.SUPPORTED_HF.contains(a)) return a;
        }
        if (config.architectures().isEmpty() && config.modelType().orElse("").equals("bert")) return "BertModel";
        throw new SquintException(model.path() + ": architecture " + (config.architectures().isEmpty()
                ? "(none in config.json)" : String.join(", ", config.architectures()))
                + " is not supported; squint convert supports " + String.join(", ", GgufConverter.SUPPORTED_HF));
    }
}
