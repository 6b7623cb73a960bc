#!/usr/bin/python3
"""Schedule and delete a legacy "at" job over the ATSVC interface.

Usage: at-job.py DOMAIN/USER:PASSWORD@HOST COMMAND

Makes the calls that `at \\\\HOST 23:59 COMMAND` and `at \\\\HOST <id> /delete`
make on Windows: NetrJobAdd, NetrJobEnum and NetrJobDel on the \\PIPE\\atsvc
named pipe (MS-TSCH 3.2.5.2), with Impacket's library. Impacket ships no
example for this interface.
"""

import re
import sys

from impacket.dcerpc.v5 import atsvc, transport
from impacket.dcerpc.v5.dtypes import NULL

# 23:59 as milliseconds after midnight, the unit of AT_INFO.JobTime.
JOB_TIME_MS = (23 * 60 + 59) * 60 * 1000
JOB_NONINTERACTIVE = 0x10


def parse_target(target):
    match = re.fullmatch(r"([^/]*)/([^:]*):(.*)@(.+)", target)
    if match is None:
        sys.exit("invalid target %r; expected DOMAIN/USER:PASSWORD@HOST" % target)
    return match.groups()


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.split("\n\n")[1])
    domain, user, password, host = parse_target(sys.argv[1])
    rpc = transport.DCERPCTransportFactory(r"ncacn_np:%s[\pipe\atsvc]" % host)
    rpc.set_credentials(user, password, domain)
    dce = rpc.get_dce_rpc()
    dce.connect()
    dce.bind(atsvc.MSRPC_UUID_ATSVC)

    info = atsvc.AT_INFO()
    info["JobTime"] = JOB_TIME_MS
    info["DaysOfMonth"] = 0
    info["DaysOfWeek"] = 0
    info["Flags"] = JOB_NONINTERACTIVE
    info["Command"] = sys.argv[2] + "\x00"
    job_id = atsvc.hNetrJobAdd(dce, NULL, info)["pJobId"]
    print("added job %d: %s" % (job_id, sys.argv[2]))

    jobs = atsvc.hNetrJobEnum(dce)
    print("jobs listed: %d" % jobs["pTotalEntries"])

    atsvc.hNetrJobDel(dce, NULL, job_id, job_id)
    print("deleted job %d" % job_id)
    dce.disconnect()


if __name__ == "__main__":
    main()
