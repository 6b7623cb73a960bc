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
