/*
 * Bidirectional TCP flow table with a fixed capacity, and the dispatch of each
 * flow's reassembled bytes to the SMB or DCE-RPC dissector.
 *
 * All flows are allocated when the table is created. A flow idle for
 * wa_opts.flow_idle_timeout_s of capture time expires: when its own next
 * segment arrives, or earlier in a sweep of the oldest flows that checks only
 * a few per packet, so the work per packet is bounded. When the table is
 * full, the least recently used flow is evicted. A flow also ends on RST, on
 * FIN in both directions, and at the end of the input. Ending a flow delivers
 * its held segments and frees its dissector state, which emits pending events.
 * Counters: flow.created, flow.expired, flow.evicted, flow.closed.
 */
#ifndef WA_FLOW_H
#define WA_FLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "../dissectors/proto.h"
#include "classify.h"
#include "decode.h"

/* Server ports remembered from endpoint-mapper responses; the oldest is replaced when full. */
#define FLOW_HINTS_MAX 256

struct flow_table;

/*
 * Returns a table of capacity flows (at least 1) for the input named input,
 * whose events go to *sink. Both are borrowed and must outlive the table. The
 * sink is read when each flow starts, so it may be filled in after this call.
 * Returns NULL when out of memory.
 */
struct flow_table *flow_table_new(uint32_t capacity, const char *input,
                                  const struct event_sink *sink);

/* Ends every open flow, emitting what their dissectors still hold. */
void flow_table_end_all(struct flow_table *ft);

/* Frees the table; flows still open are ended first. Accepts NULL. */
void flow_table_free(struct flow_table *ft);

/*
 * Decides whether a segment may be used, such as a checksum check; returns
 * false to leave the segment out as the receiver would.
 */
typedef bool (*flow_accept_fn)(void *ctx, const struct tcp_segment *seg);

/*
 * Installs accept, called for every segment the table processes except those
 * whose payload lands wholly in bytes the SMB framing discards by length (see
 * flow.c). NULL, the default, accepts every segment.
 * Counter: tcp.checksum_not_needed, segments not passed to accept.
 */
void flow_table_set_accept(struct flow_table *ft, flow_accept_fn accept, void *ctx);

/* Processes one decoded TCP segment captured at pm->time_us. */
void flow_table_process(struct flow_table *ft, const struct tcp_segment *seg,
                        const struct pkt_meta *pm);

/*
 * Returns the connection of seg's flow and sets *app to its application, or
 * returns NULL when seg belongs to no open flow.
 */
const struct conn_meta *flow_table_find(struct flow_table *ft, const struct tcp_segment *seg,
                                        enum flow_app *app);

/* Returns the number of flows currently open. */
uint32_t flow_table_count(const struct flow_table *ft);

/* Returns true when addr (text form) and port were hinted as a DCE-RPC server. */
bool flow_hint_is_dcerpc(const char *addr, uint16_t port);

/* Clears every DCE-RPC hint, for tests. */
void flow_hints_clear(void);

#endif
