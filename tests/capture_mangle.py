#!/usr/bin/env python3
"""Rewrites an Ethernet/IPv4 pcap the way lossy or reordering capture points do.

Usage: capture_mangle.py MODE INPUT OUTPUT

Modes:
  swap       swaps every other pair of consecutive TCP payload packets that
             belong to the same flow and direction (out-of-order arrival)
  duplicate  writes every fifth TCP payload packet twice (retransmission)
  split      splits every TCP payload packet of more than 1 byte into two
             segments with adjusted sequence numbers and IP lengths
  overlap    follows each payload packet of more than 8 bytes with a copy of
             its second half whose bytes are inverted (an overlap whose
             second copy must lose)
  midstream  drops the first third of the packets (capture started late)
  port       moves TCP port 445 to 8445 on both sides, so SMB must be found by
             classification instead of by its port
  offload    breaks the TCP checksum of every TCP packet, as a capture taken
             on a host with transmit checksum offload shows them
  decoy      sets every IPv4 header and TCP checksum right, then sends a copy
             of the first SMB2 TREE_CONNECT request for a path ending in ADMIN$
             before it, naming PUBLC$ instead and with a wrong TCP checksum (a
             decoy segment that the server drops)
  bulk       breaks the TCP checksum of every segment that lies wholly in the
             data of an SMB2 WRITE request, past its 64-byte header and 48-byte
             fixed body (file content, which wireaudit skips by length)
  idle       delays the first such segment and everything after it by 400 s,
             longer than the default flow idle timeout
  idle-decoy the same, plus a copy of that segment with a wrong TCP checksum
             200 s into the gap (a decoy that must not keep the flow alive)

Rewritten packets get correct IPv4 header and TCP checksums, because
wireaudit drops packets whose checksums are wrong. The other packets keep
their checksums. Used by tests/it_capture_reorder.sh and
tests/it_capture_checksum.sh.
"""
import struct
import sys


def read_pcap(path):
    data = open(path, "rb").read()
    order = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    header = data[:24]
    records = []
    off = 24
    while off + 16 <= len(data):
        sec, frac, caplen, origlen = struct.unpack(order + "IIII", data[off:off + 16])
        body = data[off + 16:off + 16 + caplen]
        if len(body) < caplen:
            break
        records.append([sec, frac, origlen, body])
        off += 16 + caplen
    return header, order, records


def tcp_parts(body):
    """Returns (ip_offset, ip_header_len, tcp_header_len, flow_key) or None."""
    if len(body) < 54 or body[12:14] != b"\x08\x00" or body[23] != 6:
        return None
    ihl = (body[14] & 0x0F) * 4
    tcp = 14 + ihl
    if len(body) < tcp + 20:
        return None
    thl = (body[tcp + 12] >> 4) * 4
    key = (body[26:30], body[30:34], body[tcp:tcp + 2], body[tcp + 2:tcp + 4])
    return 14, ihl, thl, key


def payload_of(body):
    parts = tcp_parts(body)
    if parts is None:
        return None, None
    ip, ihl, thl, key = parts
    total = struct.unpack(">H", body[ip + 2:ip + 4])[0]
    start = ip + ihl + thl
    end = min(len(body), ip + total)
    if end <= start:
        return None, None
    return key, (start, end)


def ones_complement_sum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(">%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return total


def fix_checksums(body):
    """Returns body with correct IPv4 header and TCP checksums (Ethernet, IPv4, TCP only)."""
    parts = tcp_parts(body)
    if parts is None:
        return body
    ip, ihl = parts[0], parts[1]
    out = bytearray(body)
    total = struct.unpack(">H", out[ip + 2:ip + 4])[0]
    if total == 0 or ip + total > len(out):
        return body
    out[ip + 10:ip + 12] = b"\0\0"
    struct.pack_into(">H", out, ip + 10, 0xFFFF - ones_complement_sum(bytes(out[ip:ip + ihl])))
    tcp = ip + ihl
    segment_len = total - ihl
    out[tcp + 16:tcp + 18] = b"\0\0"
    pseudo = bytes(out[ip + 12:ip + 20]) + struct.pack(">BBH", 0, 6, segment_len)
    checksum = 0xFFFF - ones_complement_sum(pseudo + bytes(out[tcp:tcp + segment_len]))
    struct.pack_into(">H", out, tcp + 16, checksum)
    return bytes(out)


def break_tcp_checksum(body):
    """Returns body with its TCP checksum off by one."""
    ip, ihl = tcp_parts(body)[:2]
    out = bytearray(body)
    at = ip + ihl + 16
    struct.pack_into(">H", out, at, (struct.unpack(">H", out[at:at + 2])[0] + 1) & 0xFFFF)
    return bytes(out)


def add_decoy(records):
    """Fixes every checksum and puts a PUBLC$ decoy before the first ADMIN$ packet."""
    out = [rec[:3] + [fix_checksums(rec[3])] for rec in records]
    real = "ADMIN$".encode("utf-16-le")
    for i, rec in enumerate(out):
        key, span = payload_of(rec[3])
        payload = rec[3][span[0]:span[1]] if key else b""
        # NetBIOS header (4 bytes), then SMB2 with its command at offset 12: 3 is TREE_CONNECT.
        if payload[4:8] != b"\xfeSMB" or payload[16:18] != b"\x03\x00" or real not in payload:
            continue
        decoy = rec[3][:span[0]] + rec[3][span[0]:span[1]].replace(real, "PUBLC$".encode("utf-16-le"))
        out.insert(i, rec[:3] + [break_tcp_checksum(fix_checksums(decoy))])
        return out
    raise SystemExit("no SMB2 TREE_CONNECT request names the share ADMIN$")


def write_data_indices(records):
    """Returns the indexes of the records whose TCP payload lies wholly in SMB2 WRITE data.

    Walks each flow direction's NetBIOS framing in capture order, which the
    lab captures keep, so stream offsets follow from payload lengths.
    """
    streams = {}  # flow key -> [stream offset, bytes seen, [(data start, message end)]]
    inside = []
    for index, rec in enumerate(records):
        key, span = payload_of(rec[3])
        if key is None:
            continue
        state = streams.setdefault(key, [0, b"", []])
        start = state[0]
        payload = rec[3][span[0]:span[1]]
        state[0] += len(payload)
        state[1] += payload
        # Frame every whole NetBIOS header seen so far; bodies are skipped by their length.
        while True:
            framed = state[2][-1][1] if state[2] else 0
            if framed + 4 > len(state[1]) or framed + 4 + 64 > state[0]:
                break
            length = struct.unpack(">I", b"\0" + state[1][framed + 1:framed + 4])[0]
            smb = state[1][framed + 4:framed + 4 + 64]
            data_start = framed + 4 + 64 + 48
            is_write = len(smb) == 64 and smb[:4] == b"\xfeSMB" and smb[12:14] == b"\x09\x00"
            state[2].append((data_start if is_write else framed + 4 + length, framed + 4 + length))
        end = start + len(payload)
        if any(begin <= start and end <= stop for begin, stop in state[2]):
            inside.append(index)
    return inside


def break_write_data(records):
    """Breaks the TCP checksum of each segment wholly inside SMB2 WRITE data."""
    inside = set(write_data_indices(records))
    return [rec[:3] + [break_tcp_checksum(rec[3])] if i in inside else rec
            for i, rec in enumerate(records)]


IDLE_GAP_SECONDS = 400


def idle_gap(records, decoy):
    """Delays the first segment of WRITE data and all after it by IDLE_GAP_SECONDS.

    With decoy, a copy of that segment with a wrong TCP checksum comes halfway
    through the gap.
    """
    first = write_data_indices(records)[0]
    later = [[rec[0] + IDLE_GAP_SECONDS] + rec[1:] for rec in records[first:]]
    out = records[:first]
    if decoy:
        copy = records[first]
        out.append([copy[0] + IDLE_GAP_SECONDS // 2] + copy[1:3] + [break_tcp_checksum(copy[3])])
    return out + later


def rebuild(body, start, payload, seq_delta):
    """Returns a copy of body with payload replaced and the sequence number moved."""
    ip = 14
    tcp = ip + (body[ip] & 0x0F) * 4
    head = bytearray(body[:start])
    seq = struct.unpack(">I", head[tcp + 4:tcp + 8])[0]
    struct.pack_into(">I", head, tcp + 4, (seq + seq_delta) & 0xFFFFFFFF)
    struct.pack_into(">H", head, ip + 2, start - ip + len(payload))
    return fix_checksums(bytes(head) + payload)


def move_port(body):
    """Returns body with TCP port 445 replaced by 8445 in either port field."""
    parts = tcp_parts(body)
    if parts is None:
        return body
    ip, ihl = parts[0], parts[1]
    out = bytearray(body)
    for at in (ip + ihl, ip + ihl + 2):
        if out[at:at + 2] == b"\x01\xbd":
            out[at:at + 2] = struct.pack(">H", 8445)
    return fix_checksums(bytes(out))


def mangle(mode, records):
    out = []
    if mode == "midstream":
        return records[len(records) // 3:]
    if mode == "port":
        return [rec[:3] + [move_port(rec[3])] for rec in records]
    if mode == "decoy":
        return add_decoy(records)
    if mode == "bulk":
        return break_write_data(records)
    if mode in ("idle", "idle-decoy"):
        return idle_gap(records, mode == "idle-decoy")
    if mode == "offload":
        return [rec[:3] + [break_tcp_checksum(rec[3]) if tcp_parts(rec[3]) else rec[3]]
                for rec in records]
    i = 0
    pending_swap = True
    while i < len(records):
        rec = records[i]
        key, span = payload_of(rec[3])
        if mode == "swap" and key and i + 1 < len(records):
            next_key, next_span = payload_of(records[i + 1][3])
            if next_key == key and pending_swap:
                out.append(records[i + 1])
                out.append(rec)
                pending_swap = False
                i += 2
                continue
            if next_key == key:
                pending_swap = True
        out.append(rec)
        if key and mode == "duplicate" and i % 5 == 0:
            out.append(rec)
        if key and mode in ("split", "overlap"):
            start, end = span
            payload = rec[3][start:end]
            if mode == "split" and len(payload) > 1:
                half = len(payload) // 2
                out[-1] = rec[:3] + [rebuild(rec[3], start, payload[:half], 0)]
                out.append(rec[:3] + [rebuild(rec[3], start, payload[half:], half)])
            if mode == "overlap" and len(payload) > 8:
                half = len(payload) // 2
                inverted = bytes(b ^ 0xFF for b in payload[half:])
                out.append(rec[:3] + [rebuild(rec[3], start, inverted, half)])
        i += 1
    return out


def main():
    if len(sys.argv) != 4:
        raise SystemExit(__doc__)
    mode, source, target = sys.argv[1:]
    header, order, records = read_pcap(source)
    with open(target, "wb") as out:
        out.write(header)
        for sec, frac, origlen, body in mangle(mode, records):
            out.write(struct.pack(order + "IIII", sec, frac, len(body), max(origlen, len(body))))
            out.write(body)


if __name__ == "__main__":
    main()
