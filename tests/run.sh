#!/bin/sh
# Runs every unit test binary (normal and ASan/UBSan builds) and every
# integration script tests/it_*.sh, then prints one "N passed, N failed" line.
# An integration script exits 0 on success, 77 when it cannot run here (it says
# why), and anything else on failure.
cd "$(dirname "$0")/.." || exit 2
# ASan builds that read damaged EVTX report leaks inside libevtx, which tests/lsan.supp suppresses.
export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0"

passed=0
failed=0
skipped=0
failures=""

run_one() {
    name=$1
    shift
    log="build/test-logs/$(echo "$name" | tr '/' '_').log"
    mkdir -p build/test-logs
    "$@" >"$log" 2>&1
    rc=$?
    if [ $rc -eq 0 ]; then
        passed=$((passed + 1))
        echo "PASS $name"
    elif [ $rc -eq 77 ]; then
        skipped=$((skipped + 1))
        echo "SKIP $name: $(tail -n 1 "$log")"
    else
        failed=$((failed + 1))
        failures="$failures $name"
        echo "FAIL $name (exit $rc); last lines of $log:"
        tail -n 30 "$log" | sed 's/^/    /'
    fi
    # Scripts print their own tables (agreement per file and the like); keep them visible.
    grep -E '^(TABLE|AGREE|FIDELITY)' "$log" | sed 's/^/    /' || true
}

for t in build/tests/test_*; do
    [ -x "$t" ] && run_one "$t" "$t"
done
for t in build-asan/tests/test_*; do
    [ -x "$t" ] && run_one "$t" "$t"
done
for t in tests/it_*.sh; do
    [ -f "$t" ] && run_one "$t" sh "$t"
done

echo
[ -n "$failures" ] && echo "failed:$failures"
echo "tests: $passed passed, $failed failed, $skipped skipped"
[ $failed -eq 0 ]
