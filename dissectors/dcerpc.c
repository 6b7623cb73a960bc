/*
 * DCE-RPC connection-oriented dissector (C706 chapter 12 and MS-RPCE):
 * PDU reassembly from a byte stream, presentation contexts, fragment joining
 * per call id, request/response matching and argument decoding. Events are
 * built in rpc_events.c.
 *
 * Common header (16 bytes, integers in the order drep[0] gives):
 *   0 rpc_vers(1) 1 rpc_vers_minor(1) 2 PTYPE(1) 3 pfc_flags(1) 4 drep(4)
 *   8 frag_length(2) 10 auth_length(2) 12 call_id(4)
 * Request: alloc_hint(4) p_cont_id(2) opnum(2) [object(16)] stub
 * Response: alloc_hint(4) p_cont_id(2) cancel_count(1) reserved(1) stub
 * An auth_length > 0 puts sec_trailer (8) + auth_value at the end of the PDU,
 * preceded by auth_pad_length padding bytes after the stub.
 */
#include "dcerpc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../sensor/counters.h"
#include "../sensor/options.h"
#include "ndr.h"
#include "ntlmssp.h"
#include "rpc_events.h"
#include "rpc_ops.h"

/* Bound contexts, calls in flight, binds awaiting an ack and remembered handles per stream. */
#define DCERPC_CONTEXTS_MAX 32
#define DCERPC_CALLS_MAX 32
#define DCERPC_BINDS_MAX 2
#define DCERPC_HANDLES_MAX 32

/* frag_length is 16 bits, so no PDU is longer than this. */
#define DCERPC_PDU_MAX 65535u

/*
 * The NDR64 transfer syntax, and the if_uuid prefix that marks a bind time
 * feature negotiation context (MS-RPCE 3.3.1.5.3).
 */
static const char NDR64_SYNTAX[] = "71710533-beba-4937-8319-b5dbef9ccc36";
static const char BIND_FEATURE_SYNTAX_PREFIX[] = "6cb71c2c-9812-4540-";

struct dcerpc_context {
    bool used;
    uint16_t id;
    char uuid[37];
    uint16_t version_major;
    bool ndr64;
    const struct rpc_interface *iface;
};

/* A stub joined from fragments, capped at wa_opts.rpc_fragment_max. */
struct dcerpc_buffer {
    uint8_t *data;
    size_t len;
    size_t cap;
    bool overflow;
};

struct dcerpc_call {
    bool used;
    uint64_t age;
    bool request_complete;
    struct dcerpc_buffer request;
    struct dcerpc_buffer response;
    bool handle_in_set;
    uint8_t handle_in[RPC_HANDLE_LEN];
    struct dcerpc_call_info info;
};

struct dcerpc_handle_label {
    bool used;
    uint64_t age;
    uint8_t handle[RPC_HANDLE_LEN];
    char label[256];
};

/* Reassembly state of one direction of the byte stream. */
struct dcerpc_direction {
    uint8_t *partial; /* DCERPC_PDU_MAX bytes, allocated on first use */
    size_t len;
    bool resync; /* bytes were lost: skip to the next plausible header */
};

struct dcerpc_stream {
    struct dcerpc_peer peer;
    struct dcerpc_direction dirs[2]; /* [0] from the client, [1] from the server */
    struct dcerpc_context contexts[DCERPC_CONTEXTS_MAX];
    bool bind_pending[DCERPC_BINDS_MAX];
    struct rpc_bind_info binds[DCERPC_BINDS_MAX];
    struct dcerpc_call calls[DCERPC_CALLS_MAX];
    struct dcerpc_handle_label handles[DCERPC_HANDLES_MAX];
    uint64_t clock;  /* ticks per PDU, orders entries for eviction */
    size_t buffered; /* bytes allocated for joined stubs of all calls */
    const struct pkt_meta *pm;
};

/* ---- header and small helpers ---- */

static uint16_t rd16(struct cursor *c, bool big_endian)
{
    return big_endian ? cur_be16(c) : cur_le16(c);
}

static uint32_t rd32(struct cursor *c, bool big_endian)
{
    return big_endian ? cur_be32(c) : cur_le32(c);
}

enum wa_status dcerpc_parse_header(const uint8_t *data, size_t len, struct dcerpc_header *h)
{
    struct cursor c;
    cur_init(&c, data, len);
    h->version = cur_u8(&c);
    h->version_minor = cur_u8(&c);
    h->ptype = cur_u8(&c);
    h->flags = cur_u8(&c);
    cur_copy(&c, h->drep, sizeof(h->drep), 4);
    h->big_endian = (h->drep[0] & 0x10) == 0;
    h->frag_length = rd16(&c, h->big_endian);
    h->auth_length = rd16(&c, h->big_endian);
    h->call_id = rd32(&c, h->big_endian);
    if (!cur_ok(&c)) {
        return WA_NEED_MORE;
    }
    if (h->version != 5 || h->version_minor > 1 || h->ptype > DCERPC_ORPHANED ||
        h->frag_length < DCERPC_HEADER_LEN) {
        return WA_MALFORMED;
    }
    if (h->auth_length != 0 &&
        (size_t)h->auth_length + DCERPC_SEC_TRAILER_LEN + DCERPC_HEADER_LEN > h->frag_length) {
        return WA_MALFORMED;
    }
    return WA_OK;
}

void dcerpc_format_uuid(const uint8_t wire[16], bool big_endian, char text[37])
{
    struct cursor c;
    cur_init(&c, wire, 16);
    uint32_t d1 = rd32(&c, big_endian);
    uint16_t d2 = rd16(&c, big_endian);
    uint16_t d3 = rd16(&c, big_endian);
    const uint8_t *d4 = cur_view(&c, 8);
    snprintf(text, 37, "%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x", d1, d2, d3, d4[0], d4[1],
             d4[2], d4[3], d4[4], d4[5], d4[6], d4[7]);
}

/* Reads a 16-byte UUID and a 16+16-bit version (p_syntax_id_t) from c. */
static void read_syntax(struct cursor *c, bool big_endian, char uuid[37], uint16_t *major,
                        uint16_t *minor)
{
    const uint8_t *wire = cur_view(c, 16);
    uint16_t v_major = rd16(c, big_endian);
    uint16_t v_minor = rd16(c, big_endian);
    if (wire == NULL || !cur_ok(c)) {
        uuid[0] = '\0';
        return;
    }
    dcerpc_format_uuid(wire, big_endian, uuid);
    if (major != NULL) {
        *major = v_major;
    }
    if (minor != NULL) {
        *minor = v_minor;
    }
}

static void copy_text(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src != NULL ? src : "");
}

/* ---- stream lifetime ---- */

struct dcerpc_stream *dcerpc_stream_new(const struct dcerpc_endpoint *ep)
{
    struct dcerpc_stream *st = calloc(1, sizeof(*st));
    if (st == NULL) {
        return NULL;
    }
    st->peer.conn = ep->conn;
    st->peer.over_pipe = ep->pipe != NULL;
    copy_text(st->peer.pipe, sizeof(st->peer.pipe), ep->pipe);
    copy_text(st->peer.share, sizeof(st->peer.share), ep->share);
    copy_text(st->peer.user, sizeof(st->peer.user), ep->user);
    copy_text(st->peer.domain, sizeof(st->peer.domain), ep->domain);
    copy_text(st->peer.workstation, sizeof(st->peer.workstation), ep->workstation);
    copy_text(st->peer.computer, sizeof(st->peer.computer), ep->computer);
    st->peer.logon_id = ep->logon_id;
    CTR_INC("dcerpc.streams");
    return st;
}

/* Releases a joined stub and returns its allocation to the stream's budget. */
static void buffer_free(struct dcerpc_stream *st, struct dcerpc_buffer *b)
{
    st->buffered -= b->cap;
    free(b->data);
    memset(b, 0, sizeof(*b));
}

/* Drops a stub that can no longer be joined whole, so it is never decoded. */
static void buffer_abandon(struct dcerpc_stream *st, struct dcerpc_buffer *b)
{
    buffer_free(st, b);
    b->overflow = true;
}

/*
 * Appends len bytes to a joined stub. One stub may reach wa_opts.rpc_fragment_max
 * bytes and all stubs of the stream together twice that, so a flood of
 * fragments over many call ids is capped too. Past a cap the stub is
 * abandoned and counted under dcerpc.fragment_limit.
 */
static void buffer_append(struct dcerpc_stream *st, struct dcerpc_buffer *b, const uint8_t *data,
                          size_t len)
{
    size_t max = wa_opts.rpc_fragment_max;
    if (b->overflow || len == 0) {
        return;
    }
    if (len > max || b->len > max - len) {
        CTR_INC("dcerpc.fragment_limit");
        buffer_abandon(st, b);
        return;
    }
    if (b->len + len > b->cap) {
        size_t cap = b->cap != 0 ? b->cap : 4096;
        while (cap < b->len + len) {
            cap *= 2;
        }
        cap = WA_MIN(cap, max);
        if (st->buffered - b->cap + cap > 2 * max) {
            CTR_INC("dcerpc.fragment_limit");
            buffer_abandon(st, b);
            return;
        }
        uint8_t *grown = realloc(b->data, cap);
        if (grown == NULL) {
            CTR_INC("dcerpc.nomem");
            buffer_abandon(st, b);
            return;
        }
        st->buffered += cap - b->cap;
        b->data = grown;
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, len);
    b->len += len;
}

/* Emits the call's events, with or without a response, and frees its slot. */
static void call_finish(struct dcerpc_stream *st, struct dcerpc_call *call)
{
    if (!call->info.answered) {
        CTR_INC("dcerpc.request_unanswered");
    }
    rpc_events_call_emit(&st->peer, &call->info);
    buffer_free(st, &call->request);
    buffer_free(st, &call->response);
    memset(call, 0, sizeof(*call));
}

static void bind_finish(struct dcerpc_stream *st, size_t slot)
{
    if (st->bind_pending[slot]) {
        rpc_events_bind_emit(&st->peer, &st->binds[slot]);
        st->bind_pending[slot] = false;
    }
}

void dcerpc_stream_free(struct dcerpc_stream *st)
{
    if (st == NULL) {
        return;
    }
    for (size_t i = 0; i < DCERPC_BINDS_MAX; i++) {
        bind_finish(st, i);
    }
    for (size_t i = 0; i < DCERPC_CALLS_MAX; i++) {
        if (st->calls[i].used) {
            call_finish(st, &st->calls[i]);
        }
    }
    free(st->dirs[0].partial);
    free(st->dirs[1].partial);
    free(st);
}

/* ---- tables ---- */

static const struct dcerpc_context *context_find(const struct dcerpc_stream *st, uint16_t id)
{
    for (size_t i = 0; i < DCERPC_CONTEXTS_MAX; i++) {
        if (st->contexts[i].used && st->contexts[i].id == id) {
            return &st->contexts[i];
        }
    }
    return NULL;
}

/* Binds context id to an interface, replacing an earlier binding of the same id. */
static void context_store(struct dcerpc_stream *st, const struct rpc_bind_context *proposed,
                          bool ndr64)
{
    struct dcerpc_context *slot = NULL;
    for (size_t i = 0; i < DCERPC_CONTEXTS_MAX && slot == NULL; i++) {
        if (st->contexts[i].used && st->contexts[i].id == proposed->context_id) {
            slot = &st->contexts[i];
        }
    }
    for (size_t i = 0; i < DCERPC_CONTEXTS_MAX && slot == NULL; i++) {
        if (!st->contexts[i].used) {
            slot = &st->contexts[i];
        }
    }
    if (slot == NULL) {
        CTR_INC("dcerpc.context_limit");
        return;
    }
    slot->used = true;
    slot->id = proposed->context_id;
    memcpy(slot->uuid, proposed->uuid, sizeof(slot->uuid));
    slot->version_major = proposed->version_major;
    slot->ndr64 = ndr64;
    slot->iface = rpc_names_find_interface(proposed->uuid);
}

static struct dcerpc_call *call_find(struct dcerpc_stream *st, uint32_t call_id)
{
    for (size_t i = 0; i < DCERPC_CALLS_MAX; i++) {
        if (st->calls[i].used && st->calls[i].info.call_id == call_id) {
            return &st->calls[i];
        }
    }
    return NULL;
}

/* Returns a free call slot, finishing the oldest call when all are in use. */
static struct dcerpc_call *call_alloc(struct dcerpc_stream *st)
{
    struct dcerpc_call *oldest = &st->calls[0];
    for (size_t i = 0; i < DCERPC_CALLS_MAX; i++) {
        if (!st->calls[i].used) {
            return &st->calls[i];
        }
        if (st->calls[i].age < oldest->age) {
            oldest = &st->calls[i];
        }
    }
    CTR_INC("dcerpc.calls_evicted");
    call_finish(st, oldest);
    return oldest;
}

static const char *handle_label_find(const struct dcerpc_stream *st,
                                     const uint8_t handle[RPC_HANDLE_LEN])
{
    for (size_t i = 0; i < DCERPC_HANDLES_MAX; i++) {
        if (st->handles[i].used && memcmp(st->handles[i].handle, handle, RPC_HANDLE_LEN) == 0) {
            return st->handles[i].label;
        }
    }
    return NULL;
}

static void handle_label_store(struct dcerpc_stream *st, const uint8_t handle[RPC_HANDLE_LEN],
                               const char *label)
{
    struct dcerpc_handle_label *slot = &st->handles[0];
    for (size_t i = 0; i < DCERPC_HANDLES_MAX; i++) {
        struct dcerpc_handle_label *h = &st->handles[i];
        if (!h->used || memcmp(h->handle, handle, RPC_HANDLE_LEN) == 0) {
            slot = h;
            break;
        }
        if (h->age < slot->age) {
            slot = h;
        }
    }
    slot->used = true;
    slot->age = st->clock;
    memcpy(slot->handle, handle, RPC_HANDLE_LEN);
    copy_text(slot->label, sizeof(slot->label), label);
}

/* ---- PDU bodies ---- */

/* Location of the stub in a request or response PDU, and the fields of its auth trailer. */
struct dcerpc_body {
    const uint8_t *stub;
    size_t stub_len;
    uint8_t auth_type;
    uint8_t auth_level;
};

/*
 * Locates the stub between stub_off and the auth padding. The sec_trailer
 * sits at frag_length - auth_length - 8 and its auth_pad_length counts the
 * padding bytes between the stub and the trailer.
 */
static bool body_locate(const struct dcerpc_header *h, const uint8_t *pdu, size_t stub_off,
                        struct dcerpc_body *body)
{
    memset(body, 0, sizeof(*body));
    struct cursor whole;
    cur_init(&whole, pdu, h->frag_length);
    size_t end = h->frag_length;
    if (stub_off > end) {
        return false;
    }
    if (h->auth_length != 0) {
        size_t trailer = end - h->auth_length - DCERPC_SEC_TRAILER_LEN;
        struct cursor c;
        if (trailer < stub_off || !cur_at(&whole, &c, trailer, DCERPC_SEC_TRAILER_LEN)) {
            return false;
        }
        body->auth_type = cur_u8(&c);
        body->auth_level = cur_u8(&c);
        uint8_t pad = cur_u8(&c);
        end = trailer >= stub_off + pad ? trailer - pad : stub_off;
    }
    struct cursor stub;
    if (!cur_at(&whole, &stub, stub_off, end - stub_off)) {
        return false;
    }
    body->stub = stub.base;
    body->stub_len = stub.len;
    return true;
}

/* Decodes the arguments of a complete clear request stub into call->info.args. */
static void request_decode(struct dcerpc_stream *st, struct dcerpc_call *call, const uint8_t *stub,
                           size_t len, bool big_endian)
{
    struct dcerpc_call_info *info = &call->info;
    if (info->iface == NULL || info->args == NULL) {
        return;
    }
    struct ndr n;
    ndr_init(&n, stub, len, big_endian, info->ndr64);
    struct rpc_op_state op = {.ev = info->args, .server_addr = st->peer.conn->server_addr};
    enum wa_status status = rpc_ops_decode_request(info->iface->id, info->opnum, &n, &op);
    if (status == WA_MALFORMED || status == WA_NEED_MORE) {
        CTR_INC("dcerpc.args_malformed");
    } else if (status == WA_OK) {
        CTR_INC("dcerpc.args_decoded");
    }
    if (n.truncated_strings != 0) {
        CTR_INC("dcerpc.string_truncated");
    }
    if (op.handle_in_set) {
        call->handle_in_set = true;
        memcpy(call->handle_in, op.handle_in, RPC_HANDLE_LEN);
        const char *label = handle_label_find(st, op.handle_in);
        if (label != NULL &&
            rpc_ops_apply_handle_label(info->iface->id, info->args, label) != WA_OK) {
            CTR_INC("rpc.field_dropped");
        }
    }
}

/* Starts the record of a request from its first fragment, or from a later one after a gap. */
static struct dcerpc_call *request_begin(struct dcerpc_stream *st, const struct dcerpc_header *h,
                                         uint16_t context_id, uint16_t opnum, bool first)
{
    struct dcerpc_call *call = call_alloc(st);
    struct dcerpc_call_info *info = &call->info;
    call->used = true;
    call->age = st->clock;
    info->call_id = h->call_id;
    info->time_us = st->pm->time_us;
    info->frame = st->pm->frame;
    if (first) {
        /*
         * Only a first fragment names the call. After a gap, a later fragment
         * gets no interface or opnum rather than a guess.
         */
        info->named = true;
        info->opnum = opnum;
        info->context_id = context_id;
        const struct dcerpc_context *ctx = context_find(st, context_id);
        if (ctx != NULL) {
            memcpy(info->uuid, ctx->uuid, sizeof(info->uuid));
            info->version_major = ctx->version_major;
            info->ndr64 = ctx->ndr64;
            info->iface = ctx->iface;
        } else {
            CTR_INC("dcerpc.request_context_unknown");
        }
    } else {
        CTR_INC("dcerpc.request_first_fragment_missing");
    }
    info->args = rpc_events_call_new(&st->peer, info);
    return call;
}

static void handle_request(struct dcerpc_stream *st, const struct dcerpc_header *h,
                           const uint8_t *pdu)
{
    struct cursor c;
    cur_init(&c, pdu, h->frag_length);
    cur_skip(&c, DCERPC_HEADER_LEN + 4); /* alloc_hint */
    uint16_t context_id = rd16(&c, h->big_endian);
    uint16_t opnum = rd16(&c, h->big_endian);
    if ((h->flags & DCERPC_PFC_OBJECT_UUID) != 0) {
        cur_skip(&c, 16);
    }
    struct dcerpc_body body;
    if (!cur_ok(&c) || !body_locate(h, pdu, cur_offset(&c), &body)) {
        CTR_INC("dcerpc.malformed");
        return;
    }
    bool first = (h->flags & DCERPC_PFC_FIRST_FRAG) != 0;
    bool last = (h->flags & DCERPC_PFC_LAST_FRAG) != 0;
    struct dcerpc_call *call = call_find(st, h->call_id);
    if (call != NULL && (first || call->request_complete)) {
        CTR_INC("dcerpc.call_id_reused");
        call_finish(st, call);
        call = NULL;
    }
    if (call == NULL) {
        call = request_begin(st, h, context_id, opnum, first);
    }
    struct dcerpc_call_info *info = &call->info;
    info->fragments++;
    info->stub_bytes += body.stub_len;
    if (h->auth_length != 0) {
        info->auth_type = body.auth_type;
        info->auth_level = body.auth_level;
        info->sealed = body.auth_level == DCERPC_AUTH_LEVEL_PRIVACY;
    }
    bool decodable = info->named && !info->sealed && info->iface != NULL;
    if (decodable && first && last) {
        request_decode(st, call, body.stub, body.stub_len, h->big_endian);
    } else if (decodable) {
        buffer_append(st, &call->request, body.stub, body.stub_len);
        if (last && !call->request.overflow) {
            request_decode(st, call, call->request.data, call->request.len, h->big_endian);
        }
    }
    if (last) {
        call->request_complete = true;
        buffer_free(st, &call->request);
    }
}

/* Reads the return value that ends a clear response stub (DWORD, NTSTATUS or HRESULT). */
static void response_status(struct dcerpc_call_info *info, const uint8_t *stub, size_t len,
                            bool big_endian)
{
    if (len < 4) {
        return;
    }
    struct cursor c;
    cur_init(&c, stub, len);
    cur_seek(&c, len - 4);
    info->status = rd32(&c, big_endian);
    info->status_known = cur_ok(&c);
}

static void response_decode(struct dcerpc_stream *st, struct dcerpc_call *call, const uint8_t *stub,
                            size_t len, bool big_endian)
{
    struct dcerpc_call_info *info = &call->info;
    response_status(info, stub, len, big_endian);
    if (!info->named || info->iface == NULL || info->args == NULL) {
        return;
    }
    struct ndr n;
    ndr_init(&n, stub, len, big_endian, info->ndr64);
    struct rpc_op_state op = {.ev = info->args, .server_addr = st->peer.conn->server_addr};
    enum wa_status status = rpc_ops_decode_response(info->iface->id, info->opnum, &n, &op);
    if (status == WA_MALFORMED || status == WA_NEED_MORE) {
        CTR_INC("dcerpc.args_malformed");
    }
    if (!op.handle_out_set || info->status != 0) {
        return;
    }
    const char *parent = call->handle_in_set ? handle_label_find(st, call->handle_in) : NULL;
    char label[256];
    if (rpc_ops_handle_label(info->iface->id, info->opnum, info->args, parent, label,
                             sizeof(label))) {
        handle_label_store(st, op.handle_out, label);
    }
}

static void handle_response(struct dcerpc_stream *st, const struct dcerpc_header *h,
                            const uint8_t *pdu)
{
    struct dcerpc_body body;
    if (!body_locate(h, pdu, DCERPC_HEADER_LEN + 8, &body)) {
        CTR_INC("dcerpc.malformed");
        return;
    }
    struct dcerpc_call *call = call_find(st, h->call_id);
    if (call == NULL || call->info.answered) {
        CTR_INC("dcerpc.response_unmatched");
        return;
    }
    bool first = (h->flags & DCERPC_PFC_FIRST_FRAG) != 0;
    bool last = (h->flags & DCERPC_PFC_LAST_FRAG) != 0;
    struct dcerpc_call_info *info = &call->info;
    if (first) {
        info->response_frame = st->pm->frame;
        buffer_free(st, &call->response);
    }
    bool sealed = h->auth_length != 0 && body.auth_level == DCERPC_AUTH_LEVEL_PRIVACY;
    info->sealed = info->sealed || sealed;
    if (!last) {
        if (!sealed) {
            buffer_append(st, &call->response, body.stub, body.stub_len);
        }
        return;
    }
    info->answered = true;
    if (info->response_frame == 0) {
        info->response_frame = st->pm->frame;
    }
    if (sealed) {
        CTR_INC("dcerpc.response_sealed");
    } else if (first) {
        response_decode(st, call, body.stub, body.stub_len, h->big_endian);
    } else {
        buffer_append(st, &call->response, body.stub, body.stub_len);
        if (!call->response.overflow) {
            response_decode(st, call, call->response.data, call->response.len, h->big_endian);
        }
    }
    call_finish(st, call);
}

static void handle_fault(struct dcerpc_stream *st, const struct dcerpc_header *h,
                         const uint8_t *pdu)
{
    struct cursor c;
    cur_init(&c, pdu, h->frag_length);
    cur_skip(&c, DCERPC_HEADER_LEN + 8); /* alloc_hint, p_cont_id, cancel_count, reserved */
    uint32_t status = rd32(&c, h->big_endian);
    if (!cur_ok(&c)) {
        CTR_INC("dcerpc.malformed");
        return;
    }
    struct dcerpc_call *call = call_find(st, h->call_id);
    if (call == NULL) {
        CTR_INC("dcerpc.response_unmatched");
        return;
    }
    call->info.answered = true;
    call->info.fault = true;
    call->info.status = status;
    call->info.status_known = true;
    call->info.response_frame = st->pm->frame;
    CTR_INC("dcerpc.fault");
    call_finish(st, call);
}

/* ---- bind, alter_context and their acknowledgements ---- */

/* Reads one presentation context element (p_cont_elem_t) into ctx. */
static void bind_read_context(struct cursor *c, bool big_endian, struct rpc_bind_context *ctx)
{
    ctx->context_id = rd16(c, big_endian);
    uint8_t transfer_count = cur_u8(c);
    cur_skip(c, 1);
    read_syntax(c, big_endian, ctx->uuid, &ctx->version_major, &ctx->version_minor);
    ctx->transfer_syntax[0] = '\0';
    for (uint8_t t = 0; t < transfer_count && cur_ok(c); t++) {
        char syntax[37];
        read_syntax(c, big_endian, syntax, NULL, NULL);
        if (t == 0) {
            memcpy(ctx->transfer_syntax, syntax, sizeof(syntax));
        }
    }
}

/* Returns the slot for a new bind, emitting the oldest unanswered one when both are taken. */
static size_t bind_slot(struct dcerpc_stream *st)
{
    for (size_t i = 0; i < DCERPC_BINDS_MAX; i++) {
        if (!st->bind_pending[i]) {
            return i;
        }
    }
    size_t oldest = st->binds[0].frame <= st->binds[1].frame ? 0 : 1;
    CTR_INC("dcerpc.bind_unanswered");
    bind_finish(st, oldest);
    return oldest;
}

static void handle_bind(struct dcerpc_stream *st, const struct dcerpc_header *h, const uint8_t *pdu)
{
    struct cursor c;
    cur_init(&c, pdu, h->frag_length);
    cur_skip(&c, DCERPC_HEADER_LEN + 8); /* max_xmit_frag, max_recv_frag, assoc_group_id */
    uint8_t count = cur_u8(&c);
    cur_skip(&c, 3);
    if (!cur_ok(&c)) {
        CTR_INC("dcerpc.malformed");
        return;
    }
    size_t slot = bind_slot(st);
    struct rpc_bind_info *bind = &st->binds[slot];
    memset(bind, 0, sizeof(*bind));
    bind->alter_context = h->ptype == DCERPC_ALTER_CONTEXT;
    bind->call_id = h->call_id;
    bind->time_us = st->pm->time_us;
    bind->frame = st->pm->frame;
    for (uint8_t i = 0; i < count && cur_ok(&c); i++) {
        struct rpc_bind_context ctx;
        bind_read_context(&c, h->big_endian, &ctx);
        if (!cur_ok(&c)) {
            CTR_INC("dcerpc.malformed");
            break;
        }
        if (bind->context_count == RPC_BIND_CONTEXTS_MAX) {
            CTR_INC("dcerpc.bind_context_limit");
            break;
        }
        bind->contexts[bind->context_count++] = ctx;
    }
    st->bind_pending[slot] = true;
    CTR_INC("dcerpc.bind");
}

/* Finds the pending bind that an ack belongs to, by call id. */
static struct rpc_bind_info *bind_match(struct dcerpc_stream *st, uint32_t call_id, size_t *slot)
{
    for (size_t i = 0; i < DCERPC_BINDS_MAX; i++) {
        if (st->bind_pending[i] && st->binds[i].call_id == call_id) {
            *slot = i;
            return &st->binds[i];
        }
    }
    return NULL;
}

/* Applies one p_result_t to the context at the same position in the bind. */
static void bind_apply_result(struct dcerpc_stream *st, struct rpc_bind_info *bind, uint8_t i,
                              uint16_t result, const char *syntax)
{
    if (bind->result_count < RPC_BIND_CONTEXTS_MAX) {
        bind->results[bind->result_count++] = result;
    }
    if (i >= bind->context_count) {
        if (bind->frame != 0) {
            CTR_INC("dcerpc.bind_ack_extra_results");
        }
        return;
    }
    struct rpc_bind_context *ctx = &bind->contexts[i];
    ctx->has_result = true;
    ctx->result = result;
    if (result == DCERPC_ACCEPTANCE) {
        context_store(st, ctx, strcmp(syntax, NDR64_SYNTAX) == 0);
    } else if (result == DCERPC_NEGOTIATE_ACK ||
               strncmp(ctx->transfer_syntax, BIND_FEATURE_SYNTAX_PREFIX,
                       sizeof(BIND_FEATURE_SYNTAX_PREFIX) - 1) == 0) {
        CTR_INC("dcerpc.bind_feature_negotiation");
    }
}

static void handle_bind_ack(struct dcerpc_stream *st, const struct dcerpc_header *h,
                            const uint8_t *pdu)
{
    struct cursor c;
    cur_init(&c, pdu, h->frag_length);
    cur_skip(&c, DCERPC_HEADER_LEN + 8);
    uint16_t sec_addr_len = rd16(&c, h->big_endian);
    cur_skip(&c, sec_addr_len);
    cur_align(&c, 4); /* p_result_list is 4-byte aligned from the start of the PDU */
    uint8_t count = cur_u8(&c);
    cur_skip(&c, 3);
    if (!cur_ok(&c)) {
        CTR_INC("dcerpc.malformed");
        return;
    }
    size_t slot = 0;
    struct rpc_bind_info *bind = bind_match(st, h->call_id, &slot);
    if (bind == NULL) {
        /* The bind was not captured, so the results are reported but bind no context. */
        CTR_INC("dcerpc.bind_ack_unmatched");
        slot = bind_slot(st);
        bind = &st->binds[slot];
        memset(bind, 0, sizeof(*bind));
        bind->alter_context = h->ptype == DCERPC_ALTER_CONTEXT_RESP;
        bind->call_id = h->call_id;
        bind->time_us = st->pm->time_us;
        st->bind_pending[slot] = true;
    }
    bind->acked = true;
    bind->ack_frame = st->pm->frame;
    for (uint8_t i = 0; i < count; i++) {
        uint16_t result = rd16(&c, h->big_endian);
        rd16(&c, h->big_endian); /* reason */
        char syntax[37];
        read_syntax(&c, h->big_endian, syntax, NULL, NULL);
        if (!cur_ok(&c)) {
            CTR_INC("dcerpc.malformed");
            break;
        }
        bind_apply_result(st, bind, i, result, syntax);
    }
    bind_finish(st, slot);
}

static void handle_bind_nak(struct dcerpc_stream *st, const struct dcerpc_header *h)
{
    size_t slot = 0;
    struct rpc_bind_info *bind = bind_match(st, h->call_id, &slot);
    CTR_INC("dcerpc.bind_nak");
    if (bind == NULL) {
        return;
    }
    bind->nak = true;
    bind->ack_frame = st->pm->frame;
    bind_finish(st, slot);
}

/* An orphaned PDU abandons a call, which is reported as sent but unanswered. */
static void handle_orphaned(struct dcerpc_stream *st, const struct dcerpc_header *h)
{
    CTR_INC("dcerpc.orphaned");
    struct dcerpc_call *call = call_find(st, h->call_id);
    if (call != NULL) {
        call_finish(st, call);
    }
}

/*
 * Fills caller names that the transport left unknown (always the case over
 * TCP) from the NTLMSSP message in the auth trailer of a bind, alter_context,
 * auth3 or their acks. The AUTHENTICATE message names the user and the
 * CHALLENGE message names the server.
 */
static void auth_learn_identity(struct dcerpc_stream *st, const struct dcerpc_header *h,
                                const uint8_t *pdu)
{
    if (h->auth_length == 0) {
        return;
    }
    struct cursor whole;
    struct cursor auth_value;
    struct ntlm_info info;
    cur_init(&whole, pdu, h->frag_length);
    if (!cur_at(&whole, &auth_value, h->frag_length - h->auth_length, h->auth_length) ||
        ntlm_parse_blob(auth_value.base, auth_value.len, &info) != WA_OK ||
        info.mech != NTLM_MECH_NTLMSSP) {
        return;
    }
    struct dcerpc_peer *peer = &st->peer;
    if (info.message_type == 3 && info.user[0] != '\0' && peer->user[0] == '\0') {
        copy_text(peer->user, sizeof(peer->user), info.user);
        copy_text(peer->domain, sizeof(peer->domain), info.domain);
        copy_text(peer->workstation, sizeof(peer->workstation), info.workstation);
        CTR_INC("dcerpc.ntlm_user");
    } else if (info.message_type == 2 && info.nb_computer[0] != '\0' && peer->computer[0] == '\0') {
        copy_text(peer->computer, sizeof(peer->computer), info.nb_computer);
        CTR_INC("dcerpc.ntlm_computer");
    }
}

/* Dispatches one complete PDU of frag_length bytes. */
static void pdu_dispatch(struct dcerpc_stream *st, const struct dcerpc_header *h,
                         const uint8_t *pdu)
{
    st->clock++;
    CTR_INC("dcerpc.pdus");
    if (h->drep[1] != 0) {
        /* EBCDIC characters or non-IEEE floats: narrow strings are still read as ASCII. */
        CTR_INC("dcerpc.non_ascii_drep");
    }
    if (h->ptype >= DCERPC_BIND && h->ptype <= DCERPC_AUTH3) {
        auth_learn_identity(st, h, pdu);
    }
    switch (h->ptype) {
    case DCERPC_REQUEST:
        handle_request(st, h, pdu);
        break;
    case DCERPC_RESPONSE:
        handle_response(st, h, pdu);
        break;
    case DCERPC_FAULT:
        handle_fault(st, h, pdu);
        break;
    case DCERPC_BIND:
    case DCERPC_ALTER_CONTEXT:
        handle_bind(st, h, pdu);
        break;
    case DCERPC_BIND_ACK:
    case DCERPC_ALTER_CONTEXT_RESP:
        handle_bind_ack(st, h, pdu);
        break;
    case DCERPC_BIND_NAK:
        handle_bind_nak(st, h);
        break;
    case DCERPC_AUTH3:
        CTR_INC("dcerpc.auth3");
        break;
    case DCERPC_SHUTDOWN:
        CTR_INC("dcerpc.shutdown");
        break;
    case DCERPC_CO_CANCEL:
        CTR_INC("dcerpc.co_cancel");
        break;
    case DCERPC_ORPHANED:
        handle_orphaned(st, h);
        break;
    default:
        CTR_INC("dcerpc.connectionless_type"); /* connectionless PTYPEs never appear here */
        break;
    }
}

/* ---- byte stream ---- */

/*
 * Returns the offset of the first plausible PDU header in data, or len when
 * none starts there. Used after a gap, where the bytes may begin mid-PDU.
 */
static size_t resync_offset(const uint8_t *data, size_t len)
{
    for (size_t i = 0; i + DCERPC_HEADER_LEN <= len; i++) {
        struct dcerpc_header h;
        if (data[i] != 5 || (data[i + 4] & 0xef) != 0 || data[i + 5] != 0) {
            continue;
        }
        if (dcerpc_parse_header(data + i, len - i, &h) == WA_OK) {
            return i;
        }
    }
    return len;
}

/* Consumes bytes that complete the partial PDU of dir and returns how many it used. */
static size_t partial_fill(struct dcerpc_stream *st, struct dcerpc_direction *dir,
                           const uint8_t *data, size_t len)
{
    size_t used = 0;
    if (dir->len < DCERPC_HEADER_LEN) {
        used = WA_MIN(len, DCERPC_HEADER_LEN - dir->len);
        memcpy(dir->partial + dir->len, data, used);
        dir->len += used;
        if (dir->len < DCERPC_HEADER_LEN) {
            return used;
        }
    }
    struct dcerpc_header h;
    if (dcerpc_parse_header(dir->partial, dir->len, &h) != WA_OK) {
        CTR_INC("dcerpc.malformed");
        dir->len = 0;
        dir->resync = true;
        return used;
    }
    size_t take = WA_MIN(len - used, h.frag_length - dir->len);
    memcpy(dir->partial + dir->len, data + used, take);
    dir->len += take;
    used += take;
    if (dir->len == h.frag_length) {
        pdu_dispatch(st, &h, dir->partial);
        dir->len = 0;
    }
    return used;
}

/* Keeps the start of an incomplete PDU. Returns false when memory runs out. */
static bool partial_start(struct dcerpc_direction *dir, const uint8_t *data, size_t len)
{
    if (dir->partial == NULL) {
        dir->partial = malloc(DCERPC_PDU_MAX);
        if (dir->partial == NULL) {
            CTR_INC("dcerpc.nomem");
            return false;
        }
    }
    memcpy(dir->partial, data, len);
    dir->len = len;
    return true;
}

void dcerpc_stream_data(struct dcerpc_stream *st, bool from_client, const uint8_t *data, size_t len,
                        const struct pkt_meta *pm)
{
    struct dcerpc_direction *dir = &st->dirs[from_client ? 0 : 1];
    st->pm = pm;
    while (len > 0) {
        if (dir->len > 0) {
            size_t used = partial_fill(st, dir, data, len);
            data += used;
            len -= used;
            continue;
        }
        if (dir->resync) {
            size_t skip = resync_offset(data, len);
            ctr_add("dcerpc.resync_skipped_bytes", skip);
            data += skip;
            len -= skip;
            if (len < DCERPC_HEADER_LEN) {
                return; /* NOTE: after a gap, a header that straddles two deliveries is skipped with
                           its PDU. */
            }
            dir->resync = false;
        }
        struct dcerpc_header h;
        enum wa_status status = dcerpc_parse_header(data, len, &h);
        if (status == WA_MALFORMED) {
            CTR_INC("dcerpc.malformed");
            dir->resync = true;
            data++;
            len--;
            continue;
        }
        if (status == WA_NEED_MORE || h.frag_length > len) {
            if (!partial_start(dir, data, len)) {
                dir->resync = true;
            }
            return;
        }
        pdu_dispatch(st, &h, data);
        data += h.frag_length;
        len -= h.frag_length;
    }
}

void dcerpc_stream_gap(struct dcerpc_stream *st, bool from_client)
{
    struct dcerpc_direction *dir = &st->dirs[from_client ? 0 : 1];
    dir->len = 0;
    dir->resync = true;
    CTR_INC("dcerpc.gap");
    /* A stub being joined in this direction has lost bytes, so it is abandoned. */
    for (size_t i = 0; i < DCERPC_CALLS_MAX; i++) {
        struct dcerpc_call *call = &st->calls[i];
        if (!call->used) {
            continue;
        }
        struct dcerpc_buffer *b = from_client ? &call->request : &call->response;
        if (b->len != 0 || (from_client && !call->request_complete)) {
            buffer_abandon(st, b);
        }
    }
}
