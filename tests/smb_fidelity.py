#!/usr/bin/env python3
"""Measure how many host-logged 5140/5145 events have a rebuilt twin from the capture.

Usage: smb_fidelity.py RUN HOST_LOG.json START END EVENTS.jsonl [EVENTS.jsonl ...]

START and END are the first and last packet times of the captures (seconds
since 1970, as capinfos -S prints them).

HOST_LOG is a Security-Datasets export (one JSON record per line) or an .evtx
file, read with evtxexport from libevtx-utils. A host event
has a twin when a rebuilt event has the same EventID, Computer (compared
case-insensitively on the first DNS label, so WORKSTATION6 equals
WORKSTATION6.theshire.local), ShareName, RelativeTargetName and AccessMask, and
a TimeCreated within 3 seconds.

Host events are "observable" when they fall within the capture's time span and
some rebuilt event comes from the same client address to the same computer.
The others (a domain controller's SYSVOL reads by another machine, or events
logged after the capture stopped) never crossed the captured link.

Prints "FIDELITY <run> <pct> observable <matched>/<observable> all <matched>/<total>"
and one "UNMATCHED" line per observable host event without a twin.
"""
import datetime
import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

WINDOW_S = 3.0


def parse_time(text):
    text = text.replace("Z", "+00:00")
    if "." in text:
        head, tail = text.split(".", 1)
        digits = "".join(ch for ch in tail if ch.isdigit())
        zone = tail[len(digits):]
        text = f"{head}.{digits[:6].ljust(6, '0')}{zone}"
    return datetime.datetime.fromisoformat(text).timestamp()


def short_name(computer):
    return (computer or "").split(".")[0].lower()


def norm_target(name):
    name = (name or "").strip()
    return "\\" if name in ("", "\\") else name.lower()


def norm_mask(mask):
    return int(str(mask), 16) if mask not in (None, "") else 0


def key(event_id, computer, share, target, mask):
    return (int(event_id), short_name(computer), (share or "").lower(),
            norm_target(target) if int(event_id) == 5145 else "", norm_mask(mask))


def host_event(event_id, time_text, computer, data):
    return {
        "key": key(event_id, computer, data.get("ShareName"), data.get("RelativeTargetName"),
                   data.get("AccessMask")),
        "time": parse_time(time_text),
        "client": data.get("IpAddress", ""),
        "text": f'{event_id} {time_text} {computer} {data.get("ShareName")} '
                f'{data.get("RelativeTargetName", "")} {data.get("AccessMask")} '
                f'from {data.get("IpAddress")}',
    }


def load_evtx(path):
    """Read 5140/5145 records from an EVTX file through evtxexport's XML output."""
    out = subprocess.run(["evtxexport", "-f", "xml", path], capture_output=True, text=True,
                         errors="replace").stdout
    ns = "{http://schemas.microsoft.com/win/2004/08/events/event}"
    events = []
    for chunk in re.findall(r"<Event .*?</Event>", out, flags=re.S):
        root = ET.fromstring(chunk)
        event_id = root.findtext(f"{ns}System/{ns}EventID")
        if event_id not in ("5140", "5145"):
            continue
        time_text = root.find(f"{ns}System/{ns}TimeCreated").get("SystemTime")
        computer = root.findtext(f"{ns}System/{ns}Computer")
        data = {d.get("Name"): d.text or "" for d in root.iter(f"{ns}Data")}
        events.append(host_event(event_id, time_text, computer, data))
    return events


def load_host(path):
    if path.endswith(".evtx"):
        return load_evtx(path)
    events = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            if str(rec.get("EventID")) not in ("5140", "5145"):
                continue
            events.append(host_event(str(rec["EventID"]), rec["@timestamp"],
                                     rec.get("Hostname"), rec))
    return events


def load_rebuilt(paths):
    events = []
    for path in paths:
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                try:
                    ev = json.loads(line)
                except ValueError:
                    continue
                if ev.get("EventID") not in (5140, 5145):
                    continue
                events.append({
                    "key": key(ev["EventID"], ev.get("Computer"), ev.get("ShareName"),
                               ev.get("RelativeTargetName"), ev.get("AccessMask")),
                    "time": parse_time(ev["TimeCreated"]),
                    "pair": (ev.get("IpAddress", ""), short_name(ev.get("Computer"))),
                })
    return events


def main():
    run, host_path = sys.argv[1], sys.argv[2]
    start, end = float(sys.argv[3]) - WINDOW_S, float(sys.argv[4]) + WINDOW_S
    host = load_host(host_path)
    rebuilt = load_rebuilt(sys.argv[5:])
    pairs = {ev["pair"] for ev in rebuilt}
    observable = [ev for ev in host
                  if (ev["client"], ev["key"][1]) in pairs and start <= ev["time"] <= end]
    unmatched = []
    for ev in observable:
        twin = any(r["key"] == ev["key"] and abs(r["time"] - ev["time"]) <= WINDOW_S
                   for r in rebuilt)
        if not twin:
            unmatched.append(ev)
    matched = len(observable) - len(unmatched)
    pct = 100.0 * matched / len(observable) if observable else 100.0

    # Rebuilt events for a computer whose log is present but without a host twin.
    logged = {ev["key"][1] for ev in host}
    extra = [r for r in rebuilt if r["key"][1] in logged and not any(
        h["key"] == r["key"] and abs(h["time"] - r["time"]) <= WINDOW_S for h in host)]

    print(f"FIDELITY {run} {pct:.1f} observable {matched}/{len(observable)} "
          f"all {matched}/{len(host)} extra {len(extra)}")
    for ev in unmatched:
        print(f"UNMATCHED {run}: {ev['text']}")
    for ev in extra:
        print(f"EXTRA {run}: {ev['key']} at {ev['time']:.3f}")


if __name__ == "__main__":
    main()
