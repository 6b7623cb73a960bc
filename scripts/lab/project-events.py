#!/usr/bin/python3
"""Project wireaudit events or alerts onto the fields that stay the same
when the lab regenerates a capture.

Usage: project-events.py events|alerts FILE [--names NAMES_FILE]

FILE contains JSON lines as written by `wireaudit --events` or `--alerts`. The
output is one JSON object per line, keys sorted, lines sorted, so two
projections compare with diff.

Events keep EventID and every EventData field except those that change from
run to run: times, client ports, dynamic RPC ports, logon ids, the
attacker's host name, task XML, and the Source and Wire objects. Alerts keep the rule title and the
group-by values, without the same unstable fields.

Random names that the tools generate (psexec's service and binary names,
atexec's task name) are replaced by placeholders. NAMES_FILE, written by the
lab beside each capture, lists them as "<name><TAB><placeholder>" lines.
RemCom pipe suffixes (random letters and the client's pid) and
secretsdump's temporary hive files are masked by pattern.
"""

import argparse
import json
import re
import sys

UNSTABLE_FIELDS = {
    "TimeCreated",
    "Source",
    "Wire",
    "IpPort",
    "RemotePort",
    # Dynamic RPC ports that the endpoint mapper returns change between runs.
    "MappedPort",
    "WorkstationName",
    # Task XML carries the start time that atexec.py writes into it.
    "TaskContent",
}

# Logon ids are SMB session ids, which the server picks at random. Events
# name them SubjectLogonId and TargetLogonId, and correlation rules may group
# by them under an alias such as logon_id.
LOGON_ID_NAME = re.compile(r"logon_?id$", re.IGNORECASE)

# psexec.py names its stdin, stdout and stderr pipes RemCom_std*<4 random
# letters><its pid>.
REMCOM_PIPE = re.compile(r"(RemCom_std(?:in|out|err))[A-Za-z]{4}\d+")

# secretsdump.py saves hives to <8 random letters>.tmp and does not print the
# names. The pattern runs after the named masks, so atexec's <TASK>.tmp stays.
RANDOM_TMP_FILE = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{8}\.tmp\b")


def load_names(path):
    """Read "<name><TAB><placeholder>" lines into (pattern, replacement) pairs."""
    if path is None:
        return []
    masks = []
    with open(path, encoding="utf-8") as names:
        for line in names:
            line = line.rstrip("\n")
            if not line:
                continue
            name, placeholder = line.split("\t")
            # A name only matches on its own, not inside a longer word.
            pattern = re.compile(r"(?<![A-Za-z0-9])%s(?![A-Za-z0-9])" % re.escape(name))
            masks.append((pattern, "<%s>" % placeholder))
    return masks


def mask_value(value, masks):
    if not isinstance(value, str):
        return value
    for pattern, replacement in masks:
        value = pattern.sub(replacement, value)
    value = REMCOM_PIPE.sub(r"\1<MACHINE><PID>", value)
    return RANDOM_TMP_FILE.sub("<RANDOM>.tmp", value)


def is_stable(name):
    return name not in UNSTABLE_FIELDS and not LOGON_ID_NAME.search(name)


def project_event(event, masks):
    return {name: mask_value(value, masks) for name, value in event.items() if is_stable(name)}


def project_alert(alert, masks):
    group = alert.get("group") or {}
    return {
        "rule": alert.get("rule"),
        "group": {name: mask_value(value, masks) for name, value in group.items() if is_stable(name)},
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("kind", choices=("events", "alerts"))
    parser.add_argument("file", help="JSON lines from wireaudit --events or --alerts")
    parser.add_argument("--names", help="random-name list written by the lab")
    options = parser.parse_args()

    masks = load_names(options.names)
    project = project_event if options.kind == "events" else project_alert
    lines = []
    with open(options.file, encoding="utf-8") as records:
        for number, line in enumerate(records, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                sys.exit("%s:%d: invalid JSON: %s" % (options.file, number, error))
            lines.append(json.dumps(project(record, masks), sort_keys=True))
    for line in sorted(lines):
        print(line)


if __name__ == "__main__":
    main()
