#!/bin/sh
# Renders HTML reports in headless Chromium and checks their DOM and network log:
# a lab capture, a corpus capture with its paired host log, and a crafted capture
# whose file, user and server names are script injection attempts.
# Chromium runs in a network namespace of its own (unshare -n) with a fresh
# profile, so neither the page nor the browser's background services can reach
# any other host. Exits 77 when Chromium or unshare is unavailable.
cd "$(dirname "$0")/.." || exit 2

WIREAUDIT=${WIREAUDIT:-./wireaudit}
PYTHON=/usr/bin/python3
[ -x "$PYTHON" ] || PYTHON=python3
CHROMIUM=$(command -v chromium || command -v chromium-browser)
CORPUS=../shared/corpus
RULES=tests/report/share_access.yml

if [ -z "$CHROMIUM" ]; then
    echo "chromium is not installed; scripts/install-deps.sh installs it"
    exit 77
fi
if ! unshare -n true 2>/dev/null; then
    echo "cannot isolate chromium from the network: unshare -n needs root or user namespaces"
    exit 77
fi
if [ ! -x "$WIREAUDIT" ]; then
    echo "$WIREAUDIT is missing; run make first"
    exit 2
fi

work=$(mktemp -d /tmp/wa-it-report.XXXXXX)
# REPORT_KEEP=DIR keeps the pages and screenshots there for a look afterwards.
trap '[ -n "$REPORT_KEEP" ] && cp "$work"/*.html "$work"/*.png "$REPORT_KEEP"/ 2>/dev/null; rm -rf "$work"' EXIT
failed=0

# Loads a page from disk in an isolated Chromium; writes NAME.dom, NAME.png and NAME.net.
render() {
    page=$1
    name=$2
    timeout 120 unshare -n "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic \
        --no-first-run --disable-background-networking --disable-component-update \
        --disable-sync --disable-default-apps --disable-extensions --no-pings \
        --user-data-dir="$work/profile-$name" --log-net-log="$work/$name.net" \
        --window-size=1280,1400 --virtual-time-budget=5000 \
        --dump-dom "file://$page" >"$work/$name.dom" 2>"$work/$name.chromium.log"
    rc=$?
    rm -rf "$work/profile-$name"
    timeout 120 unshare -n "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic \
        --no-first-run --disable-background-networking --disable-component-update \
        --disable-sync --disable-default-apps --disable-extensions --no-pings \
        --user-data-dir="$work/profile-$name" --window-size=1280,1400 \
        --virtual-time-budget=5000 --screenshot="$work/$name.png" "file://$page" \
        >/dev/null 2>&1
    rm -rf "$work/profile-$name"
    return $rc
}

# Renders $work/NAME.html and checks it; the arguments after NAME go to check_dom.py.
check_page() {
    name=$1
    shift
    checks="$*"
    page="$work/$name.html"
    if ! render "$page" "$name"; then
        echo "FAIL $name: chromium failed"
        tail -n 5 "$work/$name.chromium.log"
        failed=1
        return
    fi
    # shellcheck disable=SC2086
    result=$("$PYTHON" tests/report/check_dom.py "$work/$name.dom" "$work/$name.net" $checks)
    status=$?
    echo "$result" | sed "s/^/$name: /"
    events=$(sed -n 's/.*summary: .*events \([0-9]*\),.*/\1/p' "$work/$name.stderr")
    echo "TABLE report $name: events $events, alerts $(wc -l <"$work/$name.alerts"), \
page $(($(wc -c <"$page") / 1024)) KiB, \
screenshot $(($(wc -c <"$work/$name.png") / 1024)) KiB, $(echo "$result" | head -n 1)"
    [ $status -eq 0 ] || failed=1
}

# Runs wireaudit with --report, then checks the page. Arguments after the stage
# name go to check_dom.py up to "--", the rest to wireaudit.
check_stage() {
    name=$1
    shift
    checks=""
    while [ "$1" != "--" ]; do
        checks="$checks $1"
        shift
    done
    shift
    "$WIREAUDIT" --rules "$RULES" --report "$work/$name.html" "$@" \
        >"$work/$name.alerts" 2>"$work/$name.stderr"
    rc=$?
    if [ $rc -ge 2 ] || [ ! -s "$work/$name.html" ]; then
        echo "FAIL $name: wireaudit exited $rc without a report"
        tail -n 5 "$work/$name.stderr"
        failed=1
        return
    fi
    # shellcheck disable=SC2086
    check_page "$name" $checks
}

# Live capture on the loopback interface of a network namespace made for the
# test: the crafted frames are sent there, SIGUSR1 must rewrite the report while
# the capture runs, and SIGINT must write the final one.
check_live() {
    WIREAUDIT="$WIREAUDIT" RULES="$RULES" PYTHON="$PYTHON" work="$work" \
        timeout 60 unshare -n sh -c '
        ip link set lo up || exit 3
        "$WIREAUDIT" -i lo --rules "$RULES" --report "$work/live.html" \
            >"$work/live.alerts" 2>"$work/live.stderr" &
        pid=$!
        # Wait until the capture has its packet socket open (a second line in
        # /proc/net/packet, which lists this namespace only), at most 10 s.
        i=0
        while [ "$(wc -l </proc/net/packet)" -lt 2 ] && [ $i -lt 100 ]; do
            sleep 0.1
            i=$((i + 1))
        done
        "$PYTHON" tests/report/send_frames.py lo "$work/hostile.pcap" || exit 4
        sleep 1
        kill -USR1 $pid
        sleep 1
        cp "$work/live.html" "$work/live-usr1.html" || exit 5
        kill -INT $pid
        wait $pid'
    rc=$?
    if [ $rc -ge 2 ] || [ ! -s "$work/live-usr1.html" ]; then
        echo "FAIL live: exit $rc, or no report after SIGUSR1"
        tail -n 5 "$work/live.stderr"
        failed=1
        return
    fi
    echo "live: SIGUSR1 wrote $(wc -c <"$work/live-usr1.html") bytes while capturing"
    check_page live --alerts --text-file "$work/hostile.expect"
}

# The checker itself must notice a page that fetches: feed it one that does. The
# address is loopback inside Chromium's own empty namespace, where nothing listens.
printf '<!DOCTYPE html><html><body><img src="http://127.0.0.1:9/canary.png"></body></html>' \
    >"$work/canary.html"
render "$work/canary.html" canary
if "$PYTHON" tests/report/check_dom.py "$work/canary.dom" "$work/canary.net" \
    | grep -q "the page requested"; then
    echo "canary: the checker reports a page that fetches"
else
    echo "FAIL canary: the checker missed a page request"
    failed=1
fi

# PsExec touches the most event kinds (share access, service install, RPC calls).
lab=pcaps/psexec-impacket.pcap
[ -f "$lab" ] || lab=$(ls pcaps/*.pcap 2>/dev/null | head -n 1)
skipped=""
if [ -n "$lab" ]; then
    check_stage lab --alerts -- "$lab"
else
    skipped="$skipped lab (no capture under pcaps/)"
fi

pair=covenant_copy_smb_CreateRequest_2020-09-22145302
if [ -f "$CORPUS/pcap/$pair.cap" ]; then
    check_stage corpus --alerts -- "$CORPUS/pcap/$pair.cap" "$CORPUS/json/$pair.json"
else
    skipped="$skipped corpus (../shared/corpus is missing)"
fi

"$PYTHON" tests/report/gen_hostile_smb2.py "$work/hostile.pcap"
# The names the generator puts on the wire, which the page must show as plain text.
cat >"$work/hostile.expect" <<'NAMES'
<script>alert(1)</script>.txt
o"brien' <b>bold</b>
</svg><script>alert(3)</script>
WS"><img src=x onerror=alert(2)>
NAMES
check_stage hostile --alerts --text-file "$work/hostile.expect" -- "$work/hostile.pcap"
if [ -f "$work/hostile.html" ] && grep -q "<script>alert" "$work/hostile.html"; then
    echo "FAIL hostile: a name reached the page source unescaped"
    failed=1
fi
check_live

# A million events: the page embeds only --report-max-events of them and bins the
# timeline, so it stays small and opens within seconds. The time limit is loose
# so that a slow CI machine does not fail it. It catches a page that embeds everything.
"$PYTHON" tests/report/gen_many_events.py 1000000 "$work/large-log.jsonl"
check_stage large --alerts --max-ready-ms 30000 -- "$work/large-log.jsonl"
rm -f "$work/large-log.jsonl"
if [ -f "$work/large.html" ] && [ "$(wc -c <"$work/large.html")" -gt $((16 * 1024 * 1024)) ]; then
    echo "FAIL large: the page is larger than 16 MiB"
    failed=1
fi

[ $failed -eq 0 ] || exit 1
if [ -n "$skipped" ]; then
    echo "skipped:$skipped"
    exit 77
fi
exit 0
