#!/bin/sh
# Converts corpus EVTX files to event XML with "evtxexport -f xml" and checks
# that importing the XML yields the same events as importing the EVTX (the
# --events lines compared without their Source object). Files are left out
# when their XML cannot match: evtxexport writes control characters raw
# (invalid XML 1.0, so the XML reader rejects those events) or the EVTX contains
# recovered records that "-m items" does not export. One file is also tried
# in wevtutil's form, with an XML declaration and an <Events> root.
# Prints "TABLE <file> <evtx events> <xml events> same|left-out".
cd "$(dirname "$0")/.." || exit 2
WIREAUDIT=${WIREAUDIT:-./wireaudit}
CORPUS=../shared/corpus/evtx

command -v evtxexport >/dev/null 2>&1 || { echo "evtxexport (libevtx-utils) is not installed"; exit 77; }
command -v python3 >/dev/null 2>&1 || { echo "python3 is not installed"; exit 77; }
[ -d "$CORPUS" ] || { echo "corpus folder $CORPUS not found"; exit 77; }

tmp=$(mktemp -d /tmp/wa-it-xml.XXXXXX) || exit 2
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/rules"
failed=0
compared=0

# Writes the --events lines of $1 without "Source" to $2.
events_without_source() {
    "$WIREAUDIT" -q --rules "$tmp/rules" --events - "$1" 2>/dev/null | python3 -c '
import json, sys
for line in sys.stdin:
    event = json.loads(line)
    event.pop("Source", None)
    print(json.dumps(event, sort_keys=False))' >"$2"
}

for f in "$CORPUS"/*.evtx; do
    name=$(basename "$f")
    # evtxexport starts its output with a version line that is not XML.
    evtxexport -f xml "$f" 2>/dev/null | tail -n +2 >"$tmp/x.xml"
    events_without_source "$f" "$tmp/evtx.jsonl"
    events_without_source "$tmp/x.xml" "$tmp/xml.jsonl"
    n_evtx=$(wc -l <"$tmp/evtx.jsonl")
    n_xml=$(wc -l <"$tmp/xml.jsonl")
    if LC_ALL=C tr -d '\t\r\n' <"$tmp/x.xml" | LC_ALL=C grep -q '[[:cntrl:]]'; then
        echo "TABLE $name $n_evtx $n_xml left-out (control characters in the XML)"
        continue
    fi
    if [ "$(grep -c '^<Event ' "$tmp/x.xml")" -ne "$n_evtx" ]; then
        echo "TABLE $name $n_evtx $n_xml left-out (recovered records not in -m items)"
        continue
    fi
    if cmp -s "$tmp/evtx.jsonl" "$tmp/xml.jsonl"; then
        echo "TABLE $name $n_evtx $n_xml same"
        compared=$((compared + 1))
    else
        echo "TABLE $name $n_evtx $n_xml different"
        diff "$tmp/evtx.jsonl" "$tmp/xml.jsonl" | head -6 | cut -c1-300 | sed 's/^/    /'
        failed=1
    fi
done

# wevtutil qe /f:xml style: a declaration and an <Events> root around the same events.
f=$CORPUS/e2m_ID4688_4697_5140-5145_PSexec_remote_execution_admin_share.evtx
{
    printf '<?xml version="1.0" encoding="UTF-8"?>\r\n<Events>\r\n'
    evtxexport -f xml "$f" 2>/dev/null | tail -n +2
    printf '</Events>\r\n'
} >"$tmp/wevtutil.xml"
events_without_source "$f" "$tmp/evtx.jsonl"
events_without_source "$tmp/wevtutil.xml" "$tmp/xml.jsonl"
if cmp -s "$tmp/evtx.jsonl" "$tmp/xml.jsonl"; then
    echo "TABLE $(basename "$f") as <Events> document: same"
else
    echo "FAIL $(basename "$f") as <Events> document differs from the EVTX import"
    failed=1
fi

if [ "$compared" -lt 10 ]; then
    echo "FAIL only $compared files compared; expected at least 10"
    failed=1
fi
exit $failed
