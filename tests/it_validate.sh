#!/bin/sh
# Runs --validate --json on each paired Security-Datasets run: the host log
# json/NAME_DATE.json with every capture pcap/NAME*_DATE.cap or .pcapng of the
# same run. Prints "AGREE <run> <EventID> host=N rebuilt=N matched=N
# agreement=P%" for 5140 and 5145, and fails only when the output is missing
# or not valid JSON. Exits 77 when the captures yield no 5140 or 5145 events
# at all, which means the capture side is not built yet.
cd "$(dirname "$0")/.." || exit 2
WIREAUDIT=${WIREAUDIT:-./wireaudit}
CORPUS=../shared/corpus

command -v python3 >/dev/null 2>&1 || { echo "python3 is not installed"; exit 77; }
[ -d "$CORPUS/json" ] || { echo "corpus folder $CORPUS/json not found"; exit 77; }

tmp=$(mktemp -d /tmp/wa-it-validate.XXXXXX) || exit 2
trap 'rm -rf "$tmp"' EXIT
failed=0
wire_share_events=0
runs=0

for log in "$CORPUS"/json/*.json; do
    base=$(basename "$log" .json)
    stamp=${base##*_}
    name=${base%_*}
    captures=$(ls "$CORPUS"/pcap/"$name"*_"$stamp".cap "$CORPUS"/pcap/"$name"*_"$stamp".pcapng \
        2>/dev/null)
    [ -n "$captures" ] || continue
    runs=$((runs + 1))
    # shellcheck disable=SC2086
    "$WIREAUDIT" -q --validate --json $captures "$log" >"$tmp/out.json" 2>"$tmp/err"
    rc=$?
    if [ "$rc" -gt 1 ]; then
        echo "FAIL $base: exit status $rc"
        sed 's/^/    /' "$tmp/err" | head -5
        failed=1
        continue
    fi
    python3 - "$base" "$tmp/out.json" >"$tmp/agree" <<'PY'
import json, sys
run, path = sys.argv[1], sys.argv[2]
table = json.load(open(path))
rows = {row["EventID"]: row for row in table.get("event_ids", [])}
for event_id in (5140, 5145):
    row = rows.get(event_id, {"host": 0, "rebuilt": 0, "matched": 0, "agreement": None})
    agreement = "n/a" if row["agreement"] is None else "%.1f%%" % row["agreement"]
    print("AGREE %s %d host=%d rebuilt=%d matched=%d agreement=%s"
          % (run, event_id, row["host"], row["rebuilt"], row["matched"], agreement))
PY
    if [ $? -ne 0 ]; then
        echo "FAIL $base: --validate --json output is not the expected JSON:"
        head -c 500 "$tmp/out.json" | sed 's/^/    /'
        failed=1
        continue
    fi
    cat "$tmp/agree"
    rebuilt=$(sed -n 's/.* rebuilt=\([0-9]*\) .*/\1/p' "$tmp/agree" | awk '{s += $1} END {print s + 0}')
    wire_share_events=$((wire_share_events + rebuilt))
done

if [ "$runs" -eq 0 ]; then
    echo "no paired runs found under $CORPUS"
    exit 77
fi
if [ "$failed" -eq 0 ] && [ "$wire_share_events" -eq 0 ]; then
    echo "the captures yield no 5140 or 5145 events: the capture side is not built yet"
    exit 77
fi
exit $failed
