#!/bin/sh
# Runs wireaudit with the bundled patterns on corpus captures and logs and
# prints which patterns fire on each input (TABLE lines). Checks that each
# behavior's pattern fires where the corpus shows that behavior, and that the
# benign protocol captures raise no alert.
cd "$(dirname "$0")/.." || exit 2
BIN=${WIREAUDIT:-./wireaudit}
C=../shared/corpus
if [ ! -x "$BIN" ]; then
    echo "cannot run: $BIN is not built (run make first)"
    exit 77
fi
if [ ! -d "$C/pcap" ]; then
    echo "cannot run: $C/pcap not found (the shared corpus sits beside the repository)"
    exit 77
fi
probe=$("$BIN" -q --rules patterns/rules --events - "$C/pcap/covenant_copy_smb_CreateRequest_2020-09-22145302.cap" 2>/dev/null | grep -c '"EventID":5145')
if [ "${probe:-0}" -eq 0 ]; then
    echo "cannot run: wireaudit rebuilds no 5145 events from captures yet"
    exit 77
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0

# Prints the distinct rule titles that fire on the given inputs, one per line.
fired() {
    "$BIN" -q "$@" 2>/dev/null | sed -n 's/^{"rule":"\([^"]*\)".*/\1/p' | sort -u
}

# Prints "N title" for each rule that fires on the given inputs, N alerts.
fired_counts() {
    "$BIN" -q "$@" 2>/dev/null | sed -n 's/^{"rule":"\([^"]*\)".*/\1/p' | sort | uniq -c |
        sed 's/^ *//'
}

# expect_count NAME N "pattern title" INPUT...: the pattern fires exactly N times.
expect_count() {
    name=$1
    want=$2
    title=$3
    shift 3
    got=$(fired_counts "$@" | sed -n "s/^\([0-9]*\) $(printf '%s' "$title" | sed 's/[][\\.*^$/]/\\&/g')\$/\1/p")
    if [ "${got:-0}" -ne "$want" ]; then
        echo "FAIL: '$title' fired ${got:-0} times on $name, expected $want"
        failures=$((failures + 1))
    fi
}

# expect NAME "pattern title" INPUT...: the pattern must fire on the inputs.
expect() {
    name=$1
    title=$2
    shift 2
    if ! fired "$@" | grep -qxF "$title"; then
        echo "FAIL: '$title' did not fire on $name"
        failures=$((failures + 1))
    fi
}

# silent INPUT...: no alert at all.
silent() {
    out=$(fired "$@")
    if [ -n "$out" ]; then
        echo "FAIL: alerts on benign $*: $(echo "$out" | tr '\n' ';')"
        failures=$((failures + 1))
    fi
}

# The table: every corpus input, alone, with the patterns that fire.
for f in "$C"/pcap/* "$C"/evtx/* "$C"/json/*; do
    rel=${f#"$C"/}
    list=$(fired "$f" | tr '\n' ';' | sed 's/;$//; s/;/; /g')
    echo "TABLE patterns $rel: ${list:--}"
done
# The lab's captures, with how many alerts each pattern raises.
for f in pcaps/*.pcap; do
    [ -f "$f" ] || continue
    list=$(fired_counts "$f" | sed 's/^\([0-9]*\) \(.*\)/\2 x\1/' | tr '\n' ';' | sed 's/;$//; s/;/; /g')
    echo "TABLE patterns $f: ${list:--}"
done
list=$(fired "$C/evtx/LM_Remote_Service01_5145_svcctl.evtx" "$C/evtx/LM_Remote_Service02_7045.evtx" | tr '\n' ';')
echo "TABLE patterns evtx/LM_Remote_Service01 + LM_Remote_Service02: ${list:--}"
list=$(fired "$C/pcap/covenant_copy_smb_CreateRequest_2020-09-22145302.cap" "$C/json/covenant_copy_smb_CreateRequest_2020-09-22145302.json" | tr '\n' ';')
echo "TABLE patterns covenant_copy capture + host log: ${list:--}"

# PsExec
expect "PsExec capture (TCP svcctl)" "PsExec Remote Execution over SMB" "$C/pcap/LM_psexec_smb_dcerpc_epm_svcctl.pcapng"
expect "PsExec capture (svcctl pipe)" "PsExec Remote Execution over SMB" "$C/pcap/20171220_smb_psexec_add_user.pcap"
expect "PsExec target log" "PsExec Service Binary Written and Started" "$C/evtx/e2m_ID4688_4697_5140-5145_PSexec_remote_execution_admin_share.evtx"
# RemCom and Impacket psexec.py (a RemCom service under a random name)
expect "RemCom target log" "RemCom Service Binary Written to ADMIN\$ and svcctl Opened" "$C/evtx/LM_REMCOM_5145_TargetHost.evtx"
expect "Metasploit psexec service log" "Service Image with a Random Name in the Windows Folder" "$C/evtx/metasploit-psexec-native-target-system.evtx"
if [ -f pcaps/psexec-impacket.pcap ]; then
    expect "Impacket psexec capture" "PsExec Remote Execution over SMB" pcaps/psexec-impacket.pcap
    expect "Impacket psexec capture" "Service Image with a Random Name in the Windows Folder" pcaps/psexec-impacket.pcap
fi
# Remote service (sc \\host create)
expect "SharpSC create capture" "Remote Service Created over DCE-RPC" "$C/pcap/covenant_sharpsc_create_dcerpc_smb_svcctl_2020-08-06022635.cap"
expect "SharpSC create host log" "Remote Service Created through svcctl" "$C/json/covenant_sharpsc_create_dcerpc_smb_svcctl_2020-08-06022635.json"
expect "svcctl 5145 + 7045 logs" "Remote Service Created through svcctl" "$C/evtx/LM_Remote_Service01_5145_svcctl.evtx" "$C/evtx/LM_Remote_Service02_7045.evtx"
# AT job
expect "atsvc JobAdd capture" "Remote AT Job Added over SMB" "$C/pcap/sv_dcerpc-smb-ctxid_atsvc.pcap"
expect "atsvc target log" "Scheduled Task Created through the atsvc Pipe" "$C/evtx/LM_ScheduledTask_ATSVC_target_host.evtx"
expect "atexec target log" "Scheduled Task Created through the atsvc Pipe" "$C/evtx/e2m_ID4688_4698_4699_5145_4624-ATexec_remote_task_creation_GLOBAL.evtx"
# Copy to an admin share
expect "Covenant copy capture" "File Copied to an Administrative Share over SMB" "$C/pcap/covenant_copy_smb_CreateRequest_2020-09-22145302.cap"
expect "mimikatz copy capture" "File Copied to an Administrative Share over SMB" "$C/pcap/20171220_smb_mimikatz_copy.pcap"
expect "Covenant copy host log" "File Copied to an Administrative Share (three access masks in one second)" "$C/json/covenant_copy_smb_CreateRequest_2020-09-22145302.json"
expect "remote file copy log" "File Copied to an Administrative Share (three access masks in one second)" "$C/evtx/LM_5145_Remote_FileCopy.evtx"
expect "capture and host log together" "File Copied to an Administrative Share (three access masks in one second)" "$C/pcap/covenant_copy_smb_CreateRequest_2020-09-22145302.cap" "$C/json/covenant_copy_smb_CreateRequest_2020-09-22145302.json"
# Copy back from a share
expect "remote file copy log" "File Copied Back from an Administrative Share" "$C/evtx/LM_5145_Remote_FileCopy.evtx"
# Other shipped patterns
expect "smbexec service log" "smbexec-Style Service Executing a Command" "$C/evtx/e2m_ID7045-4697-SMBexec_service_registration.evtx"
expect "Empire smbexec capture" "smbexec-Style Service Executing a Command" "$C/pcap/empire_smbexec_dcerpc_smb_svcctl_WORKSTATION6_2020-09-20025716.cap"
expect "smbexec capture (sealed RPC)" "Service Created, Started and Deleted within Seconds" "$C/pcap/LM_smbexec_smb_dcerpc_svcctl_epm.pcapng"
expect "schtask capture" "Scheduled Task Registered over ITaskSchedulerService" "$C/pcap/schtask_create_2020-12-1907003032.pcapng"
expect "schtask host log" "Scheduled Task Created by a Network Logon" "$C/json/schtask_create_2020-12-1907003032.json"
expect "secretsdump target log" "Registry Hives Saved and Read through ADMIN$" "$C/evtx/e2m_ID4656_5145_4674-Impacket_secret_dump_via_SMB.evtx"
expect "DCSync capture" "Directory Replication Requested (DCSync)" "$C/pcap/covenant_dcsync_dcerpc_drsuapi_DsGetNCChanges_2020-08-05020926.cap"
expect "DCSync host log" "Directory Replication Rights Used by a User Account" "$C/json/covenant_dcsync_dcerpc_drsuapi_DsGetNCChanges_2020-08-05020926.json"

# One behavior, one alert. smbexec-impacket.pcap runs two commands, each a
# CreateService call that yields a 7045 and a 4697. One DCSync logs three
# 4662 events, and one hive dump makes two BaseRegSaveKey calls. Each copy
# capture copies one file, whose three AccessMask values the alert must list.
if [ -f pcaps/smbexec-impacket.pcap ]; then
    expect_count "smbexec-impacket.pcap" 2 "smbexec-Style Service Executing a Command" pcaps/smbexec-impacket.pcap
    expect_count "smbexec-impacket.pcap" 1 "Service Created, Started and Deleted within Seconds" pcaps/smbexec-impacket.pcap
fi
expect_count "DCSync host log" 1 "Directory Replication Rights Used by a User Account" "$C/json/covenant_dcsync_dcerpc_drsuapi_DsGetNCChanges_2020-08-05020926.json"
if [ -f pcaps/hive-save-impacket.pcap ]; then
    expect_count "hive-save-impacket.pcap" 1 "Registry Hive Saved through Remote Registry" pcaps/hive-save-impacket.pcap
fi
expect_count "smbexec service log" 1 "smbexec-Style Service Executing a Command" "$C/evtx/e2m_ID7045-4697-SMBexec_service_registration.evtx"
for f in pcaps/copy-to-*.pcap; do
    [ -f "$f" ] || continue
    title="File Copied to an Administrative Share (three access masks in one second)"
    expect_count "$f" 1 "$title" "$f"
    alert=$("$BIN" -q "$f" 2>/dev/null | grep -F "\"rule\":\"$title\"" | head -n 1)
    masks=$(printf '%s' "$alert" | /usr/bin/python3 -c 'import json,sys; a=json.load(sys.stdin); print(len(a["values"]["AccessMask"]), a["count"], len(set((e["frame"], e["EventID"]) for e in a["events"])) <= len(a["events"]))' 2>/dev/null)
    if [ "$masks" != "3 3 True" ]; then
        echo "FAIL: '$title' on $f lists '$masks' (masks, count), expected 3 masks and count 3"
        failures=$((failures + 1))
    fi
done

# Benign protocol captures and logs
for f in smb2.pcap smb2_100_small_files.pcap sv_smb2-peter.pcap smb_v2_only_non_zero_reserved1.pcap \
    smb3.pcap 20-fids.pcap 20171220_smb_net_user.pcap raw_ntlm_in_smb.pcap sv_smb2-delete.pcap \
    smb2-zero-byte-error-ioctl.pcapng covenant_sc_query_dcerpc_smb_svcctl_2020-08-05034820.cap \
    covenant_sharpsc_stop_dcerpc_smb_svcctl_2020-08-06031938.cap \
    empire_find_localadmin_smb_svcctl_OpenSCManager_2020-09-22021559.cap \
    Discovery_dcerp_srvsvc_NetShareEnum.pcapng kerberos445_auth.pcapng mapi.pcap \
    sv_smb-version-keyword.pcap; do
    silent "$C/pcap/$f"
done
silent "$C/json/covenant_sc_query_dcerpc_smb_svcctl_2020-08-05034820.json"
silent "$C/json/covenant_sharpsc_stop_dcerpc_smb_svcctl_2020-08-06031938.json"
silent "$C/evtx/discovery_bloodhound.evtx"

echo "patterns: $failures failures"
[ $failures -eq 0 ]
