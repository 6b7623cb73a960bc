/* Interfaces between the TCP layer and the application dissectors (SMB, DCE-RPC). */
#ifndef WA_PROTO_H
#define WA_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../sensor/sink.h"

/* Origin of a packet: its time for TimeCreated and its frame number for going back to it. */
struct pkt_meta {
    int64_t time_us;   /* capture timestamp, microseconds since 1970-01-01 UTC */
    uint64_t frame;    /* 1-based frame number in the input */
};

/*
 * One TCP connection as the dissectors see it. The flow table owns it; it
 * lives as long as the dissector state created from it. The client is the
 * side that sent the first SYN, or else the side using the higher port.
 */
struct conn_meta {
    char client_addr[46];   /* text form, IPv4 dotted or IPv6 RFC 5952 */
    char server_addr[46];
    uint16_t client_port;
    uint16_t server_port;
    const char *input;      /* capture file or interface name; borrowed */
    struct event_sink sink; /* receives every event rebuilt on this connection */
};

/* SMB1/2/3 over the NetBIOS session service (TCP 445 or 139). Implemented in dissectors/smb.c. */
struct smb_conn;

/* Returns new per-connection SMB state, or NULL when out of memory. */
struct smb_conn *smb_conn_new(const struct conn_meta *meta);

/* Emits what is still pending (requests without a response) and frees; accepts NULL. */
void smb_conn_free(struct smb_conn *conn);

/*
 * Hands over one NetBIOS session message (type 0x00) from one direction.
 * msg contains the first len bytes of a message of total_len bytes: when a message
 * is larger than wa_opts.message_max the reassembler delivers only that prefix
 * and skips the rest by length, so bulk READ/WRITE data is never copied. The
 * dissector must cope with len < total_len (e.g. an SMB2 WRITE whose data is
 * cut off).
 */
void smb_conn_message(struct smb_conn *conn, bool from_client, const uint8_t *msg, size_t len,
                      size_t total_len, const struct pkt_meta *pm);

/* Reports that bytes were lost in one direction before the next message. */
void smb_conn_gap(struct smb_conn *conn, bool from_client);

/* Bytes at the start of a session message that smb_conn_message_need() receives. */
#define SMB_MESSAGE_HEAD_LEN 128

/*
 * Returns how many bytes of a session message of total_len bytes the
 * dissector needs, given its first head_len bytes (SMB_MESSAGE_HEAD_LEN, or
 * the whole message when shorter). The reassembler calls it only for messages
 * that span TCP segments, before copying more than the head. Bytes past the
 * returned length (or past the head, when that is longer) are skipped by
 * length, never copied, and smb_conn_message() then receives len < total_len.
 * Returning total_len keeps the whole message (up to wa_opts.message_max). A
 * dissector returns a shorter length for bulk READ and WRITE data on file
 * handles, and total_len for named pipes, whose data feeds DCE-RPC.
 * Implemented in dissectors/smb.c.
 */
size_t smb_conn_message_need(struct smb_conn *conn, bool from_client, const uint8_t *head,
                             size_t head_len, size_t total_len);

/*
 * DCE-RPC connection-oriented byte stream: an SMB named pipe (one per FileId)
 * or a TCP connection (ncacn_ip_tcp). Implemented in dissectors/dcerpc.c.
 */
struct dcerpc_stream;

/* Caller identity for the rebuilt events. Strings are copied at creation. */
struct dcerpc_endpoint {
    const struct conn_meta *conn; /* must outlive the stream */
    const char *pipe;             /* pipe name as opened ("svcctl"), NULL over TCP */
    const char *share;            /* "\\\\*\\IPC$" for pipes, NULL over TCP */
    const char *user;             /* NTLM user, domain, workstation; NULL when unknown */
    const char *domain;
    const char *workstation;
    const char *computer;         /* server name for Computer, NULL to use the address */
    uint64_t logon_id;            /* SMB SessionId, 0 over TCP */
};

/* Returns a new stream, or NULL when out of memory. */
struct dcerpc_stream *dcerpc_stream_new(const struct dcerpc_endpoint *ep);

/* Emits pending calls and frees; accepts NULL. */
void dcerpc_stream_free(struct dcerpc_stream *st);

/* Appends in-order bytes of one direction (PDUs may span calls or share one). */
void dcerpc_stream_data(struct dcerpc_stream *st, bool from_client, const uint8_t *data,
                        size_t len, const struct pkt_meta *pm);

/* Reports lost bytes in one direction: partial PDUs are dropped, the stream resynchronises. */
void dcerpc_stream_gap(struct dcerpc_stream *st, bool from_client);

/*
 * Tells the flow layer that server_addr:port speaks DCE-RPC over TCP (learned
 * from an endpoint-mapper response), so later connections there are
 * dissected. Implemented by the flow layer; bounded, oldest hints replaced.
 */
void flow_hint_dcerpc(const char *server_addr, uint16_t port);

#endif
