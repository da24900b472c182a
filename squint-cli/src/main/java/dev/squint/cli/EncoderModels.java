package dev.squint.cli;

import dev.squint.core.SquintException;
import dev.squint.engine.bert.BertEncoder;
import dev.squint.engine.bert.BertLoader;
import dev.squint.engine.bert.WeightFormat;
import dev.squint.kernels.RowParallel;

import java.util.Arrays;
import java.util.List;

/** Opening an embedding model for the encoder commands: alias or path, optional in-memory format. */
final class EncoderModels {
    private EncoderModels() {}

    static BertEncoder open(String model, RowParallel threads, String format) {
        BertEncoder base = BertLoader.open(ModelAliases.resolve(model), threads);
        if (format == null) return base;
        WeightFormat f = parseFormat(format);
        if (f == WeightFormat.FP32) return base;
        return base.withWeights(f.apply(base.weights()));
    }

    static WeightFormat parseFormat(String s) {
        return WeightFormat.parse(s).orElseThrow(() -> new SquintException("unknown format '" + s + "'; one of "
                + Arrays.stream(WeightFormat.values()).map(f -> f.name().toLowerCase().replace('_', '-')).toList()));
    }

    static List<WeightFormat> parseFormats(String s) {
        if (s.equalsIgnoreCase("all")) return List.of(WeightFormat.values());
        return Arrays.stream(s.split(",")).map(EncoderModels::parseFormat).toList();
    }

    static RowParallel threads(Integer n) {
        int t = n == null ? Runtime.getRuntime().availableProcessors() : n;
        if (t < 1) throw new SquintException("--threads must be at least 1, got " + t);
        return new RowParallel(t);
    }
}
