/**
 * Quantization of ONNX graphs, checked in ONNX Runtime.
 *
 * <p>{@link dev.squint.quantize.onnx.OnnxQuantizer#quantize} reads a model ({@code OnnxReader}), runs one
 * pass on a mutable copy of its graph, writes the result atomically ({@code OnnxWriter}) and compares it
 * with the original in ONNX Runtime ({@link dev.squint.quantize.onnx.OnnxVerification}). The passes:
 * FP16 with a kept-float block list, dynamic INT8 (DynamicQuantizeLinear + MatMulInteger, int8 embedding
 * tables), static INT8 in QDQ form with calibration through ONNX Runtime, INT4 weight-only
 * (com.microsoft MatMulNBits), INT8 weight-only (DequantizeLinear feeding the float MatMul) and NF4
 * weight-only (com.microsoft MatMulBnb4). Dynamic INT8, INT8 weight-only and INT4 can round their MatMul/Gemm
 * weights with GPTQ ({@link dev.squint.quantize.onnx.Gptq}) from input Hessians over the calibration data
 * ({@link dev.squint.quantize.onnx.Hessians}). Each records per node what it did or why it left the node in float
 * ({@link dev.squint.quantize.onnx.OnnxQuantizeReport}).
 */
package dev.squint.quantize.onnx;
