#!/usr/bin/python3
"""Run one Impacket example script unchanged, with one lab-only accommodation.

Usage: impacket-example.py SCRIPT [ARGUMENT...]

psexec.py waits for RemComSvc's pipes with FSCTL_PIPE_WAIT and retries for
100 seconds while it fails. Windows completes that request with success once
the pipe exists. Samba 4.17 fails it with STATUS_FS_DRIVER_REQUIRED, as the
lab's psexec captures show. The request still goes on the wire, and this
wrapper treats that one status as "pipe ready" after a short pause, which
gives the lab's RPC responder time to create the pipe. Every other status is
raised as before.
"""

import runpy
import sys
import time

from impacket.smbconnection import SessionError, SMBConnection

STATUS_FS_DRIVER_REQUIRED = 0xC000019C
PIPE_READY_DELAY_SECONDS = 0.5

original_wait_named_pipe = SMBConnection.waitNamedPipe


def wait_named_pipe(self, tree_id, pipe_name, timeout=5):
    try:
        return original_wait_named_pipe(self, tree_id, pipe_name, timeout)
    except SessionError as error:
        if error.getErrorCode() != STATUS_FS_DRIVER_REQUIRED:
            raise
        time.sleep(PIPE_READY_DELAY_SECONDS)
        return True


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: impacket-example.py SCRIPT [ARGUMENT...]")
    SMBConnection.waitNamedPipe = wait_named_pipe
    script = sys.argv[1]
    sys.argv = sys.argv[1:]
    runpy.run_path(script, run_name="__main__")


if __name__ == "__main__":
    main()
