#!/bin/sh
# Fidelity test on the paired Security-Datasets runs: the share of host-logged
# 5140/5145 events that have a rebuilt twin (same Computer, ShareName,
# RelativeTargetName and AccessMask within 3 s). Prints one FIDELITY line per run
# and the unmatched host events; fails when fewer than 95% of the observable host
# events overall have a twin.
cd "$(dirname "$0")/.." || exit 2

WIREAUDIT=${WIREAUDIT:-build/wireaudit}
CORPUS=../shared/corpus
MIN_PCT=95

if [ ! -x "$WIREAUDIT" ]; then
    echo "cannot run: $WIREAUDIT is not built (run make first)"
    exit 77
fi
if ! command -v capinfos >/dev/null 2>&1 || ! command -v python3 >/dev/null 2>&1; then
    echo "cannot run: capinfos (wireshark-common) and python3 are required"
    exit 77
fi
if [ ! -d "$CORPUS/json" ]; then
    echo "cannot run: corpus directory $CORPUS/json not found"
    exit 77
fi

tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT INT TERM

# Runs wireaudit on each capture and compares the events with one host log.
measure() {
    run=$1
    log=$2
    shift 2
    events=""
    n=0
    for capture in "$@"; do
        n=$((n + 1))
        "$WIREAUDIT" --events "$tmp/$run.$n.jsonl" "$capture" >/dev/null 2>"$tmp/stderr"
        if [ $? -gt 1 ]; then
            echo "FAIL $run: wireaudit failed on $capture"
            cat "$tmp/stderr"
            exit 1
        fi
        events="$events $tmp/$run.$n.jsonl"
    done
    span=$(capinfos -T -r -S -a -e "$@" 2>/dev/null |
        awk -F'\t' 'NR == 1 || $2 < s { s = $2 } NR == 1 || $3 > e { e = $3 } END { print s, e }')
    # shellcheck disable=SC2086
    python3 tests/smb_fidelity.py "$run" "$log" $span $events | tee -a "$tmp/fidelity"
}

for log in "$CORPUS"/json/*.json; do
    base=$(basename "$log" .json)
    stamp=${base##*_}
    run=${base%_*}
    # A run may have one capture per host (..._WORKSTATION5_<stamp>.cap).
    captures=$(ls "$CORPUS"/pcap/"$run"_*"$stamp".* "$CORPUS"/pcap/"$run"_"$stamp".* \
        2>/dev/null | sort -u)
    if [ -z "$captures" ]; then
        echo "SKIP $run: no capture for this host log"
        continue
    fi
    # shellcheck disable=SC2086
    measure "$run" "$log" $captures
done

# The SMB1 eventlog-pipe capture and this EVTX log were recorded at the same moment.
if command -v evtxexport >/dev/null 2>&1; then
    measure DE_remote_eventlog_smb1 "$CORPUS/evtx/DE_suspicious_remote_eventlog_svc_access_5145.evtx" \
        "$CORPUS/pcap/DE_byt3bl33d3r_remote_eventservice_crash.pcapng"
else
    echo "SKIP DE_remote_eventlog_smb1: evtxexport (libevtx-utils) is not installed"
fi

grep '^FIDELITY' "$tmp/fidelity" | awk -v min="$MIN_PCT" '
    { split($5, part, "/"); matched += part[1]; total += part[2] }
    END {
        pct = total ? 100.0 * matched / total : 100.0
        printf "FIDELITY overall %.1f observable %d/%d (pass at %s)\n", pct, matched, total, min
        exit pct + 1e-9 >= min ? 0 : 1
    }'
