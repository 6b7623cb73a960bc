#!/bin/sh
# Checks the command line as a whole. Option combinations that cannot work,
# and output paths that would overwrite an input, exit 2 before anything is
# written. Standard input and pipes are read like files. An empty file or a
# folder is named as such. SIGINT during a file read reports how far the read
# got and exits 1.
cd "$(dirname "$0")/.." || exit 2

BIN=${WA_BIN:-build/wireaudit}
CAPTURE=pcaps/smbexec-impacket.pcap
LOG=../shared/corpus/json/schtask_create_2020-12-1907003032.json
if [ ! -x "$BIN" ]; then
    echo "cannot run: $BIN is missing; build it with 'make'"
    exit 77
fi
TMP=$(mktemp -d) || exit 2
trap 'rm -rf "$TMP"' EXIT
# Most checks run without rules, so that they test the command line alone.
mkdir "$TMP/norules"
failures=0

fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}

# expect STATUS MESSAGE_PART DESCRIPTION COMMAND...: checks exit status and a stderr substring.
expect() {
    want=$1
    part=$2
    what=$3
    shift 3
    "$@" >"$TMP/out" 2>"$TMP/err"
    got=$?
    if [ "$got" -ne "$want" ]; then
        fail "$what: exit $got, expected $want; stderr: $(head -c 300 "$TMP/err")"
    elif [ -n "$part" ] && ! grep -qF -- "$part" "$TMP/err"; then
        fail "$what: stderr lacks '$part': $(head -c 300 "$TMP/err")"
    else
        echo "ok: $what"
    fi
}

cp "$CAPTURE" "$TMP/in.pcap"
size_before=$(wc -c <"$TMP/in.pcap")
expect 2 "would overwrite an input" "--events naming the input" \
    "$BIN" -q --events "$TMP/in.pcap" "$TMP/in.pcap"
ln -s in.pcap "$TMP/link.pcap"
expect 2 "would overwrite an input" "--report naming the input through a link" \
    "$BIN" -q --report "$TMP/link.pcap" "$TMP/in.pcap"
expect 2 "would overwrite an input" "--alerts naming the input" \
    "$BIN" -q --alerts "$TMP/./in.pcap" "$TMP/in.pcap"
[ "$(wc -c <"$TMP/in.pcap")" -eq "$size_before" ] || fail "the input capture was modified"
expect 2 "both name" "--events and --alerts on one file" \
    "$BIN" -q --events "$TMP/o.json" --alerts "$TMP/o.json" "$TMP/in.pcap"
expect 2 "cannot be combined with input files" "-i with files" "$BIN" -i lo "$TMP/in.pcap"
expect 2 "--json applies only to --validate" "--json alone" "$BIN" --json "$TMP/in.pcap"
expect 2 "cannot be combined" "--validate with --check-rules" \
    "$BIN" --validate --check-rules "$TMP/in.pcap"
expect 2 "cannot write report" "--report into a missing folder" \
    "$BIN" -q --report "$TMP/missing/r.html" "$TMP/in.pcap"
expect 0 "no rules loaded" "an empty rules folder warns" \
    "$BIN" --rules "$TMP/norules" "$TMP/in.pcap"

: >"$TMP/empty.pcap"
expect 1 "file is empty" "an empty input" "$BIN" -q --rules "$TMP/norules" "$TMP/empty.pcap"
expect 1 "is a folder" "a folder as input" "$BIN" -q --rules "$TMP/norules" "$TMP"

# Standard input and pipes: the same events as the file, named "-".
"$BIN" -q --rules "$TMP/norules" --events "$TMP/file.jsonl" "$TMP/in.pcap" >/dev/null 2>&1
"$BIN" -q --rules "$TMP/norules" --events "$TMP/pipe.jsonl" - <"$TMP/in.pcap" >/dev/null 2>&1
sed 's/"input":"[^"]*"//' "$TMP/file.jsonl" >"$TMP/a"
sed 's/"input":"[^"]*"//' "$TMP/pipe.jsonl" >"$TMP/b"
if [ ! -s "$TMP/a" ] || ! cmp -s "$TMP/a" "$TMP/b"; then
    fail "pcap on standard input gives other events than the file"
else
    echo "ok: pcap on standard input"
fi
grep -q '"input":"-"' "$TMP/pipe.jsonl" || fail "events from standard input do not name it '-'"
if [ -f "$LOG" ]; then
    lines=$(grep -c . "$LOG")
    got=$(cat "$LOG" | "$BIN" -q --rules "$TMP/norules" --events - /dev/stdin 2>/dev/null |
        grep -c '"EventID"')
    [ "$got" -eq "$lines" ] || fail "JSON lines through a pipe: $got events from $lines lines"
fi

# SIGINT in the middle of a file read: status 1 and the byte reached.
big="$TMP/big.pcap"
i=0
cp "$CAPTURE" "$big"
while [ "$i" -lt 12 ]; do
    # Doubling the records (without the 24-byte header) keeps the file a valid pcap.
    tail -c +25 "$big" >"$TMP/records"
    cat "$TMP/records" >>"$big"
    i=$((i + 1))
done
"$BIN" -q --rules "$TMP/norules" --events /dev/null "$big" >/dev/null 2>"$TMP/err" &
pid=$!
sleep 0.3
kill -INT "$pid" 2>/dev/null
wait "$pid"
status=$?
if grep -q "interrupted at byte" "$TMP/err"; then
    [ "$status" -eq 1 ] || fail "interrupted read exited $status, expected 1"
    echo "ok: interrupted read reported"
elif [ "$status" -ne 0 ]; then
    fail "read exited $status without an interruption message: $(head -c 300 "$TMP/err")"
else
    echo "ok: the read finished before SIGINT arrived (nothing to check)"
fi

if [ "$failures" -ne 0 ]; then
    echo "$failures checks failed"
    exit 1
fi
echo "all command-line checks passed"
