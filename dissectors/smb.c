/*
 * SMB over the NetBIOS session service: dispatches each message to the SMB1
 * or SMB2/3 dissector by its protocol magic. Both share one smb_state, so a
 * connection that negotiates with SMB1 and continues with SMB2 keeps its state.
 */
#include "proto.h"

#include <stdlib.h>

#include "../sensor/counters.h"
#include "cursor.h"
#include "smb1.h"
#include "smb2.h"
#include "smb_events.h"

struct smb_conn {
    struct smb_state state;
};

struct smb_conn *smb_conn_new(const struct conn_meta *meta)
{
    struct smb_conn *conn = calloc(1, sizeof(*conn));
    if (conn != NULL) {
        smb_state_init(&conn->state, meta);
    }
    return conn;
}

void smb_conn_free(struct smb_conn *conn)
{
    if (conn == NULL) {
        return;
    }
    smb_state_release(&conn->state);
    free(conn);
}

void smb_conn_message(struct smb_conn *conn, bool from_client, const uint8_t *msg, size_t len,
                      size_t total_len, const struct pkt_meta *pm)
{
    struct cursor c;
    cur_init(&c, msg, len);
    uint32_t magic = cur_le32(&c);
    if (!cur_ok(&c)) {
        CTR_INC("smb.truncated");
        return;
    }
    switch (magic) {
    case SMB1_MAGIC:
        smb1_dissect_message(&conn->state, from_client, msg, len, total_len, pm);
        break;
    case SMB2_MAGIC:
    case SMB2_TRANSFORM_MAGIC:
    case SMB2_COMPRESSED_MAGIC:
        smb2_dissect_message(&conn->state, from_client, msg, len, total_len, pm);
        break;
    default:
        CTR_INC("smb.unknown_magic");
        break;
    }
}

/* Header and fixed body sizes (MS-SMB2 2.2.1, 2.2.20, 2.2.21; MS-SMB 2.2.4.42, 2.2.4.43). */
#define SMB2_HEADER_LEN 64
#define SMB2_READ_RESPONSE_FIXED 16
#define SMB2_WRITE_REQUEST_FIXED 48
#define SMB2_TRANSFORM_HEADER_LEN 52
#define SMB2_FLAGS_ASYNC 0x00000002u
#define SMB1_HEADER_LEN 32
#define SMB1_ANDX_FIXED_MAX 64

/*
 * Returns the bytes of an SMB2 message worth copying. Only single (not
 * compound) READ responses and WRITE requests on a tree known not to be IPC$
 * are cut to their fixed part, because their data is file content. Anything
 * that might carry pipe data, including an unknown tree in a capture that
 * started mid-session, is kept whole for the DCE-RPC layer.
 */
static size_t smb2_message_need(struct smb_state *st, bool from_client, struct cursor *c,
                                size_t total_len)
{
    cur_seek(c, 12);
    uint16_t command = cur_le16(c);
    cur_seek(c, 16);
    uint32_t flags = cur_le32(c);
    uint32_t next_command = cur_le32(c);
    cur_seek(c, 36);
    uint32_t tree_id = cur_le32(c);
    uint64_t session_id = cur_le64(c);
    if (!cur_ok(c) || next_command != 0 || (flags & SMB2_FLAGS_ASYNC) != 0) {
        return total_len;
    }
    size_t fixed;
    if (from_client && command == SMB2_WRITE) {
        fixed = SMB2_HEADER_LEN + SMB2_WRITE_REQUEST_FIXED;
    } else if (!from_client && command == SMB2_READ) {
        fixed = SMB2_HEADER_LEN + SMB2_READ_RESPONSE_FIXED;
    } else {
        return total_len;
    }
    if (smb_tree_may_hold_pipe(st, session_id, tree_id)) {
        return total_len;
    }
    CTR_INC("smb2.bulk_skipped");
    return WA_MIN(fixed, total_len);
}

/* SMB1 counterpart of smb2_message_need() for READ_ANDX responses and WRITE_ANDX requests. */
static size_t smb1_message_need(struct smb_state *st, bool from_client, struct cursor *c,
                                size_t total_len)
{
    cur_seek(c, 4);
    uint8_t command = cur_u8(c);
    cur_seek(c, 24);
    uint16_t tid = cur_le16(c);
    cur_skip(c, 2);
    uint16_t uid = cur_le16(c);
    if (!cur_ok(c)) {
        return total_len;
    }
    bool bulk = (from_client && command == SMB1_COM_WRITE_ANDX) ||
                (!from_client && command == SMB1_COM_READ_ANDX);
    if (!bulk || smb_tree_may_hold_pipe(st, uid, tid)) {
        return total_len;
    }
    CTR_INC("smb1.bulk_skipped");
    /* The parameter words fit in the fixed part; an AndX follow-up is lost with the data. */
    return WA_MIN((size_t)(SMB1_HEADER_LEN + SMB1_ANDX_FIXED_MAX), total_len);
}

size_t smb_conn_message_need(struct smb_conn *conn, bool from_client, const uint8_t *head,
                             size_t head_len, size_t total_len)
{
    if (conn == NULL) {
        return total_len;
    }
    struct cursor c;
    cur_init(&c, head, head_len);
    uint32_t magic = cur_le32(&c);
    if (!cur_ok(&c)) {
        return total_len;
    }
    switch (magic) {
    case SMB2_MAGIC:
        return smb2_message_need(&conn->state, from_client, &c, total_len);
    case SMB1_MAGIC:
        return smb1_message_need(&conn->state, from_client, &c, total_len);
    case SMB2_TRANSFORM_MAGIC:
        /* Encrypted: only the transform header is read, to count the session. */
        return WA_MIN((size_t)SMB2_TRANSFORM_HEADER_LEN, total_len);
    default:
        return total_len;
    }
}

/*
 * After a gap, pipe data is no longer contiguous, so the DCE-RPC stream of
 * every open pipe receives a gap report for that direction.
 */
void smb_conn_gap(struct smb_conn *conn, bool from_client)
{
    if (conn == NULL) {
        return;
    }
    CTR_INC("smb.gaps");
    for (size_t i = 0; i < SMB_PIPES_MAX; i++) {
        struct smb_pipe *pipe = &conn->state.pipes[i];
        if (pipe->in_use) {
            dcerpc_stream_gap(pipe->rpc, from_client);
        }
    }
}
