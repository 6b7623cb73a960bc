/* Bidirectional TCP flow table and per-flow dispatch to the dissectors; see flow.h. */
#include "flow.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "../dissectors/nbss.h"
#include "classify.h"
#include "counters.h"
#include "options.h"
#include "reasm.h"

#define FLOW_NONE UINT32_MAX

/* Flows checked for idle expiry per packet. */
#define FLOW_EXPIRE_CHECKS 4

#define PORT_SMB_DIRECT 445
#define PORT_NETBIOS_SESSION 139
#define PORT_EPMAP 135

struct flow_endpoint {
    uint8_t addr[16];
    uint16_t port;
};

/* Direction index: 0 carries client-to-server bytes, 1 server-to-client. */
struct flow {
    uint32_t hash_next; /* next flow in the bucket, or in the free list */
    uint32_t lru_prev;
    uint32_t lru_next;
    uint32_t hash;
    bool in_use;
    uint8_t ip_version;
    struct flow_endpoint client;
    struct flow_endpoint server;
    int64_t last_us;
    enum flow_app app;
    bool syn_seen[2];
    bool data_seen[2];
    bool fin_seen[2];
    struct conn_meta meta;
    struct reasm_dir reasm[2];
    struct nbss_dir nbss[2];
    struct smb_conn *smb;
    struct dcerpc_stream *rpc;
    struct classify_flow *classify;
};

struct flow_table {
    struct flow *flows;
    uint32_t capacity;
    uint32_t count;
    uint32_t *buckets;
    uint32_t bucket_mask;
    uint32_t free_head;  /* slots freed by ended flows */
    uint32_t never_used; /* slots from here on were never used, so their pages stay untouched */
    uint32_t lru_head;   /* least recently used */
    uint32_t lru_tail;
    const char *input;
    const struct event_sink *sink;
    flow_accept_fn accept;
    void *accept_ctx;
};

struct dcerpc_hint {
    char addr[46];
    uint16_t port;
};

static struct dcerpc_hint hints[FLOW_HINTS_MAX];
static unsigned hint_count;
static unsigned hint_next;

void flow_hint_dcerpc(const char *server_addr, uint16_t port)
{
    if (server_addr == NULL || flow_hint_is_dcerpc(server_addr, port)) {
        return;
    }
    struct dcerpc_hint *hint = &hints[hint_next];
    snprintf(hint->addr, sizeof(hint->addr), "%s", server_addr);
    hint->port = port;
    hint_next = (hint_next + 1) % FLOW_HINTS_MAX;
    if (hint_count < FLOW_HINTS_MAX) {
        hint_count++;
    }
    CTR_INC("flow.dcerpc_hints");
}

bool flow_hint_is_dcerpc(const char *addr, uint16_t port)
{
    for (unsigned i = 0; i < hint_count; i++) {
        if (hints[i].port == port && strcmp(hints[i].addr, addr) == 0) {
            return true;
        }
    }
    return false;
}

void flow_hints_clear(void)
{
    hint_count = 0;
    hint_next = 0;
}

/*
 * Hashes one endpoint four address bytes at a time with a multiplicative mix.
 * The two endpoints of a segment are combined by addition, so both directions
 * of a flow hash alike.
 */
static uint32_t hash_endpoint(const uint8_t *addr, size_t addr_len, uint16_t port)
{
    uint64_t h = port;
    for (size_t i = 0; i < addr_len; i += 4) {
        uint32_t word;
        memcpy(&word, addr + i, sizeof(word));
        h = (h ^ word) * 0x9e3779b97f4a7c15u;
    }
    return (uint32_t)(h >> 32);
}

static size_t addr_len(uint8_t ip_version)
{
    return ip_version == 4 ? 4 : 16;
}

static uint32_t hash_segment(const struct tcp_segment *seg)
{
    size_t n = addr_len(seg->ip_version);
    uint32_t h =
        hash_endpoint(seg->src, n, seg->src_port) + hash_endpoint(seg->dst, n, seg->dst_port);
    return h ^ (h >> 15);
}

static bool endpoint_equal(const struct flow_endpoint *ep, const uint8_t *addr, size_t n,
                           uint16_t port)
{
    return ep->port == port && memcmp(ep->addr, addr, n) == 0;
}

/* Finds the flow of seg and sets *from_client; returns NULL when there is none. */
static struct flow *lookup(struct flow_table *ft, const struct tcp_segment *seg, uint32_t hash,
                           bool *from_client)
{
    size_t n = addr_len(seg->ip_version);
    for (uint32_t i = ft->buckets[hash & ft->bucket_mask]; i != FLOW_NONE;
         i = ft->flows[i].hash_next) {
        struct flow *f = &ft->flows[i];
        if (f->hash != hash || f->ip_version != seg->ip_version) {
            continue;
        }
        if (endpoint_equal(&f->client, seg->src, n, seg->src_port) &&
            endpoint_equal(&f->server, seg->dst, n, seg->dst_port)) {
            *from_client = true;
            return f;
        }
        if (endpoint_equal(&f->server, seg->src, n, seg->src_port) &&
            endpoint_equal(&f->client, seg->dst, n, seg->dst_port)) {
            *from_client = false;
            return f;
        }
    }
    return NULL;
}

static void lru_unlink(struct flow_table *ft, uint32_t i)
{
    struct flow *f = &ft->flows[i];
    if (f->lru_prev != FLOW_NONE) {
        ft->flows[f->lru_prev].lru_next = f->lru_next;
    } else {
        ft->lru_head = f->lru_next;
    }
    if (f->lru_next != FLOW_NONE) {
        ft->flows[f->lru_next].lru_prev = f->lru_prev;
    } else {
        ft->lru_tail = f->lru_prev;
    }
    f->lru_prev = FLOW_NONE;
    f->lru_next = FLOW_NONE;
}

static void lru_append(struct flow_table *ft, uint32_t i)
{
    struct flow *f = &ft->flows[i];
    f->lru_prev = ft->lru_tail;
    f->lru_next = FLOW_NONE;
    if (ft->lru_tail != FLOW_NONE) {
        ft->flows[ft->lru_tail].lru_next = i;
    } else {
        ft->lru_head = i;
    }
    ft->lru_tail = i;
}

static void hash_unlink(struct flow_table *ft, uint32_t i)
{
    uint32_t *link = &ft->buckets[ft->flows[i].hash & ft->bucket_mask];
    while (*link != FLOW_NONE && *link != i) {
        link = &ft->flows[*link].hash_next;
    }
    if (*link == i) {
        *link = ft->flows[i].hash_next;
    }
}

static void on_message(void *ctx, bool from_client, const uint8_t *msg, size_t len,
                       size_t total_len, const struct pkt_meta *pm)
{
    struct flow *f = ctx;
    smb_conn_message(f->smb, from_client, msg, len, total_len, pm);
}

static size_t on_message_need(void *ctx, bool from_client, const uint8_t *head, size_t head_len,
                              size_t total_len)
{
    struct flow *f = ctx;
    return smb_conn_message_need(f->smb, from_client, head, head_len, total_len);
}

static void on_stream_data(void *ctx, bool from_client, const uint8_t *data, size_t len,
                           const struct pkt_meta *pm)
{
    struct flow *f = ctx;
    if (f->app == FLOW_APP_SMB && f->smb != NULL) {
        struct nbss_output out = {.message = on_message, .need = on_message_need, .ctx = f};
        nbss_data(&f->nbss[from_client ? 0 : 1], data, len, pm, &out);
    } else if (f->app == FLOW_APP_DCERPC && f->rpc != NULL) {
        dcerpc_stream_data(f->rpc, from_client, data, len, pm);
    }
}

static void on_stream_gap(void *ctx, bool from_client)
{
    struct flow *f = ctx;
    if (f->app == FLOW_APP_SMB && f->smb != NULL) {
        nbss_gap(&f->nbss[from_client ? 0 : 1]);
        smb_conn_gap(f->smb, from_client);
    } else if (f->app == FLOW_APP_DCERPC && f->rpc != NULL) {
        dcerpc_stream_gap(f->rpc, from_client);
    }
}

static struct reasm_output stream_output(struct flow *f)
{
    return (struct reasm_output){.data = on_stream_data, .gap = on_stream_gap, .ctx = f};
}

/* Ends flow i: delivers held bytes, frees dissector state (emitting its events), frees the slot. */
static void flow_end(struct flow_table *ft, uint32_t i)
{
    struct flow *f = &ft->flows[i];
    struct reasm_output out = stream_output(f);
    for (int d = 0; d < 2; d++) {
        reasm_flush(&f->reasm[d], &out);
        reasm_clear(&f->reasm[d]);
    }
    smb_conn_free(f->smb);
    dcerpc_stream_free(f->rpc);
    for (int d = 0; d < 2; d++) {
        nbss_dir_free(&f->nbss[d]);
    }
    classify_flow_free(f->classify);
    hash_unlink(ft, i);
    lru_unlink(ft, i);
    f->in_use = false;
    f->smb = NULL;
    f->rpc = NULL;
    f->classify = NULL;
    f->hash_next = ft->free_head;
    ft->free_head = i;
    ft->count--;
}

static bool is_server_port(uint16_t port, const char *addr)
{
    return port == PORT_SMB_DIRECT || port == PORT_NETBIOS_SESSION || port == PORT_EPMAP ||
           flow_hint_is_dcerpc(addr, port);
}

/* Creates the dissector state for the flow's application, once it is known. */
static void app_start(struct flow *f, enum flow_app app)
{
    f->app = app;
    classify_flow_free(f->classify);
    f->classify = NULL;
    if (app == FLOW_APP_SMB) {
        f->smb = smb_conn_new(&f->meta);
        for (int d = 0; d < 2; d++) {
            bool synced = f->syn_seen[d] && !f->data_seen[d];
            nbss_dir_init(&f->nbss[d], d == 0, synced);
        }
        if (f->smb == NULL) {
            CTR_INC("flow.nomem");
        }
    } else if (app == FLOW_APP_DCERPC) {
        struct dcerpc_endpoint ep = {.conn = &f->meta};
        f->rpc = dcerpc_stream_new(&ep);
        if (f->rpc == NULL) {
            CTR_INC("flow.nomem");
        }
    }
}

static void endpoint_text(const uint8_t *addr, uint8_t ip_version, char *out, size_t out_size)
{
    int family = ip_version == 4 ? AF_INET : AF_INET6;
    if (inet_ntop(family, addr, out, (socklen_t)out_size) == NULL) {
        out[0] = '\0';
    }
}

/*
 * Decides which side is the client: the sender of a SYN, the receiver of a
 * SYN-ACK, else the side not on a well-known or hinted server port, else the
 * side with the higher port.
 */
static bool source_is_client(const struct tcp_segment *seg)
{
    if ((seg->flags & TCP_FLAG_SYN) != 0) {
        return (seg->flags & TCP_FLAG_ACK) == 0;
    }
    char src[46];
    char dst[46];
    endpoint_text(seg->src, seg->ip_version, src, sizeof(src));
    endpoint_text(seg->dst, seg->ip_version, dst, sizeof(dst));
    if (is_server_port(seg->dst_port, dst)) {
        return true;
    }
    if (is_server_port(seg->src_port, src)) {
        return false;
    }
    return seg->src_port > seg->dst_port;
}

/* Takes a free slot, evicting the least recently used flow when none is left. */
static uint32_t take_slot(struct flow_table *ft)
{
    if (ft->free_head == FLOW_NONE && ft->never_used < ft->capacity) {
        return ft->never_used++;
    }
    if (ft->free_head == FLOW_NONE) {
        CTR_INC("flow.evicted");
        flow_end(ft, ft->lru_head);
    }
    uint32_t i = ft->free_head;
    ft->free_head = ft->flows[i].hash_next;
    return i;
}

static void fill_endpoints(struct flow *f, const struct tcp_segment *seg, bool src_client)
{
    size_t n = addr_len(seg->ip_version);
    struct flow_endpoint src = {.port = seg->src_port};
    struct flow_endpoint dst = {.port = seg->dst_port};
    memcpy(src.addr, seg->src, n);
    memcpy(dst.addr, seg->dst, n);
    f->client = src_client ? src : dst;
    f->server = src_client ? dst : src;
}

static struct flow *flow_start(struct flow_table *ft, const struct tcp_segment *seg, uint32_t hash,
                               bool *from_client)
{
    uint32_t i = take_slot(ft);
    struct flow *f = &ft->flows[i];
    memset(f, 0, sizeof(*f));
    f->in_use = true;
    f->hash = hash;
    f->ip_version = seg->ip_version;
    *from_client = source_is_client(seg);
    fill_endpoints(f, seg, *from_client);
    endpoint_text(f->client.addr, f->ip_version, f->meta.client_addr, sizeof(f->meta.client_addr));
    endpoint_text(f->server.addr, f->ip_version, f->meta.server_addr, sizeof(f->meta.server_addr));
    f->meta.client_port = f->client.port;
    f->meta.server_port = f->server.port;
    f->meta.input = ft->input;
    f->meta.sink = *ft->sink;
    f->reasm[0].from_client = true;
    f->reasm[1].from_client = false;

    uint32_t *bucket = &ft->buckets[hash & ft->bucket_mask];
    f->hash_next = *bucket;
    *bucket = i;
    lru_append(ft, i);
    ft->count++;
    CTR_INC("flow.created");

    uint16_t port = f->server.port;
    if (port == PORT_SMB_DIRECT || port == PORT_NETBIOS_SESSION) {
        app_start(f, FLOW_APP_SMB);
    } else if (port == PORT_EPMAP || flow_hint_is_dcerpc(f->meta.server_addr, port)) {
        app_start(f, FLOW_APP_DCERPC);
    } else {
        f->classify = classify_flow_new();
        if (f->classify == NULL) {
            app_start(f, FLOW_APP_OTHER);
        }
    }
    return f;
}

/* Ends up to FLOW_EXPIRE_CHECKS flows idle longer than the timeout, oldest first. */
/* Returns whether a flow last active at last_us has been idle past the timeout at now_us. */
static bool idle_expired(int64_t last_us, int64_t now_us)
{
    if (wa_opts.flow_idle_timeout_s == 0) {
        return false;
    }
    uint64_t timeout_us = (uint64_t)wa_opts.flow_idle_timeout_s * 1000000;
    /* Unsigned difference: damaged timestamps may lie anywhere in the int64 range. */
    return now_us > last_us && (uint64_t)now_us - (uint64_t)last_us > timeout_us;
}

/*
 * Ends up to FLOW_EXPIRE_CHECKS flows idle past the timeout, oldest first.
 * Returns whether it ended any.
 */
static bool expire_idle(struct flow_table *ft, int64_t now_us)
{
    bool ended = false;
    for (int n = 0; n < FLOW_EXPIRE_CHECKS && ft->lru_head != FLOW_NONE; n++) {
        if (!idle_expired(ft->flows[ft->lru_head].last_us, now_us)) {
            break;
        }
        CTR_INC("flow.expired");
        flow_end(ft, ft->lru_head);
        ended = true;
    }
    return ended;
}

/*
 * Returns the flow of seg, starting one when seg may begin a connection; NULL
 * otherwise. f and *from_client are the result of lookup() for seg and hash.
 */
static struct flow *flow_find_or_start(struct flow_table *ft, const struct tcp_segment *seg,
                                       uint32_t hash, struct flow *f, bool *from_client)
{
    bool opening = (seg->flags & (TCP_FLAG_SYN | TCP_FLAG_ACK)) == TCP_FLAG_SYN;
    if (f != NULL && opening && (f->data_seen[0] || f->data_seen[1])) {
        /* A SYN on a flow that carried data starts a new connection on the same ports. */
        CTR_INC("flow.reused");
        flow_end(ft, (uint32_t)(f - ft->flows));
        f = NULL;
    }
    if (f != NULL) {
        return f;
    }
    /* Stray acknowledgements, FINs and RSTs of unknown connections start nothing. */
    if ((seg->flags & TCP_FLAG_RST) != 0 ||
        ((seg->flags & TCP_FLAG_SYN) == 0 && seg->payload_wire_len == 0)) {
        return NULL;
    }
    return flow_start(ft, seg, hash, from_client);
}

/*
 * How long after the flow's last verified segment a segment of discarded file
 * data may go unverified. Such a segment does not refresh the flow's idle time
 * (see flow_table_process()), so this bounds how far a damaged copy can be
 * from verified traffic.
 */
#define FLOW_UNVERIFIED_MAX_US 1000000

/*
 * Returns true when every payload byte of seg, sent in direction d of f at
 * time_us, is file data that the SMB framing discards by length (the body of
 * a READ response or WRITE request). Nothing such a segment carries can then
 * change what is dissected:
 * - its bytes are discarded whatever they hold;
 * - it is the next in order, so its sequence number only moves delivery over
 *   bytes that are discarded anyway, and a later copy of the same bytes is a
 *   retransmission;
 * - it has no SYN, FIN or RST;
 * - neither direction has out-of-order segments waiting, so its acknowledgement
 *   number is not used (see reasm_ack());
 * - its capture time is within FLOW_UNVERIFIED_MAX_US of the flow's last
 *   verified segment, and it does not count as activity, so it cannot keep an
 *   idle flow from expiring or from being evicted.
 * A checksum check may then be left out, which spares reading file data that
 * nothing else reads.
 */
static bool payload_discarded(const struct flow *f, int d, const struct tcp_segment *seg,
                              int64_t time_us)
{
    const struct reasm_dir *rd = &f->reasm[d];
    const struct nbss_dir *nd = &f->nbss[d];
    /* Unsigned difference: damaged timestamps may lie anywhere in the int64 range. */
    bool recent =
        time_us >= f->last_us && (uint64_t)time_us - (uint64_t)f->last_us <= FLOW_UNVERIFIED_MAX_US;
    return recent && f->app == FLOW_APP_SMB && f->smb != NULL && seg->payload_len != 0 &&
           seg->payload_len == seg->payload_wire_len &&
           (seg->flags & (TCP_FLAG_SYN | TCP_FLAG_FIN | TCP_FLAG_RST)) == 0 && rd->started &&
           rd->next_seq == seg->seq && rd->held == NULL && f->reasm[1 - d].held == NULL &&
           nd->state == NBSS_SKIP && nd->skip_len >= seg->payload_len;
}

/*
 * Feeds the segment to classification while the flow's application is undecided.
 * NOTE: payload seen before the decision is not dissected. SMB framing then
 * resynchronises on the next message, so a NEGOTIATE or SESSION_SETUP carried
 * by those packets is missed.
 */
static void flow_classify(struct flow *f, const struct tcp_segment *seg, const struct pkt_meta *pm)
{
    if (f->app != FLOW_APP_PENDING || f->classify == NULL) {
        return;
    }
    enum flow_app app = classify_packet(f->classify, seg->ip, seg->ip_len, pm->time_us,
                                        seg->payload, seg->payload_len);
    if (app != FLOW_APP_PENDING) {
        app_start(f, app);
    }
}

void flow_table_process(struct flow_table *ft, const struct tcp_segment *seg,
                        const struct pkt_meta *pm)
{
    uint32_t hash = hash_segment(seg);
    bool from_client = false;
    struct flow *f = lookup(ft, seg, hash, &from_client);
    bool verified = true;
    if (ft->accept != NULL) {
        if (f != NULL && payload_discarded(f, from_client ? 0 : 1, seg, pm->time_us)) {
            CTR_INC("tcp.checksum_not_needed");
            verified = false;
        } else if (!ft->accept(ft->accept_ctx, seg)) {
            return;
        }
    }
    /*
     * Only verified segments move the clock that ends idle flows, so a dropped
     * or unverified copy changes no flow's fate. A flow idle past the timeout
     * ends when its own next segment comes, however many flows the sweep has
     * ended before, so expiry does not depend on the traffic in between.
     */
    if (verified) {
        if (expire_idle(ft, pm->time_us)) {
            f = lookup(ft, seg, hash, &from_client);
        }
        if (f != NULL && idle_expired(f->last_us, pm->time_us)) {
            CTR_INC("flow.expired");
            flow_end(ft, (uint32_t)(f - ft->flows));
            f = NULL;
        }
    }
    f = flow_find_or_start(ft, seg, hash, f, &from_client);
    if (f == NULL) {
        return;
    }
    uint32_t i = (uint32_t)(f - ft->flows);
    int d = from_client ? 0 : 1;
    if (verified) {
        f->last_us = pm->time_us;
        lru_unlink(ft, i);
        lru_append(ft, i);
    }
    if ((seg->flags & TCP_FLAG_SYN) != 0 && !f->data_seen[d]) {
        f->syn_seen[d] = true;
        if (f->app == FLOW_APP_SMB) {
            /* The stream now starts at a message boundary, so no resynchronisation is needed. */
            nbss_dir_init(&f->nbss[d], d == 0, true);
        }
    }
    flow_classify(f, seg, pm);
    if (f->app == FLOW_APP_SMB || f->app == FLOW_APP_DCERPC) {
        struct reasm_output out = stream_output(f);
        if ((seg->flags & TCP_FLAG_ACK) != 0) {
            reasm_ack(&f->reasm[1 - d], seg->ack, &out);
        }
        reasm_add(&f->reasm[d], seg->seq, seg->flags, seg->payload, seg->payload_len,
                  seg->payload_wire_len, pm, &out);
    }
    if (seg->payload_wire_len > 0) {
        f->data_seen[d] = true;
    }
    if ((seg->flags & TCP_FLAG_FIN) != 0) {
        f->fin_seen[d] = true;
    }
    if ((seg->flags & TCP_FLAG_RST) != 0 || (f->fin_seen[0] && f->fin_seen[1])) {
        CTR_INC("flow.closed");
        flow_end(ft, i);
    }
}

struct flow_table *flow_table_new(uint32_t capacity, const char *input,
                                  const struct event_sink *sink)
{
    struct flow_table *ft = calloc(1, sizeof(*ft));
    if (ft == NULL) {
        return NULL;
    }
    ft->capacity = capacity != 0 ? capacity : 1;
    uint32_t buckets = 16;
    while (buckets < ft->capacity && buckets < (1u << 31)) {
        buckets *= 2;
    }
    ft->flows = calloc(ft->capacity, sizeof(*ft->flows));
    ft->buckets = malloc((size_t)buckets * sizeof(*ft->buckets));
    if (ft->flows == NULL || ft->buckets == NULL) {
        flow_table_free(ft);
        return NULL;
    }
    ft->bucket_mask = buckets - 1;
    memset(ft->buckets, 0xff, (size_t)buckets * sizeof(*ft->buckets));
    ft->free_head = FLOW_NONE;
    ft->never_used = 0;
    ft->lru_head = FLOW_NONE;
    ft->lru_tail = FLOW_NONE;
    ft->input = input;
    ft->sink = sink;
    return ft;
}

void flow_table_set_accept(struct flow_table *ft, flow_accept_fn accept, void *ctx)
{
    ft->accept = accept;
    ft->accept_ctx = ctx;
}

void flow_table_end_all(struct flow_table *ft)
{
    while (ft->lru_head != FLOW_NONE) {
        flow_end(ft, ft->lru_head);
    }
}

void flow_table_free(struct flow_table *ft)
{
    if (ft == NULL) {
        return;
    }
    if (ft->flows != NULL && ft->buckets != NULL) {
        flow_table_end_all(ft);
    }
    free(ft->flows);
    free(ft->buckets);
    free(ft);
}

const struct conn_meta *flow_table_find(struct flow_table *ft, const struct tcp_segment *seg,
                                        enum flow_app *app)
{
    bool from_client = false;
    struct flow *f = lookup(ft, seg, hash_segment(seg), &from_client);
    if (f == NULL) {
        return NULL;
    }
    *app = f->app;
    return &f->meta;
}

uint32_t flow_table_count(const struct flow_table *ft)
{
    return ft->count;
}
