#!/usr/bin/env python3
"""Writes a large Ethernet pcap by repeating input captures until a target size.

Usage: concat_pcap.py OUTPUT SIZE_MB INPUT.pcap...

Each repetition is shifted forward in time past the end of the previous one,
so timestamps only grow, and the IPv4 client address's last byte is varied per
repetition so repeated connections are distinct flows. Inputs must be classic
pcap files with the Ethernet link type (microsecond or nanosecond, either byte
order); records are rewritten as little-endian microsecond records.

IPv4 header and TCP checksums are set right once per input packet, as a
capture from a span port would have them, so wireaudit verifies every packet
and drops none. Varying the client address then updates both checksums by
the RFC 1624 incremental rule.
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
        records.append((sec * 1000000 + usec, origlen, fix_checksums(body)))
        off += 16 + caplen
    return records


def ones_complement_sum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(">%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return total


def tcp_checksum_at(frame):
    """Returns the TCP checksum's offset in an Ethernet/IPv4/TCP frame, or None.

    None also when the snap length cut the frame, so the checksum cannot be computed.
    """
    if len(frame) < 34 or frame[12:14] != b"\x08\x00" or frame[23] != 6:
        return None
    ihl = (frame[14] & 0x0F) * 4
    (total,) = struct.unpack(">H", frame[16:18])
    if total < ihl + 20 or 14 + total > len(frame):
        return None
    return 14 + ihl + 16


def fix_checksums(frame):
    """Returns frame with correct IPv4 header and TCP checksums."""
    at = tcp_checksum_at(frame)
    if at is None:
        return frame
    out = bytearray(frame)
    ihl = (out[14] & 0x0F) * 4
    (total,) = struct.unpack(">H", out[16:18])
    out[24:26] = b"\0\0"
    struct.pack_into(">H", out, 24, 0xFFFF - ones_complement_sum(bytes(out[14:14 + ihl])))
    out[at:at + 2] = b"\0\0"
    pseudo = bytes(out[26:34]) + struct.pack(">BBH", 0, 6, total - ihl)
    segment = bytes(out[14 + ihl:14 + total])
    struct.pack_into(">H", out, at, 0xFFFF - ones_complement_sum(pseudo + segment))
    return bytes(out)


def update_checksum(out, at, old_word, new_word):
    """Updates the checksum at offset at for a 16-bit word changed from old_word (RFC 1624, eqn. 3)."""
    (checksum,) = struct.unpack(">H", out[at:at + 2])
    total = (~checksum & 0xFFFF) + (~old_word & 0xFFFF) + new_word
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    struct.pack_into(">H", out, at, ~total & 0xFFFF)


def vary_client(frame, repetition):
    """Adds the repetition number to the low two bytes of the client's IPv4 address.

    The client is the side not on port 445, 139 or 135. The IPv4 header and
    TCP checksums are updated to match.
    """
    if len(frame) < 38 or frame[12:14] != b"\x08\x00":
        return frame
    ihl = (frame[14] & 0x0F) * 4
    if len(frame) < 14 + ihl + 4:
        return frame
    sport, dport = struct.unpack(">HH", frame[14 + ihl:14 + ihl + 4])
    client_at = 26 if dport in (445, 139, 135) else 30  # source or destination address
    out = bytearray(frame)
    (old_word,) = struct.unpack(">H", out[client_at + 2:client_at + 4])
    out[client_at + 2] = (out[client_at + 2] + repetition // 256) % 256
    out[client_at + 3] = (out[client_at + 3] + repetition) % 256
    (new_word,) = struct.unpack(">H", out[client_at + 2:client_at + 4])
    update_checksum(out, 24, old_word, new_word)
    tcp_at = tcp_checksum_at(frame)
    if tcp_at is not None:
        update_checksum(out, tcp_at, old_word, new_word)
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
