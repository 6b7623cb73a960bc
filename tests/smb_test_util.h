/*
 * Helpers shared by the SMB unit tests: a sink that keeps emitted events, a
 * connection to feed, and little-endian writers for building messages.
 */
#ifndef WA_SMB_TEST_UTIL_H
#define WA_SMB_TEST_UTIL_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../dissectors/proto.h"
#include "../dissectors/smb_events.h"
#include "../sensor/counters.h"
#include "../sensor/event.h"

#define TEST_EVENTS_MAX 64

struct test_events {
    struct event *items[TEST_EVENTS_MAX];
    size_t count;
    size_t dropped;
};

static inline void test_events_emit(void *arg, struct event *ev)
{
    struct test_events *events = arg;
    if (events->count < TEST_EVENTS_MAX) {
        events->items[events->count++] = ev;
    } else {
        events->dropped++;
        event_free(ev);
    }
}

static inline void test_events_clear(struct test_events *events)
{
    for (size_t i = 0; i < events->count; i++) {
        event_free(events->items[i]);
    }
    events->count = 0;
    events->dropped = 0;
}

/* Returns the n-th (0-based) collected event with event_id, or NULL. */
static inline struct event *test_events_find(const struct test_events *events, uint32_t event_id,
                                             size_t n)
{
    for (size_t i = 0; i < events->count; i++) {
        if (events->items[i]->event_id == event_id && n-- == 0) {
            return events->items[i];
        }
    }
    return NULL;
}

static inline size_t test_events_count(const struct test_events *events, uint32_t event_id)
{
    size_t n = 0;
    for (size_t i = 0; i < events->count; i++) {
        n += events->items[i]->event_id == event_id;
    }
    return n;
}

static inline void test_meta_init(struct conn_meta *meta, struct test_events *events)
{
    memset(meta, 0, sizeof(*meta));
    memcpy(meta->client_addr, "10.0.0.5", sizeof("10.0.0.5"));
    memcpy(meta->server_addr, "10.0.0.6", sizeof("10.0.0.6"));
    meta->client_port = 50000;
    meta->server_port = 445;
    meta->input = "unit";
    meta->sink.emit = test_events_emit;
    meta->sink.arg = events;
}

/* A growable message under construction; writers append little-endian values. */
struct test_buf {
    uint8_t data[4096];
    size_t len;
};

static inline void tb_u8(struct test_buf *b, uint8_t v)
{
    b->data[b->len++] = v;
}

static inline void tb_le16(struct test_buf *b, uint16_t v)
{
    tb_u8(b, (uint8_t)(v & 0xff));
    tb_u8(b, (uint8_t)(v >> 8));
}

static inline void tb_le32(struct test_buf *b, uint32_t v)
{
    tb_le16(b, (uint16_t)(v & 0xffff));
    tb_le16(b, (uint16_t)(v >> 16));
}

static inline void tb_le64(struct test_buf *b, uint64_t v)
{
    tb_le32(b, (uint32_t)(v & 0xffffffffu));
    tb_le32(b, (uint32_t)(v >> 32));
}

static inline void tb_bytes(struct test_buf *b, const void *p, size_t n)
{
    if (n == 0) {
        return;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

static inline void tb_zeros(struct test_buf *b, size_t n)
{
    memset(b->data + b->len, 0, n);
    b->len += n;
}

/* Appends ASCII text as UTF-16LE without a terminator; returns its byte length. */
static inline uint16_t tb_utf16(struct test_buf *b, const char *text)
{
    size_t n = strlen(text);
    for (size_t i = 0; i < n; i++) {
        tb_le16(b, (uint8_t)text[i]);
    }
    return (uint16_t)(n * 2);
}

static inline void tb_set_le16(struct test_buf *b, size_t at, uint16_t v)
{
    b->data[at] = (uint8_t)(v & 0xff);
    b->data[at + 1] = (uint8_t)(v >> 8);
}

static inline void tb_set_le32(struct test_buf *b, size_t at, uint32_t v)
{
    tb_set_le16(b, at, (uint16_t)(v & 0xffff));
    tb_set_le16(b, at + 2, (uint16_t)(v >> 16));
}

/* Appends a DER element: tag, a definite length (short or two-byte long form), content. */
static inline void tb_der(struct test_buf *b, uint8_t tag, const uint8_t *content, size_t len)
{
    tb_u8(b, tag);
    if (len < 0x80) {
        tb_u8(b, (uint8_t)len);
    } else {
        tb_u8(b, 0x82);
        tb_u8(b, (uint8_t)(len >> 8));
        tb_u8(b, (uint8_t)(len & 0xff));
    }
    tb_bytes(b, content, len);
}

/* Appends [tag] { GeneralString text }. */
static inline void tb_der_krb_string(struct test_buf *b, uint8_t tag, const char *text)
{
    struct test_buf inner = {.len = 0};
    tb_der(&inner, 0x1b, (const uint8_t *)text, strlen(text));
    tb_der(b, tag, inner.data, inner.len);
}

/*
 * Builds a GSS-API Kerberos token (RFC 4121 4.1) holding an AP-REQ whose
 * ticket names realm and the service principal service/host; returns its length.
 */
static inline size_t test_krb_ap_req(uint8_t *out, const char *realm, const char *service,
                                     const char *host)
{
    static const uint8_t krb5_oid[] = {0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
                                       0xf7, 0x12, 0x01, 0x02, 0x02};
    static const uint8_t int5[] = {0x02, 0x01, 0x05};
    static const uint8_t int2[] = {0x02, 0x01, 0x02};
    static const uint8_t int14[] = {0x02, 0x01, 0x0e};
    struct test_buf names = {.len = 0};
    struct test_buf principal = {.len = 0};
    struct test_buf sname = {.len = 0};
    struct test_buf ticket = {.len = 0};
    struct test_buf seq = {.len = 0};
    struct test_buf whole = {.len = 0};

    tb_der(&names, 0x1b, (const uint8_t *)service, strlen(service));
    tb_der(&names, 0x1b, (const uint8_t *)host, strlen(host));
    tb_der(&principal, 0xa0, int2, sizeof(int2));
    struct test_buf list = {.len = 0};
    tb_der(&list, 0x30, names.data, names.len);
    tb_der(&principal, 0xa1, list.data, list.len);
    tb_der(&sname, 0x30, principal.data, principal.len);

    struct test_buf fields = {.len = 0};
    tb_der(&fields, 0xa0, int5, sizeof(int5));
    tb_der_krb_string(&fields, 0xa1, realm);
    tb_der(&fields, 0xa2, sname.data, sname.len);
    struct test_buf body = {.len = 0};
    tb_der(&body, 0x30, fields.data, fields.len);
    tb_der(&ticket, 0x61, body.data, body.len);

    struct test_buf ap_fields = {.len = 0};
    tb_der(&ap_fields, 0xa0, int5, sizeof(int5));
    tb_der(&ap_fields, 0xa1, int14, sizeof(int14));
    tb_der(&ap_fields, 0xa3, ticket.data, ticket.len);
    tb_der(&seq, 0x30, ap_fields.data, ap_fields.len);
    struct test_buf ap_req = {.len = 0};
    tb_der(&ap_req, 0x6e, seq.data, seq.len);

    struct test_buf gss = {.len = 0};
    tb_bytes(&gss, krb5_oid, sizeof(krb5_oid));
    tb_u8(&gss, 0x01); /* TOK_ID KRB_AP_REQ */
    tb_u8(&gss, 0x00);
    tb_bytes(&gss, ap_req.data, ap_req.len);
    tb_der(&whole, 0x60, gss.data, gss.len);
    memcpy(out, whole.data, whole.len);
    return whole.len;
}

/*
 * Builds an NTLMSSP AUTHENTICATE (MS-NLMP 2.2.1.3) with Unicode names and an
 * NT response of nt_len bytes; returns its length in out.
 */
static inline size_t test_ntlm_authenticate(uint8_t *out, const char *domain, const char *user,
                                            const char *workstation, uint16_t nt_len)
{
    struct test_buf b = {.len = 0};
    const char *names[3] = {domain, user, workstation};
    size_t payload = 72;
    tb_bytes(&b, "NTLMSSP", 8);
    tb_le32(&b, 3);
    /* LmChallengeResponseFields: empty */
    tb_le16(&b, 0);
    tb_le16(&b, 0);
    tb_le32(&b, (uint32_t)payload);
    /* NtChallengeResponseFields */
    tb_le16(&b, nt_len);
    tb_le16(&b, nt_len);
    tb_le32(&b, (uint32_t)payload);
    payload += nt_len;
    for (size_t i = 0; i < 3; i++) {
        uint16_t len = (uint16_t)(strlen(names[i]) * 2);
        tb_le16(&b, len);
        tb_le16(&b, len);
        tb_le32(&b, (uint32_t)payload);
        payload += len;
    }
    /* EncryptedRandomSessionKeyFields: empty */
    tb_le16(&b, 0);
    tb_le16(&b, 0);
    tb_le32(&b, (uint32_t)payload);
    tb_le32(&b, 0xe2888215u); /* NegotiateFlags, NTLMSSP_NEGOTIATE_UNICODE set */
    tb_zeros(&b, 8);          /* Version */
    tb_zeros(&b, nt_len);
    for (size_t i = 0; i < 3; i++) {
        tb_utf16(&b, names[i]);
    }
    memcpy(out, b.data, b.len);
    return b.len;
}

/* Builds an NTLMSSP CHALLENGE whose target info names the server; returns its length. */
static inline size_t test_ntlm_challenge(uint8_t *out, const char *nb_computer,
                                         const char *dns_computer)
{
    struct test_buf b = {.len = 0};
    struct test_buf info = {.len = 0};
    tb_le16(&info, 1); /* MsvAvNbComputerName */
    tb_le16(&info, (uint16_t)(strlen(nb_computer) * 2));
    tb_utf16(&info, nb_computer);
    tb_le16(&info, 3); /* MsvAvDnsComputerName */
    tb_le16(&info, (uint16_t)(strlen(dns_computer) * 2));
    tb_utf16(&info, dns_computer);
    tb_le32(&info, 0); /* MsvAvEOL */

    tb_bytes(&b, "NTLMSSP", 8);
    tb_le32(&b, 2);
    tb_le16(&b, 0); /* TargetNameFields: empty */
    tb_le16(&b, 0);
    tb_le32(&b, 56);
    tb_le32(&b, 0xe2898215u);
    tb_zeros(&b, 8 + 8); /* ServerChallenge, Reserved */
    tb_le16(&b, (uint16_t)info.len);
    tb_le16(&b, (uint16_t)info.len);
    tb_le32(&b, 56);
    tb_zeros(&b, 8); /* Version */
    tb_bytes(&b, info.data, info.len);
    memcpy(out, b.data, b.len);
    return b.len;
}

/*
 * A DCE-RPC bind PDU (C706 12.6.4.3) for lsarpc, as a client writes it to a
 * named pipe: 16-byte common header, then one presentation context.
 */
static const uint8_t TEST_DCERPC_BIND[72] = {
    0x05, 0x00,             /* rpc_vers 5, rpc_vers_minor 0 */
    0x0b,                   /* PTYPE bind */
    0x03,                   /* pfc_flags: first and last fragment */
    0x10, 0x00, 0x00, 0x00, /* data representation: little-endian, ASCII, IEEE */
    0x48, 0x00,             /* frag_length 72 */
    0x00, 0x00,             /* auth_length 0 */
    0x01, 0x00, 0x00, 0x00, /* call_id 1 */
    0xb8, 0x10, 0xb8, 0x10, /* max_xmit_frag, max_recv_frag 4280 */
    0x00, 0x00, 0x00, 0x00, /* assoc_group_id 0 */
    0x01, 0x00, 0x00, 0x00, /* one context item, 3 bytes padding */
    0x00, 0x00, 0x01, 0x00, /* p_cont_id 0, one transfer syntax, padding */
    /* abstract syntax 12345778-1234-abcd-ef00-0123456789ab version 0.0 (lsarpc) */
    0x78, 0x57, 0x34, 0x12, 0x34, 0x12, 0xcd, 0xab, 0xef, 0x00, 0x01, 0x23, 0x45, 0x67, 0x89,
    0xab, 0x00, 0x00, 0x00, 0x00,
    /* transfer syntax 8a885d04-1ceb-11c9-9fe8-08002b104860 version 2 (NDR) */
    0x04, 0x5d, 0x88, 0x8a, 0xeb, 0x1c, 0xc9, 0x11, 0x9f, 0xe8, 0x08, 0x00, 0x2b, 0x10, 0x48,
    0x60, 0x02, 0x00, 0x00, 0x00};

/* The first 16 bytes of a bind_ack PDU (C706 12.6.4.4) of 60 bytes for call_id 1. */
static const uint8_t TEST_DCERPC_BIND_ACK_HEADER[16] = {
    0x05, 0x00,             /* rpc_vers 5, rpc_vers_minor 0 */
    0x0c,                   /* PTYPE bind_ack */
    0x03,                   /* pfc_flags: first and last fragment */
    0x10, 0x00, 0x00, 0x00, /* data representation: little-endian */
    0x3c, 0x00,             /* frag_length 60 */
    0x00, 0x00,             /* auth_length 0 */
    0x01, 0x00, 0x00, 0x00  /* call_id 1 */
};

/* One SMB connection with a recording sink, for cmocka setup and teardown. */
struct conn_fixture {
    struct test_events events;
    struct conn_meta meta;
    struct smb_conn *conn;
    uint64_t frame;
};

static inline int conn_fixture_setup(void **state)
{
    struct conn_fixture *f = calloc(1, sizeof(*f));
    if (f == NULL) {
        return -1;
    }
    test_meta_init(&f->meta, &f->events);
    f->conn = smb_conn_new(&f->meta);
    ctr_reset_all();
    smb_shared_reset();
    *state = f;
    return f->conn == NULL ? -1 : 0;
}

static inline int conn_fixture_teardown(void **state)
{
    struct conn_fixture *f = *state;
    smb_conn_free(f->conn);
    test_events_clear(&f->events);
    free(f);
    return 0;
}

/* Hands b to the connection as one whole message, one frame after the last. */
static inline void conn_fixture_feed(struct conn_fixture *f, bool from_client,
                                     const struct test_buf *b)
{
    struct pkt_meta pm = {.time_us = 1600000000000000 + (int64_t)f->frame, .frame = ++f->frame};
    smb_conn_message(f->conn, from_client, b->data, b->len, b->len, &pm);
}

#endif
