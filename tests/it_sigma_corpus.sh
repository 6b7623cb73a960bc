#!/bin/sh
# Loads every SigmaHQ rule in the shared corpus one file at a time and lists
# which load and which are rejected, with the reason the loader gives. Fails
# when a rule is rejected without a reason, for another reason than expected,
# or although it uses only supported features.
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

# The loaded SigmaHQ rules run on a host log and on the capture of the same
# behavior: the Windows-rendered values (AccessMask 0x2, AccessList WriteData)
# must match in both.
C=../shared/corpus
sigma_hits() {
    "$BIN" -q --keep-going --rules "$SIGMA/rules" --rules "$SIGMA/rules-emerging-threats" "$@" \
        2>/dev/null | sed -n 's/^{"rule":"\([^"]*\)".*/\1/p' | sort -u
}
expect_hit() {
    title=$1
    input=$2
    hits=$(sigma_hits "$C/$input")
    echo "TABLE sigma hits $input: $(echo "$hits" | tr '\n' ';' | sed 's/;$//')"
    if ! echo "$hits" | grep -qxF "$title"; then
        echo "FAIL: SigmaHQ rule '$title' did not fire on $input"
        failures=$((failures + 1))
    fi
}
if [ -d "$C/pcap" ] && [ -d "$C/json" ] && [ -d "$C/evtx" ]; then
    expect_hit "SMB Create Remote File Admin Share" json/covenant_copy_smb_CreateRequest_2020-09-22145302.json
    expect_hit "SMB Create Remote File Admin Share" pcap/covenant_copy_smb_CreateRequest_2020-09-22145302.cap
    expect_hit "Remote Task Creation via ATSVC Named Pipe" evtx/LM_ScheduledTask_ATSVC_target_host.evtx
    expect_hit "Remote Task Creation via ATSVC Named Pipe" pcap/sv_dcerpc-smb-ctxid_atsvc.pcap
    expect_hit "smbexec.py Service Installation" evtx/e2m_ID7045-4697-SMBexec_service_registration.evtx
    expect_hit "Possible PrintNightmare Print Driver Install - CVE-2021-1675" pcap/sv_smb-dce_iface_spoolss.pcap
    expect_hit "MITRE BZAR Indicators for Execution" pcap/LM_psexec_smb_dcerpc_epm_svcctl.pcapng
    expect_hit "MITRE BZAR Indicators for Execution" pcap/schtask_create_2020-12-1907003032.pcapng
fi
[ $failures -eq 0 ]
