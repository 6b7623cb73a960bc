#!/bin/sh
# Live-capture end-to-end test: runs the replay lab (scripts/lab/run-lab.sh)
# for a few techniques while `wireaudit -i` listens on the server-side veth
# inside the lab's server namespace, then checks that
#   - the lab succeeded and wireaudit exited on SIGINT,
#   - libpcap counted no dropped packets,
#   - every expected alert of those techniques arrived (or, while the
#     expected alert files are empty, every expected event did),
#   - no namespace, process or work directory of the lab is left behind.
# Needs root, network namespaces and the lab's packages; exits 77 saying
# which is missing.
cd "$(dirname "$0")/.." || exit 2
export LC_ALL=C
REPO_DIR=$(pwd)

WIREAUDIT=${WIREAUDIT:-$REPO_DIR/wireaudit}
TECHNIQUES="copy-to-admin-share-smb311 service-create-impacket psexec-impacket"
PROJECT="/usr/bin/python3 scripts/lab/project-events.py"

skip() {
    echo "$*"
    exit 77
}

[ "$(id -u)" -eq 0 ] || skip "needs root for network namespaces and live capture"
for tool in ip tcpdump smbd smbclient /usr/bin/python3; do
    command -v "$tool" >/dev/null 2>&1 || skip "$tool not installed; run scripts/install-deps.sh"
done
[ -x "$WIREAUDIT" ] || skip "$WIREAUDIT not found; build it with make"
probe=wa-probe-$$
ip netns add "$probe" 2>/dev/null || skip "cannot create network namespaces here (ip netns add failed)"
if ! ip netns exec "$probe" true 2>/dev/null; then
    ip netns del "$probe"
    skip "cannot enter network namespaces here (ip netns exec failed)"
fi
ip netns del "$probe"

work=$(mktemp -d "${TMPDIR:-/tmp}/it_lab_live.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT INT TERM
failures=0

check() {
    description=$1
    shift
    if "$@"; then
        echo "ok: $description"
    else
        echo "FAILED: $description"
        failures=$((failures + 1))
    fi
}

# The watcher runs in the server namespace, where the lab sets $LAB_IFACE.
watch="exec '$WIREAUDIT' -i \"\$LAB_IFACE\" --events '$work/live.events' --alerts '$work/live.alerts'"
# shellcheck disable=SC2086
LAB_LOG_DIR=$work/logs scripts/lab/run-lab.sh -o "$work/pcaps" -w "$watch" $TECHNIQUES \
    >"$work/lab.log" 2>&1 &
lab_pid=$!
wait $lab_pid
lab_status=$?
sed 's/^/    /' "$work/lab.log"
echo "wireaudit output:"
sed 's/^/    /' "$work/logs/watcher.log" 2>/dev/null

check "lab exited with status 0 (got $lab_status)" [ $lab_status -eq 0 ]
check "wireaudit stopped on SIGINT" sh -c "! grep -q 'still running 10 s after SIGINT' '$work/lab.log'"

# wireaudit prints "IFACE: received N, dropped D, dropped by interface I" on exit.
stats=$(grep -E ': received [0-9]+, dropped [0-9]+, dropped by interface [0-9]+' \
    "$work/logs/watcher.log" 2>/dev/null | tail -n 1)
check "wireaudit printed capture statistics" [ -n "$stats" ]
dropped=$(printf '%s\n' "$stats" | sed -n 's/.*, dropped \([0-9]*\), dropped by interface \([0-9]*\).*/\1 \2/p')
check "no packets dropped (dropped, dropped by interface: ${dropped:-none})" [ "$dropped" = "0 0" ]

# Names of this run's random services and files, for the projection.
cat "$work"/pcaps/*.names >"$work/names" 2>/dev/null || true
expected_alerts=$work/expected.alerts
expected_events=$work/expected.events
: >"$expected_alerts"
: >"$expected_events"
for technique in $TECHNIQUES; do
    cat "tests/expected/$technique.alerts.jsonl" >>"$expected_alerts" 2>/dev/null
    cat "tests/expected/$technique.events.jsonl" >>"$expected_events" 2>/dev/null
done

# Prints the distinct lines of expected that actual lacks. Repeats are not
# counted, because in one live stream a correlation may group two
# techniques' events into one alert where the separate captures raise two.
missing_lines() {
    sort -u "$1" >"$work/want"
    sort -u "$2" >"$work/have"
    comm -23 "$work/want" "$work/have"
}

if [ -s "$expected_alerts" ]; then
    kind=alerts
    expected=$expected_alerts
else
    # Empty expected alert files mean no shipped rule fires on these
    # techniques. The events that rules read must still arrive.
    kind=events
    expected=$expected_events
fi
touch "$work/live.$kind"
$PROJECT "$kind" "$work/live.$kind" --names "$work/names" >"$work/actual" || exit 2
missing=$(missing_lines "$expected" "$work/actual")
check "every expected $kind line arrived live ($(sort -u "$expected" | wc -l) distinct expected)" \
    [ -z "$missing" ]
[ -z "$missing" ] || printf '%s\n' "$missing" | head -n 10 | sed 's/^/    missing: /'

leftover_ns=$(ip netns list | grep -E "^wa-(srv|atk)-$lab_pid( |$)" || true)
check "no lab namespace left (${leftover_ns:-none})" [ -z "$leftover_ns" ]
leftover_procs=$(pgrep -f "wa-lab-$lab_pid\\.|$work/live" || true)
check "no lab process left (${leftover_procs:-none})" [ -z "$leftover_procs" ]
leftover_dirs=$(ls -d /tmp/wa-lab-"$lab_pid".* 2>/dev/null || true)
check "no lab work directory left (${leftover_dirs:-none})" [ -z "$leftover_dirs" ]

echo "live lab checks failed: $failures"
[ $failures -eq 0 ]
