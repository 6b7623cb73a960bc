#!/usr/bin/python3
"""Enumerate shares and sessions and read the remote time over srvsvc.

Usage: srvsvc-enum.py DOMAIN/USER:PASSWORD@HOST

The calls are the reconnaissance steps that net view, net session and
net time \\\\HOST make on Windows: NetrShareEnum (level 1), NetrSessionEnum
(level 10), NetrServerGetInfo (level 101) and NetrRemoteTOD, all on the
\\PIPE\\srvsvc named pipe with Impacket's library.
"""

import re
import sys

from impacket.dcerpc.v5 import srvs, transport
from impacket.dcerpc.v5.rpcrt import DCERPCException


def list_shares(dce):
    shares = srvs.hNetrShareEnum(dce, 1)
    return [share["shi1_netname"][:-1] for share in shares["InfoStruct"]["ShareInfo"]["Level1"]["Buffer"]]


def list_sessions(dce):
    sessions = srvs.hNetrSessionEnum(dce, "\x00", "\x00", 10)
    buffer = sessions["InfoStruct"]["SessionInfo"]["Level10"]["Buffer"]
    return ["%s from %s" % (s["sesi10_username"][:-1], s["sesi10_cname"][:-1]) for s in buffer]


def read_server_name(dce):
    server = srvs.hNetrServerGetInfo(dce, 101)
    return [server["InfoStruct"]["ServerInfo101"]["sv101_name"][:-1]]


def read_time(dce):
    tod = srvs.hNetrRemoteTOD(dce)["BufferPtr"]
    return ["%04d-%02d-%02d %02d:%02d:%02d UTC" % (
        tod["tod_year"], tod["tod_month"], tod["tod_day"],
        tod["tod_hours"], tod["tod_mins"], tod["tod_secs"])]


CALLS = [
    ("NetrShareEnum", list_shares),
    ("NetrSessionEnum", list_sessions),
    ("NetrServerGetInfo", read_server_name),
    ("NetrRemoteTOD", read_time),
]


def parse_target(target):
    match = re.fullmatch(r"([^/]*)/([^:]*):(.*)@(.+)", target)
    if match is None:
        sys.exit("invalid target %r; expected DOMAIN/USER:PASSWORD@HOST" % target)
    return match.groups()


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__.split("\n\n")[1])
    domain, user, password, host = parse_target(sys.argv[1])
    rpc = transport.DCERPCTransportFactory(r"ncacn_np:%s[\pipe\srvsvc]" % host)
    rpc.set_credentials(user, password, domain)
    dce = rpc.get_dce_rpc()
    dce.connect()
    dce.bind(srvs.MSRPC_UUID_SRVS)

    # Each call runs even when an earlier one was rejected, because Samba 4.17
    # rejects NetrSessionEnum for this account with rpc_s_access_denied.
    failures = 0
    for name, call in CALLS:
        try:
            for line in call(dce):
                print("%s: %s" % (name, line))
        except DCERPCException as error:
            print("%s failed: %s" % (name, error), file=sys.stderr)
            failures += 1
    dce.disconnect()
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
