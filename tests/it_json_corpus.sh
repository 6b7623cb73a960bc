#!/bin/sh
# Imports every corpus JSON log (Security-Datasets, one event per line) and
# checks that each non-blank line became one event with nothing skipped and
# no warning. Prints "TABLE <file> <non-blank lines> <events>" per file.
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
exit $failed
