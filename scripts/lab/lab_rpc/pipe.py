"""Named-pipe sockets of smbd 4.17 and the DCE-RPC sessions carried over them.

smbd opens a named pipe by connecting to the Unix socket
<socket dir>/np/<lower-case pipe name> and sending a named_pipe_auth_req
(Samba's librpc/idl/named_pipe_auth.idl). accept_named_pipe() replies to that
request, and RpcSession then carries connection-oriented DCE-RPC (C706
chapter 12, MS-RPCE) over the socket, with NTLM packet privacy when the
client binds with it.
"""

import logging
import os
import struct
import time

from Cryptodome.Cipher import ARC4
from impacket import ntlm
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
PFC_LAST_FRAG = 0x02
PFC_FIRST_LAST = 0x03
PFC_OBJECT_UUID = 0x80
AUTH_TYPE_NTLMSSP = 10
AUTH_LEVEL_PKT_PRIVACY = 6
MAX_FRAGMENT = 4280
NCA_S_OP_RNG_ERROR = 0x1C010002

NDR32 = uuidtup_to_bin(("8a885d04-1ceb-11c9-9fe8-08002b104860", "2.0"))


def recv_exact(sock, count):
    """Read exactly count bytes, or return None when the peer closes first."""
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
    # level 7 and accepts this reply at the level it sent.
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
        if not flags & PFC_LAST_FRAG:
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
        # Each response goes out as a single fragment. The responses built
        # here are a few hundred bytes, far below MAX_FRAGMENT.
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
