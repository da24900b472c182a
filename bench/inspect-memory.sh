#!/usr/bin/env bash
# Memory benchmark for opening a large model: writes a ~10 GB sparse llama-shaped F16 GGUF (holes
# for the tensor data, so it costs a few MB of disk), opens it in a JVM limited to 64 MB of heap
# the way `squint inspect` does, touches bytes of the last tensor (past 4 GiB), and reports the
# peak heap and peak RSS. The file is deleted afterwards.
#
# Usage: bench/inspect-memory.sh [OUTPUT.gguf]   (GIB=10 sets the size; REBUILD=1 rebuilds the jar)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$root/scripts/find-jdk.sh"
java="$JAVA_HOME/bin/java"
jar="$root/squint-bench/target/squint-bench.jar"
if [ ! -f "$jar" ] || [ "${REBUILD:-0}" = 1 ]; then
  (cd "$root" && mvn -q -B -ntp package -pl squint-bench -am -DskipTests)
fi
out="${1:-${TMPDIR:-/tmp}/squint-sparse-$$.gguf}"
trap 'rm -f "$out"' EXIT

"$java" -cp "$jar" dev.squint.bench.SparseGguf "$out" "${GIB:-10}"
echo "on disk: $(du -k "$out" | cut -f1) KiB allocated, $(stat -c %s "$out") bytes apparent"

cmd=("$java" -Xmx64m -cp "$jar" dev.squint.bench.OpenModel "$out")
echo "+ ${cmd[*]}"
if [ -x /usr/bin/time ]; then
  log="$(mktemp)"
  /usr/bin/time -v "${cmd[@]}" 2>"$log"
  grep -E "Maximum resident set size|Elapsed \(wall clock\)|Exit status" "$log" | sed 's/^\s*/time: /'
  rm -f "$log"
else
  "${cmd[@]}"   # OpenModel prints VmHWM (peak RSS) itself
fi
