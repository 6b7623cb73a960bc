#!/usr/bin/env python3
"""Send every frame of a classic pcap file out of one interface through a packet socket.

Meant for the loopback interface of a network namespace that the test created
(unshare -n), so the frames never leave it. Needs CAP_NET_RAW in that namespace.

Usage: send_frames.py IFACE IN.pcap
"""
import socket
import struct
import sys
import time


def frames(path):
    with open(path, "rb") as f:
        header = f.read(24)
        magic = struct.unpack("<I", header[:4])[0]
        order = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
        while True:
            record = f.read(16)
            if len(record) < 16:
                return
            _, _, captured, _ = struct.unpack(order + "IIII", record)
            yield f.read(captured)


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: send_frames.py IFACE IN.pcap")
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    sock.bind((sys.argv[1], 0))
    for frame in frames(sys.argv[2]):
        sock.send(frame)
        # Spacing keeps the order stable for the capture buffer.
        time.sleep(0.005)
    sock.close()


if __name__ == "__main__":
    main()
