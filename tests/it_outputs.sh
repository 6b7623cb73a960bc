#!/bin/sh
# Checks output failures, stops and the event thread:
# - events, alerts and the --validate table written to a full device: a message naming
#   the output and exit 2, with the event thread and with --single-thread;
# - standard output closed by its reader: SIGPIPE ends the run (status 141) in both modes;
# - --single-thread and the default give the same events and alerts, for a lab
#   capture and for a corpus capture together with its host log;
# - --report into a FIFO: written through the FIFO, which stays a FIFO; --report onto a
#   symbolic link replaces the file it names and keeps the link; --report - is rejected;
# - two streams into one file are rejected: --events /dev/stdout while the alerts go to
#   standard output, and an output that is a hard link to an input;
# - SIGTERM while standard input is copied to a spool file: the file is removed, and
#   SIGUSR1 at that time changes nothing;
# - an empty standard input is named "-" in the message, not by its spool file.
cd "$(dirname "$0")/.." || exit 2

BIN=${WA_BIN:-build/wireaudit}
CORPUS=../shared/corpus
LAB=pcaps/copy-to-admin-share-smb311.pcap
PAIR_PCAP=$CORPUS/pcap/covenant_copy_smb_CreateRequest_2020-09-22145302.cap
PAIR_LOG=$CORPUS/json/covenant_copy_smb_CreateRequest_2020-09-22145302.json
if [ ! -x "$BIN" ]; then
    echo "cannot run: $BIN is missing; build it with 'make'"
    exit 77
fi
if [ ! -f "$PAIR_PCAP" ] || [ ! -f "$PAIR_LOG" ] || [ ! -f "$LAB" ]; then
    echo "cannot run: $PAIR_PCAP, $PAIR_LOG or $LAB not found"
    exit 77
fi
if [ ! -w /dev/full ]; then
    echo "cannot run: /dev/full is missing"
    exit 77
fi
TMP=$(mktemp -d) || exit 2
writer_pid=""
trap '[ -n "$writer_pid" ] && kill "$writer_pid" 2>/dev/null; rm -rf "$TMP"' EXIT INT TERM
failures=0

fail() {
    echo "FAIL $*"
    failures=$((failures + 1))
}

for mode in default single; do
    flag=""
    [ "$mode" = single ] && flag=--single-thread
    # shellcheck disable=SC2086 # flag is empty or one word
    "$BIN" -q $flag --events /dev/full "$PAIR_LOG" >/dev/null 2>"$TMP/full-events.err"
    rc=$?
    if [ $rc -ne 2 ] || ! grep -q "/dev/full: cannot write events" "$TMP/full-events.err"; then
        fail "$mode: events to /dev/full: exit $rc, message '$(cat "$TMP/full-events.err")'"
    else
        echo "ok $mode: events to a full device reported, exit 2"
    fi
    # shellcheck disable=SC2086
    "$BIN" -q $flag "$PAIR_LOG" >/dev/full 2>"$TMP/full-alerts.err"
    rc=$?
    if [ $rc -ne 2 ] || ! grep -q "standard output: cannot write alerts" "$TMP/full-alerts.err"; then
        fail "$mode: alerts to /dev/full: exit $rc, message '$(cat "$TMP/full-alerts.err")'"
    else
        echo "ok $mode: alerts to a full device reported, exit 2"
    fi
    # shellcheck disable=SC2086
    "$BIN" -q $flag --validate "$PAIR_PCAP" "$PAIR_LOG" >/dev/full 2>"$TMP/full-table.err"
    rc=$?
    if [ $rc -ne 2 ] || ! grep -q "cannot write the validation table" "$TMP/full-table.err"; then
        fail "$mode: --validate table to /dev/full: exit $rc, message '$(cat "$TMP/full-table.err")'"
    else
        echo "ok $mode: validation table to a full device reported, exit 2"
    fi
    # shellcheck disable=SC2086
    ( "$BIN" -q $flag --events - "$PAIR_PCAP" "$PAIR_LOG" "$LAB" 2>/dev/null
      echo $? >"$TMP/pipe.rc" ) | head -n 1 >/dev/null
    rc=$(cat "$TMP/pipe.rc")
    if [ "$rc" -ne 141 ]; then
        fail "$mode: standard output closed by its reader: exit $rc, expected 141 (SIGPIPE)"
    else
        echo "ok $mode: a closed standard output ends the run with SIGPIPE"
    fi
done

# same NAME ARGS...: runs both modes and compares events and alerts.
same() {
    name=$1
    shift
    "$BIN" -q --events "$TMP/$name-default.events" "$@" >"$TMP/$name-default.alerts" 2>/dev/null
    "$BIN" -q --single-thread --events "$TMP/$name-single.events" "$@" \
        >"$TMP/$name-single.alerts" 2>/dev/null
    if ! cmp -s "$TMP/$name-default.events" "$TMP/$name-single.events" ||
        ! cmp -s "$TMP/$name-default.alerts" "$TMP/$name-single.alerts"; then
        fail "$name: --single-thread output differs from the default"
    else
        echo "ok $name: $(grep -c . "$TMP/$name-default.events") events and" \
            "$(grep -c . "$TMP/$name-default.alerts") alerts, the same in both modes"
    fi
}
same lab "$LAB"
same pair "$PAIR_PCAP" "$PAIR_LOG"

mkfifo "$TMP/report.fifo"
timeout 30 cat "$TMP/report.fifo" >"$TMP/report-read.html" &
cat_pid=$!
timeout 30 "$BIN" -q --report "$TMP/report.fifo" "$LAB" >/dev/null 2>"$TMP/report.err"
rc=$?
wait "$cat_pid"
if [ ! -p "$TMP/report.fifo" ]; then
    fail "report into a FIFO: the FIFO was replaced by a regular file (exit $rc)"
elif [ $rc -ne 0 ] || ! grep -q "</html>" "$TMP/report-read.html"; then
    fail "report into a FIFO: exit $rc, $(wc -c <"$TMP/report-read.html") bytes read"
else
    echo "ok report into a FIFO: $(wc -c <"$TMP/report-read.html") bytes, the FIFO kept"
fi

ln -s report-target.html "$TMP/report-link.html"
"$BIN" -q --report "$TMP/report-link.html" "$LAB" >/dev/null 2>"$TMP/report-link.err"
rc=$?
if [ ! -L "$TMP/report-link.html" ] || ! grep -q "</html>" "$TMP/report-target.html"; then
    fail "report onto a symbolic link: exit $rc, link kept: $([ -L "$TMP/report-link.html" ] && echo yes || echo no)"
else
    echo "ok report onto a symbolic link: the link kept, its target written"
fi
# Run in the temporary folder, so that a build that writes a file named "-" writes it there.
bin_path=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
lab_path=$(pwd)/$LAB
(cd "$TMP" && "$bin_path" -q --report - "$lab_path" >/dev/null 2>"$TMP/report-dash.err")
rc=$?
if [ $rc -ne 2 ] || [ -e "$TMP/-" ]; then
    fail "--report -: exit $rc, expected 2 and no file named '-'"
else
    echo "ok --report - rejected"
fi

"$BIN" -q --events /dev/stdout "$LAB" >"$TMP/two-streams.out" 2>"$TMP/two-streams.err"
rc=$?
if [ $rc -ne 2 ] || ! grep -q "same file through two streams" "$TMP/two-streams.err"; then
    fail "--events /dev/stdout with alerts on standard output: exit $rc, '$(cat "$TMP/two-streams.err")'"
else
    echo "ok --events /dev/stdout with alerts on standard output rejected"
fi
cp "$LAB" "$TMP/input.pcap"
ln "$TMP/input.pcap" "$TMP/input-hard-link"
"$BIN" -q --events "$TMP/input-hard-link" "$TMP/input.pcap" >/dev/null 2>"$TMP/hard-link.err"
rc=$?
if [ $rc -ne 2 ] || ! cmp -s "$LAB" "$TMP/input.pcap"; then
    fail "output on a hard link to the input: exit $rc, input intact: $(cmp -s "$LAB" "$TMP/input.pcap" && echo yes || echo no)"
else
    echo "ok output on a hard link to the input rejected, input intact"
fi

# A writer that sends a capture and then keeps the pipe open keeps the spool copy waiting.
mkdir "$TMP/spool"
mkfifo "$TMP/stdin.fifo"
python3 -c '
import sys
import time
with open(sys.argv[2], "wb") as out:
    out.write(open(sys.argv[1], "rb").read())
    out.flush()
    time.sleep(60)
' "$LAB" "$TMP/stdin.fifo" &
writer_pid=$!
TMPDIR="$TMP/spool" "$BIN" - <"$TMP/stdin.fifo" >/dev/null 2>"$TMP/spool.err" &
reader_pid=$!
sleep 1
kill -TERM "$reader_pid"
wait "$reader_pid"
rc=$?
kill "$writer_pid" 2>/dev/null
writer_pid=""
if [ -n "$(ls -A "$TMP/spool")" ]; then
    fail "stop while spooling: spool file left behind: $(ls "$TMP/spool")"
elif ! grep -q "stopped while copying" "$TMP/spool.err"; then
    fail "stop while spooling: exit $rc, no message: '$(cat "$TMP/spool.err")'"
else
    echo "ok stop while spooling: spool file removed, exit $rc"
fi

# SIGUSR1 while standard input is copied must not cut the copy short.
(cat "$LAB"; sleep 2) | TMPDIR="$TMP/spool" "$BIN" - >"$TMP/usr1.alerts" 2>"$TMP/usr1.err" &
spool_pid=$!
sleep 1
kill -USR1 "$spool_pid"
wait "$spool_pid"
"$BIN" "$LAB" 2>/dev/null | sed 's/"input":"[^"]*"//g' >"$TMP/direct.cmp"
sed 's/"input":"[^"]*"//g' "$TMP/usr1.alerts" >"$TMP/usr1.cmp"
if [ ! -s "$TMP/direct.cmp" ] || ! cmp -s "$TMP/direct.cmp" "$TMP/usr1.cmp"; then
    fail "SIGUSR1 while spooling: alerts differ from a direct run: '$(head -n 1 "$TMP/usr1.err")'"
else
    echo "ok SIGUSR1 while spooling: $(grep -c . "$TMP/usr1.alerts") alerts, as from the file"
fi

: | "$BIN" - >/dev/null 2>"$TMP/empty.err"
if ! grep -q "^wireaudit: -: file is empty" "$TMP/empty.err"; then
    fail "empty standard input: message does not name '-': '$(head -n 1 "$TMP/empty.err")'"
else
    echo "ok empty standard input named '-'"
fi

if [ "$failures" -ne 0 ]; then
    echo "$failures output checks failed"
    exit 1
fi
echo "all output checks passed"
