/*
 * Application classification of TCP flows that are not on the fast-path ports
 * (445, 139, 135 and hinted DCE-RPC ports), using nDPI 4.2 for the first
 * CLASSIFY_PACKETS_MAX payload packets of a flow.
 */
#ifndef WA_CLASSIFY_H
#define WA_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Payload packets a flow is inspected for before it is given up as neither SMB nor DCE-RPC. */
#define CLASSIFY_PACKETS_MAX 8

enum flow_app {
    FLOW_APP_PENDING = 0, /* not decided yet */
    FLOW_APP_SMB,         /* SMB over NetBIOS session service framing */
    FLOW_APP_DCERPC,      /* DCE-RPC connection-oriented over TCP (ncacn_ip_tcp) */
    FLOW_APP_OTHER        /* anything else: payload is ignored */
};

struct classify_flow;

/*
 * Takes a reference on the process-wide nDPI module. A helper thread starts
 * creating it at once (with wa_opts.helper_threads), else it is created when
 * the first flow needs classification. Returns false when nDPI is known to
 * have failed to initialise, and classification then relies on the payload
 * checks alone.
 */
bool classify_acquire(void);

/*
 * Drops a reference taken by classify_acquire(). The last one frees the nDPI
 * module in sanitizer builds and keeps it for reuse otherwise.
 */
void classify_release(void);

/* Returns new per-flow classification state, or NULL when out of memory. */
struct classify_flow *classify_flow_new(void);

/* Frees per-flow state; accepts NULL. */
void classify_flow_free(struct classify_flow *cf);

/*
 * Classifies one packet of the flow: ip points to its IP header (ip_len bytes
 * present), payload to its TCP payload. Returns FLOW_APP_PENDING until the
 * flow is recognised or CLASSIFY_PACKETS_MAX payload packets were inspected.
 */
enum flow_app classify_packet(struct classify_flow *cf, const uint8_t *ip, size_t ip_len,
                              int64_t time_us, const uint8_t *payload, size_t payload_len);

#endif
