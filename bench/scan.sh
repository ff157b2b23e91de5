#!/usr/bin/env bash
# Whole-process timing of `posture scan`: wall time and peak memory over
# several runs after a warm-up, with the median quoted. Caches are warm
# (the warm-up run reads everything once).
#
#   bench/scan.sh                      # this host, built-in policy
#   bench/scan.sh --root /path/to/root # a root filesystem
#   RUNS=20 bench/scan.sh
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-10}
cargo build --release --quiet
bin=target/release/posture
"$bin" scan "$@" >/dev/null 2>&1 || true
samples=$(mktemp)
trap 'rm -f "$samples"' EXIT
for _ in $(seq "$runs"); do
    /usr/bin/time -f '%e %M' -a -o "$samples" "$bin" scan "$@" >/dev/null 2>&1 || true
done
# A scan that finds failures exits 1, and time(1) notes that in the file.
clean() { grep -E '^[0-9.]+ [0-9]+$' "$samples"; }
median() { sort -n | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
echo "posture scan $* : $runs runs"
echo "  wall seconds: median $(clean | awk '{print $1}' | median), min $(clean | awk '{print $1}' | sort -n | head -1), max $(clean | awk '{print $1}' | sort -n | tail -1)"
echo "  peak RSS KiB: median $(clean | awk '{print $2}' | median)"
"$bin" scan "$@" --timings 2>&1 >/dev/null | head -25
