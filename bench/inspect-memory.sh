#!/usr/bin/env bash
# Memory benchmark for opening models larger than the heap: writes a ~10 GB sparse llama-shaped
# F16 GGUF and a ~10 GB sparse BF16 safetensors file (holes for the tensor data, so they cost a few
# MB of disk), runs `squint inspect` on each in a JVM limited to 64 MB of heap, then opens each with
# OpenModel, which also reads bytes of the last tensor (past 4 GiB). Reports peak heap and peak RSS.
# The files are deleted afterwards.
#
# Usage: bench/inspect-memory.sh [DIR]   (GIB=10 sets the size; REBUILD=1 rebuilds the jars)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/jars.sh"
bench="$bench_jar" cli="$cli_jar"
dir="${1:-${TMPDIR:-/tmp}}"
gguf="$dir/squint-sparse-$$.gguf"
st="$dir/squint-sparse-$$.safetensors"
trap 'rm -f "$gguf" "$st"' EXIT

"$java" -cp "$bench" dev.squint.bench.SparseGguf "$gguf" "${GIB:-10}"
"$java" -cp "$bench" dev.squint.bench.SparseSafetensors "$st" "${GIB:-10}"

measure() { # label, command...
  local label="$1"; shift
  echo "+ $*"
  if [ -x /usr/bin/time ]; then
    local log; log="$(mktemp)"
    if /usr/bin/time -v "$@" >/dev/null 2>"$log"; then status=ok; else status="FAILED"; fi
    echo "$label: $status, peak RSS $(sed -n 's/.*Maximum resident set size (kbytes): //p' "$log") kB, wall $(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$log")"
    rm -f "$log"
  else
    "$@"
  fi
}
for f in "$gguf" "$st"; do
  echo "== $(basename "$f"): $(stat -c %s "$f") bytes apparent, $(du -k "$f" | cut -f1) KiB on disk"
  measure "squint inspect -Xmx64m" "$java" -Xmx64m --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -jar "$cli" inspect "$f"
  "$java" -Xmx64m -cp "$bench" dev.squint.bench.OpenModel "$f"
done
