#!/bin/sh
# Compares wireaudit's DCE-RPC dissection with tshark's on every corpus capture.
# Bind interface UUIDs, bind_ack results and request opnums must agree for at
# least 99.9% of PDUs over the corpus. Every svcctl service name and binary
# path that tshark decodes must also appear in wireaudit's RPC call events.
# Prints one "AGREE <file> ..." line per capture and an "AGREE total" line.
# WIREAUDIT names the binary to test (default ./wireaudit).
cd "$(dirname "$0")/.." || exit 2

bin=${WIREAUDIT:-./wireaudit}
corpus=../shared/corpus/pcap
if [ ! -d "$corpus" ]; then
    echo "corpus not found at $corpus (clone shared/ beside the repository)"
    exit 77
fi
if ! command -v tshark >/dev/null 2>&1; then
    echo "tshark is not installed; it is the reference for this test"
    exit 77
fi
if [ ! -x "$bin" ]; then
    echo "$bin not found; run make first"
    exit 2
fi

out=build/test-logs/it_oracle_dcerpc
mkdir -p "$out"

# A binary without a capture reader cannot be compared yet.
probe="$corpus/sv_dcerpc-smb-ctxid_atsvc.pcap"
if ! "$bin" -q --events "$out/probe.jsonl" "$probe" >"$out/probe.out" 2>"$out/probe.err"; then
    if grep -q "not built yet" "$out/probe.err"; then
        echo "wireaudit cannot read captures yet: $(head -n 1 "$out/probe.err")"
        exit 77
    fi
fi

status=0
: >"$out/agree.txt"
for capture in "$corpus"/*; do
    name=$(basename "$capture")
    events="$out/$name.jsonl"
    "$bin" -q --events "$events" "$capture" >/dev/null 2>"$out/$name.err"
    if [ ! -f "$events" ]; then
        echo "FAIL $name: no events file written; see $out/$name.err"
        status=1
        continue
    fi
    python3 tests/rpc_oracle.py "$capture" "$events" | tee -a "$out/agree.txt"
done

# Sum the per-file counts: fields are "label matched/total".
awk '
{
    for (i = 3; i < NF; i += 2) {
        split($(i + 1), part, "/")
        matched[$i] += part[1]
        total[$i] += part[2]
    }
}
END {
    pdus_matched = matched["binds"] + matched["acks"] + matched["opnums"]
    pdus_total = total["binds"] + total["acks"] + total["opnums"]
    pct = pdus_total ? 100 * pdus_matched / pdus_total : 100
    printf "AGREE total binds %d/%d acks %d/%d opnums %d/%d services %d/%d paths %d/%d pct %.2f\n",
        matched["binds"], total["binds"], matched["acks"], total["acks"],
        matched["opnums"], total["opnums"], matched["services"], total["services"],
        matched["paths"], total["paths"], pct
    if (pct < 99.9) {
        print "FAIL: PDU agreement " pct "% is below 99.9%"
        exit 1
    }
    if (matched["services"] != total["services"] || matched["paths"] != total["paths"]) {
        print "FAIL: svcctl service names or binary paths differ from tshark"
        exit 1
    }
}' "$out/agree.txt" || status=1
exit $status
