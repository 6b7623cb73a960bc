/*
 * DCE-RPC connection-oriented PDUs (C706 chapter 12 and MS-RPCE). The
 * stream API (dcerpc_stream_new/data/gap/free) is declared in proto.h. This
 * header adds the PDU layout, the per-call record handed to rpc_events.c,
 * and helpers the unit tests use.
 */
#ifndef WA_DCERPC_H
#define WA_DCERPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../sensor/common.h"
#include "../sensor/event.h"
#include "proto.h"
#include "rpc_names.h"

/* Common header: version, type, flags, data representation, lengths and call id. */
#define DCERPC_HEADER_LEN 16

enum dcerpc_ptype {
    DCERPC_REQUEST = 0,
    DCERPC_PING = 1,
    DCERPC_RESPONSE = 2,
    DCERPC_FAULT = 3,
    DCERPC_WORKING = 4,
    DCERPC_NOCALL = 5,
    DCERPC_REJECT = 6,
    DCERPC_ACK = 7,
    DCERPC_CL_CANCEL = 8,
    DCERPC_FACK = 9,
    DCERPC_CANCEL_ACK = 10,
    DCERPC_BIND = 11,
    DCERPC_BIND_ACK = 12,
    DCERPC_BIND_NAK = 13,
    DCERPC_ALTER_CONTEXT = 14,
    DCERPC_ALTER_CONTEXT_RESP = 15,
    DCERPC_AUTH3 = 16,
    DCERPC_SHUTDOWN = 17,
    DCERPC_CO_CANCEL = 18,
    DCERPC_ORPHANED = 19
};

/* pfc_flags bits. */
#define DCERPC_PFC_FIRST_FRAG 0x01
#define DCERPC_PFC_LAST_FRAG 0x02
#define DCERPC_PFC_OBJECT_UUID 0x80

/* Authentication level 6, RPC_C_AUTHN_LEVEL_PKT_PRIVACY, encrypts the stub. */
#define DCERPC_AUTH_LEVEL_PRIVACY 6

/* Length of the security trailer (sec_trailer) that precedes auth_value. */
#define DCERPC_SEC_TRAILER_LEN 8

/* Presentation context result values in bind_ack and alter_context_resp. */
enum dcerpc_ack_result {
    DCERPC_ACCEPTANCE = 0,
    DCERPC_USER_REJECTION = 1,
    DCERPC_PROVIDER_REJECTION = 2,
    DCERPC_NEGOTIATE_ACK = 3 /* bind time feature negotiation (MS-RPCE 3.3.1.5.3) */
};

struct dcerpc_header {
    uint8_t version;       /* 5 */
    uint8_t version_minor; /* 0 or 1 */
    uint8_t ptype;
    uint8_t flags;
    uint8_t drep[4];      /* drep[0] bit 0x10: little-endian integers */
    uint16_t frag_length; /* whole PDU, header included */
    uint16_t auth_length; /* auth_value only, without the 8-byte sec_trailer */
    uint32_t call_id;
    bool big_endian;
};

/*
 * Parses the 16-byte common header at the start of data. Returns WA_NEED_MORE
 * when fewer than 16 bytes are given and WA_MALFORMED when the version, type
 * or lengths cannot belong to a connection-oriented PDU.
 */
enum wa_status dcerpc_parse_header(const uint8_t *data, size_t len,
                                   struct dcerpc_header *h) WA_WARN_UNUSED;

/* Caller identity copied from struct dcerpc_endpoint. An empty string means unknown. */
struct dcerpc_peer {
    const struct conn_meta *conn;
    char pipe[128];
    char share[128];
    char user[128];
    char domain[128];
    char workstation[128];
    char computer[256];
    uint64_t logon_id;
    bool over_pipe;
};

/*
 * One request and, once seen, its response or fault, as rpc_events.c needs
 * it. args is the RPC call event (EventID 5712) under construction. The
 * argument decoders write into it, and rpc_events.c completes and emits it.
 */
struct dcerpc_call_info {
    uint32_t call_id;
    uint16_t context_id;
    uint16_t opnum;
    bool named; /* first fragment seen, so opnum is known (uuid stays empty when unbound) */
    const struct rpc_interface *iface; /* NULL for an interface not in the table */
    char uuid[37];
    uint16_t version_major;
    bool ndr64;
    bool sealed;
    uint8_t auth_type;
    uint8_t auth_level;
    int64_t time_us; /* first request fragment */
    uint64_t frame;
    uint32_t fragments;
    uint64_t stub_bytes;
    bool answered; /* response or fault seen */
    bool fault;
    bool status_known;
    uint32_t status; /* fault status, or the return value ending a clear response */
    uint64_t response_frame;
    struct event *args;
};

/* Formats a wire UUID (first three fields in the given byte order) as lower-case text. */
void dcerpc_format_uuid(const uint8_t wire[16], bool big_endian, char text[37]);

#endif
