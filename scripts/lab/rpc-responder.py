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

Commands are not executed. Where a tool reads a command's output back from a
share (smbexec's __output, atexec's Temp\\<name>.tmp), the responder writes a
fixed text into that file under --share-root.

smbd 4.17 opens a named pipe by connecting to the Unix socket
<socket dir>/np/<lower-case pipe name> and sending a named_pipe_auth_req
(Samba's librpc/idl/named_pipe_auth.idl). The responder replaces or adds
those sockets, answers the request, and then carries raw DCE-RPC over the
socket (byte-mode pipe).
"""

import argparse
import datetime
import logging
import os
import re
import socket
import struct
import threading
import time

from Cryptodome.Cipher import ARC4
from impacket import ntlm
from impacket.dcerpc.v5 import atsvc, scmr, tsch
from impacket.dcerpc.v5.dtypes import NULL
from impacket.uuid import uuidtup_to_bin

LOG = logging.getLogger("rpc-responder")

NPA_MAGIC = b"NPAM"
FILE_TYPE_BYTE_MODE_PIPE = 1
PIPE_DEVICE_STATE = 0x05FF
PIPE_ALLOCATION_SIZE = 4096

PDU_REQUEST = 0
PDU_RESPONSE = 2
PDU_FAULT = 3
PDU_BIND = 11
PDU_BIND_ACK = 12
PDU_ALTER_CONTEXT = 14
PDU_ALTER_CONTEXT_RESP = 15
PDU_AUTH3 = 16
PFC_FIRST_LAST = 0x03
PFC_OBJECT_UUID = 0x80
AUTH_TYPE_NTLMSSP = 10
AUTH_LEVEL_PKT_PRIVACY = 6
MAX_FRAGMENT = 4280
NCA_S_OP_RNG_ERROR = 0x1C010002

NDR32 = uuidtup_to_bin(("8a885d04-1ceb-11c9-9fe8-08002b104860", "2.0"))

ERROR_SUCCESS = 0
ERROR_SERVICE_DOES_NOT_EXIST = 0x424
ERROR_FILE_NOT_FOUND = 2
SERVICE_STOPPED = 1
SERVICE_RUNNING = 4

# Output written where smbexec and atexec read a command's result.
COMMAND_OUTPUT = {
    "cd": "C:\\Windows\\system32\r\n",
    "whoami": "filesrv\\administrator\r\n",
}

# Services that exist before any tool creates one: secretsdump checks
# RemoteRegistry before it opens winreg.
BUILTIN_SERVICES = {
    "remoteregistry": {
        "name": "RemoteRegistry",
        "display": "Remote Registry",
        "path": "C:\\Windows\\system32\\svchost.exe -k localService",
        "state": SERVICE_RUNNING,
    },
}


def recv_exact(sock, count):
    """Read exactly count bytes; return None when the peer closes first."""
    data = b""
    while len(data) < count:
        chunk = sock.recv(count - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def accept_named_pipe(sock):
    """Accept smbd's named_pipe_auth_req and send a byte-mode pipe reply."""
    header = recv_exact(sock, 4)
    if header is None:
        return False
    (length,) = struct.unpack(">I", header)
    body = recv_exact(sock, length)
    if body is None or body[:4] != NPA_MAGIC:
        LOG.error("invalid named_pipe_auth_req (no NPAM magic); closing")
        return False
    (level,) = struct.unpack("<I", body[4:8])
    # NDR layout after the big-endian length: magic, level, the union's
    # switch value (the level again), file_type, device_state, 4 bytes of
    # alignment, a 64-bit allocation size and the NTSTATUS. Samba 4.17 sends
    # and expects level 7; the reply info is the same for levels 5 to 8.
    reply = (
        NPA_MAGIC
        + struct.pack("<II", level, level)
        + struct.pack("<HH", FILE_TYPE_BYTE_MODE_PIPE, PIPE_DEVICE_STATE)
        + b"\0" * 4
        + struct.pack("<QI", PIPE_ALLOCATION_SIZE, 0)
    )
    sock.sendall(struct.pack(">I", len(reply)) + reply)
    return True


class NtlmServer:
    """Server side of NTLMv2 with key exchange, enough to seal and unseal PDUs."""

    def __init__(self, password, server_name, domain):
        self.nt_hash = ntlm.compute_nthash(password)
        self.server_name = server_name
        self.domain = domain
        self.server_challenge = os.urandom(8)
        self.flags = 0
        self.client_sign_key = self.client_seal = None
        self.server_sign_key = self.server_seal = None
        self.client_seq = 0
        self.server_seq = 0

    def build_challenge(self, negotiate):
        request = ntlm.NTLMAuthNegotiate()
        request.fromString(negotiate)
        self.flags = request["flags"] | ntlm.NTLMSSP_NEGOTIATE_TARGET_INFO
        self.flags |= ntlm.NTLMSSP_TARGET_TYPE_SERVER
        pairs = ntlm.AV_PAIRS()
        pairs[ntlm.NTLMSSP_AV_HOSTNAME] = self.server_name.encode("utf-16le")
        pairs[ntlm.NTLMSSP_AV_DOMAINNAME] = self.domain.encode("utf-16le")
        pairs[ntlm.NTLMSSP_AV_DNS_HOSTNAME] = self.server_name.lower().encode("utf-16le")
        pairs[ntlm.NTLMSSP_AV_DNS_DOMAINNAME] = self.domain.lower().encode("utf-16le")
        filetime = int((time.time() + 11644473600) * 10000000)
        pairs[ntlm.NTLMSSP_AV_TIME] = struct.pack("<q", filetime)
        target_info = pairs.getData()
        domain_name = self.domain.encode("utf-16le")
        message = ntlm.NTLMAuthChallenge()
        message["flags"] = self.flags
        message["domain_len"] = len(domain_name)
        message["domain_max_len"] = len(domain_name)
        message["domain_offset"] = 40 + 16
        message["challenge"] = self.server_challenge
        message["domain_name"] = domain_name
        message["TargetInfoFields_len"] = len(target_info)
        message["TargetInfoFields_max_len"] = len(target_info)
        message["TargetInfoFields"] = target_info
        message["TargetInfoFields_offset"] = 40 + 16 + len(domain_name)
        message["Version"] = b"\x0a\x00\x63\x45\x00\x00\x00\x0f"
        message["VersionLen"] = 8
        return message.getData()

    def complete(self, authenticate):
        """Derive the sealing keys from the AUTHENTICATE message (MS-NLMP 3.3.2)."""
        message = ntlm.NTLMAuthChallengeResponse()
        message.fromString(authenticate)
        self.flags = message["flags"]
        user = message["user_name"].decode("utf-16le")
        domain = message["domain_name"].decode("utf-16le")
        response_key = ntlm.hmac_md5(
            self.nt_hash, user.upper().encode("utf-16le") + domain.encode("utf-16le")
        )
        nt_proof = message["ntlm"][:16]
        expected = ntlm.hmac_md5(response_key, self.server_challenge + message["ntlm"][16:])
        if expected != nt_proof:
            LOG.warning("NTLMv2 response of %s\\%s does not match the lab password", domain, user)
        session_key = ntlm.hmac_md5(response_key, nt_proof)
        if self.flags & ntlm.NTLMSSP_NEGOTIATE_KEY_EXCH:
            session_key = ARC4.new(session_key).decrypt(message["session_key"])
        self.client_sign_key = ntlm.SIGNKEY(self.flags, session_key, "Client")
        self.server_sign_key = ntlm.SIGNKEY(self.flags, session_key, "Server")
        self.client_seal = ARC4.new(ntlm.SEALKEY(self.flags, session_key, "Client")).encrypt
        self.server_seal = ARC4.new(ntlm.SEALKEY(self.flags, session_key, "Server")).encrypt
        LOG.info("NTLM session established for %s\\%s", domain, user)

    def unseal(self, sealed):
        # RC4 is its own inverse. SEAL also advances the RC4 stream over the
        # checksum, exactly as the client did when it sealed the request.
        plain, _ = ntlm.SEAL(
            self.flags, self.client_sign_key, None, sealed, sealed, self.client_seq, self.client_seal
        )
        self.client_seq += 1
        return plain

    def seal(self, pdu_without_verifier, stub):
        sealed, signature = ntlm.SEAL(
            self.flags,
            self.server_sign_key,
            None,
            pdu_without_verifier,
            stub,
            self.server_seq,
            self.server_seal,
        )
        self.server_seq += 1
        return sealed, signature.getData()


def pdu_header(pdu_type, flags, frag_len, auth_len, call_id):
    return struct.pack("<BBBBIHHI", 5, 0, pdu_type, flags, 0x10, frag_len, auth_len, call_id)


class RpcSession:
    """One DCE-RPC connection over a pipe: binds, auth, requests, responses."""

    def __init__(self, sock, pipe_name, interfaces, options):
        self.sock = sock
        self.pipe_name = pipe_name
        self.interfaces = interfaces
        self.options = options
        self.contexts = {}
        self.auth = None
        self.auth_level = 0
        self.auth_context_id = 0
        self.pending_stub = b""

    def read_pdu(self):
        header = recv_exact(self.sock, 16)
        if header is None:
            return None
        frag_len = struct.unpack("<H", header[8:10])[0]
        rest = recv_exact(self.sock, frag_len - 16)
        if rest is None:
            return None
        return header + rest

    def serve(self):
        while True:
            pdu = self.read_pdu()
            if pdu is None:
                return
            pdu_type = pdu[2]
            if pdu_type in (PDU_BIND, PDU_ALTER_CONTEXT):
                self.handle_bind(pdu)
            elif pdu_type == PDU_AUTH3:
                auth_len = struct.unpack("<H", pdu[10:12])[0]
                self.auth.complete(pdu[len(pdu) - auth_len :])
            elif pdu_type == PDU_REQUEST:
                self.handle_request(pdu)
            else:
                LOG.warning("%s: ignoring PDU type %d", self.pipe_name, pdu_type)

    def accept_contexts(self, pdu):
        """Return the count and result list for the bind's presentation contexts."""
        count = pdu[24]
        offset = 28
        results = b""
        for _ in range(count):
            context_id, syntax_count = struct.unpack("<HB", pdu[offset : offset + 3])
            abstract = pdu[offset + 4 : offset + 24]
            transfers = [
                pdu[offset + 24 + 20 * i : offset + 44 + 20 * i] for i in range(syntax_count)
            ]
            offset += 24 + 20 * syntax_count
            if NDR32 not in transfers:
                # provider_rejection, proposed_transfer_syntaxes_not_supported
                results += struct.pack("<HH", 2, 2) + b"\0" * 20
            elif abstract in self.interfaces:
                self.contexts[context_id] = self.interfaces[abstract]
                results += struct.pack("<HH", 0, 0) + NDR32
            else:
                # provider_rejection, abstract_syntax_not_supported
                results += struct.pack("<HH", 2, 1) + b"\0" * 20
        return count, results

    def start_auth(self, pdu, auth_len):
        """Read the bind's sec_trailer and return the NTLM CHALLENGE to send back."""
        trailer = pdu[len(pdu) - auth_len - 8 : len(pdu) - auth_len]
        self.auth_level = trailer[1]
        self.auth_context_id = struct.unpack("<I", trailer[4:8])[0]
        self.auth = NtlmServer(self.options.password, self.options.server_name, self.options.domain)
        return self.auth.build_challenge(pdu[len(pdu) - auth_len :])

    def handle_bind(self, pdu):
        flags = pdu[3]
        auth_len = struct.unpack("<H", pdu[10:12])[0]
        call_id = struct.unpack("<I", pdu[12:16])[0]
        count, results = self.accept_contexts(pdu)
        verifier = self.start_auth(pdu, auth_len) if auth_len else b""

        if pdu[2] == PDU_BIND:
            secondary = ("\\PIPE\\" + self.pipe_name).encode() + b"\0"
            reply_type = PDU_BIND_ACK
        else:
            secondary = b""
            reply_type = PDU_ALTER_CONTEXT_RESP
        body = struct.pack("<HHIH", MAX_FRAGMENT, MAX_FRAGMENT, 0x5A10, len(secondary)) + secondary
        body += b"\0" * ((4 - (16 + len(body)) % 4) % 4)
        body += struct.pack("<BBH", count, 0, 0) + results
        if verifier:
            trailer = struct.pack(
                "<BBBBI", AUTH_TYPE_NTLMSSP, self.auth_level, 0, 0, self.auth_context_id
            )
            body += trailer + verifier
        reply = pdu_header(reply_type, flags & PFC_FIRST_LAST, 16 + len(body), len(verifier),
                           call_id) + body
        self.sock.sendall(reply)

    def handle_request(self, pdu):
        flags = pdu[3]
        auth_len = struct.unpack("<H", pdu[10:12])[0]
        call_id = struct.unpack("<I", pdu[12:16])[0]
        context_id, opnum = struct.unpack("<HH", pdu[20:24])
        stub_start = 24 + (16 if flags & PFC_OBJECT_UUID else 0)
        if auth_len:
            trailer_at = len(pdu) - auth_len - 8
            pad_len = pdu[trailer_at + 2]
            stub = pdu[stub_start:trailer_at]
            if self.auth_level == AUTH_LEVEL_PKT_PRIVACY:
                stub = self.auth.unseal(stub)
            stub = stub[: len(stub) - pad_len]
        else:
            stub = pdu[stub_start:]
        self.pending_stub += stub
        if not flags & 0x02:
            return
        stub, self.pending_stub = self.pending_stub, b""
        interface = self.contexts.get(context_id)
        handler = interface.handlers.get(opnum) if interface else None
        if handler is None:
            LOG.warning("%s: no handler for opnum %d; sending a fault", self.pipe_name, opnum)
            self.send_fault(call_id, context_id)
            return
        reply_stub = handler(stub)
        self.send_response(call_id, context_id, reply_stub)

    def send_fault(self, call_id, context_id):
        body = struct.pack("<IHBBII", 0, context_id, 0, 0, NCA_S_OP_RNG_ERROR, 0)
        self.sock.sendall(pdu_header(PDU_FAULT, PFC_FIRST_LAST, 16 + len(body), 0, call_id) + body)

    def send_response(self, call_id, context_id, stub):
        # NOTE: below packet privacy the response goes out without a verifier.
        # Impacket's client accepts that, but a client that checks signatures
        # at integrity level would reject it.
        if self.auth is None or self.auth_level != AUTH_LEVEL_PKT_PRIVACY:
            body = struct.pack("<IHBB", len(stub), context_id, 0, 0) + stub
            self.sock.sendall(
                pdu_header(PDU_RESPONSE, PFC_FIRST_LAST, 16 + len(body), 0, call_id) + body
            )
            return
        pad_len = (4 - len(stub) % 4) % 4
        padded = stub + b"\0" * pad_len
        trailer = struct.pack(
            "<BBBBI", AUTH_TYPE_NTLMSSP, AUTH_LEVEL_PKT_PRIVACY, pad_len, 0, self.auth_context_id
        )
        frag_len = 24 + len(padded) + 8 + 16
        head = pdu_header(PDU_RESPONSE, PFC_FIRST_LAST, frag_len, 16, call_id)
        head += struct.pack("<IHBB", len(stub), context_id, 0, 0)
        sealed, signature = self.auth.seal(head + padded + trailer, padded)
        self.sock.sendall(head + sealed + trailer + signature)


def write_share_file(share_root, share, relative_path, text):
    """Write text to a file named by a share and a path inside it."""
    base = share_root if share.upper() == "C" else os.path.join(share_root, "Windows")
    target = os.path.join(base, *relative_path.replace("\\", "/").split("/"))
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with open(target, "w", encoding="ascii", newline="") as output:
        output.write(text)
    LOG.info("wrote command output to %s", target)


def fake_output(command):
    words = command.strip().split()
    return COMMAND_OUTPUT.get(words[0].lower(), "") if words else ""


class ServiceControlManager:
    """svcctl (MS-SCMR) over a service table that lives for the run."""

    uuid = uuidtup_to_bin(("367ABB81-9844-35F1-AD32-98F038001003", "2.0"))

    def __init__(self, options):
        self.options = options
        self.lock = threading.Lock()
        self.services = {key: dict(value) for key, value in BUILTIN_SERVICES.items()}
        self.handles = {}
        self.handlers = {
            0: self.close_handle,
            1: self.control_service,
            2: self.delete_service,
            6: self.query_status,
            12: self.create_service,
            15: self.open_manager,
            16: self.open_service,
            17: self.query_config,
            19: self.start_service,
        }

    def new_handle(self, key):
        handle = b"\0" * 4 + os.urandom(16)
        with self.lock:
            self.handles[handle] = key
        return handle

    def service_for(self, handle):
        key = self.handles.get(bytes(handle))
        return self.services.get(key) if key else None

    def open_manager(self, stub):
        request = scmr.ROpenSCManagerW(stub)
        LOG.info("OpenSCManagerW %s", request["lpMachineName"])
        response = scmr.ROpenSCManagerWResponse()
        response["lpScHandle"] = self.new_handle(None)
        response["ErrorCode"] = ERROR_SUCCESS
        return response.getData()

    def create_service(self, stub):
        request = scmr.RCreateServiceW(stub)
        name = request["lpServiceName"].rstrip("\0")
        path = request["lpBinaryPathName"]
        path = path.rstrip("\0") if path else ""
        display = request["lpDisplayName"]
        LOG.info("CreateServiceW %s path %s", name, path)
        with self.lock:
            self.services[name.lower()] = {
                "name": name,
                "display": display.rstrip("\0") if display else name,
                "path": path,
                "state": SERVICE_STOPPED,
            }
        response = scmr.RCreateServiceWResponse()
        response["lpdwTagId"] = NULL
        response["lpServiceHandle"] = self.new_handle(name.lower())
        response["ErrorCode"] = ERROR_SUCCESS
        return response.getData()

    def open_service(self, stub):
        request = scmr.ROpenServiceW(stub)
        key = request["lpServiceName"].rstrip("\0").lower()
        response = scmr.ROpenServiceWResponse()
        if key in self.services:
            response["lpServiceHandle"] = self.new_handle(key)
            response["ErrorCode"] = ERROR_SUCCESS
        else:
            response["lpServiceHandle"] = b"\0" * 20
            response["ErrorCode"] = ERROR_SERVICE_DOES_NOT_EXIST
        return response.getData()

    def start_service(self, stub):
        request = scmr.RStartServiceW(stub)
        service = self.service_for(request["hService"])
        response = scmr.RStartServiceWResponse()
        response["ErrorCode"] = ERROR_SUCCESS
        if service is None:
            response["ErrorCode"] = ERROR_SERVICE_DOES_NOT_EXIST
            return response.getData()
        service["state"] = SERVICE_RUNNING
        LOG.info("StartServiceW %s", service["name"])
        self.emulate_command(service["path"])
        return response.getData()

    def emulate_command(self, path):
        # smbexec: "... echo <command> ^> \\HOST\C$\__output 2^>^&1 > ..."
        match = re.search(r"echo (.*?) \^> \\\\[^\\]+\\(\w+)\$\\(\S+) ", path)
        if match:
            command, share, relative = match.groups()
            write_share_file(self.options.share_root, share, relative, fake_output(command))

    def status_response(self, response_class, service):
        response = response_class()
        status = response["lpServiceStatus"]
        status["dwServiceType"] = scmr.SERVICE_WIN32_OWN_PROCESS
        status["dwCurrentState"] = service["state"] if service else SERVICE_STOPPED
        status["dwControlsAccepted"] = 1
        response["ErrorCode"] = ERROR_SUCCESS if service else ERROR_SERVICE_DOES_NOT_EXIST
        return response.getData()

    def query_status(self, stub):
        request = scmr.RQueryServiceStatus(stub)
        service = self.service_for(request["hService"])
        return self.status_response(scmr.RQueryServiceStatusResponse, service)

    def control_service(self, stub):
        request = scmr.RControlService(stub)
        service = self.service_for(request["hService"])
        if service:
            service["state"] = SERVICE_STOPPED
        return self.status_response(scmr.RControlServiceResponse, service)

    def delete_service(self, stub):
        request = scmr.RDeleteService(stub)
        key = self.handles.get(bytes(request["hService"]))
        response = scmr.RDeleteServiceResponse()
        with self.lock:
            found = self.services.pop(key, None) if key else None
        response["ErrorCode"] = ERROR_SUCCESS if found else ERROR_SERVICE_DOES_NOT_EXIST
        return response.getData()

    def query_config(self, stub):
        request = scmr.RQueryServiceConfigW(stub)
        service = self.service_for(request["hService"])
        response = scmr.RQueryServiceConfigWResponse()
        config = response["lpServiceConfig"]
        config["dwServiceType"] = scmr.SERVICE_WIN32_OWN_PROCESS
        config["dwStartType"] = scmr.SERVICE_DEMAND_START
        config["dwErrorControl"] = scmr.SERVICE_ERROR_IGNORE
        config["lpBinaryPathName"] = (service["path"] if service else "") + "\0"
        config["lpLoadOrderGroup"] = "\0"
        config["dwTagId"] = 0
        config["lpDependencies"] = "\0"
        config["lpServiceStartName"] = "LocalSystem\0"
        config["lpDisplayName"] = (service["display"] if service else "") + "\0"
        response["pcbBytesNeeded"] = 0
        response["ErrorCode"] = ERROR_SUCCESS if service else ERROR_SERVICE_DOES_NOT_EXIST
        return response.getData()

    def close_handle(self, stub):
        request = scmr.RCloseServiceHandle(stub)
        with self.lock:
            self.handles.pop(bytes(request["hSCObject"]), None)
        response = scmr.RCloseServiceHandleResponse()
        response["hSCObject"] = b"\0" * 20
        response["ErrorCode"] = ERROR_SUCCESS
        return response.getData()


class TaskScheduler:
    """ITaskSchedulerService (MS-TSCH) over a task table that lives for the run."""

    uuid = uuidtup_to_bin(("86D35949-83C9-4044-B424-DB363231FD0C", "1.0"))

    def __init__(self, options):
        self.options = options
        self.tasks = {}
        self.handlers = {
            0: self.highest_version,
            1: self.register_task,
            12: self.run_task,
            13: self.delete_task,
            16: self.last_run_info,
        }

    def highest_version(self, stub):
        response = tsch.SchRpcHighestVersionResponse()
        response["pVersion"] = 0x00010004
        response["ErrorCode"] = ERROR_SUCCESS
        return response.getData()

    def register_task(self, stub):
        request = tsch.SchRpcRegisterTask(stub)
        path = request["path"].rstrip("\0")
        self.tasks[path.lower()] = {"xml": request["xml"].rstrip("\0"), "ran": None}
        LOG.info("SchRpcRegisterTask %s", path)
        response = tsch.SchRpcRegisterTaskResponse()
        response["pActualPath"] = path + "\0"
        response["pErrorInfo"] = NULL
        response["ErrorCode"] = ERROR_SUCCESS
        return response.getData()

    def run_task(self, stub):
        request = tsch.SchRpcRun(stub)
        path = request["path"].rstrip("\0")
        task = self.tasks.get(path.lower())
        response = tsch.SchRpcRunResponse()
        response["pGuid"] = os.urandom(16)
        response["ErrorCode"] = ERROR_SUCCESS if task else ERROR_FILE_NOT_FOUND
        if task:
            task["ran"] = datetime.datetime.utcnow()
            LOG.info("SchRpcRun %s", path)
            self.emulate_command(task["xml"])
        return response.getData()

    def emulate_command(self, xml):
        # atexec: <Arguments>/C <command> &gt; %windir%\Temp\<name>.tmp 2&gt;&amp;1</Arguments>
        match = re.search(r"<Arguments>/C (.*?) &gt; %windir%\\(\S+) 2&gt;", xml)
        if match:
            command, relative = match.groups()
            write_share_file(self.options.share_root, "ADMIN", relative, fake_output(command))

    def last_run_info(self, stub):
        request = tsch.SchRpcGetLastRunInfo(stub)
        task = self.tasks.get(request["path"].rstrip("\0").lower())
        response = tsch.SchRpcGetLastRunInfoResponse()
        when = task["ran"] if task and task["ran"] else None
        run_time = response["pLastRuntime"]
        run_time["wYear"] = when.year if when else 0
        run_time["wMonth"] = when.month if when else 0
        run_time["wDayOfWeek"] = when.isoweekday() % 7 if when else 0
        run_time["wDay"] = when.day if when else 0
        run_time["wHour"] = when.hour if when else 0
        run_time["wMinute"] = when.minute if when else 0
        run_time["wSecond"] = when.second if when else 0
        run_time["wMilliseconds"] = 0
        response["pLastReturnCode"] = 0
        response["ErrorCode"] = ERROR_SUCCESS if task else ERROR_FILE_NOT_FOUND
        return response.getData()

    def delete_task(self, stub):
        request = tsch.SchRpcDelete(stub)
        found = self.tasks.pop(request["path"].rstrip("\0").lower(), None)
        LOG.info("SchRpcDelete %s", request["path"].rstrip("\0"))
        response = tsch.SchRpcDeleteResponse()
        response["ErrorCode"] = ERROR_SUCCESS if found else ERROR_FILE_NOT_FOUND
        return response.getData()


class AtService:
    """ATSVC (MS-TSCH 3.2.5.2), the legacy "at" job interface, over a job table."""

    uuid = uuidtup_to_bin(("1FF70682-0A51-30E8-076D-740BE8CEE98B", "1.0"))

    def __init__(self):
        self.jobs = {}
        self.next_job_id = 1
        self.handlers = {
            0: self.add_job,
            1: self.delete_jobs,
            2: self.enumerate_jobs,
        }

    def add_job(self, stub):
        request = atsvc.NetrJobAdd(stub)
        info = request["pAtInfo"]
        job_id = self.next_job_id
        self.next_job_id += 1
        self.jobs[job_id] = {
            "time": info["JobTime"],
            "flags": info["Flags"],
            "command": info["Command"].rstrip("\0"),
        }
        LOG.info("NetrJobAdd %d: %s", job_id, self.jobs[job_id]["command"])
        response = atsvc.NetrJobAddResponse()
        response["pJobId"] = job_id
        response["ErrorCode"] = ERROR_SUCCESS
        return response.getData()

    def delete_jobs(self, stub):
        request = atsvc.NetrJobDel(stub)
        first, last = request["MinJobId"], request["MaxJobId"]
        for job_id in [job_id for job_id in self.jobs if first <= job_id <= last]:
            del self.jobs[job_id]
        LOG.info("NetrJobDel %d..%d", first, last)
        response = atsvc.NetrJobDelResponse()
        response["ErrorCode"] = ERROR_SUCCESS
        return response.getData()

    def enumerate_jobs(self, stub):
        atsvc.NetrJobEnum(stub)
        response = atsvc.NetrJobEnumResponse()
        container = response["pEnumContainer"]
        container["EntriesRead"] = len(self.jobs)
        for job_id, job in sorted(self.jobs.items()):
            entry = atsvc.AT_ENUM()
            entry["JobId"] = job_id
            entry["JobTime"] = job["time"]
            entry["DaysOfMonth"] = 0
            entry["DaysOfWeek"] = 0
            entry["Flags"] = job["flags"]
            entry["Command"] = job["command"] + "\0"
            container["Buffer"].append(entry)
        response["pTotalEntries"] = len(self.jobs)
        response["pResumeHandle"] = NULL
        response["ErrorCode"] = ERROR_SUCCESS
        return response.getData()


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
        # psexec opens the three pipes from separate threads; the response on
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


class PipeServer:
    """Listens on the named-pipe sockets and hands each client to its service."""

    def __init__(self, options):
        self.options = options
        self.socket_dir = options.socket_dir
        self.listeners = {}
        self.svcctl = ServiceControlManager(options)
        self.tasks = TaskScheduler(options)
        self.at_jobs = AtService()
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
