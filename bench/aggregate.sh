#!/usr/bin/env bash
# Whole-process timing of `posture aggregate` over a fleet: 10,000 reports
# (2500 hosts x 4 daily scans, 400 results each, a quarter of them
# gzip-compressed) written by examples/gen_reports.rs. Wall time and peak
# memory over several runs after a warm-up, with the median quoted; the
# target is under 5 s on a 2-core machine. Caches are warm (the warm-up run
# reads every file).
#
# The reports are generated once, into ${OUT:-/var/tmp/posture-fleet}/reports-2500x4
# (about 7 GB of JSON, 5.5 GB on disk), and reused while the generator's
# arguments, its source and the built-in rules stay the same.
#
#   bench/aggregate.sh
#   RUNS=10 bench/aggregate.sh
#   OUT=/data/bench bench/aggregate.sh
#   bench/aggregate.sh --some-option     # passed on to posture aggregate
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-5}
out=${OUT:-/var/tmp/posture-fleet}
dir=$out/reports-2500x4
gen_args=(--hosts 2500 --scans 4 --rules 400 --seed 1 --gzip-share 25 --waived-share 5)
# The key sits beside the directory, not in it, so that only reports are
# there for the aggregate to read.
key="${gen_args[*]} $(find examples/gen_reports.rs rules -name '*.rs' -o -name '*.yaml' | LC_ALL=C sort | xargs cat | sha256sum | cut -c1-16)"
if [ "$(cat "$dir.params" 2>/dev/null)" != "$key" ]; then
    echo "generating $dir"
    cargo build --release --quiet --example gen_reports
    rm -rf "$dir" "$dir.tmp" "$dir.params"
    mkdir -p "$out"
    # Into a scratch directory first: an interrupted run leaves no
    # half-written set that a later run would take as complete.
    target/release/examples/gen_reports --out "$dir.tmp" "${gen_args[@]}"
    mv "$dir.tmp" "$dir"
    echo "$key" >"$dir.params"
fi
cargo build --release --quiet
bin=target/release/posture
cmd=("$bin" aggregate "$dir" --format json -o /dev/null "$@")
samples=$(mktemp)
errors=$(mktemp)
trap 'rm -f "$samples" "$errors"' EXIT
# Exit 1 may mean findings, as for `posture scan`; 2 and above mean the
# command did not run (an unknown subcommand or option), so nothing is timed.
status=0
"${cmd[@]}" >/dev/null 2>"$errors" || status=$?
if [ "$status" -ge 2 ]; then
    echo "aggregate.sh: ${cmd[*]} exited $status:" >&2
    cat "$errors" >&2
    exit 1
fi
for _ in $(seq "$runs"); do
    /usr/bin/time -f '%e s %M KiB' -a -o "$samples" "${cmd[@]}" >/dev/null 2>&1 || true
done
# A run that exits non-zero makes time(1) add a line to the file.
clean() { grep -E '^[0-9.]+ s [0-9]+ KiB$' "$samples"; }
median() { sort -n | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
reports=$(find "$dir" -type f \( -name '*.json' -o -name '*.json.gz' \) | wc -l)
echo "posture aggregate $dir ($reports reports, $(du -sh "$dir" | cut -f1) on disk) $* : $runs runs"
echo "  wall seconds: median $(clean | awk '{print $1}' | median), min $(clean | awk '{print $1}' | sort -n | head -1), max $(clean | awk '{print $1}' | sort -n | tail -1)"
echo "  peak RSS KiB: median $(clean | awk '{print $3}' | median)"
