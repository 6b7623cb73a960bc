/* Unit tests for the DCE-RPC stream dissector: PDUs built byte by byte, events checked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../dissectors/dcerpc.h"
#include "../dissectors/rpc_events.h"
#include "../sensor/counters.h"
#include "../sensor/options.h"

static const char SVCCTL_UUID[] = "367abb81-9844-35f1-ad32-98f038001003";
static const char ATSVC_UUID[] = "1ff70682-0a51-30e8-076d-740be8cee98b";
static const char NDR_UUID[] = "8a885d04-1ceb-11c9-9fe8-08002b104860";
static const char NDR64_UUID[] = "71710533-beba-4937-8319-b5dbef9ccc36";

/* ---- event capture ---- */

#define CAPTURED_MAX 256

struct captured {
    struct event *events[CAPTURED_MAX];
    size_t count;
};

static void capture_emit(void *arg, struct event *ev)
{
    struct captured *cap = arg;
    if (cap->count < CAPTURED_MAX) {
        cap->events[cap->count++] = ev;
    } else {
        event_free(ev);
    }
}

struct fixture {
    struct captured cap;
    struct conn_meta conn;
    struct dcerpc_stream *st;
    struct pkt_meta pm;
};

static struct fixture *fixture_new(const char *pipe)
{
    struct fixture *f = calloc(1, sizeof(*f));
    wa_options_defaults();
    ctr_reset_all();
    snprintf(f->conn.client_addr, sizeof(f->conn.client_addr), "10.0.0.5");
    snprintf(f->conn.server_addr, sizeof(f->conn.server_addr), "10.0.0.6");
    f->conn.client_port = 50000;
    f->conn.server_port = pipe != NULL ? 445 : 135;
    f->conn.input = "unit";
    f->conn.sink.emit = capture_emit;
    f->conn.sink.arg = &f->cap;
    struct dcerpc_endpoint ep = {
        .conn = &f->conn,
        .pipe = pipe,
        .share = pipe != NULL ? "\\\\*\\IPC$" : NULL,
        /* Over TCP the transport has no names, so they come from the RPC auth trailer. */
        .user = pipe != NULL ? "alice" : NULL,
        .domain = pipe != NULL ? "CORP" : NULL,
        .computer = pipe != NULL ? "SRV1" : NULL,
        .logon_id = 0x3e7,
    };
    f->st = dcerpc_stream_new(&ep);
    f->pm.time_us = 1600000000000000LL;
    f->pm.frame = 1;
    return f;
}

/* Frees the stream (which emits pending events) and every captured event. */
static void fixture_free(struct fixture *f)
{
    dcerpc_stream_free(f->st);
    for (size_t i = 0; i < f->cap.count; i++) {
        event_free(f->cap.events[i]);
    }
    free(f);
}

static void flush_stream(struct fixture *f)
{
    dcerpc_stream_free(f->st);
    f->st = NULL;
}

static const struct event *find_event(const struct fixture *f, uint32_t id, size_t nth)
{
    for (size_t i = 0; i < f->cap.count; i++) {
        if (f->cap.events[i]->event_id == id && nth-- == 0) {
            return f->cap.events[i];
        }
    }
    return NULL;
}

static size_t count_events(const struct fixture *f, uint32_t id)
{
    size_t n = 0;
    for (size_t i = 0; i < f->cap.count; i++) {
        n += f->cap.events[i]->event_id == id;
    }
    return n;
}

static void feed(struct fixture *f, bool from_client, const uint8_t *data, size_t len)
{
    dcerpc_stream_data(f->st, from_client, data, len, &f->pm);
    f->pm.frame++;
}

/* ---- PDU builders (little-endian data representation unless noted) ---- */

static void put16(uint8_t *p, uint16_t v, bool big_endian)
{
    p[big_endian ? 1 : 0] = (uint8_t)v;
    p[big_endian ? 0 : 1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v, bool big_endian)
{
    for (int i = 0; i < 4; i++) {
        p[big_endian ? 3 - i : i] = (uint8_t)(v >> (8 * i));
    }
}

/* Writes a UUID given as text in wire form (first three fields in the given byte order). */
static void put_uuid(uint8_t *p, const char *text, bool big_endian)
{
    unsigned int d1, d2, d3, b[8];
    sscanf(text, "%8x-%4x-%4x-%2x%2x-%2x%2x%2x%2x%2x%2x", &d1, &d2, &d3, &b[0], &b[1], &b[2], &b[3],
           &b[4], &b[5], &b[6], &b[7]);
    put32(p, d1, big_endian);
    put16(p + 4, (uint16_t)d2, big_endian);
    put16(p + 6, (uint16_t)d3, big_endian);
    for (int i = 0; i < 8; i++) {
        p[8 + i] = (uint8_t)b[i];
    }
}

static size_t put_header(uint8_t *p, uint8_t ptype, uint8_t flags, uint16_t frag_length,
                         uint16_t auth_length, uint32_t call_id, bool big_endian)
{
    p[0] = 5;
    p[1] = 0;
    p[2] = ptype;
    p[3] = flags;
    p[4] = big_endian ? 0x00 : 0x10;
    p[5] = p[6] = p[7] = 0;
    put16(p + 8, frag_length, big_endian);
    put16(p + 10, auth_length, big_endian);
    put32(p + 12, call_id, big_endian);
    return DCERPC_HEADER_LEN;
}

struct proposed {
    uint16_t context_id;
    const char *uuid;
    uint16_t version;
    const char *transfer;
};

/* bind or alter_context with one transfer syntax per context. */
static size_t build_bind(uint8_t *p, uint8_t ptype, uint32_t call_id, const struct proposed *ctx,
                         size_t count)
{
    size_t off = DCERPC_HEADER_LEN;
    put16(p + off, 4280, false);
    put16(p + off + 2, 4280, false);
    put32(p + off + 4, 0, false);
    p[off + 8] = (uint8_t)count;
    p[off + 9] = p[off + 10] = p[off + 11] = 0;
    off += 12;
    for (size_t i = 0; i < count; i++) {
        put16(p + off, ctx[i].context_id, false);
        p[off + 2] = 1;
        p[off + 3] = 0;
        put_uuid(p + off + 4, ctx[i].uuid, false);
        put16(p + off + 20, ctx[i].version, false);
        put16(p + off + 22, 0, false);
        put_uuid(p + off + 24, ctx[i].transfer, false);
        put32(p + off + 40, ctx[i].transfer == NDR64_UUID ? 1 : 2, false);
        off += 44;
    }
    put_header(p, ptype, 0x03, (uint16_t)off, 0, call_id, false);
    return off;
}

/* bind_ack with a 13-byte secondary address ("\PIPE\svcctl" + NUL) and the given results. */
static size_t build_bind_ack(uint8_t *p, uint8_t ptype, uint32_t call_id, const uint16_t *results,
                             size_t count, bool ndr64)
{
    size_t off = DCERPC_HEADER_LEN;
    put16(p + off, 4280, false);
    put16(p + off + 2, 4280, false);
    put32(p + off + 4, 0x1234, false);
    put16(p + off + 8, 13, false);
    memcpy(p + off + 10, "\\PIPE\\svcctl", 13);
    off += 23;
    while (off % 4 != 0) {
        p[off++] = 0;
    }
    p[off] = (uint8_t)count;
    p[off + 1] = p[off + 2] = p[off + 3] = 0;
    off += 4;
    for (size_t i = 0; i < count; i++) {
        put16(p + off, results[i], false);
        put16(p + off + 2, 0, false);
        put_uuid(p + off + 4,
                 results[i] == 0 ? (ndr64 ? NDR64_UUID : NDR_UUID)
                                 : "00000000-0000-0000-0000-000000000000",
                 false);
        uint32_t syntax_version = 0;
        if (results[i] == 0) {
            syntax_version = ndr64 ? 1 : 2;
        }
        put32(p + off + 20, syntax_version, false);
        off += 24;
    }
    put_header(p, ptype, 0x03, (uint16_t)off, 0, call_id, false);
    return off;
}

struct request_spec {
    uint32_t call_id;
    uint16_t context_id;
    uint16_t opnum;
    uint8_t flags;
    uint8_t auth_level; /* 0: no auth trailer */
    uint8_t auth_pad;
    bool big_endian;
};

/* request or response (ptype) carrying stub, with an optional 16-byte auth_value. */
static size_t build_call_pdu(uint8_t *p, uint8_t ptype, const struct request_spec *r,
                             const uint8_t *stub, size_t stub_len)
{
    size_t off = DCERPC_HEADER_LEN;
    put32(p + off, (uint32_t)stub_len, r->big_endian);
    put16(p + off + 4, r->context_id, r->big_endian);
    if (ptype == DCERPC_REQUEST) {
        put16(p + off + 6, r->opnum, r->big_endian);
    } else {
        p[off + 6] = p[off + 7] = 0;
    }
    off += 8;
    memcpy(p + off, stub, stub_len);
    off += stub_len;
    uint16_t auth_length = 0;
    if (r->auth_level != 0) {
        memset(p + off, 0xee, r->auth_pad);
        off += r->auth_pad;
        p[off] = 10; /* NTLM */
        p[off + 1] = r->auth_level;
        p[off + 2] = r->auth_pad;
        p[off + 3] = 0;
        put32(p + off + 4, 0, r->big_endian);
        off += DCERPC_SEC_TRAILER_LEN;
        memset(p + off, 0xaa, 16);
        off += 16;
        auth_length = 16;
    }
    put_header(p, ptype, r->flags, (uint16_t)off, auth_length, r->call_id, r->big_endian);
    return off;
}

static size_t build_fault(uint8_t *p, uint32_t call_id, uint32_t status)
{
    memset(p, 0, 32);
    put32(p + 24, status, false);
    put_header(p, DCERPC_FAULT, 0x03, 32, 0, call_id, false);
    return 32;
}

/*
 * Appends an NTLM sec_trailer and auth_value to a PDU of len bytes and fixes
 * its frag_length and auth_length. Returns the new length.
 */
static size_t append_auth(uint8_t *p, size_t len, const uint8_t *auth, size_t auth_len)
{
    p[len] = 10; /* RPC_C_AUTHN_WINNT */
    p[len + 1] = 6;
    p[len + 2] = 0;
    p[len + 3] = 0;
    put32(p + len + 4, 0, false);
    memcpy(p + len + DCERPC_SEC_TRAILER_LEN, auth, auth_len);
    size_t total = len + DCERPC_SEC_TRAILER_LEN + auth_len;
    put16(p + 8, (uint16_t)total, false);
    put16(p + 10, (uint16_t)auth_len, false);
    return total;
}

/* Writes ASCII text as UTF-16LE; returns the byte count. */
static size_t put_utf16(uint8_t *p, const char *text)
{
    size_t n = strlen(text);
    for (size_t i = 0; i < n; i++) {
        put16(p + 2 * i, (uint8_t)text[i], false);
    }
    return 2 * n;
}

/* NTLMSSP AUTHENTICATE for CORP2\bob from WS9, Unicode, with empty responses. */
static size_t ntlm_authenticate(uint8_t *p)
{
    memset(p, 0, 64);
    memcpy(p, "NTLMSSP", 8);
    put32(p + 8, 3, false);
    size_t off = 64;
    static const struct {
        size_t field;
        const char *text;
    } names[] = {{28, "CORP2"}, {36, "bob"}, {44, "WS9"}};
    for (size_t i = 0; i < 3; i++) {
        size_t len = put_utf16(p + off, names[i].text);
        put16(p + names[i].field, (uint16_t)len, false);
        put16(p + names[i].field + 2, (uint16_t)len, false);
        put32(p + names[i].field + 4, (uint32_t)off, false);
        off += len;
    }
    put32(p + 12 + 4, 64, false); /* empty LM and NT responses point at the payload */
    put32(p + 20 + 4, 64, false);
    put32(p + 52 + 4, (uint32_t)off, false);
    put32(p + 60, 0x00000001, false); /* NTLMSSP_NEGOTIATE_UNICODE */
    return off;
}

/* NTLMSSP CHALLENGE whose target info names the server SRV9. */
static size_t ntlm_challenge(uint8_t *p)
{
    memset(p, 0, 56);
    memcpy(p, "NTLMSSP", 8);
    put32(p + 8, 2, false);
    put32(p + 20, 0x00000001, false);
    size_t off = 56;
    put16(p + off, 1, false); /* MsvAvNbComputerName */
    size_t len = put_utf16(p + off + 4, "SRV9");
    put16(p + off + 2, (uint16_t)len, false);
    off += 4 + len;
    put16(p + off, 0, false); /* MsvAvEOL */
    put16(p + off + 2, 0, false);
    off += 4;
    put16(p + 40, (uint16_t)(off - 56), false);
    put16(p + 42, (uint16_t)(off - 56), false);
    put32(p + 44, 56, false);
    return off;
}

/* Binds svcctl as context 0 (NDR) with a bind and an accepting bind_ack. */
static void bind_svcctl(struct fixture *f)
{
    uint8_t pdu[256];
    struct proposed ctx = {0, SVCCTL_UUID, 2, NDR_UUID};
    feed(f, true, pdu, build_bind(pdu, DCERPC_BIND, 1, &ctx, 1));
    uint16_t accept = DCERPC_ACCEPTANCE;
    feed(f, false, pdu, build_bind_ack(pdu, DCERPC_BIND_ACK, 1, &accept, 1, false));
}

/* NDR stub of RCreateServiceW: handle, "evil", display "Evil", 0x10, 3, 1, "c:\e.exe". */
static size_t create_service_stub(uint8_t *p, bool big_endian)
{
    size_t off = 0;
    memset(p, 0x11, 20);
    off += 20;
    /* lpServiceName: max 5, offset 0, actual 5, "evil\0" */
    static const char name[] = "evil";
    put32(p + off, 5, big_endian);
    put32(p + off + 4, 0, big_endian);
    put32(p + off + 8, 5, big_endian);
    off += 12;
    for (size_t i = 0; i < 5; i++) {
        put16(p + off, (uint8_t)name[i], big_endian);
        off += 2;
    }
    off += 2; /* align 4 */
    p[off - 2] = p[off - 1] = 0;
    /* lpDisplayName: referent, then "Evil\0" */
    static const char display[] = "Evil";
    put32(p + off, 0x20000, big_endian);
    put32(p + off + 4, 5, big_endian);
    put32(p + off + 8, 0, big_endian);
    put32(p + off + 12, 5, big_endian);
    off += 16;
    for (size_t i = 0; i < 5; i++) {
        put16(p + off, (uint8_t)display[i], big_endian);
        off += 2;
    }
    p[off] = p[off + 1] = 0;
    off += 2;
    put32(p + off, 0xf01ff, big_endian);  /* dwDesiredAccess */
    put32(p + off + 4, 0x10, big_endian); /* dwServiceType */
    put32(p + off + 8, 3, big_endian);    /* dwStartType */
    put32(p + off + 12, 1, big_endian);   /* dwErrorControl */
    off += 16;
    static const char path[] = "c:\\e.exe";
    put32(p + off, 9, big_endian);
    put32(p + off + 4, 0, big_endian);
    put32(p + off + 8, 9, big_endian);
    off += 12;
    for (size_t i = 0; i < 9; i++) {
        put16(p + off, (uint8_t)path[i], big_endian);
        off += 2;
    }
    p[off] = p[off + 1] = 0;
    off += 2;
    /* lpLoadOrderGroup, lpdwTagId and lpDependencies null, dwDependSize 0, */
    /* lpServiceStartName and lpPassword null, dwPwSize 0 */
    memset(p + off, 0, 28);
    off += 28;
    return off;
}

/* Response stub of RCreateServiceW: lpdwTagId null, a handle, return value. */
static size_t create_service_response(uint8_t *p, uint32_t status)
{
    memset(p, 0, 4);
    memset(p + 4, 0x22, 20);
    put32(p + 24, status, false);
    return 28;
}

/* ---- tests ---- */

static void test_dcerpc_header_parses_fields(void **state)
{
    (void)state;
    uint8_t pdu[16];
    put_header(pdu, DCERPC_REQUEST, 0x03, 0x40, 0x10, 7, false);
    struct dcerpc_header h;
    assert_int_equal(dcerpc_parse_header(pdu, sizeof(pdu), &h), WA_OK);
    assert_int_equal(h.ptype, DCERPC_REQUEST);
    assert_int_equal(h.frag_length, 0x40);
    assert_int_equal(h.auth_length, 0x10);
    assert_int_equal(h.call_id, 7);
    assert_false(h.big_endian);
}

static void test_dcerpc_header_rejects_bad_values(void **state)
{
    (void)state;
    uint8_t pdu[16];
    struct dcerpc_header h;
    put_header(pdu, DCERPC_REQUEST, 0x03, 0x40, 0, 1, false);
    assert_int_equal(dcerpc_parse_header(pdu, 15, &h), WA_NEED_MORE);
    pdu[0] = 4; /* version 4 is connectionless */
    assert_int_equal(dcerpc_parse_header(pdu, 16, &h), WA_MALFORMED);
    put_header(pdu, DCERPC_REQUEST, 0x03, 12, 0, 1, false); /* frag_length below 16 */
    assert_int_equal(dcerpc_parse_header(pdu, 16, &h), WA_MALFORMED);
    put_header(pdu, 20, 0x03, 0x40, 0, 1, false); /* no such PTYPE */
    assert_int_equal(dcerpc_parse_header(pdu, 16, &h), WA_MALFORMED);
    put_header(pdu, DCERPC_REQUEST, 0x03, 0x40, 0x39, 1, false); /* auth larger than PDU */
    assert_int_equal(dcerpc_parse_header(pdu, 16, &h), WA_MALFORMED);
}

static void test_dcerpc_call_names_interface_and_status(void **state)
{
    (void)state;
    struct fixture *f = fixture_new("svcctl");
    bind_svcctl(f);
    uint8_t stub[256];
    uint8_t pdu[512];
    struct request_spec r = {.call_id = 2, .opnum = 12, .flags = 0x03};
    feed(f, true, pdu,
         build_call_pdu(pdu, DCERPC_REQUEST, &r, stub, create_service_stub(stub, false)));
    feed(f, false, pdu,
         build_call_pdu(pdu, DCERPC_RESPONSE, &r, stub, create_service_response(stub, 0)));
    const struct event *call = find_event(f, RPC_EVENT_CALL, 0);
    assert_non_null(call);
    assert_string_equal(event_field(call, "InterfaceName"), "svcctl");
    assert_string_equal(event_field(call, "InterfaceUuid"), SVCCTL_UUID);
    assert_string_equal(event_field(call, "Operation"), "RCreateServiceW");
    assert_string_equal(event_field(call, "OpNum"), "12");
    assert_string_equal(event_field(call, "Status"), "0x00000000");
    assert_string_equal(event_field(call, "Sealed"), "false");
    assert_string_equal(event_field(call, "PipeName"), "svcctl");
    assert_string_equal(event_field(call, "ProtocolSequence"), "ncacn_np");
    assert_string_equal(event_field(call, "lpServiceName"), "evil");
    assert_string_equal(event_field(call, "lpBinaryPathName"), "c:\\e.exe");
    assert_string_equal(event_field(call, "SubjectUserName"), "alice");
    assert_string_equal(event_field(call, "SubjectLogonId"), "0x3e7");
    assert_string_equal(event_field(call, "Computer"), "SRV1");
    fixture_free(f);
}

static void test_dcerpc_create_service_emits_7045_and_4697(void **state)
{
    (void)state;
    struct fixture *f = fixture_new("svcctl");
    bind_svcctl(f);
    uint8_t stub[256];
    uint8_t pdu[512];
    struct request_spec r = {.call_id = 2, .opnum = 12, .flags = 0x03};
    feed(f, true, pdu,
         build_call_pdu(pdu, DCERPC_REQUEST, &r, stub, create_service_stub(stub, false)));
    feed(f, false, pdu,
         build_call_pdu(pdu, DCERPC_RESPONSE, &r, stub, create_service_response(stub, 0)));
    const struct event *system = find_event(f, RPC_EVENT_SERVICE_SYSTEM, 0);
    const struct event *security = find_event(f, RPC_EVENT_SERVICE_SECURITY, 0);
    assert_non_null(system);
    assert_non_null(security);
    assert_string_equal(event_field(system, "ServiceName"), "Evil");
    assert_string_equal(event_field(system, "ImagePath"), "c:\\e.exe");
    assert_string_equal(event_field(system, "ServiceType"), "user mode service");
    assert_string_equal(event_field(system, "StartType"), "demand start");
    assert_string_equal(event_field(system, "AccountName"), "LocalSystem");
    assert_null(event_field(system, "Keywords")); /* a System log event has no audit outcome */
    assert_string_equal(event_field(security, "Keywords"), "Audit Success");
    assert_string_equal(event_field(security, "ServiceName"), "evil");
    assert_string_equal(event_field(security, "ServiceFileName"), "c:\\e.exe");
    assert_string_equal(event_field(security, "ServiceType"), "0x10");
    assert_string_equal(event_field(security, "ServiceStartType"), "3");
    assert_null(event_get(security, EVENT_WIRE, "Attempted"));
    fixture_free(f);
}

static void test_dcerpc_failed_create_marks_attempted(void **state)
{
    (void)state;
    struct fixture *f = fixture_new("svcctl");
    bind_svcctl(f);
    uint8_t stub[256];
    uint8_t pdu[512];
    struct request_spec r = {.call_id = 2, .opnum = 12, .flags = 0x03};
    feed(f, true, pdu,
         build_call_pdu(pdu, DCERPC_REQUEST, &r, stub, create_service_stub(stub, false)));
    /* ERROR_SERVICE_EXISTS */
    feed(f, false, pdu,
         build_call_pdu(pdu, DCERPC_RESPONSE, &r, stub, create_service_response(stub, 1073)));
    const struct event *security = find_event(f, RPC_EVENT_SERVICE_SECURITY, 0);
    assert_non_null(security);
    assert_string_equal(event_get(security, EVENT_WIRE, "Attempted"), "true");
    assert_string_equal(event_field(security, "Keywords"), "Audit Failure");
    fixture_free(f);
}

static void test_dcerpc_start_service_joins_handle(void **state)
{
    (void)state;
    struct fixture *f = fixture_new("svcctl");
    bind_svcctl(f);
    uint8_t stub[256];
    uint8_t pdu[512];
    struct request_spec r = {.call_id = 2, .opnum = 12, .flags = 0x03};
    feed(f, true, pdu,
         build_call_pdu(pdu, DCERPC_REQUEST, &r, stub, create_service_stub(stub, false)));
    feed(f, false, pdu,
         build_call_pdu(pdu, DCERPC_RESPONSE, &r, stub, create_service_response(stub, 0)));
    /* RStartServiceW on the returned handle (0x22 bytes), argc 0, argv null */
    uint8_t start[28];
    memset(start, 0x22, 20);
    memset(start + 20, 0, 8);
    struct request_spec s = {.call_id = 3, .opnum = 19, .flags = 0x03};
    feed(f, true, pdu, build_call_pdu(pdu, DCERPC_REQUEST, &s, start, sizeof(start)));
    flush_stream(f);
    const struct event *call = find_event(f, RPC_EVENT_CALL, 1);
    assert_non_null(call);
    assert_string_equal(event_field(call, "Operation"), "RStartServiceW");
    assert_string_equal(event_field(call, "ServiceName"), "evil");
    assert_null(event_field(call, "Status")); /* never answered */
    fixture_free(f);
}

static void test_dcerpc_ack_extra_results_are_ignored(void **state)
{
    (void)state;
    struct fixture *f = fixture_new("svcctl");
    uint8_t pdu[512];
    struct proposed ctx = {0, SVCCTL_UUID, 2, NDR_UUID};
    feed(f, true, pdu, build_bind(pdu, DCERPC_BIND, 1, &ctx, 1));
    uint16_t results[3] = {DCERPC_ACCEPTANCE, DCERPC_ACCEPTANCE, DCERPC_ACCEPTANCE};
    feed(f, false, pdu, build_bind_ack(pdu, DCERPC_BIND_ACK, 1, results, 3, false));
    assert_int_equal(ctr_value("dcerpc.bind_ack_extra_results"), 2);
    /* Context 1 was never proposed, so a request on it names no interface. */
    struct request_spec r = {.call_id = 2, .context_id = 1, .opnum = 15, .flags = 0x03};
    uint8_t stub[8] = {0};
    feed(f, true, pdu, build_call_pdu(pdu, DCERPC_REQUEST, &r, stub, sizeof(stub)));
    flush_stream(f);
    const struct event *call = find_event(f, RPC_EVENT_CALL, 0);
    assert_non_null(call);
    assert_null(event_field(call, "InterfaceUuid"));
    assert_string_equal(event_field(call, "OpNum"), "15");
    fixture_free(f);
}

static void test_dcerpc_results_match_contexts_by_position(void **state)
{
    (void)state;
    struct fixture *f = fixture_new("atsvc");
    uint8_t pdu[512];
    /* Windows-style bind: NDR, NDR64 and feature negotiation for the same interface. */
    struct proposed ctx[3] = {{0, ATSVC_UUID, 1, NDR_UUID},
                              {1, ATSVC_UUID, 1, NDR64_UUID},
                              {2, ATSVC_UUID, 1, "6cb71c2c-9812-4540-0300-000000000000"}};
    feed(f, true, pdu, build_bind(pdu, DCERPC_BIND, 2, ctx, 3));
    uint16_t results[3] = {DCERPC_PROVIDER_REJECTION, DCERPC_ACCEPTANCE, DCERPC_NEGOTIATE_ACK};
    feed(f, false, pdu, build_bind_ack(pdu, DCERPC_BIND_ACK, 2, results, 3, true));
    const struct event *bind = find_event(f, RPC_EVENT_BIND, 0);
    assert_non_null(bind);
    assert_string_equal(event_field(bind, "AckResult"), "2,0,3");
    assert_int_equal(ctr_value("dcerpc.bind_feature_negotiation"), 1);
    uint8_t stub[8] = {0};
    struct request_spec rejected = {.call_id = 3, .context_id = 0, .opnum = 2, .flags = 0x03};
    struct request_spec accepted = {.call_id = 4, .context_id = 1, .opnum = 2, .flags = 0x03};
    feed(f, true, pdu, build_call_pdu(pdu, DCERPC_REQUEST, &rejected, stub, sizeof(stub)));
    feed(f, true, pdu, build_call_pdu(pdu, DCERPC_REQUEST, &accepted, stub, sizeof(stub)));
    flush_stream(f);
    assert_int_equal(count_events(f, RPC_EVENT_CALL), 2);
    const struct event *first = find_event(f, RPC_EVENT_CALL, 0);
    const struct event *second = find_event(f, RPC_EVENT_CALL, 1);
    const struct event *on_rejected =
        event_get(first, EVENT_WIRE, "CallId")[0] == '3' ? first : second;
    const struct event *on_accepted = on_rejected == first ? second : first;
    assert_null(event_field(on_rejected, "InterfaceName"));
    assert_string_equal(event_field(on_accepted, "InterfaceName"), "atsvc");
    assert_string_equal(event_field(on_accepted, "Operation"), "NetrJobEnum");
    fixture_free(f);
}

static void test_dcerpc_alter_context_first_binds(void **state)
{
    (void)state;
    struct fixture *f = fixture_new(NULL);
    uint8_t pdu[512];
    struct proposed ctx = {0, SVCCTL_UUID, 2, NDR_UUID};
    feed(f, true, pdu, build_bind(pdu, DCERPC_ALTER_CONTEXT, 9, &ctx, 1));
    uint16_t accept = DCERPC_ACCEPTANCE;
    feed(f, false, pdu, build_bind_ack(pdu, DCERPC_ALTER_CONTEXT_RESP, 9, &accept, 1, false));
    uint8_t stub[20] = {0};
    struct request_spec r = {.call_id = 10, .opnum = 2, .flags = 0x03};
    feed(f, true, pdu, build_call_pdu(pdu, DCERPC_REQUEST, &r, stub, sizeof(stub)));
    flush_stream(f);
    const struct event *bind = find_event(f, RPC_EVENT_BIND, 0);
    assert_string_equal(event_field(bind, "PduType"), "alter_context");
    const struct event *call = find_event(f, RPC_EVENT_CALL, 0);
    assert_string_equal(event_field(call, "Operation"), "RDeleteService");
    assert_string_equal(event_field(call, "ProtocolSequence"), "ncacn_ip_tcp");
    assert_null(event_field(call, "SubjectLogonId"));
    fixture_free(f);
}

static void test_dcerpc_fragments_join_per_call(void **state)
{
    (void)state;
    struct fixture *f = fixture_new("svcctl");
    bind_svcctl(f);
    uint8_t stub[256];
    size_t len = create_service_stub(stub, false);
    uint8_t pdu[512];
    /* One request split into three fragments, each in its own PDU. */
    size_t cut1 = 30;
    size_t cut2 = 77;
    struct request_spec r = {.call_id = 2, .opnum = 12, .flags = DCERPC_PFC_FIRST_FRAG};
    feed(f, true, pdu, build_call_pdu(pdu, DCERPC_REQUEST, &r, stub, cut1));
    r.flags = 0;
    feed(f, true, pdu, build_call_pdu(pdu, DCERPC_REQUEST, &r, stub + cut1, cut2 - cut1));
    r.flags = DCERPC_PFC_LAST_FRAG;
    feed(f, true, pdu, build_call_pdu(pdu, DCERPC_REQUEST, &r, stub + cut2, len - cut2));
    flush_stream(f);
    const struct event *call = find_event(f, RPC_EVENT_CALL, 0);
    assert_non_null(call);
    assert_string_equal(event_field(call, "lpServiceName"), "evil");
    assert_string_equal(event_field(call, "lpBinaryPathName"), "c:\\e.exe");
    assert_string_equal(event_get(call, EVENT_WIRE, "Fragments"), "3");
    fixture_free(f);
}

/* A first fragment with an empty stub once made the join copy from a null buffer. */
static void test_dcerpc_empty_fragment_joins(void **state)
{
    (void)state;
    struct fixture *f = fixture_new("svcctl");
    bind_svcctl(f);
    uint8_t stub[256];
    size_t len = create_service_stub(stub, false);
    uint8_t pdu[512];
    struct request_spec r = {.call_id = 2, .opnum = 12, .flags = DCERPC_PFC_FIRST_FRAG};
    feed(f, true, pdu, build_call_pdu(pdu, DCERPC_REQUEST, &r, stub, 0));
    r.flags = DCERPC_PFC_LAST_FRAG;
    feed(f, true, pdu, build_call_pdu(pdu, DCERPC_REQUEST, &r, stub, len));
    flush_stream(f);
    const struct event *call = find_event(f, RPC_EVENT_CALL, 0);
    assert_non_null(call);
    assert_string_equal(event_field(call, "lpServiceName"), "evil");
    fixture_free(f);
}

static void test_dcerpc_fragment_cap_stops_joining(void **state)
{
    (void)state;
    struct fixture *f = fixture_new("svcctl");
    wa_opts.rpc_fragment_max = 64;
    bind_svcctl(f);
    uint8_t stub[256];
    size_t len = create_service_stub(stub, false);
    uint8_t pdu[512];
    struct request_spec r = {.call_id = 2, .opnum = 12, .flags = DCERPC_PFC_FIRST_FRAG};
    feed(f, true, pdu, build_call_pdu(pdu, DCERPC_REQUEST, &r, stub, 40));
    r.flags = 0;
    /* A flood of middle fragments: memory stays at the cap. */
    for (int i = 0; i < 1000; i++) {
        feed(f, true, pdu, build_call_pdu(pdu, DCERPC_REQUEST, &r, stub, 40));
    }
    r.flags = DCERPC_PFC_LAST_FRAG;
    feed(f, true, pdu, build_call_pdu(pdu, DCERPC_REQUEST, &r, stub + 40, len - 40));
    flush_stream(f);
    assert_int_equal(ctr_value("dcerpc.fragment_limit"), 1);
    const struct event *call = find_event(f, RPC_EVENT_CALL, 0);
    assert_non_null(call);
    assert_string_equal(event_field(call, "Operation"), "RCreateServiceW");
    assert_null(event_field(call, "lpServiceName"));
    assert_int_equal(count_events(f, RPC_EVENT_SERVICE_SYSTEM), 0);
    fixture_free(f);
}

static void test_dcerpc_stream_budget_caps_many_calls(void **state)
{
    (void)state;
    struct fixture *f = fixture_new("svcctl");
    wa_opts.rpc_fragment_max = 1000;
    bind_svcctl(f);
    uint8_t stub[100];
    memset(stub, 0, sizeof(stub));
    uint8_t pdu[256];
    /* Each call stays far below the per-stub cap, but together they pass the stream's. */
    for (uint32_t i = 0; i < 10; i++) {
        struct request_spec r = {.call_id = 10 + i, .opnum = 12, .flags = DCERPC_PFC_FIRST_FRAG};
        feed(f, true, pdu, build_call_pdu(pdu, DCERPC_REQUEST, &r, stub, sizeof(stub)));
    }
    assert_int_equal(ctr_value("dcerpc.fragment_limit"), 8);
    flush_stream(f);
    assert_int_equal(count_events(f, RPC_EVENT_CALL), 10);
    fixture_free(f);
}

static void test_dcerpc_missed_first_fragment_names_nothing(void **state)
{
    (void)state;
    struct fixture *f = fixture_new("svcctl");
    bind_svcctl(f);
    uint8_t stub[256];
    size_t len = create_service_stub(stub, false);
    uint8_t pdu[512];
    dcerpc_stream_gap(f->st, true);
    struct request_spec r = {.call_id = 2, .opnum = 12, .flags = DCERPC_PFC_LAST_FRAG};
    feed(f, true, pdu, build_call_pdu(pdu, DCERPC_REQUEST, &r, stub + 40, len - 40));
    flush_stream(f);
    const struct event *call = find_event(f, RPC_EVENT_CALL, 0);
    assert_non_null(call);
    assert_null(event_field(call, "InterfaceUuid"));
    assert_null(event_field(call, "OpNum"));
    assert_null(event_field(call, "Operation"));
    assert_int_equal(ctr_value("dcerpc.request_first_fragment_missing"), 1);
    fixture_free(f);
}

static void test_dcerpc_sealed_request_keeps_names(void **state)
{
    (void)state;
    struct fixture *f = fixture_new(NULL);
    bind_svcctl(f);
    uint8_t stub[256];
    uint8_t pdu[512];
    struct request_spec r = {.call_id = 2,
                             .opnum = 24,
                             .flags = 0x03,
                             .auth_level = DCERPC_AUTH_LEVEL_PRIVACY,
                             .auth_pad = 4};
    memset(stub, 0x5a, sizeof(stub)); /* ciphertext */
    feed(f, true, pdu, build_call_pdu(pdu, DCERPC_REQUEST, &r, stub, 100));
    r.opnum = 0;
    feed(f, false, pdu, build_call_pdu(pdu, DCERPC_RESPONSE, &r, stub, 28));
    const struct event *call = find_event(f, RPC_EVENT_CALL, 0);
    assert_non_null(call);
    assert_string_equal(event_field(call, "Sealed"), "true");
    assert_string_equal(event_field(call, "Operation"), "RCreateServiceA");
    assert_string_equal(event_field(call, "AuthenticationLevel"), "6");
    assert_null(event_field(call, "lpServiceName"));
    assert_null(event_field(call, "Status"));
    assert_int_equal(count_events(f, RPC_EVENT_SERVICE_SECURITY), 0);
    fixture_free(f);
}

static void test_dcerpc_auth_padding_is_skipped(void **state)
{
    (void)state;
    struct fixture *f = fixture_new("svcctl");
    bind_svcctl(f);
    uint8_t stub[256];
    uint8_t pdu[512];
    /* Packet integrity (level 5): clear stub, 12 pad bytes before the trailer. */
    struct request_spec r = {
        .call_id = 2, .opnum = 12, .flags = 0x03, .auth_level = 5, .auth_pad = 12};
    size_t len = create_service_stub(stub, false);
    feed(f, true, pdu, build_call_pdu(pdu, DCERPC_REQUEST, &r, stub, len));
    flush_stream(f);
    const struct event *call = find_event(f, RPC_EVENT_CALL, 0);
    assert_string_equal(event_field(call, "Sealed"), "false");
    assert_string_equal(event_field(call, "lpBinaryPathName"), "c:\\e.exe");
    char expected[16];
    snprintf(expected, sizeof(expected), "%zu", len);
    assert_string_equal(event_get(call, EVENT_WIRE, "StubLength"), expected);
    fixture_free(f);
}

static void test_dcerpc_big_endian_request_decodes(void **state)
{
    (void)state;
    struct fixture *f = fixture_new("svcctl");
    bind_svcctl(f);
    uint8_t stub[256];
    uint8_t pdu[512];
    struct request_spec r = {.call_id = 2, .opnum = 12, .flags = 0x03, .big_endian = true};
    feed(f, true, pdu,
         build_call_pdu(pdu, DCERPC_REQUEST, &r, stub, create_service_stub(stub, true)));
    flush_stream(f);
    const struct event *call = find_event(f, RPC_EVENT_CALL, 0);
    assert_string_equal(event_field(call, "Operation"), "RCreateServiceW");
    assert_string_equal(event_field(call, "lpServiceName"), "evil");
    assert_string_equal(event_field(call, "dwServiceType"), "0x10");
    fixture_free(f);
}

static void test_dcerpc_fault_sets_status(void **state)
{
    (void)state;
    struct fixture *f = fixture_new("svcctl");
    bind_svcctl(f);
    uint8_t stub[20] = {0};
    uint8_t pdu[128];
    struct request_spec r = {.call_id = 2, .opnum = 2, .flags = 0x03};
    feed(f, true, pdu, build_call_pdu(pdu, DCERPC_REQUEST, &r, stub, sizeof(stub)));
    feed(f, false, pdu, build_fault(pdu, 2, 0x1c010003)); /* nca_s_unk_if */
    const struct event *call = find_event(f, RPC_EVENT_CALL, 0);
    assert_string_equal(event_field(call, "Status"), "0x1c010003");
    assert_string_equal(event_get(call, EVENT_WIRE, "Fault"), "true");
    fixture_free(f);
}

/* Feeds the same conversation split at every byte boundary; the result must not change. */
static void test_dcerpc_stream_split_anywhere(void **state)
{
    (void)state;
    uint8_t conversation[1024];
    struct proposed ctx = {0, SVCCTL_UUID, 2, NDR_UUID};
    size_t bind_len = build_bind(conversation, DCERPC_BIND, 1, &ctx, 1);
    uint8_t stub[256];
    struct request_spec r = {.call_id = 2, .opnum = 12, .flags = 0x03};
    size_t len = bind_len + build_call_pdu(conversation + bind_len, DCERPC_REQUEST, &r, stub,
                                           create_service_stub(stub, false));
    uint8_t ack[128];
    uint16_t accept = DCERPC_ACCEPTANCE;
    size_t ack_len = build_bind_ack(ack, DCERPC_BIND_ACK, 1, &accept, 1, false);
    for (size_t cut = 1; cut < len; cut++) {
        struct fixture *f = fixture_new("svcctl");
        feed(f, true, conversation, WA_MIN(cut, bind_len));
        if (cut < bind_len) {
            feed(f, true, conversation + cut, bind_len - cut);
        }
        feed(f, false, ack, ack_len);
        size_t from = WA_MAX(cut, bind_len);
        feed(f, true, conversation + bind_len, from - bind_len);
        feed(f, true, conversation + from, len - from);
        flush_stream(f);
        const struct event *call = find_event(f, RPC_EVENT_CALL, 0);
        assert_non_null(call);
        assert_string_equal(event_field(call, "lpServiceName"), "evil");
        fixture_free(f);
    }
}

/* Every prefix of a conversation followed by a gap: no crash, no leak, no false names. */
static void test_dcerpc_truncation_sweep(void **state)
{
    (void)state;
    uint8_t conversation[1024];
    size_t len = 0;
    struct proposed ctx = {0, SVCCTL_UUID, 2, NDR_UUID};
    len += build_bind(conversation + len, DCERPC_BIND, 1, &ctx, 1);
    uint8_t stub[256];
    struct request_spec r = {.call_id = 2, .opnum = 12, .flags = 0x03};
    len += build_call_pdu(conversation + len, DCERPC_REQUEST, &r, stub,
                          create_service_stub(stub, false));
    for (size_t cut = 0; cut <= len; cut++) {
        struct fixture *f = fixture_new("svcctl");
        feed(f, true, conversation, cut);
        dcerpc_stream_gap(f->st, true);
        feed(f, true, conversation, len);
        flush_stream(f);
        fixture_free(f);
    }
}

static void test_dcerpc_resync_skips_garbage(void **state)
{
    (void)state;
    struct fixture *f = fixture_new("svcctl");
    bind_svcctl(f);
    uint8_t data[600];
    memset(data, 0x41, 50); /* the tail of a lost PDU */
    uint8_t stub[256];
    struct request_spec r = {.call_id = 2, .opnum = 12, .flags = 0x03};
    size_t len =
        50 + build_call_pdu(data + 50, DCERPC_REQUEST, &r, stub, create_service_stub(stub, false));
    dcerpc_stream_gap(f->st, true);
    feed(f, true, data, len);
    flush_stream(f);
    assert_int_equal(ctr_value("dcerpc.resync_skipped_bytes"), 50);
    const struct event *call = find_event(f, RPC_EVENT_CALL, 0);
    assert_non_null(call);
    assert_string_equal(event_field(call, "lpServiceName"), "evil");
    fixture_free(f);
}

static void test_dcerpc_call_flood_evicts_oldest(void **state)
{
    (void)state;
    struct fixture *f = fixture_new("svcctl");
    bind_svcctl(f);
    uint8_t stub[20] = {0};
    uint8_t pdu[128];
    for (uint32_t i = 0; i < 100; i++) {
        struct request_spec r = {.call_id = 100 + i, .opnum = 6, .flags = 0x03};
        feed(f, true, pdu, build_call_pdu(pdu, DCERPC_REQUEST, &r, stub, sizeof(stub)));
    }
    assert_true(ctr_value("dcerpc.calls_evicted") > 0);
    flush_stream(f);
    assert_int_equal(count_events(f, RPC_EVENT_CALL), 100);
    fixture_free(f);
}

static void test_dcerpc_ntlm_names_caller_over_tcp(void **state)
{
    (void)state;
    struct fixture *f = fixture_new(NULL);
    uint8_t pdu[512];
    uint8_t auth[256];
    struct proposed ctx = {0, SVCCTL_UUID, 2, NDR_UUID};
    feed(f, true, pdu, build_bind(pdu, DCERPC_BIND, 1, &ctx, 1));
    uint16_t accept = DCERPC_ACCEPTANCE;
    size_t len = build_bind_ack(pdu, DCERPC_BIND_ACK, 1, &accept, 1, false);
    feed(f, false, pdu, append_auth(pdu, len, auth, ntlm_challenge(auth)));
    /* auth3: header, 4 pad bytes, then the trailer */
    memset(pdu, 0, 20);
    put_header(pdu, DCERPC_AUTH3, 0x03, 20, 0, 1, false);
    feed(f, true, pdu, append_auth(pdu, 20, auth, ntlm_authenticate(auth)));
    uint8_t stub[20] = {0};
    struct request_spec r = {.call_id = 2, .opnum = 2, .flags = 0x03};
    feed(f, true, pdu, build_call_pdu(pdu, DCERPC_REQUEST, &r, stub, sizeof(stub)));
    flush_stream(f);
    const struct event *call = find_event(f, RPC_EVENT_CALL, 0);
    assert_non_null(call);
    assert_string_equal(event_field(call, "SubjectUserName"), "bob");
    assert_string_equal(event_field(call, "SubjectDomainName"), "CORP2");
    assert_string_equal(event_field(call, "Computer"), "SRV9");
    assert_int_equal(ctr_value("dcerpc.ntlm_user"), 1);
    fixture_free(f);
}

static void test_dcerpc_wow64_create_emits_4697(void **state)
{
    (void)state;
    struct fixture *f = fixture_new("svcctl");
    bind_svcctl(f);
    uint8_t stub[256];
    uint8_t pdu[512];
    /* RCreateServiceWOW64W (opnum 45) has the RCreateServiceW parameters. */
    struct request_spec r = {.call_id = 2, .opnum = 45, .flags = 0x03};
    feed(f, true, pdu,
         build_call_pdu(pdu, DCERPC_REQUEST, &r, stub, create_service_stub(stub, false)));
    feed(f, false, pdu,
         build_call_pdu(pdu, DCERPC_RESPONSE, &r, stub, create_service_response(stub, 0)));
    const struct event *security = find_event(f, RPC_EVENT_SERVICE_SECURITY, 0);
    assert_non_null(security);
    assert_string_equal(event_field(security, "ServiceName"), "evil");
    assert_string_equal(event_field(security, "ServiceFileName"), "c:\\e.exe");
    fixture_free(f);
}

static void test_dcerpc_nak_and_control_pdus(void **state)
{
    (void)state;
    struct fixture *f = fixture_new("svcctl");
    uint8_t pdu[256];
    struct proposed ctx = {0, SVCCTL_UUID, 2, NDR_UUID};
    feed(f, true, pdu, build_bind(pdu, DCERPC_BIND, 1, &ctx, 1));
    /* bind_nak: provider_reject_reason 2 (local limit exceeded), no versions */
    memset(pdu, 0, 20);
    put16(pdu + 16, 2, false);
    put_header(pdu, DCERPC_BIND_NAK, 0x03, 20, 0, 1, false);
    feed(f, false, pdu, 20);
    const struct event *bind = find_event(f, RPC_EVENT_BIND, 0);
    assert_non_null(bind);
    assert_string_equal(event_field(bind, "AckResult"), "nak");
    /* A request on the rejected context, then its orphaned PDU, then shutdown and co_cancel. */
    uint8_t stub[8] = {0};
    struct request_spec r = {.call_id = 2, .opnum = 15, .flags = 0x03};
    feed(f, true, pdu, build_call_pdu(pdu, DCERPC_REQUEST, &r, stub, sizeof(stub)));
    put_header(pdu, DCERPC_ORPHANED, 0x03, 16, 0, 2, false);
    feed(f, true, pdu, 16);
    assert_int_equal(count_events(f, RPC_EVENT_CALL), 1);
    put_header(pdu, DCERPC_SHUTDOWN, 0x03, 16, 0, 0, false);
    feed(f, false, pdu, 16);
    put_header(pdu, DCERPC_CO_CANCEL, 0x03, 16, 0, 3, false);
    feed(f, true, pdu, 16);
    assert_int_equal(ctr_value("dcerpc.bind_nak"), 1);
    assert_int_equal(ctr_value("dcerpc.orphaned"), 1);
    assert_int_equal(ctr_value("dcerpc.shutdown"), 1);
    assert_int_equal(ctr_value("dcerpc.co_cancel"), 1);
    const struct event *call = find_event(f, RPC_EVENT_CALL, 0);
    assert_null(event_field(call, "InterfaceName"));
    assert_null(event_field(call, "Status"));
    fixture_free(f);
}

static void test_dcerpc_unmatched_ack_reports_results(void **state)
{
    (void)state;
    struct fixture *f = fixture_new(NULL);
    uint8_t pdu[256];
    uint16_t results[2] = {DCERPC_ACCEPTANCE, DCERPC_NEGOTIATE_ACK};
    feed(f, false, pdu, build_bind_ack(pdu, DCERPC_BIND_ACK, 5, results, 2, false));
    flush_stream(f);
    const struct event *bind = find_event(f, RPC_EVENT_BIND, 0);
    assert_non_null(bind);
    assert_string_equal(event_field(bind, "PduType"), "bind_ack");
    assert_string_equal(event_field(bind, "AckResult"), "0,3");
    assert_string_equal(event_field(bind, "InterfaceUuid"), "");
    fixture_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dcerpc_header_parses_fields),
        cmocka_unit_test(test_dcerpc_header_rejects_bad_values),
        cmocka_unit_test(test_dcerpc_call_names_interface_and_status),
        cmocka_unit_test(test_dcerpc_create_service_emits_7045_and_4697),
        cmocka_unit_test(test_dcerpc_failed_create_marks_attempted),
        cmocka_unit_test(test_dcerpc_start_service_joins_handle),
        cmocka_unit_test(test_dcerpc_ack_extra_results_are_ignored),
        cmocka_unit_test(test_dcerpc_results_match_contexts_by_position),
        cmocka_unit_test(test_dcerpc_alter_context_first_binds),
        cmocka_unit_test(test_dcerpc_fragments_join_per_call),
        cmocka_unit_test(test_dcerpc_empty_fragment_joins),
        cmocka_unit_test(test_dcerpc_fragment_cap_stops_joining),
        cmocka_unit_test(test_dcerpc_stream_budget_caps_many_calls),
        cmocka_unit_test(test_dcerpc_missed_first_fragment_names_nothing),
        cmocka_unit_test(test_dcerpc_sealed_request_keeps_names),
        cmocka_unit_test(test_dcerpc_auth_padding_is_skipped),
        cmocka_unit_test(test_dcerpc_big_endian_request_decodes),
        cmocka_unit_test(test_dcerpc_fault_sets_status),
        cmocka_unit_test(test_dcerpc_stream_split_anywhere),
        cmocka_unit_test(test_dcerpc_truncation_sweep),
        cmocka_unit_test(test_dcerpc_resync_skips_garbage),
        cmocka_unit_test(test_dcerpc_call_flood_evicts_oldest),
        cmocka_unit_test(test_dcerpc_ntlm_names_caller_over_tcp),
        cmocka_unit_test(test_dcerpc_wow64_create_emits_4697),
        cmocka_unit_test(test_dcerpc_nak_and_control_pdus),
        cmocka_unit_test(test_dcerpc_unmatched_ack_reports_results),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
