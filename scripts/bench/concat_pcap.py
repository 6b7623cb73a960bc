#!/usr/bin/env python3
"""Writes a large Ethernet pcap by repeating input captures until a target size.

Usage: concat_pcap.py OUTPUT SIZE_MB INPUT.pcap...

Each repetition is shifted forward in time past the end of the previous one,
so timestamps only grow, and the IPv4 client address's last byte is varied per
repetition so repeated connections are distinct flows. Inputs must be classic
pcap files with the Ethernet link type (microsecond or nanosecond, either byte
order); records are rewritten as little-endian microsecond records.
"""
import struct
import sys


def read_records(path):
    data = open(path, "rb").read()
    magic = data[:4]
    order = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    nanoseconds = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    (linktype,) = struct.unpack(order + "I", data[20:24])
    if linktype & 0xFFFF != 1:
        raise SystemExit(f"{path}: link type {linktype} is not Ethernet")
    records = []
    off = 24
    while off + 16 <= len(data):
        sec, frac, caplen, origlen = struct.unpack(order + "IIII", data[off:off + 16])
        body = data[off + 16:off + 16 + caplen]
        if len(body) < caplen:
            break  # truncated last record
        usec = frac // 1000 if nanoseconds else frac
        records.append((sec * 1000000 + usec, origlen, body))
        off += 16 + caplen
    return records


def vary_client(frame, repetition):
    """Adds the repetition number to the low two bytes of the client's IPv4 address.

    The client is the side not on port 445, 139 or 135. IP and TCP checksums
    are left stale because neither wireaudit nor tshark (by default) checks them.
    """
    if len(frame) < 38 or frame[12:14] != b"\x08\x00":
        return frame
    ihl = (frame[14] & 0x0F) * 4
    if len(frame) < 14 + ihl + 4:
        return frame
    sport, dport = struct.unpack(">HH", frame[14 + ihl:14 + ihl + 4])
    client_at = 26 if dport in (445, 139, 135) else 30  # source or destination address
    out = bytearray(frame)
    out[client_at + 2] = (out[client_at + 2] + repetition // 256) % 256
    out[client_at + 3] = (out[client_at + 3] + repetition) % 256
    return bytes(out)


def main():
    if len(sys.argv) < 4:
        raise SystemExit(__doc__)
    output, target = sys.argv[1], int(sys.argv[2]) * 1000000
    inputs = [read_records(p) for p in sys.argv[3:]]
    with open(output, "wb") as out:
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        written, clock, repetition = 24, 0, 0
        while written < target:
            for records in inputs:
                base = records[0][0]
                for ts, origlen, body in records:
                    t = clock + (ts - base)
                    body = vary_client(body, repetition)
                    out.write(struct.pack("<IIII", t // 1000000, t % 1000000, len(body), origlen))
                    out.write(body)
                    written += 16 + len(body)
                clock += records[-1][0] - base + 1000000
            repetition += 1


if __name__ == "__main__":
    main()
