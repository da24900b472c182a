package dev.squint.core;

/** The file formats squint reads and writes. */
public enum Container {
    GGUF("GGUF"),
    SAFETENSORS("safetensors"),
    ONNX("ONNX"),
    LLAMA2C("llama2.c");

    private final String displayName;

    Container(String displayName) { this.displayName = displayName; }

    public String displayName() { return displayName; }
}
