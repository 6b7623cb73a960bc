#!/bin/sh
# Checks the progress line: shown on standard error when it is a terminal (run
# under script(1), which gives the program a pseudo-terminal), absent when
# standard error is a file or when -q is given. Exits 77 without script(1).
cd "$(dirname "$0")/.." || exit 2

WIREAUDIT=${WIREAUDIT:-./wireaudit}
PYTHON=/usr/bin/python3
[ -x "$PYTHON" ] || PYTHON=python3
if ! command -v script >/dev/null 2>&1; then
    echo "script(1) from util-linux is not installed"
    exit 77
fi

work=$(mktemp -d /tmp/wa-it-progress.XXXXXX)
trap 'rm -rf "$work"' EXIT
failed=0

# Enough events that the read outlasts the 250 ms redraw interval several times.
"$PYTHON" tests/report/gen_many_events.py 200000 "$work/log.jsonl"

script -qec "$WIREAUDIT $work/log.jsonl >/dev/null" "$work/tty.out" >/dev/null 2>&1
if grep -q "wireaudit: .* of .* ([0-9]*%), [0-9]* events, [0-9]* alerts, .*/s" "$work/tty.out"; then
    echo "terminal: progress shown"
else
    echo "FAIL terminal: no progress line in the pseudo-terminal output"
    failed=1
fi

"$WIREAUDIT" "$work/log.jsonl" >/dev/null 2>"$work/file.err"
if grep -q "% *(\|[0-9]*%), " "$work/file.err"; then
    echo "FAIL file: progress written to a standard error that is not a terminal"
    failed=1
else
    echo "file: no progress"
fi

script -qec "$WIREAUDIT -q $work/log.jsonl >/dev/null" "$work/quiet.out" >/dev/null 2>&1
if grep -q "[0-9]*%), " "$work/quiet.out"; then
    echo "FAIL quiet: progress shown despite -q"
    failed=1
else
    echo "quiet: no progress"
fi
exit $failed
