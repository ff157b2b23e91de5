#!/usr/bin/env bash
# Whole-process timing of `posture report` in every format: one scan with
# every rule is saved as JSON, then each format is rendered from it several
# times; wall time (median, min, max), peak memory and output size.
#
#   bench/render.sh                      # a scan of this host
#   bench/render.sh --root /path/to/root # a scan of a root filesystem
#   RUNS=20 bench/render.sh
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-10}
cargo build --release --quiet
bin=target/release/posture
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin" scan --profile all "$@" --format json --fail-on none -q -o "$work/report.json" 2>/dev/null
echo "report: $(grep -c '"id":' "$work/report.json" || true) ids, $(wc -c <"$work/report.json") bytes of JSON"
median() { sort -n | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
printf '%-9s %10s %8s %8s %12s %12s\n' format median_s min_s max_s peak_KiB bytes
for format in table json junit sarif html markdown csv ohdf; do
    out="$work/out.$format"
    samples="$work/samples.$format"
    # --quiet keeps the terminal summary out, but would shorten the table itself.
    quiet=-q
    [ "$format" = table ] && quiet=
    "$bin" report "$work/report.json" --format "$format" --fail-on none $quiet -o "$out" >/dev/null 2>&1
    for _ in $(seq "$runs"); do
        /usr/bin/time -f '%e %M' -a -o "$samples" \
            "$bin" report "$work/report.json" --format "$format" --fail-on none $quiet -o "$out" >/dev/null 2>&1
    done
    printf '%-9s %10s %8s %8s %12s %12s\n' "$format" \
        "$(awk '{print $1}' "$samples" | median)" \
        "$(awk '{print $1}' "$samples" | sort -n | head -1)" \
        "$(awk '{print $1}' "$samples" | sort -n | tail -1)" \
        "$(awk '{print $2}' "$samples" | median)" \
        "$(wc -c <"$out")"
done
