#!/bin/sh
# Log import benchmark: EVTX import throughput of wireaudit (MB/s and
# events/s) with --events /dev/null and an empty rule folder, next to
# evtxexport -f xml from libevtx-utils, which renders the same XML that
# wireaudit parses. Each pass imports every corpus EVTX file once in one
# process, and the passes run back to back; nothing is concatenated.
# Throughput is computed from CPU time (user + system of the child
# processes), which other load on the machine disturbs less than wall time;
# wall time is printed next to it.
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

# run_set LABEL FILE...: runs PASSES passes over the files and prints one Markdown row.
run_set() {
    label=$1
    shift
    bytes=$(cat "$@" | wc -c)
    events=$("$BIN" --rules "$WORK/rules" --events /dev/null "$@" 2>&1 |
        sed -n 's/.*summary: .* events \([0-9]*\),.*/\1/p')
    python3 - "$label" "$PASSES" "$bytes" "$events" "$BIN" "$WORK/rules" "$@" <<'PY'
import resource, subprocess, sys, time
label, passes, size, events, binary, rules = sys.argv[1:7]
files = sys.argv[7:]
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
_, theirs_cpu = timed([["evtxexport", "-m", "all", "-f", "xml", name] for name in files])
mb = size * passes / 1e6
print("| %s | %d x %.1f MB | %d | %.2f | %.2f | %.1f | %.0f | %.2f |"
      % (label, passes, size / 1e6, events * passes, ours_cpu, ours_wall, mb / ours_cpu,
         events * passes / ours_cpu, theirs_cpu))
PY
}

echo "| Input | Passes x size | Events | wireaudit CPU (s) | wall (s) | MB/s | events/s |" \
    "evtxexport -f xml CPU (s) |"
echo "|---|---|---|---|---|---|---|---|"
run_set "all $(ls "$CORPUS"/*.evtx | wc -l) corpus EVTX files" "$CORPUS"/*.evtx
run_set "3 fullest files (1.1 MB each)" "$CORPUS"/LM_5145_Remote_FileCopy.evtx \
    "$CORPUS"/sliver-security.evtx "$CORPUS"/dicovery_4661_net_group_domain_admins_target.evtx
