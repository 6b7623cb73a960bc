#!/usr/bin/env python3
"""Compare SMB2 CREATE requests decoded by tshark with wireaudit's rebuilt 5145 events.

Usage: smb_oracle.py CAPTURE EVENTS_JSONL

tshark's PDML output keeps the elements of a compound message in order, so each
CREATE request is identified by (frame number, MessageId). For each one the
tree share, file name and DesiredAccess are compared with the 5145 event whose
Source frame and Wire MessageId match. Prints one line:
    AGREE <capture> <matched>/<total> <pct>
followed by up to 10 "DIFF" lines, and exits 0.
"""
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

EXTRA_RULE = "created-file-write-data"


FIELDS = ("smb2.msg_id", "smb2.flags.response", "smb2.tree", "smb2.filename", "smb.access_mask")


def tshark_creates(capture):
    """Yield (frame, element) for every SMB2 element of the frames that carry a CREATE request.

    An element maps each name in FIELDS to its first value. PDML lists the
    fields of a frame in order and each SMB2 header starts with smb2.cmd, so a
    new element starts at every smb2.cmd field.
    """
    cmd = ["tshark", "-r", capture, "-2", "-Y", "smb2.cmd == 5 && smb2.flags.response == 0",
           "-T", "pdml"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    frame = None
    element = None
    for event, node in ET.iterparse(proc.stdout, events=("end",)):
        if node.tag == "packet":
            if element is not None:
                yield frame, element
            element = None
            node.clear()
            continue
        if node.tag != "field":
            continue
        name = node.get("name")
        show = node.get("show")
        if name == "frame.number":
            frame = int(show)
        elif name == "smb2.cmd":
            if element is not None:
                yield frame, element
            element = {"cmd": int(show)}
        elif element is not None and name in FIELDS and name not in element:
            element[name] = show
    proc.wait()


def share_of(tree):
    """Share component of a tree path: '\\\\host\\C$' -> 'C$'."""
    parts = [p for p in tree.replace("/", "\\").split("\\") if p]
    return parts[1] if len(parts) >= 2 else ""


def main():
    capture, events_path = sys.argv[1], sys.argv[2]
    rebuilt = {}
    with open(events_path, encoding="utf-8", errors="replace") as f:
        for line in f:
            try:
                ev = json.loads(line)
            except ValueError:
                continue
            # The extra WriteData event repeats the frame and MessageId of its CREATE.
            if ev.get("EventID") != 5145 or ev.get("Wire", {}).get("Rule") == EXTRA_RULE:
                continue
            wire = ev.get("Wire", {})
            key = (ev.get("Source", {}).get("frame"), wire.get("MessageId"))
            rebuilt[key] = ev

    total = 0
    matched = 0
    diffs = []
    for frame, el in tshark_creates(capture):
        if el.get("cmd") != 5 or el.get("smb2.flags.response") not in ("0", "False"):
            continue
        total += 1
        msg_id = int(el.get("smb2.msg_id", "-1"))
        ev = rebuilt.get((frame, msg_id))
        want_share = share_of(el.get("smb2.tree", ""))
        want_name = el.get("smb2.filename", "")
        want_mask = int(el.get("smb.access_mask", "0"), 16)
        if ev is None:
            diffs.append(f"DIFF {frame}/{msg_id}: no event (tshark {want_share}:{want_name})")
            continue
        got_share = share_of(ev.get("ShareName", ""))
        got_name = ev.get("RelativeTargetName", "")
        got_name = "" if got_name == "\\" else got_name
        got_mask = int(ev.get("Wire", {}).get("DesiredAccess", "0x0"), 16)
        same_share = want_share == "" or want_share.lower() == got_share.lower()
        if same_share and want_name == got_name and want_mask == got_mask:
            matched += 1
        else:
            diffs.append(f"DIFF {frame}/{msg_id}: tshark {want_share}:{want_name}:{want_mask:#x} "
                         f"wireaudit {got_share}:{got_name}:{got_mask:#x}")
    pct = 100.0 * matched / total if total else 100.0
    print(f"AGREE {os.path.basename(capture)} {matched}/{total} {pct:.1f}")
    for d in diffs[:10]:
        print(d)


if __name__ == "__main__":
    main()
