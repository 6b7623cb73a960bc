/*
 * SMB1 (CIFS) dissector (MS-CIFS 2.2.4, MS-SMB 2.2.4). Follows AndX chains
 * by AndXOffset, tracks sessions (UID), trees (TID) and pipe FIDs in the
 * shared smb_state, and rebuilds the same events as the SMB2 dissector.
 *
 * Offsets carried in SMB1 messages (AndXOffset, DataOffset, ParameterOffset)
 * count from the start of the SMB header, which is also the alignment base
 * of Unicode strings.
 */
#include "smb1.h"

#include <stdlib.h>
#include <string.h>

#include "../sensor/counters.h"
#include "cursor.h"

/* ERRDOS class and its ERRnoaccess code (MS-CIFS 2.2.2.4). */
#define SMB1_ERRDOS 0x01u
#define SMB1_ERRNOACCESS 0x0005u
#define NT_STATUS_ACCESS_DENIED 0xc0000022u
#define NT_STATUS_UNSUCCESSFUL 0xc0000001u

/* WRITE_ANDX WriteMode bits (MS-CIFS 2.2.4.43.1). */
#define SMB1_WRITE_RAW_MODE 0x0004u
#define SMB1_WRITE_MSG_START 0x0008u

/* One message, and one command block of its AndX chain. */
struct smb1_msg {
    struct cursor all; /* the message from its header */
    struct smb1_header hdr;
    bool from_client;
    bool cut; /* the message continues past the bytes delivered */
    const struct pkt_meta *pm;
};

struct smb1_block {
    uint8_t command;
    size_t offset; /* of WordCount, from the header */
    struct cursor words;
    struct cursor bytes;
    size_t bytes_offset; /* of the first data byte, from the header */
};

enum wa_status smb1_parse_header(const uint8_t *data, size_t len, struct smb1_header *hdr)
{
    struct cursor c;
    cur_init(&c, data, len);
    memset(hdr, 0, sizeof(*hdr));
    uint32_t magic = cur_le32(&c);
    hdr->command = cur_u8(&c);
    uint32_t status = cur_le32(&c);
    hdr->flags = cur_u8(&c);
    hdr->flags2 = cur_le16(&c);
    uint16_t pid_high = cur_le16(&c);
    cur_skip(&c, 8 + 2); /* SecurityFeatures, Reserved */
    hdr->tid = cur_le16(&c);
    uint16_t pid_low = cur_le16(&c);
    hdr->uid = cur_le16(&c);
    hdr->mid = cur_le16(&c);
    if (!cur_ok(&c)) {
        return WA_NEED_MORE;
    }
    if (magic != SMB1_MAGIC) {
        return WA_MALFORMED;
    }
    hdr->pid = (uint32_t)pid_high << 16 | pid_low;
    if ((hdr->flags2 & SMB1_FLAGS2_NT_STATUS) != 0 || status == 0) {
        hdr->status = status;
    } else {
        /* DOS error: ErrorClass in the low byte, ErrorCode in the high 16 bits. */
        bool no_access = (status & 0xffu) == SMB1_ERRDOS && (status >> 16) == SMB1_ERRNOACCESS;
        hdr->status = no_access ? NT_STATUS_ACCESS_DENIED : NT_STATUS_UNSUCCESSFUL;
    }
    return WA_OK;
}

/* Reads the WordCount/ByteCount block at off. */
static bool read_block(struct smb1_msg *m, uint8_t command, size_t off, struct smb1_block *b)
{
    struct cursor *c = &m->all;
    b->command = command;
    b->offset = off;
    cur_seek(c, off);
    uint8_t word_count = cur_u8(c);
    cur_sub(c, &b->words, (size_t)word_count * 2);
    uint16_t byte_count = cur_le16(c);
    b->bytes_offset = cur_offset(c);
    if (!cur_ok(c)) {
        return false;
    }
    size_t avail = cur_left(c);
    if (byte_count > avail && !m->cut) {
        cur_fail(c);
        return false;
    }
    cur_sub(c, &b->bytes, WA_MIN((size_t)byte_count, avail));
    return cur_ok(c);
}

/* Pending requests are keyed by MID, PID and command, since an AndX chain shares one MID. */
static uint64_t pending_key(const struct smb1_header *hdr, uint8_t command)
{
    return (uint64_t)command << 56 | (uint64_t)hdr->pid << 16 | hdr->mid;
}

static struct smb_pending *pending_open(struct smb_state *st, const struct smb1_msg *m,
                                        uint8_t command)
{
    struct smb_pending *p = smb_pending_add(st, pending_key(&m->hdr, command));
    if (p == NULL) {
        return NULL;
    }
    p->command = command;
    p->wire_message_id = m->hdr.mid;
    p->session_id = m->hdr.uid;
    p->tree_id = m->hdr.tid;
    p->time_us = m->pm->time_us;
    p->frame = m->pm->frame;
    return p;
}

/*
 * Reads a NUL-terminated string from bytes (advancing past it): UTF-16LE
 * aligned to an even offset from the header when unicode, else OEM text.
 */
static void read_string(const struct smb1_block *b, struct cursor *bytes, bool unicode, char *out,
                        size_t out_size)
{
    out[0] = '\0';
    if (unicode && (b->bytes_offset + cur_offset(bytes)) % 2 != 0) {
        cur_skip(bytes, 1);
    }
    size_t unit = unicode ? 2 : 1;
    size_t len = 0;
    struct cursor scan = *bytes;
    while (cur_left(&scan) >= unit) {
        uint16_t ch = unicode ? cur_le16(&scan) : cur_u8(&scan);
        if (ch == 0) {
            break;
        }
        len += unit;
    }
    const uint8_t *text = cur_view(bytes, len);
    cur_skip(bytes, WA_MIN(unit, cur_left(bytes))); /* the terminator, when present */
    if (text == NULL || len == 0) {
        return;
    }
    if (unicode) {
        if (!ntlm_utf16_to_utf8(text, len, out, out_size)) {
            CTR_INC("smb1.name_truncated");
        }
        return;
    }
    size_t n = WA_MIN(len, out_size - 1);
    for (size_t i = 0; i < n; i++) {
        out[i] = text[i] < 0x80 ? (char)text[i] : '?';
    }
    out[n] = '\0';
}

static bool is_unicode(const struct smb1_msg *m)
{
    return (m->hdr.flags2 & SMB1_FLAGS2_UNICODE) != 0;
}

/* ---- NEGOTIATE (MS-CIFS 2.2.4.52) ---- */

static void negotiate_request(struct smb_state *st, struct smb1_msg *m, struct smb1_block *b)
{
    char list[512];
    size_t n = 0;
    struct cursor bytes = b->bytes;
    list[0] = '\0';
    while (cur_left(&bytes) > 1 && cur_u8(&bytes) == 0x02) {
        char name[64];
        read_string(b, &bytes, false, name, sizeof(name));
        int wrote = snprintf(list + n, sizeof(list) - n, "%s\n", name);
        if (wrote < 0 || (size_t)wrote >= sizeof(list) - n) {
            break;
        }
        n += (size_t)wrote;
    }
    struct smb_pending *p = pending_open(st, m, b->command);
    if (p != NULL) {
        p->path = strdup(list);
    }
}

static void negotiate_response(struct smb_state *st, struct smb1_block *b, struct smb_pending *p)
{
    uint16_t index = cur_le16(&b->words);
    const char *name = p->path;
    if (!cur_ok(&b->words) || name == NULL) {
        return;
    }
    for (uint16_t i = 0; i < index && name != NULL; i++) {
        name = strchr(name, '\n');
        name = name != NULL ? name + 1 : NULL;
    }
    if (name == NULL || *name == '\0') {
        return;
    }
    size_t len = strcspn(name, "\n");
    if (len < sizeof(st->dialect)) {
        memcpy(st->dialect, name, len);
        st->dialect[len] = '\0';
    }
}

/* ---- SESSION_SETUP_ANDX (MS-CIFS 2.2.4.53, MS-SMB 2.2.4.6) ---- */

/* Reads AccountName and PrimaryDomain after the passwords of a request without extended security.
 */
static void session_setup_plain(struct smb1_msg *m, struct smb1_block *b, struct ntlm_info *auth,
                                uint16_t oem_len, uint16_t unicode_len)
{
    struct cursor bytes = b->bytes;
    cur_skip(&bytes, (size_t)oem_len + unicode_len);
    read_string(b, &bytes, is_unicode(m), auth->user, sizeof(auth->user));
    read_string(b, &bytes, is_unicode(m), auth->domain, sizeof(auth->domain));
    auth->anonymous = auth->user[0] == '\0' && oem_len <= 1 && unicode_len == 0;
    auth->mech = NTLM_MECH_NTLMSSP;
}

static void session_setup_request(struct smb_state *st, struct smb1_msg *m, struct smb1_block *b)
{
    struct cursor *w = &b->words;
    size_t word_count = w->len / 2;
    struct smb_pending *p = pending_open(st, m, b->command);
    if (p == NULL) {
        return;
    }
    if (word_count == 12) {
        cur_seek(w, 14);
        uint16_t blob_len = cur_le16(w);
        struct ntlm_info info;
        struct cursor bytes = b->bytes;
        const uint8_t *blob = cur_view(&bytes, blob_len);
        if (blob == NULL || ntlm_parse_blob(blob, blob_len, &info) != WA_OK) {
            return;
        }
        if (info.mech == NTLM_MECH_KERBEROS) {
            p->request_auth = malloc(sizeof(*p->request_auth));
            if (p->request_auth != NULL) {
                *p->request_auth = info;
            }
        }
        struct smb_session *sess = smb_session_get(st, m->hdr.uid, m->hdr.uid != 0);
        if (sess != NULL && info.mech == NTLM_MECH_NTLMSSP && info.message_type == 3) {
            sess->auth = info;
        }
        return;
    }
    if (word_count == 13 || word_count == 10) {
        cur_seek(w, 14);
        uint16_t oem_len = cur_le16(w);
        uint16_t unicode_len = word_count == 13 ? cur_le16(w) : 0;
        p->request_auth = calloc(1, sizeof(*p->request_auth));
        if (cur_ok(w) && p->request_auth != NULL) {
            session_setup_plain(m, b, p->request_auth, oem_len, unicode_len);
        }
        return;
    }
    CTR_INC("smb1.malformed");
}

static void session_setup_response(struct smb_state *st, struct smb1_msg *m, struct smb1_block *b,
                                   struct smb_pending *p)
{
    struct smb_session *sess = smb_session_get(st, m->hdr.uid, true);
    if (sess == NULL) {
        return;
    }
    smb_session_apply_request(sess, p);
    const uint8_t *blob = NULL;
    uint16_t blob_len = 0;
    if (b->words.len / 2 == 4) {
        cur_seek(&b->words, 6);
        blob_len = cur_le16(&b->words);
        struct cursor bytes = b->bytes;
        blob = cur_view(&bytes, blob_len);
    }
    if (smb_session_setup_response(st, sess, p, blob, blob_len, m->hdr.status, m->hdr.mid,
                                   m->pm)) {
        smb_session_drop(st, m->hdr.uid);
    }
}

/* ---- TREE_CONNECT_ANDX (MS-CIFS 2.2.4.55) ---- */

static void tree_connect_request(struct smb_state *st, struct smb1_msg *m, struct smb1_block *b)
{
    char path[SMB_PATH_MAX];
    cur_seek(&b->words, 6);
    uint16_t password_len = cur_le16(&b->words);
    struct cursor bytes = b->bytes;
    cur_skip(&bytes, password_len);
    if (!cur_ok(&b->words) || !cur_ok(&bytes)) {
        CTR_INC("smb1.malformed");
        return;
    }
    read_string(b, &bytes, is_unicode(m), path, sizeof(path));
    struct smb_pending *p = pending_open(st, m, b->command);
    if (p != NULL) {
        p->kind = SMB_PENDING_TREE_CONNECT;
        p->path = strdup(path);
    }
}

static void tree_connect_response(struct smb_state *st, struct smb1_msg *m, struct smb1_block *b,
                                  struct smb_pending *p)
{
    char service[16];
    struct cursor bytes = b->bytes;
    struct smb_result res = {.status = m->hdr.status, .tree_id = m->hdr.tid};
    /* A TREE_CONNECT_ANDX chained to SESSION_SETUP_ANDX is sent with UID 0; the reply names it. */
    if (p->session_id == 0) {
        p->session_id = m->hdr.uid;
    }
    read_string(b, &bytes, false, service, sizeof(service));
    /* Service strings of MS-CIFS 2.2.4.55.2: "A:" disk, "LPT1:" printer, "IPC" named pipe. */
    res.pipe_share = strcmp(service, "IPC") == 0;
    if (m->hdr.status == NT_STATUS_SUCCESS) {
        if (res.pipe_share) {
            res.share_type = "pipe";
        } else if (strcmp(service, "A:") == 0) {
            res.share_type = "disk";
        } else if (strcmp(service, "LPT1:") == 0) {
            res.share_type = "print";
        }
    }
    smb_event_tree_connect(st, p, &res);
}

/* ---- NT_CREATE_ANDX (MS-CIFS 2.2.4.64) and OPEN_ANDX (MS-CIFS 2.2.4.41) ---- */

static void nt_create_request(struct smb_state *st, struct smb1_msg *m, struct smb1_block *b)
{
    char name[SMB_PATH_MAX];
    struct cursor *w = &b->words;
    cur_seek(w, 15);
    uint32_t desired_access = cur_le32(w);
    cur_seek(w, 31);
    uint32_t share_access = cur_le32(w);
    uint32_t disposition = cur_le32(w);
    uint32_t options = cur_le32(w);
    if (!cur_ok(w)) {
        CTR_INC("smb1.malformed");
        return;
    }
    struct cursor bytes = b->bytes;
    read_string(b, &bytes, is_unicode(m), name, sizeof(name));
    struct smb_pending *p = pending_open(st, m, b->command);
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

static void create_result(struct smb_state *st, struct smb1_msg *m, struct smb_pending *p,
                          uint16_t fid, uint32_t action, bool ok)
{
    struct smb_result res = {.status = m->hdr.status};
    if (m->hdr.status == NT_STATUS_SUCCESS && ok) {
        res.file_id[0] = (uint8_t)(fid & 0xff);
        res.file_id[1] = (uint8_t)(fid >> 8);
        res.has_file_id = true;
        res.create_action = action;
        res.has_create_action = true;
    }
    smb_event_create(st, p, &res);
}

static void nt_create_response(struct smb_state *st, struct smb1_msg *m, struct smb1_block *b,
                               struct smb_pending *p)
{
    struct cursor *w = &b->words;
    cur_seek(w, 5);
    uint16_t fid = cur_le16(w);
    uint32_t action = cur_le32(w);
    create_result(st, m, p, fid, action, cur_ok(w));
}

/* Maps OPEN_ANDX AccessMode and OpenMode to NT DesiredAccess and CreateDisposition. */
static void open_andx_map(uint16_t access_mode, uint16_t open_mode, uint32_t *access,
                          uint32_t *disposition)
{
    static const uint32_t ACCESS_BY_MODE[4] = {0x00120089u, 0x00120116u, 0x0012019fu, 0x001200a0u};
    bool create = (open_mode & 0x0010u) != 0;
    *access = ACCESS_BY_MODE[access_mode & 0x3u];
    switch (open_mode & 0x3u) {
    case 1:
        *disposition = create ? 3u : 1u; /* FILE_OPEN_IF : FILE_OPEN */
        break;
    case 2:
        *disposition = create ? 5u : 4u; /* FILE_OVERWRITE_IF : FILE_OVERWRITE */
        break;
    default:
        *disposition = 2u; /* FILE_CREATE */
        break;
    }
}

static void open_andx_request(struct smb_state *st, struct smb1_msg *m, struct smb1_block *b)
{
    char name[SMB_PATH_MAX];
    struct cursor *w = &b->words;
    cur_seek(w, 6);
    uint16_t access_mode = cur_le16(w);
    cur_seek(w, 16);
    uint16_t open_mode = cur_le16(w);
    if (!cur_ok(w)) {
        CTR_INC("smb1.malformed");
        return;
    }
    struct cursor bytes = b->bytes;
    read_string(b, &bytes, is_unicode(m), name, sizeof(name));
    struct smb_pending *p = pending_open(st, m, b->command);
    if (p == NULL) {
        return;
    }
    p->kind = SMB_PENDING_CREATE;
    open_andx_map(access_mode, open_mode, &p->desired_access, &p->create_disposition);
    p->path = strdup(name);
}

static void open_andx_response(struct smb_state *st, struct smb1_msg *m, struct smb1_block *b,
                               struct smb_pending *p)
{
    struct cursor *w = &b->words;
    cur_seek(w, 4);
    uint16_t fid = cur_le16(w);
    cur_seek(w, 22);
    uint16_t open_results = cur_le16(w);
    /* OpenResults 1 opened, 2 created, 3 truncated: the CreateAction values 1, 2 and 3. */
    create_result(st, m, p, fid, open_results & 0x3u, cur_ok(w));
}

/* ---- named pipes: CLOSE, TRANSACTION, READ_ANDX, WRITE_ANDX ---- */

static struct smb_pipe *pipe_by_fid(struct smb_state *st, uint16_t fid, uint8_t file_id[16])
{
    memset(file_id, 0, 16);
    file_id[0] = (uint8_t)(fid & 0xff);
    file_id[1] = (uint8_t)(fid >> 8);
    return smb_pipe_get(st, file_id);
}

/* Hands count bytes at off (from the header) to a pipe stream; a cut message ends in a gap. */
static void pipe_deliver(struct smb_state *st, struct smb1_msg *m, struct smb_pipe *pipe,
                         uint32_t off, uint32_t count)
{
    struct cursor all = m->all;
    struct cursor data;
    if (count == 0) {
        return;
    }
    if (cur_at(&all, &data, off, count)) {
        smb_pipe_deliver(st, pipe, m->from_client, data.base, data.len, m->pm);
        return;
    }
    /* A message delivered as a prefix: hand over the bytes present, then report the gap. */
    all = m->all;
    if (!m->cut || off > all.len || !cur_at(&all, &data, off, all.len - off)) {
        CTR_INC("smb1.malformed");
        return;
    }
    smb_pipe_deliver(st, pipe, m->from_client, data.base, data.len, m->pm);
    dcerpc_stream_gap(pipe->rpc, m->from_client);
    CTR_INC("smb1.pipe_data_cut");
}

/* Returns true when the count bytes at off (or those present) start with a DCE-RPC PDU header. */
static bool data_is_dcerpc(const struct smb1_msg *m, uint32_t off, uint32_t count)
{
    struct cursor all = m->all;
    struct cursor data;
    if (count == 0 || off > all.len) {
        return false;
    }
    if (!cur_at(&all, &data, off, WA_MIN((size_t)count, all.len - off))) {
        return false;
    }
    return smb_data_is_dcerpc(data.base, data.len);
}

/*
 * Returns the pipe that fid names. When the capture missed the open or the
 * TREE_CONNECT (it started mid-session), a FID on IPC$ or on an unknown tree
 * becomes a pipe once its data parses as a DCE-RPC PDU header. uid and tid
 * are the request's.
 */
static struct smb_pipe *pipe_find_or_infer(struct smb_state *st, const struct smb1_msg *m,
                                           uint16_t uid, uint16_t tid, uint16_t fid,
                                           uint32_t off, uint32_t count)
{
    uint8_t file_id[16];
    struct smb_pipe *pipe = pipe_by_fid(st, fid, file_id);
    if (pipe != NULL || !smb_tree_may_hold_pipe(st, uid, tid) || !data_is_dcerpc(m, off, count)) {
        return pipe;
    }
    return smb_pipe_infer(st, uid, tid, file_id, NULL);
}

static void close_request(struct smb_state *st, struct smb1_block *b)
{
    uint8_t file_id[16];
    uint16_t fid = cur_le16(&b->words);
    if (cur_ok(&b->words) && pipe_by_fid(st, fid, file_id) != NULL) {
        smb_pipe_close(st, file_id);
    }
}

static void transaction_request(struct smb_state *st, struct smb1_msg *m, struct smb1_block *b)
{
    struct cursor *w = &b->words;
    uint8_t file_id[16];
    cur_seek(w, 22);
    uint16_t data_count = cur_le16(w);
    uint16_t data_off = cur_le16(w);
    uint8_t setup_count = cur_u8(w);
    cur_skip(w, 1);
    uint16_t function = cur_le16(w);
    uint16_t fid = cur_le16(w);
    if (!cur_ok(w) || setup_count < 2) {
        CTR_INC("smb1.transaction_other");
        return;
    }
    struct smb_pipe *pipe = NULL;
    if (function == SMB1_TRANS_TRANSACT_NMPIPE) {
        pipe = pipe_find_or_infer(st, m, m->hdr.uid, m->hdr.tid, fid, data_off, data_count);
    }
    if (pipe == NULL) {
        CTR_INC("smb1.transaction_other");
        return;
    }
    (void)pipe_by_fid(st, fid, file_id);
    pipe_deliver(st, m, pipe, data_off, data_count);
    struct smb_pending *p = pending_open(st, m, b->command);
    if (p != NULL) {
        memcpy(p->file_id, file_id, 16);
    }
}

/*
 * Delivers a TransactNmPipe response's data. A response may come in several
 * parts; returns true when this part completes the request.
 */
static bool transaction_response(struct smb_state *st, struct smb1_msg *m, struct smb1_block *b,
                                 struct smb_pending *p)
{
    struct cursor *w = &b->words;
    bool has_data =
        m->hdr.status == NT_STATUS_SUCCESS || m->hdr.status == NT_STATUS_BUFFER_OVERFLOW;
    cur_seek(w, 2);
    uint16_t total_data = cur_le16(w);
    cur_seek(w, 12);
    uint16_t data_count = cur_le16(w);
    uint16_t data_off = cur_le16(w);
    struct smb_pipe *pipe = smb_pipe_get(st, p->file_id);
    if (!has_data || !cur_ok(w)) {
        return true;
    }
    if (pipe != NULL) {
        pipe_deliver(st, m, pipe, data_off, data_count);
    }
    p->data_done += data_count;
    return data_count == 0 || p->data_done >= total_data;
}

static void read_request(struct smb_state *st, struct smb1_msg *m, struct smb1_block *b)
{
    uint8_t file_id[16];
    cur_seek(&b->words, 4);
    uint16_t fid = cur_le16(&b->words);
    if (!cur_ok(&b->words)) {
        return;
    }
    /* A FID on a tree that may hold pipes is tracked so that its response can prove it one. */
    if (pipe_by_fid(st, fid, file_id) == NULL && !smb_tree_may_hold_pipe(st, m->hdr.uid, m->hdr.tid)) {
        return;
    }
    struct smb_pending *p = pending_open(st, m, b->command);
    if (p != NULL) {
        memcpy(p->file_id, file_id, 16);
    }
}

static void read_response(struct smb_state *st, struct smb1_msg *m, struct smb1_block *b,
                          struct smb_pending *p)
{
    struct cursor *w = &b->words;
    bool has_data =
        m->hdr.status == NT_STATUS_SUCCESS || m->hdr.status == NT_STATUS_BUFFER_OVERFLOW;
    cur_seek(w, 10);
    uint16_t data_len = cur_le16(w);
    uint16_t data_off = cur_le16(w);
    if (!has_data || !cur_ok(w)) {
        return;
    }
    struct smb_pipe *pipe = smb_pipe_get(st, p->file_id);
    if (pipe == NULL && data_is_dcerpc(m, data_off, data_len)) {
        pipe = smb_pipe_infer(st, p->session_id, p->tree_id, p->file_id, NULL);
    }
    if (pipe != NULL) {
        pipe_deliver(st, m, pipe, data_off, data_len);
    }
}

/* WRITE_ANDX with WordCount 12 or 14 (MS-CIFS 2.2.4.43); the layout differs only after DataOffset.
 */
static void write_request(struct smb_state *st, struct smb1_msg *m, struct smb1_block *b)
{
    struct cursor *w = &b->words;
    size_t word_count = w->len / 2;
    if (word_count != 12 && word_count != 14) {
        CTR_INC("smb1.malformed");
        return;
    }
    cur_seek(w, 4);
    uint16_t fid = cur_le16(w);
    cur_seek(w, 14);
    uint16_t write_mode = cur_le16(w);
    cur_seek(w, 18);
    uint16_t data_len_high = cur_le16(w);
    uint16_t data_len = cur_le16(w);
    uint16_t data_off = cur_le16(w);
    if (!cur_ok(w)) {
        return;
    }
    uint32_t count = data_len;
    if (word_count == 14) {
        count |= (uint32_t)data_len_high << 16;
    }
    /* A raw-mode message start on a pipe begins with a 2-byte message length. */
    uint32_t mode = write_mode & (SMB1_WRITE_RAW_MODE | SMB1_WRITE_MSG_START);
    if (mode == (SMB1_WRITE_RAW_MODE | SMB1_WRITE_MSG_START) && count >= 2) {
        data_off = (uint16_t)(data_off + 2);
        count -= 2;
    }
    struct smb_pipe *pipe = pipe_find_or_infer(st, m, m->hdr.uid, m->hdr.tid, fid, data_off, count);
    if (pipe != NULL) {
        pipe_deliver(st, m, pipe, data_off, count);
    }
}

/* ---- dispatch and AndX chains ---- */

static void dispatch_request(struct smb_state *st, struct smb1_msg *m, struct smb1_block *b)
{
    switch (b->command) {
    case SMB1_COM_NEGOTIATE:
        negotiate_request(st, m, b);
        break;
    case SMB1_COM_SESSION_SETUP_ANDX:
        session_setup_request(st, m, b);
        break;
    case SMB1_COM_LOGOFF_ANDX:
    case SMB1_COM_TREE_DISCONNECT:
        (void)pending_open(st, m, b->command);
        break;
    case SMB1_COM_TREE_CONNECT_ANDX:
        tree_connect_request(st, m, b);
        break;
    case SMB1_COM_NT_CREATE_ANDX:
        nt_create_request(st, m, b);
        break;
    case SMB1_COM_OPEN_ANDX:
        open_andx_request(st, m, b);
        break;
    case SMB1_COM_CLOSE:
        close_request(st, b);
        break;
    case SMB1_COM_TRANSACTION:
        transaction_request(st, m, b);
        break;
    case SMB1_COM_TRANSACTION_SECONDARY:
        /* NOTE: secondary requests continue a large transaction; their data is not joined. */
        CTR_INC("smb1.transaction_secondary");
        break;
    case SMB1_COM_TRANSACTION2:
    case SMB1_COM_NT_TRANSACT:
        /*
         * NOTE: TRANS2_OPEN2 and NT_TRANSACT_CREATE can open files too, but
         * clients rarely use them, so they are counted and not rebuilt as 5145.
         */
        CTR_INC("smb1.transaction2_or_nt_transact");
        break;
    case SMB1_COM_READ_ANDX:
        read_request(st, m, b);
        break;
    case SMB1_COM_WRITE_ANDX:
        write_request(st, m, b);
        break;
    default:
        break;
    }
}

/* Completes a pending request; returns false when it expects further response parts. */
static bool complete_response(struct smb_state *st, struct smb1_msg *m, struct smb1_block *b,
                              struct smb_pending *p)
{
    switch (b->command) {
    case SMB1_COM_NEGOTIATE:
        negotiate_response(st, b, p);
        break;
    case SMB1_COM_SESSION_SETUP_ANDX:
        session_setup_response(st, m, b, p);
        break;
    case SMB1_COM_LOGOFF_ANDX:
        if (m->hdr.status == NT_STATUS_SUCCESS) {
            smb_session_drop(st, p->session_id);
        }
        break;
    case SMB1_COM_TREE_DISCONNECT:
        if (m->hdr.status == NT_STATUS_SUCCESS) {
            smb_tree_drop(st, p->session_id, p->tree_id);
        }
        break;
    case SMB1_COM_TREE_CONNECT_ANDX:
        tree_connect_response(st, m, b, p);
        break;
    case SMB1_COM_NT_CREATE_ANDX:
        nt_create_response(st, m, b, p);
        break;
    case SMB1_COM_OPEN_ANDX:
        open_andx_response(st, m, b, p);
        break;
    case SMB1_COM_TRANSACTION:
        return transaction_response(st, m, b, p);
    case SMB1_COM_READ_ANDX:
        read_response(st, m, b, p);
        break;
    default:
        break;
    }
    return true;
}

static void dispatch_response(struct smb_state *st, struct smb1_msg *m, struct smb1_block *b)
{
    struct smb_pending *p = smb_pending_find(st, pending_key(&m->hdr, b->command), 0);
    if (p == NULL) {
        return;
    }
    if (complete_response(st, m, b, p)) {
        smb_pending_done(p);
    }
}

static bool is_andx(uint8_t command)
{
    switch (command) {
    case SMB1_COM_SESSION_SETUP_ANDX:
    case SMB1_COM_LOGOFF_ANDX:
    case SMB1_COM_TREE_CONNECT_ANDX:
    case SMB1_COM_NT_CREATE_ANDX:
    case SMB1_COM_OPEN_ANDX:
    case SMB1_COM_READ_ANDX:
    case SMB1_COM_WRITE_ANDX:
    case 0x24: /* LOCKING_ANDX */
        return true;
    default:
        return false;
    }
}

/*
 * Follows the AndX chain. Each AndXOffset must point past the block it comes
 * from, so offsets strictly increase and a hostile loop ends. The chain is
 * also capped at SMB1_ANDX_MAX commands.
 */
static void walk_andx(struct smb_state *st, struct smb1_msg *m)
{
    uint8_t command = m->hdr.command;
    size_t off = SMB1_HEADER_LEN;
    bool reply = (m->hdr.flags & SMB1_FLAGS_REPLY) != 0;

    for (unsigned n = 0; n < SMB1_ANDX_MAX; n++) {
        struct smb1_block b;
        if (!read_block(m, command, off, &b)) {
            ctr_add(m->all.status == CUR_TRUNCATED ? "smb1.truncated" : "smb1.malformed", 1);
            return;
        }
        if (reply) {
            dispatch_response(st, m, &b);
        } else {
            dispatch_request(st, m, &b);
        }
        CTR_INC("smb1.commands");
        if (!is_andx(command) || b.words.len < 4) {
            return;
        }
        struct cursor w = b.words;
        cur_seek(&w, 0);
        uint8_t next_command = cur_u8(&w);
        cur_skip(&w, 1);
        uint16_t next_off = cur_le16(&w);
        if (next_command == SMB1_COM_NONE) {
            return;
        }
        if (next_off <= off || next_off >= m->all.len) {
            ctr_add(next_off <= off ? "smb1.andx_loop" : "smb1.truncated", 1);
            return;
        }
        command = next_command;
        off = next_off;
    }
    CTR_INC("smb1.andx_limit");
}

void smb1_dissect_message(struct smb_state *st, bool from_client, const uint8_t *msg, size_t len,
                          size_t total_len, const struct pkt_meta *pm)
{
    struct smb1_msg m = {.from_client = from_client, .cut = total_len > len, .pm = pm};
    enum wa_status rc = smb1_parse_header(msg, len, &m.hdr);
    if (rc != WA_OK) {
        ctr_add(rc == WA_NEED_MORE ? "smb1.truncated" : "smb1.malformed", 1);
        return;
    }
    cur_init(&m.all, msg, len);
    st->version = SMB_VERSION_1;
    walk_andx(st, &m);
}
