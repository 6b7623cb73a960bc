#!/bin/sh
# Checks checksum verification, unsupported link types and live-capture errors.
# - A TREE_CONNECT for ADMIN$ preceded by a decoy copy naming PUBLC$ with a
#   wrong TCP checksum must yield ADMIN$, as the server saw it. With
#   --checksum-mode no the decoy wins, which shows the input exercises the check.
# - A lab capture taken with checksum offload (every packet wrong) keeps all
#   its events in auto mode, prints one notice, and loses them with --checksum-mode yes.
# - Segments lying wholly in WRITE file data are not summed: with their checksums
#   broken, the events are those of the intact capture and nothing is dropped.
#   A damaged copy of such a segment sent long after the flow's last traffic is
#   verified and dropped, so it cannot keep an idle flow from expiring.
# - Packets cut by the snap length are not counted as bad.
# - An overlapping copy with different bytes is counted as reasm.overlap_mismatch.
# - A pcap with link type 65535 is named in one warning and its packets counted.
# - A live capture on a missing interface says so and how to list interfaces.
cd "$(dirname "$0")/.." || exit 2

BIN=${WA_BIN:-build/wireaudit}
CORPUS=../shared/corpus/pcap
LAB=pcaps/copy-to-admin-share-smb311.pcap
if [ ! -x "$BIN" ]; then
    echo "cannot run: $BIN is missing; build it with 'make'"
    exit 77
fi
if [ ! -f "$CORPUS/smb2.pcap" ] || [ ! -f "$LAB" ]; then
    echo "cannot run: $CORPUS/smb2.pcap or $LAB not found"
    exit 77
fi
TMP=$(mktemp -d) || exit 2
trap 'rm -rf "$TMP"' EXIT INT TERM
mkdir -p "$TMP/no-rules"
failures=0

fail() {
    echo "FAIL $*"
    failures=$((failures + 1))
}

# run NAME ARGS...: runs wireaudit, events to $TMP/NAME.events, stderr to $TMP/NAME.err.
run() {
    name=$1
    shift
    "$BIN" --rules "$TMP/no-rules" --events "$TMP/$name.events" "$@" 2>"$TMP/$name.err"
    echo $? >"$TMP/$name.rc"
}

# counter NAME COUNTER: prints the counter's value from the run summary, 0 when absent.
counter() {
    value=$(awk -v c="$2" '$1 == c { print $2 }' "$TMP/$1.err")
    echo "${value:-0}"
}

# shares NAME: prints the sorted ShareName values of the run's 5140 events.
shares() {
    python3 -c '
import json
import sys

names = [e.get("ShareName", "") for e in map(json.loads, open(sys.argv[1])) if e["EventID"] == 5140]
print(" ".join(sorted(names)))
' "$TMP/$1.events"
}

python3 tests/capture_mangle.py decoy "$LAB" "$TMP/decoy.pcap" || exit 2

run decoy-auto "$TMP/decoy.pcap"
case "$(shares decoy-auto)" in
*PUBLC*) fail "decoy auto: the decoy share PUBLC\$ was reported: $(shares decoy-auto)" ;;
*ADMIN*) echo "ok decoy auto: $(shares decoy-auto)" ;;
*) fail "decoy auto: no 5140 event for ADMIN\$: '$(shares decoy-auto)'" ;;
esac
if [ "$(counter decoy-auto tcp.bad_checksum)" -ne 1 ]; then
    fail "decoy auto: tcp.bad_checksum is $(counter decoy-auto tcp.bad_checksum), expected 1"
fi
if grep -q "not verified" "$TMP/decoy-auto.err"; then
    fail "decoy auto: checksum verification was switched off for a capture with one bad packet"
fi

run decoy-no --checksum-mode no "$TMP/decoy.pcap"
case "$(shares decoy-no)" in
*PUBLC*) echo "ok decoy without checks: the decoy wins, as expected" ;;
*) fail "decoy without checks: PUBLC\$ missing, so the test input has no working decoy" ;;
esac
if [ "$(counter decoy-no reasm.overlap_mismatch)" -ne 1 ]; then
    fail "decoy without checks: reasm.overlap_mismatch is $(counter decoy-no reasm.overlap_mismatch), expected 1"
fi

# The lab writes correct checksums; a copy with every TCP checksum broken stands
# for a capture taken on a host with transmit checksum offload.
OFFLOAD="$TMP/offload.pcap"
python3 tests/capture_mangle.py offload "$LAB" "$OFFLOAD" || exit 2
run offload-auto "$OFFLOAD"
run offload-no --checksum-mode no "$OFFLOAD"
run offload-yes --checksum-mode yes "$OFFLOAD"
notices=$(grep -c "$OFFLOAD: .* checksums are not verified for this input" "$TMP/offload-auto.err")
if [ "$notices" -ne 1 ]; then
    fail "offload auto: $notices notices naming $OFFLOAD, expected 1"
fi
if ! cmp -s "$TMP/offload-auto.events" "$TMP/offload-no.events"; then
    fail "offload auto: events differ from --checksum-mode no"
fi
offload_events=$(grep -c . "$TMP/offload-auto.events")
if [ "$offload_events" -eq 0 ]; then
    fail "offload auto: no events"
fi
if [ "$(grep -c . "$TMP/offload-yes.events")" -ge "$offload_events" ]; then
    fail "offload yes: bad packets were not dropped"
fi
if [ "$(counter offload-yes tcp.bad_checksum)" -eq 0 ]; then
    fail "offload yes: tcp.bad_checksum not counted"
fi
echo "ok offload: $offload_events events in auto mode, $(grep -c . "$TMP/offload-yes.events") with --checksum-mode yes"

BULK_SOURCE=pcaps/copy-to-c-share-smb311.pcap
python3 tests/capture_mangle.py bulk "$BULK_SOURCE" "$TMP/bulk.pcap" || exit 2
run bulk-intact --checksum-mode yes "$BULK_SOURCE"
run bulk-broken --checksum-mode yes "$TMP/bulk.pcap"
# Events name their input file, so compare them without it.
sed 's/"input":"[^"]*"//' "$TMP/bulk-intact.events" >"$TMP/bulk-intact.cmp"
sed 's/"input":"[^"]*"//' "$TMP/bulk-broken.events" >"$TMP/bulk-broken.cmp"
if [ "$(counter bulk-broken tcp.bad_checksum)" -ne 0 ]; then
    fail "bulk: $(counter bulk-broken tcp.bad_checksum) segments of WRITE data dropped as bad"
elif [ "$(counter bulk-broken tcp.checksum_not_needed)" -lt 1 ]; then
    fail "bulk: tcp.checksum_not_needed not counted"
elif ! cmp -s "$TMP/bulk-intact.cmp" "$TMP/bulk-broken.cmp"; then
    fail "bulk: events differ from those of the intact capture"
else
    echo "ok bulk: $(counter bulk-broken tcp.checksum_not_needed) segments of file data not summed, same events"
fi

# normalized NAME: the run's events without input names and frame numbers, which the
# decoy's extra frame shifts.
normalized() {
    sed -e 's/"input":"[^"]*"//' -e 's/"[Ff]rame":[0-9]*//g' "$TMP/$1.events"
}
python3 tests/capture_mangle.py idle "$BULK_SOURCE" "$TMP/idle.pcap" || exit 2
python3 tests/capture_mangle.py idle-decoy "$BULK_SOURCE" "$TMP/idle-decoy.pcap" || exit 2
run idle "$TMP/idle.pcap"
run idle-decoy "$TMP/idle-decoy.pcap"
normalized idle >"$TMP/idle.cmp"
normalized idle-decoy >"$TMP/idle-decoy.cmp"
if [ "$(counter idle-decoy tcp.bad_checksum)" -ne 1 ]; then
    fail "idle decoy: tcp.bad_checksum is $(counter idle-decoy tcp.bad_checksum), expected 1"
elif [ "$(counter idle-decoy flow.expired)" -ne "$(counter idle flow.expired)" ]; then
    fail "idle decoy: flow.expired $(counter idle-decoy flow.expired), without the decoy $(counter idle flow.expired)"
elif ! cmp -s "$TMP/idle.cmp" "$TMP/idle-decoy.cmp"; then
    fail "idle decoy: events differ from those of the capture without the decoy"
else
    echo "ok idle decoy: dropped, and the idle flow still expired"
fi

editcap -s 100 "$CORPUS/smb2.pcap" "$TMP/snapped.pcap" >/dev/null 2>&1 || exit 2
run snapped --checksum-mode yes "$TMP/snapped.pcap"
if [ "$(counter snapped tcp.bad_checksum)" -ne 0 ]; then
    fail "snapped: $(counter snapped tcp.bad_checksum) packets cut by the snap length counted as bad"
elif [ "$(counter snapped tcp.checksum_unverified)" -eq 0 ]; then
    fail "snapped: tcp.checksum_unverified not counted"
else
    echo "ok snapped: $(counter snapped tcp.checksum_unverified) packets left unverified"
fi

python3 tests/capture_mangle.py overlap "$CORPUS/smb2.pcap" "$TMP/overlap.pcap" || exit 2
run overlap "$TMP/overlap.pcap"
if [ "$(counter overlap reasm.overlap_mismatch)" -eq 0 ]; then
    fail "overlap: reasm.overlap_mismatch not counted for copies with inverted bytes"
else
    echo "ok overlap: $(counter overlap reasm.overlap_mismatch) mismatching copies counted"
fi

# Link type 65535 is not assigned; the pcap header stores it at byte offset 20.
python3 -c '
import sys

data = bytearray(open(sys.argv[1], "rb").read())
order = "little" if data[:4] == b"\xd4\xc3\xb2\xa1" else "big"
data[20:24] = (65535).to_bytes(4, order)
open(sys.argv[2], "wb").write(data)
' "$CORPUS/smb2.pcap" "$TMP/linktype.pcap" || exit 2
run linktype "$TMP/linktype.pcap"
packets=$(counter linktype capture.packets)
warnings=$(grep -c "wireaudit: $TMP/linktype.pcap: unsupported link type 65535; its packets are skipped" \
    "$TMP/linktype.err")
if [ "$warnings" -ne 1 ]; then
    fail "link type 65535: $warnings warnings, expected 1"
elif [ "$(counter linktype decode.unsupported_linktype)" -ne "$packets" ]; then
    fail "link type 65535: decode.unsupported_linktype is $(counter linktype decode.unsupported_linktype), expected $packets"
elif [ "$(counter linktype capture.unsupported_linktypes)" -ne 1 ]; then
    fail "link type 65535: capture.unsupported_linktypes is not 1"
else
    echo "ok link type 65535: one warning, $packets packets counted"
fi

"$BIN" --rules "$TMP/no-rules" -i wa-missing0 >/dev/null 2>"$TMP/missing.err"
status=$?
if [ "$status" -eq 0 ]; then
    fail "missing interface: exit status 0"
elif grep -q "permission denied" "$TMP/missing.err"; then
    echo "skip missing interface: this user may not capture, so libpcap reports that first"
elif ! grep -q "wa-missing0: cannot start live capture: no such interface.*ip link" "$TMP/missing.err"; then
    fail "missing interface: unexpected message: $(cat "$TMP/missing.err")"
elif grep -q "exists (No such device exists)" "$TMP/missing.err"; then
    fail "missing interface: libpcap's status is repeated: $(cat "$TMP/missing.err")"
else
    echo "ok missing interface: $(grep wa-missing0 "$TMP/missing.err")"
fi

if [ "$failures" -ne 0 ]; then
    echo "$failures failures"
    exit 1
fi
echo "all checksum and link type checks passed"
