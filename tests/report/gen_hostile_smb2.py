#!/usr/bin/env python3
"""Write a pcap of one SMB2 session whose names are HTML and script injection attempts.

The capture has full Ethernet, IPv4, TCP, NetBIOS session service and SMB 2.1
headers: NEGOTIATE, a two-leg NTLMSSP SESSION_SETUP, TREE_CONNECT to C$,
CREATE of a file named <script>alert(1)</script>.txt, and CLOSE, each with a
successful response. The HTML report test renders the events rebuilt from it
and checks that every name shows as text.

Usage: gen_hostile_smb2.py OUT.pcap
"""
import struct
import sys

CLIENT = (bytes([10, 99, 0, 5]), 49731, b"\x02\x00\x00\x00\x00\x05")
SERVER = (bytes([10, 99, 0, 10]), 445, b"\x02\x00\x00\x00\x00\x0a")

HOSTILE_FILE = "<script>alert(1)</script>.txt"
HOSTILE_USER = "o\"brien' <b>bold</b>"
HOSTILE_DOMAIN = "CORP&amp;"
HOSTILE_WORKSTATION = "WS\"><img src=x onerror=alert(2)>"
HOSTILE_SERVER = "</svg><script>alert(3)</script>"

# 2020-09-22T14:53:02Z
START_SECONDS = 1600786382


def utf16(text):
    return text.encode("utf-16-le")


def checksum(data):
    if len(data) % 2:
        data += b"\x00"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return (~total) & 0xFFFF


def ipv4_tcp(src, dst, seq, ack, flags, payload):
    """Return an Ethernet frame carrying one TCP segment."""
    tcp_len = 20 + len(payload)
    tcp = struct.pack("!HHIIBBHHH", src[1], dst[1], seq, ack, 5 << 4, flags, 65535, 0, 0)
    pseudo = src[0] + dst[0] + struct.pack("!BBH", 0, 6, tcp_len)
    tcp_sum = checksum(pseudo + tcp + payload)
    tcp = tcp[:16] + struct.pack("!H", tcp_sum) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + tcp_len, 1, 0x4000, 128, 6, 0, src[0], dst[0])
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    return dst[2] + src[2] + b"\x08\x00" + ip + tcp + payload


def smb2_header(command, message_id, response, status=0, tree_id=0, session_id=0):
    flags = 0x1 if response else 0
    return (b"\xfeSMB" + struct.pack("<HHIHHIIQIIQ", 64, 0, status, command, 1, flags, 0,
                                     message_id, 0xFEFF, tree_id, session_id) + b"\x00" * 16)


def nbss(message):
    return struct.pack("!I", len(message)) + message


def security_buffer(offset, data):
    return struct.pack("<HHI", len(data), len(data), offset)


def ntlm_challenge():
    target_name = utf16("CORP")
    info = b""
    for av_id, value in ((2, "CORP"), (1, HOSTILE_SERVER), (3, "fs01.corp.local")):
        info += struct.pack("<HH", av_id, len(utf16(value))) + utf16(value)
    info += struct.pack("<HH", 0, 0)
    fixed = 56
    return (b"NTLMSSP\x00" + struct.pack("<I", 2) + security_buffer(fixed, target_name)
            + struct.pack("<I", 0xE2898215) + b"\x11" * 8 + b"\x00" * 8
            + security_buffer(fixed + len(target_name), info) + b"\x0a\x00\x63\x45\x00\x00\x00\x0f"
            + target_name + info)


def ntlm_authenticate():
    fields = [b"\x00" * 24, b"\x22" * 48, utf16(HOSTILE_DOMAIN), utf16(HOSTILE_USER),
              utf16(HOSTILE_WORKSTATION), b"\x33" * 16]
    offset = 88
    descriptors = b""
    for data in fields:
        descriptors += security_buffer(offset, data)
        offset += len(data)
    # Descriptors in MS-NLMP order: LM, NT, domain, user, workstation, session key.
    return (b"NTLMSSP\x00" + struct.pack("<I", 3) + descriptors + struct.pack("<I", 0xE2888215)
            + b"\x0a\x00\x63\x45\x00\x00\x00\x0f" + b"\x00" * 16 + b"".join(fields))


def negotiate(request):
    if request:
        return struct.pack("<HHHHI", 36, 1, 1, 0, 0) + b"\x44" * 16 + b"\x00" * 8 + struct.pack(
            "<H", 0x0210)
    return (struct.pack("<HHHH", 65, 1, 0x0210, 0) + b"\x55" * 16
            + struct.pack("<IIII", 0, 65536, 65536, 65536) + b"\x00" * 16
            + struct.pack("<HHI", 128, 0, 0))


def session_setup_request(token):
    return struct.pack("<HBBIIHHQ", 25, 0, 1, 0, 0, 88, len(token), 0) + token


def session_setup_response(token):
    return struct.pack("<HHHH", 9, 0, 72, len(token)) + token


def tree_connect_request(path):
    name = utf16(path)
    return struct.pack("<HHHH", 9, 0, 72, len(name)) + name


def tree_connect_response():
    return struct.pack("<HBBIII", 16, 1, 0, 0, 0, 0x001F01FF)


def create_request(name):
    data = utf16(name)
    # DesiredAccess 0x120116 (write data, append, write EA and attributes, read control,
    # synchronize), CreateDisposition 5 (overwrite if), CreateOptions 0x44 (non-directory,
    # sequential only).
    return (struct.pack("<HBBIQQIIIIIHHII", 57, 0, 0, 2, 0, 0, 0x00120116, 0x80, 0x7, 5, 0x44,
                        120, len(data), 0, 0) + data)


FILE_ID = b"\x01\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00"


def create_response():
    return (struct.pack("<HBBI", 89, 0, 0, 2) + b"\x00" * 32 + struct.pack("<QQII", 0, 0, 0x80, 0)
            + FILE_ID + struct.pack("<II", 0, 0))


def close_request():
    return struct.pack("<HHI", 24, 0, 0) + FILE_ID


def close_response():
    return struct.pack("<HHI", 60, 0, 0) + b"\x00" * 32 + struct.pack("<QQI", 0, 0, 0x80)


def exchanges():
    """Yield (command, status, tree_id, session_id, request body, response body)."""
    session = 0x0000040000000011
    tree = 5
    yield 0, 0, 0, 0, negotiate(True), negotiate(False)
    yield (1, 0xC0000016, 0, session, session_setup_request(b"NTLMSSP\x00\x01\x00\x00\x00"
                                                            + struct.pack("<I", 0xE2088297)
                                                            + b"\x00" * 16),
           session_setup_response(ntlm_challenge()))
    yield (1, 0, 0, session, session_setup_request(ntlm_authenticate()),
           session_setup_response(b""))
    yield (3, 0, tree, session, tree_connect_request("\\\\" + HOSTILE_SERVER + "\\C$"),
           tree_connect_response())
    yield 5, 0, tree, session, create_request(HOSTILE_FILE), create_response()
    yield 6, 0, tree, session, close_request(), close_response()


def frames():
    client_seq = 1000
    server_seq = 5000
    yield ipv4_tcp(CLIENT, SERVER, client_seq, 0, 0x02, b"")
    yield ipv4_tcp(SERVER, CLIENT, server_seq, client_seq + 1, 0x12, b"")
    client_seq += 1
    server_seq += 1
    yield ipv4_tcp(CLIENT, SERVER, client_seq, server_seq, 0x10, b"")
    for message_id, (command, status, tree, session, request, response) in enumerate(exchanges()):
        # The tree id and session id appear on the request once the server has assigned them.
        req_tree = tree if command not in (0, 1, 3) else 0
        req_session = session if command not in (0, 1) or message_id > 1 else 0
        req = nbss(smb2_header(command, message_id, False, 0, req_tree, req_session) + request)
        resp = nbss(smb2_header(command, message_id, True, status, tree, session) + response)
        yield ipv4_tcp(CLIENT, SERVER, client_seq, server_seq, 0x18, req)
        client_seq += len(req)
        yield ipv4_tcp(SERVER, CLIENT, server_seq, client_seq, 0x18, resp)
        server_seq += len(resp)
    yield ipv4_tcp(CLIENT, SERVER, client_seq, server_seq, 0x11, b"")
    yield ipv4_tcp(SERVER, CLIENT, server_seq, client_seq + 1, 0x11, b"")
    yield ipv4_tcp(CLIENT, SERVER, client_seq + 1, server_seq + 1, 0x10, b"")


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: gen_hostile_smb2.py OUT.pcap")
    with open(sys.argv[1], "wb") as out:
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        for i, frame in enumerate(frames()):
            out.write(struct.pack("<IIII", START_SECONDS, i * 1000, len(frame), len(frame)))
            out.write(frame)


if __name__ == "__main__":
    main()
