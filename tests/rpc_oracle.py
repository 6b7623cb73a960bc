#!/usr/bin/env python3
"""Compares wireaudit's DCE-RPC output with tshark's dissection of one capture.

Usage: rpc_oracle.py CAPTURE EVENTS_JSONL

Reads the bind events (EventID 65001) and RPC call events (5712) that
wireaudit wrote with --events, runs tshark on the capture, and prints one
line:
  AGREE <file> binds M/N acks M/N opnums M/N services M/N paths M/N pct P
where M counts values found on both sides under the same call id and N the
larger of the two totals. Values are keyed by call id, not frame, because the
transport layers and tshark may attribute a PDU that spans several segments
or SMB messages to different frames. Exit status 0; the caller judges the
percentage.
"""
import collections
import json
import os
import subprocess
import sys

BIND_EVENT = 65001
CALL_EVENT = 5712


def tshark_rows(capture, fields, display_filter):
    # tshark 4.0's ANSI C12.22 heuristic takes DCE-RPC packets on high TCP ports
    # when a capture starts mid-connection (an Exchange client on port 1032), so
    # it is disabled.
    cmd = ["tshark", "-n", "-r", capture, "--disable-protocol", "c1222",
           "-o", "tcp.desegment_tcp_streams:TRUE",
           "-Y", display_filter, "-T", "fields", "-E", "separator=\t",
           "-E", "occurrence=a", "-E", "aggregator=|"]
    for field in fields:
        cmd += ["-e", field]
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    for line in result.stdout.splitlines():
        yield line.split("\t")


def split(value):
    return [v for v in value.split("|") if v != ""]


def tshark_facts(capture):
    """Returns Counters of (call id, value) for binds, acks and opnums, and of service names and paths."""
    binds, acks, opnums = collections.Counter(), collections.Counter(), collections.Counter()
    names, paths = collections.Counter(), collections.Counter()
    fields = ["dcerpc.cn_call_id", "dcerpc.pkt_type", "dcerpc.cn_bind_to_uuid",
              "dcerpc.cn_ack_result", "dcerpc.opnum", "dcerpc.cn_flags.first_frag",
              "smb2.flags.response"]
    for row in tshark_rows(capture, fields, "dcerpc"):
        if len(row) < 7:
            continue
        call_id = split(row[0])[0] if split(row[0]) else ""
        types, uuids, results = split(row[1]), split(row[2]), split(row[3])
        ops, firsts = split(row[4]), split(row[5])
        if "True" in split(row[6]) or "1" in split(row[6]):
            # tshark 4.0 also dissects the input buffer that some servers echo in an
            # FSCTL_PIPE_TRANSCEIVE response as a request. No request is sent there.
            types = [t for t in types if t != "0"]
        if any(t in ("11", "14") for t in types):
            binds.update((call_id, u.lower()) for u in uuids)
        if any(t in ("12", "15") for t in types):
            acks.update((call_id, r) for r in results)
        # Requests: one opnum per first fragment (later fragments repeat it).
        request_count = sum(1 for t in types if t == "0")
        first_count = sum(1 for f in firsts if f in ("1", "True"))
        if request_count and ops:
            opnums.update((call_id, ops[0]) for _ in range(min(request_count, first_count)))
    svc_fields = ["frame.number", "svcctl.servicename", "svcctl.binarypathname"]
    for row in tshark_rows(capture, svc_fields, "svcctl.binarypathname && dcerpc.pkt_type == 0"):
        if len(row) >= 3:
            names.update(split(row[1])[:1])
            paths.update(split(row[2])[:1])
    return binds, acks, opnums, names, paths


def wireaudit_facts(events_path):
    binds, acks, opnums = collections.Counter(), collections.Counter(), collections.Counter()
    names, paths = collections.Counter(), collections.Counter()
    with open(events_path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            ev = json.loads(line)
            wire = ev.get("Wire", {})
            call_id = str(wire.get("CallId", ""))
            if ev.get("EventID") == BIND_EVENT:
                binds.update((call_id, u) for u in ev.get("InterfaceUuid", "").split(",") if u)
                if ev.get("AckResult") not in (None, "", "nak"):
                    acks.update((call_id, r) for r in ev["AckResult"].split(","))
            elif ev.get("EventID") == CALL_EVENT:
                if "OpNum" in ev:
                    opnums[(call_id, ev["OpNum"])] += 1
                if ev.get("Operation") in ("RCreateServiceW", "RChangeServiceConfigW"):
                    if "lpServiceName" in ev:
                        names[ev["lpServiceName"]] += 1
                    if "lpBinaryPathName" in ev:
                        paths[ev["lpBinaryPathName"]] += 1
    return binds, acks, opnums, names, paths


def agreement(ours, theirs):
    matched = sum((ours & theirs).values())
    total = max(sum(ours.values()), sum(theirs.values()))
    return matched, total


def main():
    capture, events_path = sys.argv[1], sys.argv[2]
    theirs = tshark_facts(capture)
    ours = wireaudit_facts(events_path)
    labels = ["binds", "acks", "opnums", "services", "paths"]
    parts = []
    matched_pdus = total_pdus = 0
    for i, label in enumerate(labels):
        matched, total = agreement(ours[i], theirs[i])
        parts.append(f"{label} {matched}/{total}")
        if i < 3:
            matched_pdus += matched
            total_pdus += total
    pct = 100.0 * matched_pdus / total_pdus if total_pdus else 100.0
    print(f"AGREE {os.path.basename(capture)} {' '.join(parts)} pct {pct:.2f}")
    if os.environ.get("RPC_ORACLE_VERBOSE"):
        for i, label in enumerate(labels):
            for key in sorted((theirs[i] - ours[i]).keys()):
                print(f"  tshark-only {label} {key}")
            for key in sorted((ours[i] - theirs[i]).keys()):
                print(f"  wireaudit-only {label} {key}")


if __name__ == "__main__":
    main()
