/*
 * Events rebuilt from DCE-RPC calls: one RPC call event (5712) per request,
 * service installs (7045 and 4697) from svcctl RCreateServiceW/A, scheduled
 * tasks (4698) from atsvc NetrJobAdd and SchRpcRegisterTask, and a
 * wireaudit-specific bind event per bind or alter_context.
 */
#ifndef WA_RPC_EVENTS_H
#define WA_RPC_EVENTS_H

#include <stdbool.h>
#include <stdint.h>

#include "dcerpc.h"

/* Windows event ids rebuilt here. */
#define RPC_EVENT_CALL 5712 /* "A Remote Procedure Call (RPC) was attempted" */
#define RPC_EVENT_SERVICE_SYSTEM 7045
#define RPC_EVENT_SERVICE_SECURITY 4697
#define RPC_EVENT_TASK 4698

/* Bind or alter_context with its results. Not a Windows event id; no host log has it. */
#define RPC_EVENT_BIND 65001

/* One presentation context proposed in a bind, with its result once acknowledged. */
struct rpc_bind_context {
    uint16_t context_id;
    char uuid[37];
    uint16_t version_major;
    uint16_t version_minor;
    char transfer_syntax[37];
    bool has_result;
    uint16_t result;
};

#define RPC_BIND_CONTEXTS_MAX 16

struct rpc_bind_info {
    bool alter_context;
    uint32_t call_id;
    int64_t time_us;
    uint64_t frame;
    uint64_t ack_frame;
    uint8_t context_count; /* contexts kept (at most RPC_BIND_CONTEXTS_MAX) */
    uint8_t result_count;  /* results kept from the ack, in order (at most RPC_BIND_CONTEXTS_MAX) */
    bool nak;              /* bind_nak received */
    bool acked;            /* bind_ack or alter_context_resp received */
    struct rpc_bind_context contexts[RPC_BIND_CONTEXTS_MAX];
    uint16_t results[RPC_BIND_CONTEXTS_MAX];
};

/* Allocates the RPC call event for a request. Returns NULL when out of memory. */
struct event *rpc_events_call_new(const struct dcerpc_peer *peer,
                                  const struct dcerpc_call_info *call);

/*
 * Completes call->args (interface, operation, status, caller) and emits it to
 * the connection's sink, then emits the service or task events the call
 * implies. Takes ownership of call->args and sets it to NULL.
 */
void rpc_events_call_emit(const struct dcerpc_peer *peer, struct dcerpc_call_info *call);

/* Emits one bind event listing every context of bind and the results matched so far. */
void rpc_events_bind_emit(const struct dcerpc_peer *peer, const struct rpc_bind_info *bind);

/* Renders a service type as 7045 does ("user mode service"), or hex when unnamed. */
void rpc_events_service_type_text(uint32_t type, char *out, size_t out_size);

/* Renders a start type as 7045 does ("demand start"), or decimal when unnamed. */
const char *rpc_events_start_type_text(uint32_t start_type);

#endif
