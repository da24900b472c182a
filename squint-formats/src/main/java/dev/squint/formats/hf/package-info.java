/**
 * The Hugging Face JSON files of a model folder, as immutable records:
 * {@link dev.squint.formats.hf.HfConfig} (config.json), {@link dev.squint.formats.hf.GenerationConfig},
 * {@link dev.squint.formats.hf.HfTokenizer} (tokenizer.json), {@link dev.squint.formats.hf.TokenizerConfig}
 * and {@link dev.squint.formats.hf.SentenceTransformersConfig}; {@link dev.squint.formats.hf.HfFolder}
 * finds and parses them lazily. Absent files are empty Optionals; malformed ones are one-line
 * {@link dev.squint.core.ModelFormatException}s naming the file and the key.
 */
package dev.squint.formats.hf;
