package dev.squint.engine.tokenizer;

/**
 * What a vocabulary entry is, as GGUF's {@code tokenizer.ggml.token_type} numbers them (the ordinal is
 * the GGUF value): llama.cpp treats CONTROL, USER_DEFINED and UNKNOWN entries as special tokens that are
 * matched in text before tokenization, and BYTE entries ({@code <0x41>}) as raw bytes.
 */
public enum TokenType {
    UNDEFINED, NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE;

    /** The type for a GGUF token_type value; values outside the known range are UNDEFINED, as in llama.cpp. */
    public static TokenType ofGguf(long value) {
        return value >= 0 && value < values().length ? values()[(int) value] : UNDEFINED;
    }

    /** True for the types llama.cpp looks for in text before tokenizing (its special-token cache). */
    public boolean special() {
        return this == CONTROL || this == USER_DEFINED || this == UNKNOWN;
    }

    /** True for the types whose text never appears in decoded output (CONTROL and UNKNOWN). */
    public boolean hiddenInOutput() {
        return this == CONTROL || this == UNKNOWN;
    }
}
