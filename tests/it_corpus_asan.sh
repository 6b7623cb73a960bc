#!/bin/sh
# Runs the AddressSanitizer/UBSan build over every public capture, then over
# damaged copies: cut short, with a length field made impossible, and with
# random bits flipped. Fails on any sanitizer report and on an exit status
# other than 0 or 1. Fails too when an input error does not name the file and
# the byte offset where the damaged record starts.
cd "$(dirname "$0")/.." || exit 2

BIN=${WA_ASAN_BIN:-build-asan/wireaudit}
CORPUS=../shared/corpus/pcap
if [ ! -x "$BIN" ]; then
    echo "cannot run: $BIN is missing; build it with 'make asan'"
    exit 77
fi
if [ ! -d "$CORPUS" ]; then
    echo "cannot run: corpus folder $CORPUS not found"
    exit 77
fi

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
TMP=$(mktemp -d) || exit 2
trap 'rm -rf "$TMP"' EXIT INT TERM
failures=0

# run_one FILE: runs the ASan build on FILE; stderr goes to $TMP/stderr, events to $TMP/events.
run_one() {
    "$BIN" --events "$TMP/events" "$1" >/dev/null 2>"$TMP/stderr"
    rc=$?
    if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error|UndefinedBehaviorSanitizer' \
        "$TMP/stderr"; then
        echo "FAIL $1: sanitizer report"
        grep -E -A12 'ERROR|runtime error' "$TMP/stderr" | head -30
        failures=$((failures + 1))
        return 1
    fi
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then
        echo "FAIL $1: exit status $rc"
        tail -5 "$TMP/stderr"
        failures=$((failures + 1))
        return 1
    fi
    return 0
}

# expect_error FILE TEXT: FILE must exit 1 with "wireaudit: FILE: TEXT" on stderr.
expect_error() {
    run_one "$1" || return
    if [ "$rc" -ne 1 ]; then
        echo "FAIL $1: expected exit status 1, got $rc"
        failures=$((failures + 1))
    elif ! grep -qF "wireaudit: $1: $2" "$TMP/stderr"; then
        echo "FAIL $1: expected \"$2\"; stderr was:"
        head -5 "$TMP/stderr"
        failures=$((failures + 1))
    else
        echo "ok $1: $2"
    fi
}

count=0
for f in "$CORPUS"/*; do
    [ -f "$f" ] || continue
    count=$((count + 1))
    if run_one "$f"; then
        echo "ok $f (exit $rc)"
    fi
done
echo "ran $count corpus files"

# Damaged copies. The script below writes them and prints one line per copy: its
# path, then the expected message after "FILE: ", or "-" when only a clean exit counts.
python3 - "$TMP" "$CORPUS" >"$TMP/cases" <<'PY' || exit 2
import os, random, struct, sys

tmp, corpus = sys.argv[1], sys.argv[2]

def records(data):
    """Yields (offset, length) of every pcap record or pcapng block."""
    if data[:4] == b"\x0a\x0d\x0d\x0a":
        off, order = 0, "<"
        while off + 12 <= len(data):
            if data[off:off + 4] == b"\x0a\x0d\x0d\x0a":
                order = "<" if data[off + 8:off + 12] == b"\x4d\x3c\x2b\x1a" else ">"
            (length,) = struct.unpack(order + "I", data[off + 4:off + 8])
            yield off, length, order
            off += length
    else:
        order = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
        off = 24
        while off + 16 <= len(data):
            (caplen,) = struct.unpack(order + "I", data[off + 8:off + 12])
            yield off, 16 + caplen, order
            off += 16 + caplen

rng = random.Random(7)
names = ["smb2.pcap", "LM_psexec_smb_dcerpc_epm_svcctl.pcapng",
         "covenant_copy_smb_CreateRequest_2020-09-22145302.cap", "smb3.pcap",
         "DCSync_krbtgt_dcerpc_smb.pcapng"]
for name in names:
    path = os.path.join(corpus, name)
    if not os.path.exists(path):
        continue
    data = open(path, "rb").read()
    recs = list(records(data))
    mid_off, mid_len, order = recs[len(recs) // 2]
    base = os.path.join(tmp, name)
    # Cut in the middle of a packet: the error names the start of that record.
    open(base + ".cut", "wb").write(data[:mid_off + mid_len // 2])
    print(base + ".cut", "truncated packet record at offset %d" % mid_off)
    # Declared length made impossible: pcap stops, pcapng reports the block.
    bad = bytearray(data)
    if data[:4] == b"\x0a\x0d\x0d\x0a":
        struct.pack_into(order + "I", bad, mid_off + 4, 0x7fffffff)
        print(base + ".len", "invalid block length at offset %d" % mid_off)
    else:
        struct.pack_into(order + "I", bad, mid_off + 8, 0x7fffffff)
        print(base + ".len", "invalid captured length in packet record at offset %d" % mid_off)
    open(base + ".len", "wb").write(bad)
    # Random bit flips after the file header: no expected message, only no crash.
    flipped = bytearray(data)
    for _ in range(max(50, len(data) // 500)):
        i = rng.randrange(32, len(flipped))
        flipped[i] ^= 1 << rng.randrange(8)
    open(base + ".flip", "wb").write(flipped)
    print(base + ".flip", "-")
PY

while read -r path message; do
    if [ "$message" = "-" ]; then
        run_one "$path" && echo "ok $path (exit $rc)"
    else
        expect_error "$path" "$message"
    fi
done <"$TMP/cases"

# Events read before the damage are kept: the cut copy of smb2.pcap still yields events.
cut="$TMP/smb2.pcap.cut"
if [ -f "$cut" ]; then
    run_one "$cut"
    full_events=$("$BIN" --events - "$CORPUS/smb2.pcap" 2>/dev/null | grep -c '"EventID"')
    cut_events=$(grep -c '"EventID"' "$TMP/events")
    echo "smb2.pcap: $full_events events whole, $cut_events events when cut in half"
    if [ "$full_events" -gt 0 ] && [ "$cut_events" -eq 0 ]; then
        echo "FAIL $cut: no events kept before the truncation"
        failures=$((failures + 1))
    fi
fi

if [ "$failures" -ne 0 ]; then
    echo "$failures failures"
    exit 1
fi
echo "all corpus and damaged files passed"
