#!/usr/bin/env bash
# "A model larger than the machine's RAM must quantize": writes a sparse llama-shaped F16 GGUF
# bigger than RAM (LLaMA-7B widths, as many layers as reach GIB, default 1.2 x RAM; its tensor data
# is a hole, so it costs a few MB of disk and reads as zeros), quantizes it to TYPE (default Q4_0)
# with 2 threads and a 1 GB heap, and reports wall time, CPU time and peak RSS. Zeros quantize to
# zero blocks that are still written: Q4_0 writes about 0.28 bytes per input byte (8 GB for 28 GiB).
# Both files are deleted afterwards. Not part of the test suite.
#
# Usage: bench/quantize-larger-than-ram.sh [DIR]   (GIB=28 TYPE=Q8_0 THREADS=2 REBUILD=1 to change)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/jars.sh"
dir="${1:-${TMPDIR:-/tmp}}"
type="${TYPE:-Q4_0}"
ram_kib=$(awk '/MemTotal/ {print $2}' /proc/meminfo)
gib="${GIB:-$(echo "$ram_kib * 1.2 / 1048576" | bc -l | xargs printf "%.0f")}"
model="$dir/squint-larger-than-ram-$$.gguf"
out="$dir/squint-larger-than-ram-$$-$type.gguf"
trap 'rm -f "$model" "$out"' EXIT

# the output is real data: refuse to start without room for it (bits per weight of the type, generously)
bpw=$(case "$type" in Q8_0) echo 8.5;; Q6_K) echo 6.6;; Q4_K_M) echo 5;; *) echo 4.6;; esac)
need_kib=$(echo "$gib * 1048576 / 16 * $bpw + 1048576" | bc | cut -d. -f1)
free_kib=$(df -Pk "$dir" | awk 'NR==2 {print $4}')
if [ "$free_kib" -lt "$need_kib" ]; then
  echo "not enough disk in $dir: $((free_kib / 1048576)) GiB free, the $type output needs about $((need_kib / 1048576)) GiB" >&2
  exit 1
fi

"$java" -cp "$bench_jar" dev.squint.bench.SparseGguf "$model" "$gib"
echo "RAM $((ram_kib / 1024)) MiB; model $(stat -c %s "$model") bytes apparent, $(du -k "$model" | cut -f1) KiB on disk;" \
  "$(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"

log="$(mktemp)"; summary="$(mktemp)"
trap 'rm -f "$model" "$out" "$log" "$summary"' EXIT
status=0
/usr/bin/time -v "$java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx1g \
  -jar "$cli_jar" quantize --threads "${THREADS:-2}" "$model" "$out" "$type" >"$summary" 2>"$log" || status=$?
if [ "$status" != 0 ]; then cat "$log" >&2; exit "$status"; fi
grep -E '^(size|wrote)' "$summary" || true
rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$log")
cpu=$(awk -F': ' '/User time|System time/ {s += $2} END {print s}' "$log")
wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$log")
echo "$type: output $(stat -c %s "$out") bytes; wall $wall; CPU ${cpu} s; peak RSS $((rss / 1024)) MiB (-Xmx1g)"
