"""The pipes of psexec.py's RemComSvc, served without running anything."""

import logging
import struct
import threading
import time

from lab_rpc.pipe import recv_exact
from lab_rpc.services import fake_output

LOG = logging.getLogger("rpc-responder")

# RemCom message sizes from psexec's RemComMessage: Command[4096],
# WorkingDir[260], Priority, ProcessID, Machine[260], NoWait.
REMCOM_MESSAGE_SIZE = 4096 + 260 + 4 + 4 + 260 + 4


class RemComService:
    """The pipes of psexec's RemComSvc: one command in, its output out."""

    def __init__(self, server):
        self.server = server

    def serve_main(self, sock):
        message = recv_exact(sock, REMCOM_MESSAGE_SIZE)
        if message is None:
            return
        command = message[:4096].split(b"\0")[0].decode("latin-1")
        process_id = struct.unpack("<I", message[4360:4364])[0]
        machine = message[4364:4624].split(b"\0")[0].decode("latin-1")
        LOG.info("RemCom command %r from %s/%d", command, machine, process_id)
        suffix = "%s%d" % (machine, process_id)
        output = fake_output(command.split(" ", 2)[-1] if command.startswith("cmd") else command)
        connected = [threading.Event() for _ in range(3)]
        self.server.add_pipe("RemCom_stdout" + suffix,
                             lambda s: self.send_text(s, output, connected[0]))
        self.server.add_pipe("RemCom_stderr" + suffix,
                             lambda s: self.send_text(s, "", connected[1]))
        self.server.add_pipe("RemCom_stdin" + suffix, lambda s: self.drain(s, connected[2]))
        # psexec opens the three pipes from separate threads. The response on
        # the main pipe ends its session, so it waits until all are open.
        for event in connected:
            event.wait(20)
        time.sleep(0.5)
        # RemComResponse: ErrorCode, ReturnCode.
        sock.sendall(struct.pack("<II", 0, 0))
        for name in ("stdout", "stderr", "stdin"):
            self.server.remove_pipe("RemCom_%s%s" % (name, suffix))

    @staticmethod
    def send_text(sock, text, connected):
        connected.set()
        if text:
            sock.sendall(text.encode("latin-1"))
        time.sleep(1)

    @staticmethod
    def drain(sock, connected):
        connected.set()
        sock.settimeout(30)
        try:
            while sock.recv(4096):
                pass
        except OSError:
            pass
