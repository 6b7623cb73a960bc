#!/usr/bin/python3
"""Enumerate shares and sessions and read the remote time over srvsvc.

Usage: srvsvc-enum.py [--tcp] DOMAIN/USER:PASSWORD@HOST

The calls are the reconnaissance steps that net view, net session and
net time \\\\HOST make on Windows: NetrShareEnum (level 1), NetrSessionEnum
(level 10), NetrServerGetInfo (level 101) and NetrRemoteTOD, all on the
\\PIPE\\srvsvc named pipe with Impacket's library. With --tcp the calls go over
ncacn_ip_tcp instead: the endpoint mapper on TCP 135 names srvsvc's dynamic
port, and the session is signed (NTLM packet integrity), so the call
arguments stay readable on the wire.
"""

import re
import sys

from impacket.dcerpc.v5 import epm, srvs, transport
from impacket.dcerpc.v5.rpcrt import RPC_C_AUTHN_LEVEL_PKT_INTEGRITY, DCERPCException


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


def connect(domain, user, password, host, over_tcp):
    """Return a DCE-RPC connection bound to srvsvc on a named pipe or over TCP."""
    if over_tcp:
        binding = epm.hept_map(host, srvs.MSRPC_UUID_SRVS, protocol="ncacn_ip_tcp")
    else:
        binding = r"ncacn_np:%s[\pipe\srvsvc]" % host
    rpc = transport.DCERPCTransportFactory(binding)
    rpc.set_credentials(user, password, domain)
    dce = rpc.get_dce_rpc()
    if over_tcp:
        dce.set_credentials(user, password, domain)
        dce.set_auth_level(RPC_C_AUTHN_LEVEL_PKT_INTEGRITY)
    dce.connect()
    dce.bind(srvs.MSRPC_UUID_SRVS)
    return dce


def main():
    arguments = sys.argv[1:]
    over_tcp = arguments[:1] == ["--tcp"]
    if over_tcp:
        arguments = arguments[1:]
    if len(arguments) != 1:
        sys.exit(__doc__.split("\n\n")[1])
    domain, user, password, host = parse_target(arguments[0])
    dce = connect(domain, user, password, host, over_tcp)

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
