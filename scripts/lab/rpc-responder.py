#!/usr/bin/python3
"""Lab-only RPC responder for the calls Samba 4.17 does not serve.

Samba 4.17 as a standalone server has no atsvc pipe (so no Task Scheduler),
and its svcctl rejects CreateServiceW with nca_s_op_rng_error. Impacket's
psexec, smbexec, atexec and services tools stop at that point. This responder
completes those calls with success so that each tool's whole sequence reaches
the capture:

- svcctl: OpenSCManagerW, CreateServiceW, OpenServiceW, StartServiceW,
  QueryServiceStatus, QueryServiceConfigW, ControlService, DeleteService,
  CloseServiceHandle, over a table of services created during the run.
- atsvc with ITaskSchedulerService: SchRpcRegisterTask, SchRpcRun,
  SchRpcGetLastRunInfo, SchRpcDelete, and NTLM packet privacy, which atexec
  requests. The same pipe serves the legacy ATSVC interface: NetrJobAdd,
  NetrJobEnum and NetrJobDel.
- RemCom_communicaton and the RemCom_stdin/stdout/stderr pipes that
  psexec's service would create.
- winreg, for secretsdump.py only: the boot-key class names, and
  BaseRegSaveKey of the SAM and SECURITY hives.

Commands are not executed. Where a tool reads a command's output back from a
share (smbexec's __output, atexec's Temp\\<name>.tmp), the responder writes a
fixed text into that file under --share-root.

smbd 4.17 opens a named pipe by connecting to the Unix socket
<socket dir>/np/<lower-case pipe name> and sending a named_pipe_auth_req
(Samba's librpc/idl/named_pipe_auth.idl). The responder replaces or adds
those sockets, replies to the request, and then carries raw DCE-RPC over the
socket (byte-mode pipe).
"""

import argparse
import logging
import os
import socket
import threading
import time

from lab_rpc.pipe import RpcSession, accept_named_pipe
from lab_rpc.remcom import RemComService
from lab_rpc.services import AtService, RemoteRegistry, ServiceControlManager, TaskScheduler

LOG = logging.getLogger("rpc-responder")


class PipeServer:
    """Listens on the named-pipe sockets and hands each client to its service."""

    def __init__(self, options):
        self.options = options
        self.socket_dir = options.socket_dir
        self.listeners = {}
        self.svcctl = ServiceControlManager(options)
        self.tasks = TaskScheduler(options)
        self.at_jobs = AtService()
        self.registry = RemoteRegistry(options)
        self.remcom = RemComService(self)

    def add_pipe(self, pipe_name, serve):
        path = os.path.join(self.socket_dir, pipe_name.lower())
        if os.path.exists(path):
            os.unlink(path)
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(path)
        listener.listen(8)
        self.listeners[pipe_name.lower()] = listener
        thread = threading.Thread(target=self.accept_loop, args=(listener, pipe_name, serve))
        thread.daemon = True
        thread.start()

    def remove_pipe(self, pipe_name):
        listener = self.listeners.pop(pipe_name.lower(), None)
        if listener is not None:
            listener.close()
            path = os.path.join(self.socket_dir, pipe_name.lower())
            if os.path.exists(path):
                os.unlink(path)

    def accept_loop(self, listener, pipe_name, serve):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            thread = threading.Thread(target=self.serve_client, args=(client, pipe_name, serve))
            thread.daemon = True
            thread.start()

    def serve_client(self, client, pipe_name, serve):
        try:
            if accept_named_pipe(client):
                serve(client)
        except Exception:
            # One broken client must not stop the responder for the others.
            LOG.exception("%s: client failed; closing its connection", pipe_name)
        finally:
            client.close()

    def rpc(self, pipe_name, *services):
        interfaces = {service.uuid: service for service in services}
        return lambda sock: RpcSession(sock, pipe_name, interfaces, self.options).serve()

    def start(self):
        self.add_pipe("svcctl", self.rpc("svcctl", self.svcctl))
        self.add_pipe("atsvc", self.rpc("atsvc", self.tasks, self.at_jobs))
        self.add_pipe("RemCom_communicaton", self.remcom.serve_main)
        # Not a pipe name any client opens: the lab renames this socket to
        # "winreg" for the secretsdump technique only.
        self.add_pipe("winreg.lab", self.rpc("winreg", self.registry))


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--socket-dir", required=True,
                        help="smbd's named-pipe socket directory (<ncalrpc dir>/np)")
    parser.add_argument("--share-root", required=True,
                        help="directory of the C$ share; ADMIN$ is its Windows folder")
    parser.add_argument("--password", default="Lab-Passw0rd1",
                        help="password of the lab account, for NTLM packet privacy")
    parser.add_argument("--ready-file", required=True,
                        help="file created once every socket listens")
    parser.add_argument("--server-name", default="FILESRV")
    parser.add_argument("--domain", default="WALAB")
    return parser.parse_args()


def main():
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    options = parse_arguments()
    server = PipeServer(options)
    server.start()
    open(options.ready_file, "w").close()
    LOG.info("listening in %s", options.socket_dir)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
