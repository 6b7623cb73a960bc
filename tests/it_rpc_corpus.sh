#!/bin/sh
# Checks the events rebuilt from DCE-RPC on public captures against what the
# paired host logs and the capture descriptions show:
#  - SharpSC's CreateServiceA gives 7045 (display name) and 4697 (key name)
#    with the name and path of the host log;
#  - the atsvc capture gives a 4698 carrying the NetrJobAdd command;
#  - the Covenant DCSync capture gives drsuapi DRSGetNCChanges calls;
#  - the Empire smbexec captures give service events whose path runs %COMSPEC%.
# WIREAUDIT names the binary to test (default ./wireaudit).
cd "$(dirname "$0")/.." || exit 2

bin=${WIREAUDIT:-./wireaudit}
corpus=../shared/corpus
if [ ! -d "$corpus/pcap" ]; then
    echo "corpus not found at $corpus (clone shared/ beside the repository)"
    exit 77
fi
if [ ! -x "$bin" ]; then
    echo "$bin not found; run make first"
    exit 2
fi
out=build/test-logs/it_rpc_corpus
mkdir -p "$out"

run() {
    "$bin" -q --events "$out/$1.jsonl" "$corpus/pcap/$1" >/dev/null 2>"$out/$1.err"
    if grep -q "not built yet" "$out/$1.err"; then
        echo "wireaudit cannot read captures yet: $(head -n 1 "$out/$1.err")"
        exit 77
    fi
}

sharpsc=covenant_sharpsc_create_dcerpc_smb_svcctl_2020-08-06022635.cap
atsvc=sv_dcerpc-smb-ctxid_atsvc.pcap
dcsync=covenant_dcsync_dcerpc_drsuapi_DsGetNCChanges_2020-08-05020926.cap
smbexec5=empire_smbexec_dcerpc_smb_svcctl_WORKSTATION5_2020-09-20025716.cap
smbexec6=empire_smbexec_dcerpc_smb_svcctl_WORKSTATION6_2020-09-20025716.cap
for capture in $sharpsc $atsvc $dcsync $smbexec5 $smbexec6; do
    run "$capture"
done

python3 - "$out" "$corpus" "$sharpsc" "$atsvc" "$dcsync" "$smbexec5" "$smbexec6" <<'PY'
import glob
import json
import sys

out, corpus, sharpsc, atsvc, dcsync, smbexec5, smbexec6 = sys.argv[1:]
failures = []


def events(capture, event_id):
    with open(f"{out}/{capture}.jsonl", encoding="utf-8") as f:
        return [e for e in map(json.loads, filter(str.strip, f)) if e["EventID"] == event_id]


def check(label, condition, detail):
    print(("PASS " if condition else "FAIL ") + label + ": " + detail)
    if not condition:
        failures.append(label)


# The host log of the SharpSC run contains the 7045 and 4697 the capture should rebuild.
host = {}
for path in glob.glob(f"{corpus}/json/covenant_sharpsc_create_*.json"):
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                record = json.loads(line)
                if record.get("EventID") in (7045, 4697):
                    host[record["EventID"]] = record
for event_id, name_field, path_field in ((7045, "ServiceName", "ImagePath"),
                                         (4697, "ServiceName", "ServiceFileName")):
    expected = host.get(event_id, {})
    rebuilt = events(sharpsc, event_id)
    got = [(e.get(name_field), e.get(path_field)) for e in rebuilt]
    want = (expected.get(name_field), expected.get(path_field))
    check(f"sharpsc {event_id}", want in got and want[0] is not None,
          f"host log {want}, rebuilt {got}")

tasks = events(atsvc, 4698)
command = "cmd /c whoami.exe > c:\\windows\\temp\\at.txt"
check("atsvc 4698", any(command in e.get("Wire", {}).get("Command", "") and
                        "whoami.exe" in e.get("TaskContent", "") for e in tasks),
      f"{len(tasks)} task events, commands {[e.get('Wire', {}).get('Command') for e in tasks]}")

calls = [e for e in events(dcsync, 5712)
         if e.get("InterfaceName") == "drsuapi" and e.get("Operation") == "DRSGetNCChanges"]
check("dcsync DRSGetNCChanges", len(calls) >= 1, f"{len(calls)} calls")

for capture in (smbexec5, smbexec6):
    services = events(capture, 7045) + events(capture, 4697)
    paths = [e.get("ImagePath", e.get("ServiceFileName", "")) for e in services]
    check(f"smbexec {capture}", any(p.startswith("%COMSPEC%") for p in paths),
          f"{len(services)} service events")

sys.exit(1 if failures else 0)
PY
