#!/usr/bin/env python3
"""Exchanges five NetBIOS session messages each way over 127.0.0.1:445.

Each message is an SMB2 protocol id followed by zero fill, enough for the
capture path to frame and count it. Used by tests/it_capture_cli.sh inside a
private network namespace, so port 445 on its loopback interface is free.
"""
import socket
import threading

MESSAGE = b"\x00\x00\x00\x40" + b"\xfeSMB" + b"\x00" * 60
ROUNDS = 5


def receive(sock):
    data = b""
    while len(data) < len(MESSAGE):
        chunk = sock.recv(4096)
        if not chunk:
            raise SystemExit("capture_live_peer: connection closed early")
        data += chunk


def serve(server):
    conn, _ = server.accept()
    for _ in range(ROUNDS):
        receive(conn)
        conn.sendall(MESSAGE)
    conn.close()


def main():
    server = socket.socket()
    server.bind(("127.0.0.1", 445))
    server.listen(1)
    thread = threading.Thread(target=serve, args=(server,))
    thread.start()
    client = socket.create_connection(("127.0.0.1", 445), timeout=5)
    for _ in range(ROUNDS):
        client.sendall(MESSAGE)
        receive(client)
    client.close()
    thread.join()
    server.close()


if __name__ == "__main__":
    main()
