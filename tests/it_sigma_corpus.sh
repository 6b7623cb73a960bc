#!/bin/sh
# Loads every SigmaHQ rule in the shared corpus one file at a time and lists
# which load and which are rejected, with the reason the loader gives. Fails
# when a rule is rejected without a reason or when a rule expected to load
# (one that uses only supported features) is rejected.
cd "$(dirname "$0")/.." || exit 2
BIN=${WIREAUDIT:-./wireaudit}
SIGMA=../shared/corpus/sigma
if [ ! -x "$BIN" ]; then
    echo "cannot run: $BIN is not built (run make first)"
    exit 77
fi
if [ ! -d "$SIGMA" ]; then
    echo "cannot run: $SIGMA not found (the shared corpus sits beside the repository)"
    exit 77
fi

# Rules that are rejected on purpose, with a word the reason must contain.
expected_rejections="unsupported/windows/win_dumping_ntdsdit_via_netsync.yml:not a selection
unsupported/windows/win_security_susp_samr_pwset.yml:timeframe
unsupported/zeek/zeek_dce_rpc_domain_user_enumeration.yml:timeframe
rules-placeholder/windows/builtin/security/win_security_remote_registry_management_via_reg.yml:expand"

loaded=0
rejected=0
failures=0
tmp=$(mktemp)
for f in $(find "$SIGMA" -name '*.yml' | sort); do
    rel=${f#"$SIGMA"/}
    "$BIN" --check-rules --rules "$f" >/dev/null 2>"$tmp"
    rc=$?
    reason=$(grep -v '^wireaudit: ' "$tmp" | head -n 1 | sed 's/^[^ ]*: //')
    expected=$(printf '%s\n' "$expected_rejections" | grep "^$rel:" | cut -d: -f2-)
    if [ $rc -eq 0 ]; then
        loaded=$((loaded + 1))
        echo "TABLE sigma loaded   $rel"
        if [ -n "$expected" ]; then
            echo "FAIL: $rel loaded but should be rejected for '$expected'"
            failures=$((failures + 1))
        fi
        continue
    fi
    rejected=$((rejected + 1))
    echo "TABLE sigma rejected $rel: $reason"
    if [ -z "$reason" ]; then
        echo "FAIL: $rel rejected without a reason"
        failures=$((failures + 1))
    elif [ -z "$expected" ]; then
        echo "FAIL: $rel rejected but uses only supported features"
        failures=$((failures + 1))
    elif ! printf '%s' "$reason" | grep -q -- "$expected"; then
        echo "FAIL: $rel rejected for '$reason', expected a reason naming '$expected'"
        failures=$((failures + 1))
    fi
done
rm -f "$tmp"

# The whole folder at once must load the same rules (cross-file checks such as ids).
"$BIN" --check-rules --keep-going --rules "$SIGMA" 2>&1 | tail -n 1 | sed 's/^/TABLE sigma all: /'
echo "TABLE sigma summary: $loaded loaded, $rejected rejected"
[ $failures -eq 0 ]
