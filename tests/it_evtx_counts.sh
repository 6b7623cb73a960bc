#!/bin/sh
# Imports every corpus EVTX and compares the event count with evtxexport
# (libevtx-utils): the distinct (EventRecordID, TimeCreated) pairs that
# "evtxexport -m all" prints, because wireaudit drops recovered records that
# are stale copies of allocated ones. Then imports truncated and bit-flipped
# copies and checks that the readable records are kept, the warnings name the
# file, record, chunk and offset, and the run exits 1. When the ASan build
# exists, runs it over the damaged copies too and fails on any sanitizer
# report; tests/lsan.supp hides the leaks inside libevtx.
# Prints "TABLE <file> <wireaudit> <evtxexport>" per file.
cd "$(dirname "$0")/.." || exit 2
WIREAUDIT=${WIREAUDIT:-./wireaudit}
ASAN_BIN=${WA_ASAN_BIN:-build-asan/wireaudit}
CORPUS=../shared/corpus/evtx

command -v evtxexport >/dev/null 2>&1 || { echo "evtxexport (libevtx-utils) is not installed"; exit 77; }
command -v python3 >/dev/null 2>&1 || { echo "python3 is not installed"; exit 77; }
[ -d "$CORPUS" ] || { echo "corpus folder $CORPUS not found"; exit 77; }

tmp=$(mktemp -d /tmp/wa-it-evtx.XXXXXX) || exit 2
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/rules"
failed=0

# Prints the number of distinct (EventRecordID, TimeCreated) pairs in evtxexport XML on stdin.
count_distinct() {
    python3 -c '
import re, sys
text = sys.stdin.buffer.read().decode("utf-8", "replace")
pairs = re.findall(r"<TimeCreated SystemTime=\"([^\"]*)\"/>.*?<EventRecordID>(\d+)</EventRecordID>",
                   text, re.S)
print(len(set(pairs)))'
}

for f in "$CORPUS"/*.evtx; do
    name=$(basename "$f")
    ours=$("$WIREAUDIT" -q --rules "$tmp/rules" --events - "$f" 2>"$tmp/err" | wc -l)
    rc=$?
    theirs=$(evtxexport -m all -f xml "$f" 2>/dev/null | count_distinct)
    echo "TABLE $name $ours $theirs"
    if [ "$ours" -ne "$theirs" ]; then
        echo "FAIL $name: wireaudit imported $ours events, evtxexport lists $theirs records"
        failed=1
    fi
    # Warnings about the file name it. Run-wide notes (no rules loaded) are not about the file.
    if grep -qF "wireaudit: $f:" "$tmp/err"; then
        echo "FAIL $name: unexpected warnings on an intact file:"
        sed 's/^/    /' "$tmp/err"
        failed=1
    fi
done

# Damaged copies of a 17-chunk file whose first 10 chunks hold 869 records.
src=$CORPUS/LM_5145_Remote_FileCopy.evtx
python3 - "$src" "$tmp" <<'PY'
import random, sys
src, out = sys.argv[1], sys.argv[2]
data = open(src, "rb").read()
# Cut inside chunk 4, which starts at 4096 + 4 * 65536.
open(out + "/truncated.evtx", "wb").write(data[:4096 + 4 * 65536 + 20000])
flipped = bytearray(data)
rng = random.Random(7)
for _ in range(40):
    flipped[rng.randrange(4096 + 600, 4096 + 9 * 65536)] ^= 0xFF
open(out + "/flipped.evtx", "wb").write(flipped)
header = bytearray(data)
header[4096 + 2 * 65536 + 40] = 0x55           # chunk 2 header size no longer 128
header[4096 + 3 * 65536 + 48:4096 + 3 * 65536 + 51] = b"\xff\xff\xff"  # chunk 3 free space
open(out + "/bad-chunk-header.evtx", "wb").write(header)
# A log that wrapped: chunks 3-9 (newer records) before chunks 0-2 (the oldest).
chunks = [data[4096 + i * 65536:4096 + (i + 1) * 65536] for i in range(17)]
open(out + "/wrapped.evtx", "wb").write(data[:4096] + b"".join(chunks[3:10] + chunks[0:3] +
                                                                  chunks[10:]))
# A file cut inside its 4096-byte header, at offset 2000 (0x7d0).
open(out + "/header-cut.evtx", "wb").write(data[:2000])
PY
# Record 1 of this 3-record file starts at 0x1200. Byte 0x121c is a binary XML
# token, and 0x01 there is a token type libfwevt rejects. libevtx leaks the
# XML it has built for that record.
python3 - "$CORPUS/LM_Remote_Service02_7045.evtx" "$tmp/bad-binary-xml.evtx" <<'PY'
import sys
data = bytearray(open(sys.argv[1], "rb").read())
data[0x121c] = 0x01
open(sys.argv[2], "wb").write(data)
PY

# check_damaged FILE MIN_EVENTS PATTERN: exit 1, at least MIN_EVENTS events, a warning matching PATTERN.
check_damaged() {
    file=$tmp/$1
    "$WIREAUDIT" -q --rules "$tmp/rules" --events "$tmp/events" "$file" 2>"$tmp/err"
    rc=$?
    events=$(wc -l <"$tmp/events")
    echo "TABLE $1 $events (damaged copy, at least $2 expected)"
    if [ "$rc" -ne 1 ]; then
        echo "FAIL $1: exit status $rc, expected 1 for a damaged file"
        failed=1
    fi
    if [ "$events" -lt "$2" ]; then
        echo "FAIL $1: $events events, expected at least $2"
        failed=1
    fi
    if ! grep -q "$3" "$tmp/err"; then
        echo "FAIL $1: no warning matching '$3' in stderr:"
        sed 's/^/    /' "$tmp/err"
        failed=1
    fi
}

# Chunks 0-3 contain records 1-369, and the cut chunk 4 still yields the records before the cut.
check_damaged truncated.evtx 369 "truncated.evtx: chunk 4 at offset 0x41000: chunk is truncated"
# evtxexport stops at the first bad record, but wireaudit keeps the others of all 869.
check_damaged flipped.evtx 850 "flipped.evtx: .*checksum mismatch"
# libevtx alone rejects this file, but the repaired copy keeps every record.
check_damaged bad-chunk-header.evtx 869 "bad-chunk-header.evtx: chunk 2 at offset 0x21000: chunk header is invalid"

# The first record fails, and the warning names its id, index, chunk and offset.
check_damaged bad-binary-xml.evtx 2 \
    "bad-binary-xml.evtx: record id 1 (index 0), chunk 0, offset 0x1200: record skipped: invalid binary XML"
if grep -q "libfwevt_\|libevtx_" "$tmp/err"; then
    echo "FAIL bad-binary-xml.evtx: a libevtx function name is in the warning:"
    sed 's/^/    /' "$tmp/err"
    failed=1
fi

# A file cut inside its header is rejected with the file and the offset where it ends.
"$WIREAUDIT" -q --rules "$tmp/rules" --events "$tmp/events" "$tmp/header-cut.evtx" 2>"$tmp/err"
rc=$?
expected="wireaudit: $tmp/header-cut.evtx: EVTX file header is truncated: the file ends at offset 0x7d0"
if [ "$rc" -ne 1 ] || ! grep -qF "$expected" "$tmp/err"; then
    echo "FAIL header-cut.evtx: exit status $rc, expected 1 and \"$expected\"; stderr was:"
    sed 's/^/    /' "$tmp/err"
    failed=1
fi

# A wrapped log is read from its oldest chunk on, so its events come out in time order.
"$WIREAUDIT" -q --rules "$tmp/rules" --events "$tmp/events" "$tmp/wrapped.evtx" 2>"$tmp/err"
order=$(python3 -c '
import json, sys
times = [json.loads(line)["TimeCreated"] for line in open(sys.argv[1])]
print(len(times), "in-order" if times == sorted(times) else "out-of-order")' "$tmp/events")
echo "TABLE wrapped.evtx $order"
if [ "$order" != "869 in-order" ]; then
    echo "FAIL wrapped.evtx: expected 869 events in time order, got $order"
    failed=1
fi

# The ASan build on every damaged copy: no sanitizer report, and exit status 0 or 1.
if [ -x "$ASAN_BIN" ]; then
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
    export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0"
    for file in "$tmp"/*.evtx; do
        "$ASAN_BIN" -q --rules "$tmp/rules" --events /dev/null "$file" 2>"$tmp/err"
        rc=$?
        if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error' "$tmp/err"; then
            echo "FAIL $(basename "$file"): sanitizer report under $ASAN_BIN:"
            grep -E -A12 'ERROR|runtime error' "$tmp/err" | head -30
            failed=1
        elif [ "$rc" -ne 1 ] && [ "$rc" -ne 0 ]; then
            echo "FAIL $(basename "$file"): exit status $rc under $ASAN_BIN"
            failed=1
        else
            echo "ok $(basename "$file") under $ASAN_BIN (exit $rc)"
        fi
    done
else
    echo "note: $ASAN_BIN is missing, so the damaged copies were not run under ASan"
fi

exit $failed
