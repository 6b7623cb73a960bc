#!/bin/sh
# Log import benchmark: EVTX import throughput of wireaudit (MB/s and
# events/s) with --events /dev/null and an empty rule folder, next to
# evtxexport -f xml from libevtx-utils, which renders the same XML that
# wireaudit parses. Event XML (made with evtxexport from the same files) and
# the corpus JSON lines are measured too. Each pass imports every corpus EVTX file once in one
# process, and the passes run back to back; nothing is concatenated.
# Throughput is computed from CPU time (user + system of the child
# processes), because other load on the machine disturbs it less than wall
# time. Wall time is printed next to it.
#
# Usage: scripts/bench-logs.sh [PASSES]   (default 20)
# Environment: WA_BIN (default ./wireaudit).
# Prints a Markdown table for BENCHMARKS.md. Not part of `make test`.
cd "$(dirname "$0")/.." || exit 2

PASSES=${1:-20}
BIN=${WA_BIN:-./wireaudit}
CORPUS=../shared/corpus/evtx

for tool in python3 evtxexport; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "bench-logs: $tool is missing. Run 'make deps'." >&2
        exit 2
    fi
done
if [ ! -x "$BIN" ]; then
    echo "bench-logs: $BIN is missing. Run 'make' first." >&2
    exit 2
fi

WORK=$(mktemp -d) || exit 2
trap 'rm -rf "$WORK"' EXIT INT TERM
mkdir "$WORK/rules"

# run_set LABEL COMPARE FILE...: runs PASSES passes over the files and prints
# one Markdown row; COMPARE=yes also times evtxexport on them.
run_set() {
    label=$1
    compare=$2
    shift 2
    bytes=$(cat "$@" | wc -c)
    events=$("$BIN" --rules "$WORK/rules" --events /dev/null "$@" 2>&1 |
        sed -n 's/.*summary: .* events \([0-9]*\),.*/\1/p')
    python3 - "$label" "$PASSES" "$bytes" "$events" "$BIN" "$WORK/rules" "$compare" "$@" <<'PY'
import resource, subprocess, sys, time
label, passes, size, events, binary, rules, compare = sys.argv[1:8]
files = sys.argv[8:]
passes, size, events = int(passes), int(size), int(events)

def timed(commands):
    """Runs every command passes times; returns (wall seconds, CPU seconds)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    for _ in range(passes):
        for command in commands:
            subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu

ours_wall, ours_cpu = timed([[binary, "-q", "--rules", rules, "--events", "/dev/null"] + files])
theirs = "-"
if compare == "yes":
    _, theirs_cpu = timed([["evtxexport", "-m", "all", "-f", "xml", name] for name in files])
    theirs = "%.2f" % theirs_cpu
mb = size * passes / 1e6
print("| %s | %d x %.1f MB | %d | %.2f | %.2f | %.1f | %.0f | %s |"
      % (label, passes, size / 1e6, events * passes, ours_cpu, ours_wall, mb / ours_cpu,
         events * passes / ours_cpu, theirs))
PY
}

echo "| Input | Passes x size | Events | wireaudit CPU (s) | wall (s) | MB/s | events/s |" \
    "evtxexport -f xml CPU (s) |"
echo "|---|---|---|---|---|---|---|---|"
FULLEST="$CORPUS/LM_5145_Remote_FileCopy.evtx $CORPUS/sliver-security.evtx
$CORPUS/dicovery_4661_net_group_domain_admins_target.evtx"
run_set "all $(ls "$CORPUS"/*.evtx | wc -l) corpus EVTX files" yes "$CORPUS"/*.evtx
# shellcheck disable=SC2086 # FULLEST is a list of file names without spaces
run_set "3 fullest EVTX files (1.1 MB each)" yes $FULLEST
# The same three as event XML; evtxexport starts its output with a line that is not XML.
for f in $FULLEST; do
    evtxexport -f xml "$f" 2>/dev/null | tail -n +2 >"$WORK/$(basename "$f" .evtx).xml"
done
run_set "the same 3 as event XML" no "$WORK"/*.xml
run_set "all corpus JSON lines files" no ../shared/corpus/json/*.json
