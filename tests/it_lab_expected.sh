#!/bin/sh
# Re-checks the expected results of every lab capture: runs wireaudit on
# pcaps/<capture>.pcap, projects its events and alerts with
# scripts/lab/project-events.py and compares them with
# tests/expected/<capture>.events.jsonl and <capture>.alerts.jsonl.
# Prints one TABLE line per capture. Exit 0 when all match, 1 when one
# differs or wireaudit fails, 77 when wireaudit runs but rebuilds no events
# from any capture.
#
# With --update [CAPTURE...] it rewrites the expected files of the named
# captures (all captures when none is named) from the current binary
# instead. Review every changed line against what the lab's tools did
# before keeping it: the expected files hold the right values, not
# whatever the binary prints.
cd "$(dirname "$0")/.." || exit 2
# comm needs byte order, which is the order project-events.py sorts in.
export LC_ALL=C

WIREAUDIT=${WIREAUDIT:-./wireaudit}
PROJECT="/usr/bin/python3 scripts/lab/project-events.py"
EXPECTED_DIR=tests/expected
UPDATE=0
if [ "${1:-}" = "--update" ]; then
    UPDATE=1
    shift
fi
ONLY=" $* "

if [ ! -x "$WIREAUDIT" ]; then
    echo "$WIREAUDIT not found; build it with make (or set WIREAUDIT)"
    exit 77
fi
if [ ! -x /usr/bin/python3 ]; then
    echo "/usr/bin/python3 not found; the projection script needs it"
    exit 77
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/it_lab_expected.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT INT TERM

# Compares projection actual with expected file and prints a summary word
# and counts: "ok N" or "differ N expected, M actual, D missing, E extra".
compare() {
    expected=$1
    actual=$2
    if cmp -s "$expected" "$actual"; then
        echo "ok $(wc -l <"$expected")"
        return 0
    fi
    missing=$(comm -23 "$expected" "$actual" | wc -l)
    extra=$(comm -13 "$expected" "$actual" | wc -l)
    echo "differ $(wc -l <"$expected") expected, $(wc -l <"$actual") actual," \
        "$missing missing, $extra extra"
    return 1
}

captures=0
events_seen=0
failed=0
mkdir -p "$EXPECTED_DIR"
for pcap in pcaps/*.pcap; do
    [ -f "$pcap" ] || continue
    name=$(basename "$pcap" .pcap)
    if [ $UPDATE -eq 1 ] && [ "$ONLY" != "  " ]; then
        case $ONLY in
        *" $name "*) ;;
        *) continue ;;
        esac
    fi
    captures=$((captures + 1))
    names_option=""
    [ -f "pcaps/$name.names" ] && names_option="--names pcaps/$name.names"

    if ! "$WIREAUDIT" -q --events "$work/$name.events" --alerts "$work/$name.alerts" "$pcap" \
        >"$work/$name.out" 2>&1; then
        echo "TABLE lab $name: wireaudit failed; first lines of its output:"
        head -n 5 "$work/$name.out" | sed 's/^/    /'
        failed=$((failed + 1))
        continue
    fi
    [ -s "$work/$name.events" ] && events_seen=$((events_seen + 1))
    # shellcheck disable=SC2086
    $PROJECT events "$work/$name.events" $names_option >"$work/$name.events.jsonl" || exit 2
    # shellcheck disable=SC2086
    $PROJECT alerts "$work/$name.alerts" $names_option >"$work/$name.alerts.jsonl" || exit 2

    if [ $UPDATE -eq 1 ]; then
        cp "$work/$name.events.jsonl" "$EXPECTED_DIR/$name.events.jsonl"
        cp "$work/$name.alerts.jsonl" "$EXPECTED_DIR/$name.alerts.jsonl"
        echo "TABLE lab $name: wrote $(wc -l <"$work/$name.events.jsonl") events," \
            "$(wc -l <"$work/$name.alerts.jsonl") alerts"
        continue
    fi

    for kind in events alerts; do
        if [ ! -f "$EXPECTED_DIR/$name.$kind.jsonl" ]; then
            echo "TABLE lab $name $kind: missing $EXPECTED_DIR/$name.$kind.jsonl"
            failed=$((failed + 1))
            continue
        fi
        if ! result=$(compare "$EXPECTED_DIR/$name.$kind.jsonl" "$work/$name.$kind.jsonl"); then
            failed=$((failed + 1))
            diff "$EXPECTED_DIR/$name.$kind.jsonl" "$work/$name.$kind.jsonl" | head -n 20 |
                sed 's/^/    /'
        fi
        echo "TABLE lab $name $kind: $result"
    done
done

if [ $captures -eq 0 ]; then
    echo "no captures in pcaps/; run make lab (as root) to create them"
    exit 77
fi
if [ $failed -eq 0 ] && [ $events_seen -eq 0 ]; then
    echo "wireaudit rebuilt no events from any of the $captures lab captures yet"
    exit 77
fi
echo "lab captures: $captures, mismatches: $failed"
[ $failed -eq 0 ]
