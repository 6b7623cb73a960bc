#!/bin/sh
# Capture-path benchmark: wall time, CPU time and peak memory of wireaudit on large SMB
# captures, against a bare libpcap read loop (the floor) and tshark extracting
# the same fields (smb2.tree, smb2.filename, smb.access_mask).
#
# Usage: scripts/bench.sh [SMALL_MB [LARGE_MB]]   (defaults 200 and 1000)
# Environment: WA_BIN (default ./wireaudit), BENCH_DIR (default a temporary
# folder, removed at the end), BENCH_RUNS (default 5; the fastest and the median are shown),
# BENCH_TSHARK_LARGE=1 also runs tshark on the large file (slow).
# Prints a Markdown table for BENCHMARKS.md. Not part of `make test`.
cd "$(dirname "$0")/.." || exit 2

SMALL_MB=${1:-200}
LARGE_MB=${2:-1000}
RUNS=${BENCH_RUNS:-5}
BIN=${WA_BIN:-./wireaudit}
CORPUS=../shared/corpus/pcap
INPUTS="smb2.pcap smb2_100_small_files.pcap covenant_copy_smb_CreateRequest_2020-09-22145302.cap
20171220_smb_mimikatz_copy.pcap"

for tool in /usr/bin/time python3 cc tshark; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "bench: $tool is missing; install it (make deps installs tshark)" >&2
        exit 2
    fi
done
if [ ! -x "$BIN" ]; then
    echo "bench: $BIN is missing; run 'make' first" >&2
    exit 2
fi

if [ -n "$BENCH_DIR" ]; then
    WORK=$BENCH_DIR
    mkdir -p "$WORK" || exit 2
else
    WORK=$(mktemp -d) || exit 2
    trap 'rm -rf "$WORK"' EXIT INT TERM
fi

cc -O2 -o "$WORK/pcap_floor" scripts/bench/pcap_floor.c -lpcap || exit 2
mkdir -p "$WORK/rules"

paths=""
for name in $INPUTS; do
    paths="$paths $CORPUS/$name"
done
for mb in "$SMALL_MB" "$LARGE_MB"; do
    if [ ! -f "$WORK/smb-$mb.pcap" ]; then
        # shellcheck disable=SC2086 # paths is a list of file names without spaces
        python3 scripts/bench/concat_pcap.py "$WORK/smb-$mb.pcap" "$mb" $paths || exit 2
    fi
done

# measure LABEL FILE COMMAND...: prints "LABEL FILE fastest median peak_kb cpu_seconds" over
# RUNS runs: wall times in seconds to the millisecond, cpu_seconds (user plus system) of the
# fastest run, and the largest peak RSS.
measure() {
    label=$1
    file=$2
    shift 2
    : >"$WORK/walls"
    best=""
    best_cpu=""
    peak=0
    i=0
    while [ "$i" -lt "$RUNS" ]; do
        start=$(date +%s%N)
        /usr/bin/time -f "%M %U %S" -o "$WORK/time" "$@" >/dev/null 2>"$WORK/stderr"
        end=$(date +%s%N)
        seconds=$(echo "scale=3; ($end - $start) / 1000000000" | bc)
        echo "$seconds" >>"$WORK/walls"
        read -r kb user sys <"$WORK/time"
        if [ -z "$best" ] || [ "$(echo "$seconds < $best" | bc)" = 1 ]; then
            best=$seconds
            best_cpu=$(echo "$user + $sys" | bc)
        fi
        [ "$kb" -gt "$peak" ] && peak=$kb
        i=$((i + 1))
    done
    median=$(sort -n "$WORK/walls" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
    echo "$label $file $best $median $peak $best_cpu"
}

{
    for mb in "$SMALL_MB" "$LARGE_MB"; do
        f="$WORK/smb-$mb.pcap"
        measure floor "$mb" "$WORK/pcap_floor" "$f"
        measure wireaudit "$mb" "$BIN" -q --keep-going --events /dev/null "$f"
        measure wireaudit-no-rules "$mb" "$BIN" -q --rules "$WORK/rules" --events /dev/null "$f"
        measure wireaudit-single-thread "$mb" "$BIN" -q --keep-going --single-thread \
            --events /dev/null "$f"
        if [ "$mb" = "$SMALL_MB" ] || [ -n "$BENCH_TSHARK_LARGE" ]; then
            saved_runs=$RUNS
            RUNS=1
            measure tshark "$mb" tshark -r "$f" -Y "smb2.cmd == 3 || smb2.cmd == 5" \
                -T fields -e smb2.tree -e smb2.filename -e smb.access_mask
            RUNS=$saved_runs
        fi
    done
} >"$WORK/results"

echo "| Program | File (MB) | Fastest wall (s) | Median wall (s) | CPU of fastest (s) | Peak RSS (MB) | Throughput (MB/s) |"
echo "|---|---|---|---|---|---|---|"
while read -r label mb seconds median kb cpu; do
    rate=$(echo "scale=0; $mb / ($seconds + 0.0001)" | bc)
    echo "| $label | $mb | $seconds | $median | $cpu | $(echo "scale=1; $kb / 1024" | bc) | $rate |"
done <"$WORK/results"
