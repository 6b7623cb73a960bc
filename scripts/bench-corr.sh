#!/bin/sh
# Benchmarks the correlator. scripts/bench_corr.c times rule matching and
# correlation over one million synthetic events, first with the bundled
# patterns and then with the corpus SigmaHQ rules added. Then wireaudit runs
# end to end on the largest corpus host log with each rule set. Prints the
# numbers that BENCHMARKS.md records.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build-bench}
EVENTS=${EVENTS:-1000000}
SIGMA=../shared/corpus/sigma
make -s BUILD="$BUILD" "$BUILD/libwireaudit.a" "$BUILD/wireaudit"
PKG_LIBS=$(pkg-config --libs libpcap libndpi yaml-0.1 jansson libevtx libxml-2.0 libpcre2-8)
cc -std=c11 -D_GNU_SOURCE -O2 -o "$BUILD/bench_corr" scripts/bench_corr.c "$BUILD/libwireaudit.a" \
    $PKG_LIBS -lm

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "engine, bundled patterns only:"
"$BUILD/bench_corr" "$EVENTS" patterns/rules
echo "engine, bundled patterns and SigmaHQ rules:"
"$BUILD/bench_corr" "$EVENTS" patterns/rules "$SIGMA/rules" "$SIGMA/rules-emerging-threats"

LOG=../shared/corpus/json/empire_smbexec_dcerpc_smb_svcctl_2020-09-20025716.json
if [ -f "$LOG" ]; then
    echo "end to end ($LOG, JSON import included):"
    for rules in "" "--rules $SIGMA/rules --rules $SIGMA/rules-emerging-threats --rules patterns/rules"; do
        start=$(date +%s.%N)
        # shellcheck disable=SC2086
        "./$BUILD/wireaudit" -q $rules "$LOG" >/dev/null
        end=$(date +%s.%N)
        echo "  rules: ${rules:-bundled patterns}: $(echo "$end - $start" | bc) s"
    done
fi
