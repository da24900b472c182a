/**
 * The llama-family decoder engine: llama 1/2/3, mistral, qwen2 (q/k/v biases), qwen3 (q/k norms), from GGUF,
 * llama2.c checkpoints and Hugging Face safetensors folders.
 *
 * <p>Entry points: {@link dev.squint.engine.llama.Decoder#open} (model + tokenizer),
 * {@link dev.squint.engine.llama.LlamaModel#load} (weights only), {@link dev.squint.engine.llama.LlamaSession#forward}
 * (batched causal forward with a KV cache), {@link dev.squint.engine.llama.Generator#generate} with a
 * {@link dev.squint.engine.llama.Sampler}, {@link dev.squint.engine.llama.PerplexityEval} (perplexity and KL divergence as
 * llama-perplexity), {@link dev.squint.engine.llama.ImatrixCollector} (llama-imatrix's GGUF format) and
 * {@link dev.squint.engine.llama.LlamaBench} (pp/tg tokens/s and memory bandwidth).
 *
 * <p>Numerics follow llama.cpp's CPU backend so results can be compared with it: matrices run in their stored
 * type with activations converted to the codec's vecDotType ({@link dev.squint.engine.ops.Linear}), K/V are
 * cached as F16 and attention follows ggml's flash-attention kernel (F16 query and V accumulator), RMSNorm
 * sums in double. A backward pass (for quantization-aware training) can be added on top of
 * {@link dev.squint.engine.llama.LlamaSession}'s per-layer structure; none exists yet.
 */
package dev.squint.engine.llama;
