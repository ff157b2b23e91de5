#!/usr/bin/env bash
# Builds the fuzz targets of fuzz/ (cargo-fuzz, libFuzzer) and runs each for
# SECONDS (default 60), one after the other, one job each, then prints per
# target the executions, the time run, the corpus size and the findings
# (crash, timeout and out-of-memory inputs, saved under $FUZZ_OUT/artifacts/).
#
#   bench/fuzz.sh                  # every target, 60 s each
#   bench/fuzz.sh 600 scan sshd    # two targets, 10 minutes each
#   FUZZ_SANITIZER=address bench/fuzz.sh 60
#
# Each input must finish within FUZZ_TIMEOUT seconds (libFuzzer -timeout,
# default 10) and FUZZ_RSS_MB of memory (-rss_limit_mb, default 2048; a
# single allocation above it counts too). By default a finding does not
# stop the run (libFuzzer's fork mode, ignoring crashes, timeouts and
# OOMs, so one known bug does not hide the next); FUZZ_STOP=1 stops each
# target at its first finding instead.
#
# Toolchain: with FUZZ_SANITIZER=none (the default) the instrumentation
# flags cargo-fuzz uses are stable and any toolchain builds the targets.
# With a sanitizer (address), rustc needs -Zsanitizer: the nightly
# toolchain when rustup has one, else the installed one with
# RUSTC_BOOTSTRAP=1. cargo-fuzz is installed (cargo install) when missing.
#
# The corpus grows in $FUZZ_OUT/corpus/NAME (default fuzz/target/fuzz-work),
# kept between runs; fuzz/corpus/NAME (the seeds) is only read. To keep a
# finding as a regression input, minimize it (`cargo fuzz tmin NAME FILE`)
# and copy it to fuzz/regressions/NAME/; fuzz/tests/replay.rs runs those.
# With FUZZ_FAIL=1 the script exits 1 when any target found something.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
[ $# -gt 0 ] || targets=(parsers sshd sudoers policy waivers report fleet rpm scan)
sanitizer=${FUZZ_SANITIZER:-none}
timeout=${FUZZ_TIMEOUT:-10}
rss=${FUZZ_RSS_MB:-2048}
out=${FUZZ_OUT:-$PWD/fuzz/target/fuzz-work}

command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
toolchain=()
if [ "$sanitizer" != none ]; then
    if rustup run nightly rustc --version >/dev/null 2>&1; then
        toolchain=(+nightly)
    else
        export RUSTC_BOOTSTRAP=1
    fi
fi
triple=$(rustc ${toolchain[@]+"${toolchain[@]}"} -vV | sed -n 's/^host: //p')
(cd fuzz && cargo ${toolchain[@]+"${toolchain[@]}"} fuzz build --sanitizer "$sanitizer")
bins=${CARGO_TARGET_DIR:-fuzz/target}/$triple/release

summary=$(mktemp)
trap 'rm -f "$summary"' EXIT
printf '%-8s %12s %8s %8s %8s %7s %8s %5s\n' target executions seconds exec/s corpus crashes timeouts ooms >"$summary"
for t in "${targets[@]}"; do
    mkdir -p "$out/corpus/$t" "$out/artifacts/$t" "$out/logs"
    log=$out/logs/$t.log
    mode=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
    [ -z "${FUZZ_STOP:-}" ] || mode=()
    before=$(find "$out/artifacts/$t" -type f | wc -l)
    start=$SECONDS
    echo "== $t: ${seconds} s" >&2
    "$bins/$t" "$out/corpus/$t" "fuzz/corpus/$t" \
        -max_total_time="$seconds" -timeout="$timeout" -rss_limit_mb="$rss" \
        -artifact_prefix="$out/artifacts/$t/" -print_final_stats=1 \
        ${mode[@]+"${mode[@]}"} >"$log" 2>&1 || true
    took=$((SECONDS - start))
    # Fork mode: the last status line `#N: cov: .. exec/s: E oom/timeout/crash: O/T/C`;
    # otherwise libFuzzer's final stats.
    execs=$(sed -n 's/^#\([0-9]*\):\{0,1\} .*exec\/s.*/\1/p; s/^stat::number_of_executed_units: //p' "$log" | tail -1)
    count() { find "$out/artifacts/$t" -type f -name "$1-*" | wc -l; }
    printf '%-8s %12s %8s %8s %8s %7s %8s %5s\n' "$t" "${execs:-?}" "$took" \
        "$(( ${execs:-0} / (took > 0 ? took : 1) ))" "$(find "$out/corpus/$t" -type f | wc -l)" \
        "$(count crash)" "$(count timeout)" "$(count oom)" >>"$summary"
    after=$(find "$out/artifacts/$t" -type f | wc -l)
    if [ "$after" != "$before" ]; then
        echo "   $((after - before)) new finding(s) in $out/artifacts/$t (log: $log)" >&2
        found=1
    fi
done
cat "$summary"
[ -z "${FUZZ_FAIL:-}" ] || [ -z "${found:-}" ]
