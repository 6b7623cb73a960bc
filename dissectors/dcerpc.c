/* Placeholder until the DCE-RPC dissector lands. */
#include "proto.h"

#include <stdlib.h>

struct dcerpc_stream {
    const struct conn_meta *conn;
};

struct dcerpc_stream *dcerpc_stream_new(const struct dcerpc_endpoint *ep)
{
    struct dcerpc_stream *st = calloc(1, sizeof(*st));
    if (st != NULL) {
        st->conn = ep->conn;
    }
    return st;
}

void dcerpc_stream_free(struct dcerpc_stream *st)
{
    free(st);
}

void dcerpc_stream_data(struct dcerpc_stream *st, bool from_client, const uint8_t *data,
                        size_t len, const struct pkt_meta *pm)
{
    (void)st;
    (void)from_client;
    (void)data;
    (void)len;
    (void)pm;
}

void dcerpc_stream_gap(struct dcerpc_stream *st, bool from_client)
{
    (void)st;
    (void)from_client;
}
