#!/bin/sh
# Imports every corpus JSON log (Security-Datasets, one event per line) and
# checks that each non-blank line became one event with nothing skipped and
# no warning, then does the same for a copy that starts with a UTF-8 byte
# order mark. Prints "TABLE <file> <non-blank lines> <events>" per file.
cd "$(dirname "$0")/.." || exit 2
WIREAUDIT=${WIREAUDIT:-./wireaudit}
CORPUS=../shared/corpus/json

[ -d "$CORPUS" ] || { echo "corpus folder $CORPUS not found"; exit 77; }

tmp=$(mktemp -d /tmp/wa-it-json.XXXXXX) || exit 2
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/rules"
failed=0

for f in "$CORPUS"/*.json; do
    name=$(basename "$f")
    lines=$(grep -cv '^[[:space:]]*$' "$f")
    "$WIREAUDIT" --rules "$tmp/rules" --events "$tmp/events" "$f" 2>"$tmp/err"
    rc=$?
    events=$(wc -l <"$tmp/events")
    echo "TABLE $name $lines $events"
    if [ "$rc" -ne 0 ] || [ "$events" -ne "$lines" ]; then
        echo "FAIL $name: exit status $rc, $events events from $lines lines"
        failed=1
    fi
    if grep -q -e '^log.skipped' -e "^wireaudit: $f" "$tmp/err"; then
        echo "FAIL $name: records skipped or warnings:"
        grep -e '^log.skipped' -e "^wireaudit: $f" "$tmp/err" | head -5 | sed 's/^/    /'
        failed=1
    fi
done

# The same log with a UTF-8 byte order mark, as Windows tools write it: no line is lost.
f=$CORPUS/covenant_copy_smb_CreateRequest_2020-09-22145302.json
if [ -f "$f" ]; then
    printf '\357\273\277' >"$tmp/bom.json"
    cat "$f" >>"$tmp/bom.json"
    lines=$(grep -cv '^[[:space:]]*$' "$f")
    "$WIREAUDIT" --rules "$tmp/rules" --events "$tmp/events" "$tmp/bom.json" 2>"$tmp/err"
    rc=$?
    events=$(wc -l <"$tmp/events")
    echo "TABLE bom.json $lines $events"
    if [ "$rc" -ne 0 ] || [ "$events" -ne "$lines" ]; then
        echo "FAIL bom.json: exit status $rc, $events events from $lines lines:"
        head -5 "$tmp/err" | sed 's/^/    /'
        failed=1
    fi
fi
exit $failed
