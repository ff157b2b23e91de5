#!/usr/bin/env bash
# Side-by-side whole-process timing, in one run on one machine, warm caches:
#
#   posture scan --profile level2-server      (this host)
#   find / -xdev                              (the floor for a walk of the disk)
#   lynis audit system --quick                (if lynis is installed)
#   oscap xccdf eval --profile P CONTENT      (if oscap and the content exist)
#
# Prints, for each, the median wall time and peak RSS over its runs, and the
# ratio of each peer's median to posture's. Runs are interleaved round by
# round, so a noisy neighbour slows every tool alike.
#
#   bench/compare.sh
#   RUNS=10 PEER_RUNS=3 bench/compare.sh
#   OSCAP_CONTENT=/path/ssg-debian12-ds.xml OSCAP_PROFILE=anssi_bp28_high bench/compare.sh
#   OSCAP_TAILORING=FILE ...                 # a tailoring file for oscap
#                                            # (bench/oscap-content.sh makes one)
#   SKIP_PEERS=1 bench/compare.sh             # posture and find only
#
# Needs root for a complete scan (and lynis/oscap want it too). Peers:
#   apt-get install lynis openscap-scanner ssg-debian
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-10}
peer_runs=${PEER_RUNS:-1}
profile=${PROFILE:-level2-server}
ssg=/usr/share/xml/scap/ssg/content
content=${OSCAP_CONTENT:-}
if [[ -z $content ]]; then
    for c in "$ssg/ssg-debian12-ds.xml" "$ssg/ssg-debian11-ds.xml"; do
        [[ -f $c ]] && { content=$c; break; }
    done
fi
oscap_profile=${OSCAP_PROFILE:-}
if [[ -z $oscap_profile && -n $content ]]; then
    # The strictest ANSSI profile the content has: BP-028 high, or its
    # predecessor NT28 high in older content.
    for p in anssi_bp28_high anssi_np_nt28_high; do
        if oscap info "$content" 2>/dev/null | grep -q "content_profile_$p\$"; then
            oscap_profile=$p
            break
        fi
    done
fi

cargo build --release --quiet
bin=$PWD/target/release/posture
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

declare -A cmd
order=(posture find)
cmd[posture]="$bin scan --profile $profile --format json --output $work/report.json"
cmd[find]="find / -xdev"
if [[ -z ${SKIP_PEERS:-} ]]; then
    if command -v lynis >/dev/null; then
        order+=(lynis)
        cmd[lynis]="lynis audit system --quick --no-colors"
    fi
    if command -v oscap >/dev/null && [[ -n $content && -n $oscap_profile ]]; then
        order+=(oscap)
        tailoring=${OSCAP_TAILORING:+--tailoring-file $OSCAP_TAILORING}
        cmd[oscap]="oscap xccdf eval $tailoring --profile $oscap_profile --results $work/oscap.xml $content"
    fi
fi

run() { # name
    /usr/bin/time -f '%e %M' -a -o "$work/$1.samples" ${cmd[$1]} </dev/null >/dev/null 2>&1 || true
}

# Warm-up: the disk's metadata and posture's binary in the page cache.
run posture
run find
rm -f "$work"/*.samples
for round in $(seq "$runs"); do
    for name in "${order[@]}"; do
        if [[ $name == lynis || $name == oscap ]] && ((round > peer_runs)); then
            continue
        fi
        run "$name"
    done
done

# A command that exits non-zero makes time(1) add a line; keep the figures.
clean() { grep -E '^[0-9.]+ [0-9]+$' "$work/$1.samples"; }
median() { sort -n | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
base=$(clean posture | awk '{print $1}' | median)
printf '%-8s %5s %10s %12s %10s  %s\n' tool runs "wall (s)" "peak RSS MiB" "vs posture" command
for name in "${order[@]}"; do
    n=$(clean "$name" | wc -l)
    wall=$(clean "$name" | awk '{print $1}' | median)
    rss=$(clean "$name" | awk '{print $2}' | sort -n | tail -1)
    ratio=$(awk -v a="$wall" -v b="$base" 'BEGIN { printf (b > 0 ? "%.1fx" : "-"), a / b }')
    printf '%-8s %5d %10s %12.1f %10s  %s\n' "$name" "$n" "$wall" "$(awk -v k="$rss" 'BEGIN{print k/1024}')" "$ratio" "${cmd[$name]}"
done
echo
echo "posture: $(grep -o '"total": *[0-9]*' "$work/report.json" | head -1 | grep -o '[0-9]*$') rules evaluated (profile $profile)"
if [[ -f $work/oscap.xml ]]; then
    echo "oscap: $content, profile $oscap_profile:" \
        "$(grep -o '<result>[a-z]*</result>' "$work/oscap.xml" | sort | uniq -c | tr -s ' \n' ' ')"
fi
echo
echo "Where posture's time goes:"
"$bin" scan --profile "$profile" --timings 2>&1 >/dev/null | head -30
