#!/bin/sh
# Checks the command line of the capture path: exit statuses (0 success, 1 input
# errors with partial results, 2 usage errors), the BPF filter on files, and that
# --help documents every long option that main.c accepts.
cd "$(dirname "$0")/.." || exit 2

BIN=${WA_BIN:-build/wireaudit}
CORPUS=../shared/corpus/pcap
if [ ! -x "$BIN" ]; then
    echo "cannot run: $BIN is missing; build it with 'make'"
    exit 77
fi
if [ ! -f "$CORPUS/smb2.pcap" ]; then
    echo "cannot run: $CORPUS/smb2.pcap not found"
    exit 77
fi
TMP=$(mktemp -d) || exit 2
NETNS="wa-capture-cli-$$"
LIVE_PID=""
NETNS_CREATED=""
cleanup() {
    if [ -n "$LIVE_PID" ]; then
        kill "$LIVE_PID" 2>/dev/null
    fi
    if [ -n "$NETNS_CREATED" ]; then
        ip netns del "$NETNS" 2>/dev/null
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 2' INT TERM
failures=0

# expect_status STATUS DESCRIPTION COMMAND...: runs COMMAND and compares its exit status.
expect_status() {
    expected=$1
    description=$2
    shift 2
    "$@" >"$TMP/stdout" 2>"$TMP/stderr"
    status=$?
    if [ "$status" -eq "$expected" ]; then
        echo "ok $description (exit $status)"
    else
        echo "FAIL $description: expected exit $expected, got $status"
        head -5 "$TMP/stderr"
        failures=$((failures + 1))
    fi
}

# Cuts smb2.pcap in the middle of a packet record for the partial-results case.
head -c 400000 "$CORPUS/smb2.pcap" >"$TMP/cut.pcap"
# File runs load no rules, so the statuses reflect the capture path alone.
mkdir -p "$TMP/no-rules"
NORULES="--rules $TMP/no-rules"

expect_status 0 "whole capture" "$BIN" $NORULES -q --events "$TMP/events" "$CORPUS/smb2.pcap"
expect_status 1 "truncated capture" "$BIN" $NORULES -q --events "$TMP/events-cut" "$TMP/cut.pcap"
if ! grep -q "wireaudit: $TMP/cut.pcap: truncated packet record at offset [0-9]" "$TMP/stderr"; then
    echo "FAIL truncated capture: no message naming the file and offset"
    failures=$((failures + 1))
fi
expect_status 1 "missing file" "$BIN" $NORULES -q "$TMP/does-not-exist.pcap"
expect_status 1 "one good and one missing file" "$BIN" $NORULES -q "$CORPUS/smb2.pcap" "$TMP/nope.pcap"
expect_status 2 "no input" "$BIN"
expect_status 2 "unknown option" "$BIN" --no-such-option "$CORPUS/smb2.pcap"
expect_status 2 "invalid filter" "$BIN" -f "tcp port" "$CORPUS/smb2.pcap"
expect_status 2 "snap length out of range" "$BIN" -s 10 "$CORPUS/smb2.pcap"
expect_status 2 "flow capacity not a number" "$BIN" --flow-capacity lots "$CORPUS/smb2.pcap"

# A filter that matches nothing leaves no flows, and one that matches SMB keeps them all.
expect_status 0 "filter excluding SMB" "$BIN" $NORULES -f "tcp port 9999" "$CORPUS/smb2.pcap"
if ! grep -q "summary: packets 0, flows 0" "$TMP/stderr"; then
    echo "FAIL filter excluding SMB: packets were not filtered out"
    failures=$((failures + 1))
fi
expect_status 0 "filter keeping SMB" "$BIN" $NORULES -f "tcp port 445" "$CORPUS/smb2.pcap"
if ! grep -q "summary: packets 1178, flows 1" "$TMP/stderr"; then
    echo "FAIL filter keeping SMB: expected 1178 packets in 1 flow"
    failures=$((failures + 1))
fi

# A pcapng file whose two interfaces have different link types (Ethernet and BSD
# loopback), which libpcap 1.10 rejects, yields the packets and messages of both parts.
if command -v mergecap >/dev/null 2>&1; then
    loopback="$CORPUS/CVE-2020-0796_SMBGhost_PrivEsc_Loopback_traffic.pcapng"
    mergecap -F pcapng -w "$TMP/mixed.pcapng" "$CORPUS/smb3.pcap" "$loopback"
    expect_status 0 "pcapng with mixed link types" "$BIN" $NORULES "$TMP/mixed.pcapng"
    if ! grep -q "summary: packets 64, flows 2" "$TMP/stderr" ||
        ! grep -q "^nbss.messages 57$" "$TMP/stderr"; then
        echo "FAIL pcapng with mixed link types: expected 64 packets, 2 flows, 57 messages"
        failures=$((failures + 1))
    fi
else
    echo "pcapng with mixed link types not checked: mergecap is missing"
fi

# Every long option in main.c's option table appears in --help.
expect_status 0 "--help" "$BIN" --help
for option in $(sed -n 's/^ *{"\([a-z-]*\)", *[a-z_]*_argument.*/\1/p' sensor/main.c); do
    if ! grep -q -- "--$option\b" "$TMP/stdout"; then
        echo "FAIL --help does not mention --$option"
        failures=$((failures + 1))
    fi
done

# Live capture on the loopback interface of a private network namespace: the
# SMB-framed messages on port 445 are counted, SIGUSR1 prints capture
# statistics, SIGINT stops the capture with exit status 0.
live_capture() {
    if [ "$(id -u)" -ne 0 ] || ! ip netns add "$NETNS" 2>/dev/null; then
        echo "live capture not checked: needs root and network namespaces"
        return
    fi
    NETNS_CREATED=1
    ip netns exec "$NETNS" ip link set lo up || return
    ip netns exec "$NETNS" "$BIN" -i lo --rules "$TMP/no-rules" >/dev/null 2>"$TMP/live.err" &
    LIVE_PID=$!
    sleep 1

    if ! ip netns exec "$NETNS" python3 tests/capture_live_peer.py; then
        echo "FAIL live capture: the traffic generator failed"
        failures=$((failures + 1))
    fi

    sleep 0.5
    kill -USR1 "$LIVE_PID"
    sleep 0.5
    kill -INT "$LIVE_PID"
    wait "$LIVE_PID"
    status=$?
    LIVE_PID=""

    if [ "$status" -ne 0 ]; then
        echo "FAIL live capture: exit status $status"
        failures=$((failures + 1))
    fi
    if ! grep -q "^nbss.messages 10$" "$TMP/live.err"; then
        echo "FAIL live capture: expected 10 NetBIOS session messages"
        failures=$((failures + 1))
    fi
    if [ "$(grep -c "wireaudit: lo: received [0-9]*, dropped 0," "$TMP/live.err")" -lt 2 ]; then
        echo "FAIL live capture: statistics not printed on SIGUSR1 and at exit"
        failures=$((failures + 1))
    fi
    if ! grep -q "drops 0$" "$TMP/live.err"; then
        echo "FAIL live capture: summary reports drops"
        failures=$((failures + 1))
    fi
    echo "live capture checked:"
    sed 's/^/    /' "$TMP/live.err"
}
live_capture

if [ "$failures" -ne 0 ]; then
    echo "$failures failures"
    exit 1
fi
echo "all command-line checks passed"
