/* Placeholder until the SMB dissectors land. */
#include "proto.h"

#include <stdlib.h>

struct smb_conn {
    const struct conn_meta *meta;
};

struct smb_conn *smb_conn_new(const struct conn_meta *meta)
{
    struct smb_conn *conn = calloc(1, sizeof(*conn));
    if (conn != NULL) {
        conn->meta = meta;
    }
    return conn;
}

void smb_conn_free(struct smb_conn *conn)
{
    free(conn);
}

void smb_conn_message(struct smb_conn *conn, bool from_client, const uint8_t *msg, size_t len,
                      size_t total_len, const struct pkt_meta *pm)
{
    (void)conn;
    (void)from_client;
    (void)msg;
    (void)len;
    (void)total_len;
    (void)pm;
}

void smb_conn_gap(struct smb_conn *conn, bool from_client)
{
    (void)conn;
    (void)from_client;
}
