#!/usr/bin/env bash
# Whole-model quantization speed and memory, to compare with llama-quantize's figures in
# ../shared/testdata/llama.cpp/README.md: generates the random ~1B llama-shaped F16 GGUF
# (dim 2048, 22 layers, 32 heads, 4 KV heads, FFN 5632, vocab 512; ~1.9 GB), times
# `squint quantize` to Q8_0, Q4_0, Q6_K and Q4_K_M with 2 threads, and reports wall time,
# weights per second and peak RSS. Both files are deleted afterwards.
#
# Usage: bench/quantize-speed.sh [WORKDIR]   (TYPES="Q8_0 Q4_0" THREADS=2 REBUILD=1 to change)
# The JVM runs with the heap and JIT settings ./squint gives it (-Xmx768m; SQUINT_JAVA_OPTS=-Xmx256m overrides).
# The machine is shared: numbers are noisy; compare ratios side by side, and CPU s (user+sys).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/jars.sh"
work="${1:-${TMPDIR:-/tmp}}"
model="$work/squint-random-1b-f16-$$.gguf"
out="$work/squint-random-1b-out-$$.gguf"
trap 'rm -f "$model" "$out"' EXIT
threads="${THREADS:-2}"
weights=971073536

"$java" --add-modules jdk.incubator.vector -cp "$bench_jar" dev.squint.bench.RandomLlamaGguf "$model" 2>/dev/null

peak_rss_kib() { # runs "$@", prints the wall seconds and peak RSS (KiB) on one line
  if [ -x /usr/bin/time ]; then
    local log; log="$(mktemp)"
    /usr/bin/time -v "$@" >/dev/null 2>"$log" || { cat "$log" >&2; rm -f "$log"; return 1; }
    local rss wall cpu
    rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$log")
    cpu=$(awk -F': ' '/User time|System time/ {s += $2} END {print s}' "$log")
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$log" | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
    rm -f "$log"
    echo "$wall $rss $cpu"
  else
    # no GNU time: poll /proc/PID/status for VmHWM (peak RSS) while the command runs
    local start end hwm=0 pid
    start=$(date +%s.%N)
    "$@" >/dev/null 2>&1 & pid=$!
    while kill -0 "$pid" 2>/dev/null; do
      h=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
      [ -n "$h" ] && [ "$h" -gt "$hwm" ] && hwm=$h
      sleep 0.2
    done
    wait "$pid"
    end=$(date +%s.%N)
    echo "$(echo "$end - $start" | bc) $hwm -"
  fi
}

echo "model: $(stat -c %s "$model") bytes, $weights weights; $threads threads; $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
# CPU s (user+sys) shows how much of the 2 cores the job really got on a loaded machine
printf "%-8s %10s %12s %10s %14s\n" type "wall s" "weights/s" "CPU s" "peak RSS MiB"
for type in ${TYPES:-Q8_0 Q4_0 Q6_K Q4_K_M}; do
  read -r wall rss cpu < <(peak_rss_kib "$java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
      -Xmx768m ${SQUINT_JAVA_OPTS:-} -jar "$cli_jar" quantize --threads "$threads" "$model" "$out" "$type")
  printf "%-8s %10.2f %11.0fM %10s %14.0f\n" "$type" "$wall" "$(echo "$weights / $wall / 1000000" | bc -l)" "$cpu" "$(echo "$rss / 1024" | bc -l)"
  rm -f "$out"
done
