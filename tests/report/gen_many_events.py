#!/usr/bin/env python3
"""Write a JSON-lines Security log with many events, for load tests of the report.

Events spread over one hour on 50 servers from 200 client addresses: 5140
share connects, 4624 logons, and one 5145 share access in every 1000 events.
Fields follow the NXLog-style JSON that the log importer reads (TimeCreated,
Hostname, RecordNumber).

Usage: gen_many_events.py COUNT OUT.jsonl
"""
import datetime
import json
import sys


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: gen_many_events.py COUNT OUT.jsonl")
    count = int(sys.argv[1])
    start = datetime.datetime(2020, 9, 22, 14, 0, 0)
    step_us = 3600 * 1000000 // max(count, 1)
    with open(sys.argv[2], "w", encoding="utf-8") as out:
        for i in range(count):
            time = start + datetime.timedelta(microseconds=i * step_us)
            if i % 1000 == 0:
                event_id = 5145
            elif i % 3 == 0:
                event_id = 5140
            else:
                event_id = 4624
            record = {
                "EventID": event_id,
                "TimeCreated": time.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                "Hostname": "FS%02d.corp.local" % (i % 50),
                "Channel": "security",
                "RecordNumber": i + 1,
                "IpAddress": "10.0.%d.%d" % (i % 5, i % 200),
                "SubjectUserName": "user%d" % (i % 40),
                "SubjectDomainName": "CORP",
                "ShareName": "\\\\*\\C$",
                "RelativeTargetName": "Windows\\Temp\\f%d.txt" % i,
                "AccessMask": "0x2",
            }
            out.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main()
