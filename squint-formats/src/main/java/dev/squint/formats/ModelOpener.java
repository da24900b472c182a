package dev.squint.formats;

import dev.squint.core.Model;
import dev.squint.core.ModelFormatException;
import dev.squint.formats.gguf.GgufReader;
import dev.squint.formats.llama2c.Llama2cReader;
import dev.squint.formats.onnx.OnnxReader;
import dev.squint.formats.safetensors.SafetensorsReader;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Opens any model squint reads, choosing the reader from the file's magic bytes first and its
 * name second: GGUF files, safetensors files and Hugging Face folders, ONNX graphs, llama2.c
 * checkpoints.
 */
public final class ModelOpener {
    private ModelOpener() {}

    public static Model open(Path path) {
        if (!Files.exists(path)) throw new ModelFormatException(path, "no such file or folder");
        if (Files.isDirectory(path)) return SafetensorsReader.open(path);
        if (!Files.isReadable(path)) throw new ModelFormatException(path, "file is not readable");
        byte[] head = new byte[16];
        int n;
        try (InputStream in = Files.newInputStream(path)) {
            n = in.readNBytes(head, 0, head.length);
        } catch (IOException e) {
            throw new ModelFormatException(path, "cannot read: " + e.getMessage());
        }
        String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
        if (n >= 4 && head[0] == 'G' && head[1] == 'G' && head[2] == 'U' && head[3] == 'F') return GgufReader.open(path);
        if (name.endsWith(".gguf")) return GgufReader.open(path); // reports the bad magic
        if (name.endsWith(".safetensors") || name.endsWith(".safetensors.index.json") || (n >= 9 && head[8] == '{')) {
            return SafetensorsReader.open(path);
        }
        if (name.endsWith(".onnx")) return OnnxReader.open(path);
        if (name.endsWith(".bin")) return Llama2cReader.open(path);
        throw new ModelFormatException(path, "not a model squint can read (expected GGUF, safetensors, a Hugging Face folder, ONNX or a llama2.c .bin)");
    }
}
