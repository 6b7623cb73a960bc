#!/bin/sh
# Checks that TCP reassembly hides capture damage from the dissectors. Public
# captures are rewritten by tests/capture_mangle.py with packets swapped,
# duplicated, split in two, followed by overlapping copies with different
# bytes, or moved from port 445 to 8445 (so only classification finds SMB).
# Each rewrite must yield the same rebuilt events as the original,
# compared on EventID, user, share, target name, access mask and outcome. A
# capture that starts a third of the way in must still yield events, and the
# whole capture must yield each of them too. That comparison leaves out user
# and share, which a late start cannot know.
cd "$(dirname "$0")/.." || exit 2

BIN=${WA_BIN:-build/wireaudit}
CORPUS=../shared/corpus/pcap
FILES="smb2_100_small_files.pcap covenant_copy_smb_CreateRequest_2020-09-22145302.cap
20171220_smb_mimikatz_copy.pcap smb2.pcap"
if [ ! -x "$BIN" ]; then
    echo "cannot run: $BIN is missing; build it with 'make'"
    exit 77
fi
if [ ! -d "$CORPUS" ]; then
    echo "cannot run: corpus folder $CORPUS not found"
    exit 77
fi
TMP=$(mktemp -d) || exit 2
trap 'rm -rf "$TMP"' EXIT INT TERM
mkdir -p "$TMP/no-rules"
failures=0

# project FILE [FIELD...]: writes the sorted projection of FILE's events on the
# given fields (default: EventID, user, share, target name, access mask, outcome).
project() {
    file=$1
    shift
    "$BIN" -q --rules "$TMP/no-rules" --events - "$file" 2>/dev/null | python3 -c '
import json
import sys

keys = sys.argv[1:] or ["EventID", "TargetUserName", "ShareName", "RelativeTargetName",
                        "AccessMask", "Keywords"]
rows = []
for line in sys.stdin:
    event = json.loads(line)
    rows.append("\t".join(str(event.get(k, "")) for k in keys))
print("\n".join(sorted(rows)))
' "$@"
}

for name in $FILES; do
    source="$CORPUS/$name"
    [ -f "$source" ] || continue
    project "$source" >"$TMP/original"
    events=$(grep -c . "$TMP/original")
    for mode in swap duplicate split overlap port; do
        python3 tests/capture_mangle.py "$mode" "$source" "$TMP/$mode.pcap" || exit 2
        project "$TMP/$mode.pcap" >"$TMP/$mode"
        if cmp -s "$TMP/original" "$TMP/$mode"; then
            echo "ok $name $mode: $events events as in the original"
        else
            echo "FAIL $name $mode: events differ from the original"
            diff "$TMP/original" "$TMP/$mode" | head -10
            failures=$((failures + 1))
        fi
    done

    python3 tests/capture_mangle.py midstream "$source" "$TMP/midstream.pcap" || exit 2
    late_fields="EventID RelativeTargetName AccessMask Keywords"
    # shellcheck disable=SC2086 # the field names are separate arguments
    project "$TMP/midstream.pcap" $late_fields | sort >"$TMP/midstream"
    # shellcheck disable=SC2086
    project "$source" $late_fields | sort >"$TMP/whole"
    late=$(grep -c . "$TMP/midstream")
    extra=$(comm -23 "$TMP/midstream" "$TMP/whole" | grep -c .)
    if [ "$events" -gt 0 ] && [ "$late" -eq 0 ]; then
        echo "FAIL $name midstream: no events from a capture that starts late"
        failures=$((failures + 1))
    elif [ "$extra" -ne 0 ]; then
        echo "FAIL $name midstream: $extra events the whole capture does not have"
        failures=$((failures + 1))
    else
        echo "ok $name midstream: $late of $events events"
    fi
done

if [ "$failures" -ne 0 ]; then
    echo "$failures failures"
    exit 1
fi
echo "all reassembly checks passed"
