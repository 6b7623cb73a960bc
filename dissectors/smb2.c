/*
 * SMB2/3 dissector (MS-SMB2 2.2). Builds the session, tree and pipe state of a
 * connection, matches responses to requests by MessageId (or AsyncId after a
 * STATUS_PENDING interim response), and hands the results to smb_events.c.
 *
 * Offsets carried in a message (NameOffset, SecurityBufferOffset, DataOffset)
 * count from the start of the SMB2 header of their compound element, so each
 * element is read through a cursor whose base is that header.
 */
#include "smb2.h"

#include <stdlib.h>
#include <string.h>

#include "../sensor/counters.h"
#include "cursor.h"

/* One compound element, with the ids it inherits when it is a related operation. */
struct smb2_element {
    struct cursor body; /* the whole element, header included */
    struct smb2_header hdr;
    bool from_client;
    uint8_t file_id[16]; /* FileId the element names, after related-operation rules */
    bool has_file_id;
    const struct pkt_meta *pm;
    bool cut; /* the element continues past the bytes delivered */
    /* Request only: a CREATE earlier in the compound, whose response assigns this FileId. */
    bool after_create;
    uint64_t create_message_id;
};

static const uint8_t FILE_ID_ALL_ONES[16] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                             0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

const char *smb2_dialect_name(uint16_t revision)
{
    switch (revision) {
    case 0x0202:
        return "2.0.2";
    case 0x0210:
        return "2.1";
    case 0x0300:
        return "3.0";
    case 0x0302:
        return "3.0.2";
    case 0x0311:
        return "3.1.1";
    default:
        return NULL;
    }
}

enum wa_status smb2_parse_header(const uint8_t *data, size_t len, struct smb2_header *hdr)
{
    struct cursor c;
    cur_init(&c, data, len);
    memset(hdr, 0, sizeof(*hdr));
    uint32_t magic = cur_le32(&c);
    uint16_t structure_size = cur_le16(&c);
    cur_skip(&c, 2); /* CreditCharge */
    hdr->status = cur_le32(&c);
    hdr->command = cur_le16(&c);
    cur_skip(&c, 2); /* CreditRequest/CreditResponse */
    hdr->flags = cur_le32(&c);
    hdr->next_command = cur_le32(&c);
    hdr->message_id = cur_le64(&c);
    if ((hdr->flags & SMB2_FLAGS_ASYNC_COMMAND) != 0) {
        hdr->async_id = cur_le64(&c);
    } else {
        cur_skip(&c, 4); /* Reserved (ProcessId) */
        hdr->tree_id = cur_le32(&c);
    }
    hdr->session_id = cur_le64(&c);
    cur_skip(&c, 16); /* Signature */
    if (!cur_ok(&c)) {
        return WA_NEED_MORE;
    }
    if (magic != SMB2_MAGIC || structure_size != SMB2_HEADER_LEN) {
        return WA_MALFORMED;
    }
    if ((hdr->flags & SMB2_FLAGS_SERVER_TO_REDIR) == 0) {
        /* A request's bytes 8-11 are ChannelSequence and Reserved, never a status. */
        hdr->status = 0;
    }
    return WA_OK;
}

static bool is_response(const struct smb2_element *el)
{
    return (el->hdr.flags & SMB2_FLAGS_SERVER_TO_REDIR) != 0;
}

/* Reads a UTF-16LE buffer given by an offset from the header and a byte length. */
static bool read_utf16_at(struct smb2_element *el, uint32_t off, uint32_t len, char *out,
                          size_t out_size)
{
    struct cursor text;
    out[0] = '\0';
    if (len == 0) {
        return true;
    }
    if (!cur_at(&el->body, &text, off, len)) {
        return false;
    }
    if (!ntlm_utf16_to_utf8(text.base, text.len, out, out_size)) {
        CTR_INC("smb2.name_truncated");
    }
    return true;
}

/* Adds a pending request named by this element's MessageId; NULL when at the cap. */
static struct smb_pending *pending_open(struct smb_state *st, const struct smb2_element *el)
{
    struct smb_pending *p = smb_pending_add(st, el->hdr.message_id);
    if (p == NULL) {
        return NULL;
    }
    p->command = el->hdr.command;
    p->wire_message_id = el->hdr.message_id;
    p->session_id = el->hdr.session_id;
    p->tree_id = el->hdr.tree_id;
    p->time_us = el->pm->time_us;
    p->frame = el->pm->frame;
    if (el->has_file_id) {
        memcpy(p->file_id, el->file_id, 16);
    }
    return p;
}

/* ---- SESSION_SETUP (MS-SMB2 2.2.5, 2.2.6) ---- */

static void session_setup_request(struct smb_state *st, struct smb2_element *el)
{
    struct cursor *c = &el->body;
    cur_seek(c, SMB2_HEADER_LEN + 12);
    uint16_t blob_off = cur_le16(c);
    uint16_t blob_len = cur_le16(c);
    struct cursor blob;
    struct ntlm_info info;

    if (!cur_ok(c) || !cur_at(c, &blob, blob_off, blob_len)) {
        CTR_INC("smb2.malformed");
        return;
    }
    struct smb_pending *p = pending_open(st, el);
    if (p == NULL) {
        return;
    }
    if (ntlm_parse_blob(blob.base, blob.len, &info) != WA_OK) {
        return;
    }
    if (info.mech == NTLM_MECH_KERBEROS) {
        p->request_auth = malloc(sizeof(*p->request_auth));
        if (p->request_auth != NULL) {
            *p->request_auth = info;
        }
    }
    struct smb_session *sess = smb_session_get(st, el->hdr.session_id, el->hdr.session_id != 0);
    if (sess != NULL && info.mech == NTLM_MECH_NTLMSSP && info.message_type == 3) {
        sess->auth = info;
        sess->kerberos = false;
    }
}

static void session_setup_response(struct smb_state *st, struct smb2_element *el,
                                   struct smb_pending *p)
{
    struct smb_session *sess = smb_session_get(st, el->hdr.session_id, true);
    if (sess == NULL) {
        return;
    }
    smb_session_apply_request(sess, p);
    struct cursor *c = &el->body;
    cur_seek(c, SMB2_HEADER_LEN + 4);
    uint16_t blob_off = cur_le16(c);
    uint16_t blob_len = cur_le16(c);
    struct cursor blob;
    bool has_blob = cur_ok(c) && blob_len > 0 && cur_at(c, &blob, blob_off, blob_len);
    if (smb_session_setup_response(st, sess, p, has_blob ? blob.base : NULL,
                                   has_blob ? blob.len : 0, el->hdr.status, p->wire_message_id,
                                   el->pm)) {
        smb_session_drop(st, el->hdr.session_id);
    }
}

/* ---- TREE_CONNECT (MS-SMB2 2.2.9, 2.2.10) and CREATE (MS-SMB2 2.2.13, 2.2.14) ---- */

static void tree_connect_request(struct smb_state *st, struct smb2_element *el)
{
    char path[SMB_PATH_MAX];
    struct cursor *c = &el->body;
    cur_seek(c, SMB2_HEADER_LEN + 4);
    uint16_t path_off = cur_le16(c);
    uint16_t path_len = cur_le16(c);
    /*
     * NOTE: with SMB2_TREE_CONNECT_FLAG_EXTENSION_PRESENT (3.1.1) PathOffset
     * points into a TREE_CONNECT_Request_Extension; such requests are counted
     * as malformed when the offset does not land on the path.
     */
    if (!cur_ok(c) || !read_utf16_at(el, path_off, path_len, path, sizeof(path))) {
        CTR_INC("smb2.malformed");
        return;
    }
    struct smb_pending *p = pending_open(st, el);
    if (p == NULL) {
        return;
    }
    p->kind = SMB_PENDING_TREE_CONNECT;
    p->path = strdup(path);
}

static void tree_connect_response(struct smb_state *st, struct smb2_element *el,
                                  struct smb_pending *p)
{
    struct smb_result res = {.status = el->hdr.status, .tree_id = el->hdr.tree_id};
    struct cursor *c = &el->body;
    cur_seek(c, SMB2_HEADER_LEN + 2);
    uint8_t share_type = cur_u8(c);
    res.pipe_share = cur_ok(c) && el->hdr.status == NT_STATUS_SUCCESS && share_type == 0x02;
    if (cur_ok(c) && el->hdr.status == NT_STATUS_SUCCESS) {
        static const char *const NAMES[] = {NULL, "disk", "pipe", "print"};
        res.share_type = share_type < WA_ARRAY_LEN(NAMES) ? NAMES[share_type] : NULL;
    }
    smb_event_tree_connect(st, p, &res);
}

static void create_request(struct smb_state *st, struct smb2_element *el)
{
    char name[SMB_PATH_MAX];
    struct cursor *c = &el->body;
    cur_seek(c, SMB2_HEADER_LEN + 24);
    uint32_t desired_access = cur_le32(c);
    cur_skip(c, 4); /* FileAttributes */
    uint32_t share_access = cur_le32(c);
    uint32_t disposition = cur_le32(c);
    uint32_t options = cur_le32(c);
    uint16_t name_off = cur_le16(c);
    uint16_t name_len = cur_le16(c);
    if (!cur_ok(c) || !read_utf16_at(el, name_off, name_len, name, sizeof(name))) {
        CTR_INC("smb2.malformed");
        return;
    }
    struct smb_pending *p = pending_open(st, el);
    if (p == NULL) {
        return;
    }
    p->kind = SMB_PENDING_CREATE;
    p->desired_access = desired_access;
    p->share_access = share_access;
    p->create_disposition = disposition;
    p->create_options = options;
    p->path = strdup(name);
}

/*
 * Completes the requests that followed a CREATE in its compound: READ and
 * IOCTL entries learn the FileId, and pipe data written in the compound goes
 * to the pipe. An open on an unknown tree becomes a pipe when that data parses
 * as a DCE-RPC PDU header.
 */
static void create_resolve_related(struct smb_state *st, struct smb2_element *el,
                                   const struct smb_pending *create, const uint8_t file_id[16])
{
    for (uint32_t i = 0; i < st->pending_cap; i++) {
        struct smb_pending *q = &st->pending[i];
        if (q->in_use && q->file_id_from_create && q->create_message_id == create->message_id) {
            memcpy(q->file_id, file_id, 16);
            q->file_id_from_create = false;
        }
    }
    if (create->early_len == 0) {
        return;
    }
    struct smb_pipe *pipe = smb_pipe_get(st, file_id);
    if (pipe == NULL && smb_tree_may_hold_pipe(st, create->session_id, create->tree_id) &&
        smb_data_is_dcerpc(create->early_data, create->early_len)) {
        pipe = smb_pipe_infer(st, create->session_id, create->tree_id, file_id, create->path);
    }
    if (pipe != NULL) {
        /* The data travelled in the CREATE's request message, so it takes that time and frame. */
        struct pkt_meta pm = *el->pm;
        pm.time_us = create->time_us;
        pm.frame = create->frame;
        smb_pipe_deliver(st, pipe, true, create->early_data, create->early_len, &pm);
    }
}

static void create_response(struct smb_state *st, struct smb2_element *el, struct smb_pending *p)
{
    struct smb_result res = {.status = el->hdr.status};
    if (el->hdr.status == NT_STATUS_SUCCESS) {
        struct cursor *c = &el->body;
        cur_seek(c, SMB2_HEADER_LEN + 4);
        res.create_action = cur_le32(c);
        cur_seek(c, SMB2_HEADER_LEN + 64);
        cur_copy(c, res.file_id, sizeof(res.file_id), 16);
        res.has_create_action = cur_ok(c);
        res.has_file_id = cur_ok(c);
        if (!cur_ok(c)) {
            CTR_INC("smb2.malformed");
        }
    }
    if (res.has_file_id) {
        memcpy(el->file_id, res.file_id, 16);
        el->has_file_id = true;
    }
    smb_event_create(st, p, &res);
    if (res.has_file_id) {
        create_resolve_related(st, el, p, res.file_id);
    }
}

/* ---- named pipes: CLOSE, READ, WRITE, IOCTL (MS-SMB2 2.2.15-2.2.22, 2.2.31-2.2.32) ---- */

/* Reads the FileId at off; a related operation's all-ones FileId means the previous element's. */
static bool read_file_id(struct smb2_element *el, size_t off, const uint8_t prev[16], bool has_prev)
{
    struct cursor *c = &el->body;
    cur_seek(c, off);
    cur_copy(c, el->file_id, sizeof(el->file_id), 16);
    if (!cur_ok(c)) {
        return false;
    }
    if ((el->hdr.flags & SMB2_FLAGS_RELATED_OPERATIONS) != 0 &&
        memcmp(el->file_id, FILE_ID_ALL_ONES, 16) == 0) {
        if (!has_prev) {
            /* A CREATE earlier in the compound assigns the FileId in its response. */
            CTR_INC(el->after_create ? "smb2.related_create_file" : "smb2.related_unknown_file");
            return false;
        }
        memcpy(el->file_id, prev, 16);
    }
    el->has_file_id = true;
    return true;
}

/*
 * Sets data to the count bytes at off (from the element's header), or to the
 * part of them present when the message was delivered as a prefix. Returns
 * false when the range lies outside the element.
 */
static bool element_data(const struct smb2_element *el, uint32_t off, uint32_t count,
                         struct cursor *data, bool *partial)
{
    struct cursor body = el->body;
    *partial = false;
    if (cur_at(&body, data, off, count)) {
        return true;
    }
    body = el->body;
    if (!el->cut || off > body.len || !cur_at(&body, data, off, body.len - off)) {
        return false;
    }
    *partial = true;
    return true;
}

/*
 * Hands count bytes at off (from the element's header) to the pipe's DCE-RPC
 * stream. When the message was delivered as a prefix, the bytes present are
 * handed over and the rest is reported as a gap.
 */
static void pipe_deliver(struct smb_state *st, struct smb2_element *el, struct smb_pipe *pipe,
                         bool from_client, uint32_t off, uint32_t count)
{
    struct cursor data;
    bool partial;
    if (count == 0) {
        return;
    }
    if (!element_data(el, off, count, &data, &partial)) {
        CTR_INC("smb2.malformed");
        return;
    }
    smb_pipe_deliver(st, pipe, from_client, data.base, data.len, el->pm);
    if (partial) {
        dcerpc_stream_gap(pipe->rpc, from_client);
        CTR_INC("smb2.pipe_data_cut");
    }
}

/* Returns true when the count bytes at off start with a DCE-RPC PDU header. */
static bool element_data_is_dcerpc(const struct smb2_element *el, uint32_t off, uint32_t count)
{
    struct cursor data;
    bool partial;
    return count > 0 && element_data(el, off, count, &data, &partial) &&
           smb_data_is_dcerpc(data.base, data.len);
}

/*
 * Returns the pipe that file_id names. When the capture missed the CREATE
 * because it started mid-session, a handle on IPC$ or on a tree whose
 * TREE_CONNECT was not seen can still become a pipe. FSCTL_PIPE_TRANSCEIVE
 * proves it, because only named pipes accept it, and so does data that parses
 * as a DCE-RPC PDU header.
 */
static struct smb_pipe *pipe_find_or_infer(struct smb_state *st, struct smb2_element *el,
                                           const uint8_t file_id[16], bool proven, uint32_t off,
                                           uint32_t count)
{
    struct smb_pipe *pipe = smb_pipe_get(st, file_id);
    if (pipe != NULL) {
        return pipe;
    }
    if (!smb_tree_may_hold_pipe(st, el->hdr.session_id, el->hdr.tree_id)) {
        return NULL;
    }
    if (!proven && !element_data_is_dcerpc(el, off, count)) {
        return NULL;
    }
    return smb_pipe_infer(st, el->hdr.session_id, el->hdr.tree_id, file_id, NULL);
}

/*
 * Keeps the pipe data of a request that names the FileId of a CREATE earlier
 * in the same compound. The CREATE's response assigns the FileId, and
 * create_response() then hands the data over.
 */
static void keep_for_create(struct smb_state *st, struct smb2_element *el, uint32_t off,
                            uint32_t count)
{
    struct smb_pending *create =
        el->after_create ? smb_pending_find(st, el->create_message_id, 0) : NULL;
    struct cursor data;
    bool partial;
    if (create == NULL || create->kind != SMB_PENDING_CREATE || count == 0 ||
        !element_data(el, off, count, &data, &partial)) {
        return;
    }
    if (partial || data.len > SMB_EARLY_PIPE_DATA_MAX - create->early_len) {
        CTR_INC("smb2.early_pipe_data_limit");
        return;
    }
    uint8_t *grown = realloc(create->early_data, create->early_len + data.len);
    if (grown == NULL) {
        CTR_INC("smb.nomem");
        return;
    }
    memcpy(grown + create->early_len, data.base, data.len);
    create->early_data = grown;
    create->early_len += (uint32_t)data.len;
}

/* Opens the pending entry of a READ or IOCTL whose FileId a compound CREATE assigns. */
static void pending_open_for_create(struct smb_state *st, struct smb2_element *el)
{
    if (!el->after_create) {
        return;
    }
    struct smb_pending *p = pending_open(st, el);
    if (p != NULL) {
        p->file_id_from_create = true;
        p->create_message_id = el->create_message_id;
    }
}

static void write_request(struct smb_state *st, struct smb2_element *el, const uint8_t prev[16],
                          bool has_prev)
{
    struct cursor *c = &el->body;
    cur_seek(c, SMB2_HEADER_LEN + 2);
    uint16_t data_off = cur_le16(c);
    uint32_t data_len = cur_le32(c);
    if (!cur_ok(c)) {
        return;
    }
    if (!read_file_id(el, SMB2_HEADER_LEN + 16, prev, has_prev)) {
        keep_for_create(st, el, data_off, data_len);
        return;
    }
    struct smb_pipe *pipe = pipe_find_or_infer(st, el, el->file_id, false, data_off, data_len);
    if (pipe != NULL) {
        pipe_deliver(st, el, pipe, true, data_off, data_len);
    }
}

static void read_request(struct smb_state *st, struct smb2_element *el, const uint8_t prev[16],
                         bool has_prev)
{
    if (!read_file_id(el, SMB2_HEADER_LEN + 16, prev, has_prev)) {
        pending_open_for_create(st, el);
        return;
    }
    /* A handle on a tree that may hold pipes is tracked so that its response can prove it one. */
    if (smb_pipe_get(st, el->file_id) != NULL ||
        smb_tree_may_hold_pipe(st, el->hdr.session_id, el->hdr.tree_id)) {
        (void)pending_open(st, el);
    }
}

/* Reads a READ response's DataOffset and DataLength (MS-SMB2 2.2.20). */
static bool read_response_data(struct smb2_element *el, uint32_t *off, uint32_t *count)
{
    bool has_data =
        el->hdr.status == NT_STATUS_SUCCESS || el->hdr.status == NT_STATUS_BUFFER_OVERFLOW;
    struct cursor *c = &el->body;
    cur_seek(c, SMB2_HEADER_LEN + 2);
    *off = cur_u8(c);
    cur_skip(c, 1);
    *count = cur_le32(c);
    return has_data && cur_ok(c);
}

static void read_response(struct smb_state *st, struct smb2_element *el, struct smb_pending *p)
{
    uint32_t data_off;
    uint32_t data_len;
    if (!read_response_data(el, &data_off, &data_len)) {
        return;
    }
    if (p->file_id_from_create) {
        return; /* the CREATE failed, so the handle never existed */
    }
    struct smb_pipe *pipe = smb_pipe_get(st, p->file_id);
    if (pipe == NULL && element_data_is_dcerpc(el, data_off, data_len)) {
        pipe = smb_pipe_infer(st, p->session_id, p->tree_id, p->file_id, NULL);
    }
    if (pipe != NULL) {
        pipe_deliver(st, el, pipe, false, data_off, data_len);
    }
}

/*
 * A READ response whose request the capture missed names no FileId. When its
 * data is a DCE-RPC PDU, it answers the pipe of the same session and tree that
 * the client wrote to last, because a client reads a pipe's reply after
 * writing the request to it.
 */
static void read_response_unmatched(struct smb_state *st, struct smb2_element *el)
{
    uint32_t data_off;
    uint32_t data_len;
    if (!read_response_data(el, &data_off, &data_len) ||
        !element_data_is_dcerpc(el, data_off, data_len)) {
        return;
    }
    struct smb_pipe *pipe = smb_pipe_last_written(st, el->hdr.session_id, el->hdr.tree_id);
    if (pipe != NULL) {
        CTR_INC("smb2.pipe_read_unmatched");
        pipe_deliver(st, el, pipe, false, data_off, data_len);
    }
}

static void ioctl_request(struct smb_state *st, struct smb2_element *el, const uint8_t prev[16],
                          bool has_prev)
{
    struct cursor *c = &el->body;
    cur_seek(c, SMB2_HEADER_LEN + 4);
    uint32_t ctl_code = cur_le32(c);
    cur_seek(c, SMB2_HEADER_LEN + 24);
    uint32_t in_off = cur_le32(c);
    uint32_t in_count = cur_le32(c);
    if (!cur_ok(c) || ctl_code != FSCTL_PIPE_TRANSCEIVE) {
        return;
    }
    if (!read_file_id(el, SMB2_HEADER_LEN + 8, prev, has_prev)) {
        keep_for_create(st, el, in_off, in_count);
        pending_open_for_create(st, el);
        return;
    }
    struct smb_pipe *pipe = pipe_find_or_infer(st, el, el->file_id, true, in_off, in_count);
    if (pipe == NULL) {
        return;
    }
    pipe_deliver(st, el, pipe, true, in_off, in_count);
    (void)pending_open(st, el);
}

/*
 * Delivers an IOCTL response's output to the pipe it names. The response
 * carries CtlCode and FileId (MS-SMB2 2.2.32), so this works without the
 * request. p is the request, or NULL when it was not captured.
 */
static void ioctl_response(struct smb_state *st, struct smb2_element *el,
                           const struct smb_pending *p)
{
    bool has_data =
        el->hdr.status == NT_STATUS_SUCCESS || el->hdr.status == NT_STATUS_BUFFER_OVERFLOW;
    uint8_t file_id[16];
    struct cursor *c = &el->body;
    cur_seek(c, SMB2_HEADER_LEN + 4);
    uint32_t ctl_code = cur_le32(c);
    cur_copy(c, file_id, sizeof(file_id), 16);
    cur_seek(c, SMB2_HEADER_LEN + 32);
    uint32_t out_off = cur_le32(c);
    uint32_t out_count = cur_le32(c);
    if (!has_data || !cur_ok(c) || ctl_code != FSCTL_PIPE_TRANSCEIVE) {
        return;
    }
    if (memcmp(file_id, FILE_ID_ALL_ONES, 16) == 0) {
        /* A related response may repeat the placeholder; the request's FileId applies. */
        if (p == NULL || p->file_id_from_create) {
            return;
        }
        memcpy(file_id, p->file_id, 16);
    }
    struct smb_pipe *pipe = pipe_find_or_infer(st, el, file_id, true, out_off, out_count);
    if (pipe != NULL) {
        pipe_deliver(st, el, pipe, false, out_off, out_count);
    }
}

static void close_request(struct smb_state *st, struct smb2_element *el, const uint8_t prev[16],
                          bool has_prev)
{
    if (read_file_id(el, SMB2_HEADER_LEN + 8, prev, has_prev)) {
        smb_pipe_close(st, el->file_id);
    }
}

/* ---- dispatch ---- */

static void dispatch_request(struct smb_state *st, struct smb2_element *el, const uint8_t prev[16],
                             bool has_prev)
{
    switch (el->hdr.command) {
    case SMB2_SESSION_SETUP:
        session_setup_request(st, el);
        break;
    case SMB2_LOGOFF:
    case SMB2_TREE_DISCONNECT:
        (void)pending_open(st, el);
        break;
    case SMB2_TREE_CONNECT:
        tree_connect_request(st, el);
        break;
    case SMB2_CREATE:
        create_request(st, el);
        break;
    case SMB2_CLOSE:
        close_request(st, el, prev, has_prev);
        break;
    case SMB2_READ:
        read_request(st, el, prev, has_prev);
        break;
    case SMB2_WRITE:
        write_request(st, el, prev, has_prev);
        break;
    case SMB2_IOCTL:
        ioctl_request(st, el, prev, has_prev);
        break;
    default:
        break;
    }
}

static void negotiate_response(struct smb_state *st, struct smb2_element *el)
{
    struct cursor *c = &el->body;
    cur_seek(c, SMB2_HEADER_LEN + 4);
    uint16_t revision = cur_le16(c);
    const char *name = smb2_dialect_name(revision);
    if (cur_ok(c) && el->hdr.status == NT_STATUS_SUCCESS && name != NULL) {
        memcpy(st->dialect, name, strlen(name) + 1);
    }
}

static void complete_response(struct smb_state *st, struct smb2_element *el, struct smb_pending *p)
{
    switch (el->hdr.command) {
    case SMB2_SESSION_SETUP:
        session_setup_response(st, el, p);
        break;
    case SMB2_LOGOFF:
        if (el->hdr.status == NT_STATUS_SUCCESS) {
            smb_session_drop(st, p->session_id);
        }
        break;
    case SMB2_TREE_CONNECT:
        tree_connect_response(st, el, p);
        break;
    case SMB2_TREE_DISCONNECT:
        if (el->hdr.status == NT_STATUS_SUCCESS) {
            smb_tree_drop(st, p->session_id, p->tree_id);
        }
        break;
    case SMB2_CREATE:
        create_response(st, el, p);
        break;
    case SMB2_READ:
        read_response(st, el, p);
        break;
    case SMB2_IOCTL:
        ioctl_response(st, el, p);
        break;
    default:
        break;
    }
}

static void dispatch_response(struct smb_state *st, struct smb2_element *el)
{
    if (el->hdr.command == SMB2_NEGOTIATE) {
        negotiate_response(st, el);
        return;
    }
    struct smb_pending *p = smb_pending_find(st, el->hdr.message_id, el->hdr.async_id);
    if (p == NULL && el->hdr.command == SMB2_READ) {
        read_response_unmatched(st, el);
    } else if (p == NULL && el->hdr.command == SMB2_IOCTL) {
        ioctl_response(st, el, NULL);
    }
    if (p == NULL) {
        return;
    }
    if (p->command != el->hdr.command) {
        CTR_INC("smb2.response_mismatch");
        smb_pending_done(p);
        return;
    }
    if ((el->hdr.flags & SMB2_FLAGS_ASYNC_COMMAND) != 0 && el->hdr.status == NT_STATUS_PENDING) {
        /* Interim response: the final one carries the same AsyncId. */
        p->async_id = el->hdr.async_id;
        return;
    }
    complete_response(st, el, p);
    smb_pending_done(p);
}

/* ---- message framing: compound chains and transforms ---- */

static void count_transform(struct smb_state *st, struct cursor *c)
{
    cur_seek(c, 44);
    uint64_t session_id = cur_le64(c);
    CTR_INC("smb2.encrypted");
    if (!cur_ok(c)) {
        CTR_INC("smb2.malformed");
        return;
    }
    struct smb_session *sess = smb_session_get(st, session_id, false);
    if (sess != NULL && !sess->encrypted_seen) {
        sess->encrypted_seen = true;
        CTR_INC("smb2.encrypted_sessions");
    }
}

/* Marks a related request that follows a CREATE request, directly or through other elements. */
static void relate_to_create(struct smb2_element *el, const struct smb2_element *prev)
{
    if (is_response(el) || is_response(prev)) {
        return;
    }
    if (prev->hdr.command == SMB2_CREATE) {
        el->after_create = true;
        el->create_message_id = prev->hdr.message_id;
    } else {
        el->after_create = prev->after_create;
        el->create_message_id = prev->create_message_id;
    }
}

/*
 * Walks a compound chain by NextCommand. Each NextCommand must be at least a
 * header long and 8-byte aligned, so offsets strictly increase and the walk
 * ends. An element that reaches past the bytes delivered is the last one.
 */
static void walk_compound(struct smb_state *st, bool from_client, struct cursor *msg,
                          size_t total_len, const struct pkt_meta *pm)
{
    size_t off = 0;
    struct smb2_element prev = {0};
    bool has_prev = false;

    for (unsigned n = 0; n < SMB2_COMPOUND_MAX; n++) {
        struct smb2_element el = {.from_client = from_client, .pm = pm};
        struct cursor rest;
        if (!cur_at(msg, &rest, off, msg->len - off)) {
            CTR_INC("smb2.malformed");
            return;
        }
        enum wa_status rc = smb2_parse_header(rest.base, rest.len, &el.hdr);
        if (rc != WA_OK) {
            ctr_add(rc == WA_NEED_MORE ? "smb2.truncated" : "smb2.malformed", 1);
            return;
        }
        uint32_t next = el.hdr.next_command;
        size_t el_len = next != 0 ? next : msg->len - off;
        if (next != 0 && (next < SMB2_HEADER_LEN || next % 8 != 0)) {
            CTR_INC("smb2.malformed");
            return;
        }
        el.cut = off + el_len > msg->len || (next == 0 && total_len > msg->len);
        cur_init(&el.body, rest.base, WA_MIN(el_len, rest.len));
        if (n > 0 && (el.hdr.flags & SMB2_FLAGS_RELATED_OPERATIONS) != 0) {
            el.hdr.session_id = prev.hdr.session_id;
            el.hdr.tree_id = prev.hdr.tree_id;
            relate_to_create(&el, &prev);
            CTR_INC("smb2.related");
        }
        if (is_response(&el)) {
            dispatch_response(st, &el);
        } else {
            dispatch_request(st, &el, prev.file_id, has_prev && prev.has_file_id);
        }
        CTR_INC("smb2.messages");
        if (next == 0 || el.cut) {
            return;
        }
        prev = el;
        has_prev = true;
        off += next;
    }
    CTR_INC("smb2.compound_limit");
}

void smb2_dissect_message(struct smb_state *st, bool from_client, const uint8_t *msg, size_t len,
                          size_t total_len, const struct pkt_meta *pm)
{
    struct cursor c;
    cur_init(&c, msg, len);
    uint32_t magic = cur_le32(&c);
    if (!cur_ok(&c)) {
        CTR_INC("smb2.truncated");
        return;
    }
    st->version = SMB_VERSION_2;
    switch (magic) {
    case SMB2_MAGIC:
        cur_seek(&c, 0);
        walk_compound(st, from_client, &c, total_len, pm);
        break;
    case SMB2_TRANSFORM_MAGIC:
        count_transform(st, &c);
        break;
    case SMB2_COMPRESSED_MAGIC:
        /* NOTE: compressed payloads are not decompressed, so their commands are not seen. */
        CTR_INC("smb2.compressed");
        break;
    default:
        CTR_INC("smb2.malformed");
        break;
    }
}
