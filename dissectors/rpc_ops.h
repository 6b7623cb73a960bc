/*
 * Argument decoders for the DCE-RPC operations that matter for lateral
 * movement and discovery (svcctl, atsvc, ITaskSchedulerService, srvsvc,
 * winreg, samr, lsarpc, drsuapi, the endpoint mapper). Decoded values are
 * written into an event under their IDL parameter names (lpServiceName,
 * lpBinaryPathName, Command, path ...). Every read goes through the NDR
 * reader, so a hostile stub only stops the decoder early.
 */
#ifndef WA_RPC_OPS_H
#define WA_RPC_OPS_H

#include <stdbool.h>
#include <stdint.h>

#include "../sensor/common.h"
#include "../sensor/event.h"
#include "ndr.h"
#include "rpc_names.h"

/* Size of an RPC context handle: 4 bytes of attributes plus a UUID. */
#define RPC_HANDLE_LEN 20

/* Maximum UTF-8 bytes kept of a task XML or other large argument. */
#define RPC_TEXT_MAX (1u << 20)

/* Decoder results besides the argument fields. */
struct rpc_op_state {
    struct event *ev;        /* receives the argument fields (borrowed) */
    const char *server_addr; /* server address for endpoint-mapper port hints, or NULL */
    bool handle_in_set;      /* the request names an existing context handle */
    uint8_t handle_in[RPC_HANDLE_LEN];
    bool handle_out_set; /* the response returns a new context handle */
    uint8_t handle_out[RPC_HANDLE_LEN];
};

/*
 * Decodes a clear request stub. Returns WA_UNSUPPORTED when no decoder exists
 * for the operation, WA_MALFORMED or WA_NEED_MORE when the stub ends or lies
 * (fields decoded before that point stay in st->ev), WA_OK otherwise.
 */
enum wa_status rpc_ops_decode_request(enum rpc_iface_id iface, uint16_t opnum, struct ndr *n,
                                      struct rpc_op_state *st);

/*
 * Decodes a clear response stub: returned handles, job ids and endpoint-mapper
 * towers (each TCP port found is passed to flow_hint_dcerpc()). Same returns
 * as rpc_ops_decode_request().
 */
enum wa_status rpc_ops_decode_response(enum rpc_iface_id iface, uint16_t opnum, struct ndr *n,
                                       struct rpc_op_state *st);

/*
 * Returns true when svcctl opnum creates a service: RCreateServiceW/A,
 * RCreateServiceWOW64A/W or RCreateWowService, which share one parameter layout.
 */
bool rpc_ops_is_service_create(uint16_t opnum);

/*
 * Writes into out the name that the handle returned by this call refers to,
 * such as a service key name or a registry key path. The name is built from
 * the decoded request fields in ev and from parent, the label of the handle
 * the request used (may be NULL). Returns false when the operation returns no
 * such handle.
 */
bool rpc_ops_handle_label(enum rpc_iface_id iface, uint16_t opnum, const struct event *ev,
                          const char *parent, char *out, size_t out_size);

/*
 * Adds to ev the fields derived from the label of the request's input handle
 * (ServiceName for svcctl, KeyPath for winreg). Returns the status of
 * event_set().
 */
enum wa_status rpc_ops_apply_handle_label(enum rpc_iface_id iface, struct event *ev,
                                          const char *label);

/*
 * Copies the text of the first <tag>...</tag> element of xml into out,
 * replacing the five predefined XML entities. Returns false when absent.
 */
bool rpc_ops_xml_element(const char *xml, const char *tag, char *out, size_t out_size);

#endif
