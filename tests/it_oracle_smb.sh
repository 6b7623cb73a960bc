#!/bin/sh
# Oracle test: for every corpus capture tshark can read, the share, file name and
# DesiredAccess of each SMB2 CREATE request must agree with wireaudit's 5145
# events for at least 99.9% of requests overall. Prints one AGREE line per file.
cd "$(dirname "$0")/.." || exit 2

WIREAUDIT=${WIREAUDIT:-build/wireaudit}
CORPUS=../shared/corpus/pcap
MIN_PCT=99.9

if [ ! -x "$WIREAUDIT" ]; then
    echo "cannot run: $WIREAUDIT is not built (run make first)"
    exit 77
fi
if ! command -v tshark >/dev/null 2>&1 || ! command -v python3 >/dev/null 2>&1; then
    echo "cannot run: tshark and python3 are required"
    exit 77
fi
if [ ! -d "$CORPUS" ]; then
    echo "cannot run: corpus directory $CORPUS not found"
    exit 77
fi

tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT INT TERM

for capture in "$CORPUS"/*; do
    name=$(basename "$capture")
    # tshark exits non-zero on captures cut mid-packet but still reads them; only
    # a file it cannot open at all is skipped.
    if ! tshark -r "$capture" -c 1 -T fields -e frame.number 2>/dev/null | grep -q .; then
        echo "SKIP $name: tshark cannot read it"
        continue
    fi
    "$WIREAUDIT" --events "$tmp/events.jsonl" "$capture" >/dev/null 2>"$tmp/stderr"
    rc=$?
    # Exit status 1 reports input errors with partial results (a capture cut mid-packet).
    if [ $rc -gt 1 ]; then
        echo "FAIL $name: wireaudit exited with status $rc"
        cat "$tmp/stderr"
        exit 1
    fi
    python3 tests/smb_oracle.py "$capture" "$tmp/events.jsonl" | tee -a "$tmp/agree"
done

grep '^AGREE' "$tmp/agree" | awk -v min="$MIN_PCT" '
    { split($3, part, "/"); matched += part[1]; total += part[2] }
    END {
        pct = total ? 100.0 * matched / total : 100.0
        printf "AGREE overall %d/%d %.2f (pass at %s)\n", matched, total, pct, min
        exit pct + 1e-9 >= min ? 0 : 1
    }'
