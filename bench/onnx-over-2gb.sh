#!/usr/bin/env bash
# ONNX over protobuf's 2 GiB limit: writes a seeded float32 MLP of 9 × 8192² MatMul weights (2.25 GiB
# in an external data file, dev.squint.bench.LargeOnnxMlp), then quantizes it with `squint quantize`
# (dynamic INT8 and INT4) in a JVM capped at 1 GiB of heap, which also loads both models in ONNX
# Runtime and checks the result against the original. Reports wall time, peak RSS, sizes and the
# fidelity line. Needs ~3.5 GB of free disk in DIR; the files are deleted afterwards (KEEP=1 keeps them).
#
# Usage: bench/onnx-over-2gb.sh [DIR]   (LAYERS, HIDDEN set the model; REBUILD=1 rebuilds the jars)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/jars.sh"
bench="$bench_jar" cli="$cli_jar"
dir="$(mktemp -d "${1:-${TMPDIR:-/tmp}}/squint-onnx-2gb.XXXXXX")"
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$dir"' EXIT

"$java" -cp "$bench" dev.squint.bench.LargeOnnxMlp "$dir/mlp.onnx" "${LAYERS:-9}" "${HIDDEN:-8192}" 1
echo "input: $(du -b "$dir/mlp.onnx" | cut -f1) + $(du -b "$dir/mlp.onnx.data" | cut -f1) bytes"

quantize() { # mode, extra args...
  local mode="$1"; shift
  local out="$dir/mlp-$mode.onnx" log; log="$(mktemp)"
  echo "+ squint quantize mlp.onnx mlp-$mode.onnx --mode $mode $* (-Xmx1g)"
  if /usr/bin/time -v "$java" -Xmx1g --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -jar "$cli" \
      quantize "$dir/mlp.onnx" "$out" --mode "$mode" --timed-runs 3 "$@" 2>"$log"; then status=ok; else status=FAILED; grep -v '^\s' "$log" | head -5; fi
  echo "$mode: $status, wall $(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$log"), peak RSS $(sed -n 's/.*Maximum resident set size (kbytes): //p' "$log") kB"
  ls -l "$out"* 2>/dev/null | awk '{print "  " $5 " " $9}'
  rm -f "$log" "$out" "$out.data"
}
quantize dynamic --external-data 1048576
quantize int4 --external-data 1048576
