/*
 * TCP reassembly of one direction of a connection (RFC 9293 sequence space).
 *
 * In-order bytes are handed to a callback as they arrive. Segments ahead of
 * the expected sequence number are copied and held, up to
 * wa_opts.reasm_buffer_max bytes per direction and REASM_POOL_MAX bytes per
 * process. Retransmitted bytes are dropped and overlaps keep the first copy.
 * A hole is given up when the buffer cap is hit, when the peer acknowledges
 * bytes that were never captured, when the connection ends, or when the snap
 * length cut a segment short. The gap callback is then called and delivery
 * resumes after the hole.
 *
 * A retransmission or overlap whose bytes differ from the first copy is
 * counted as "reasm.overlap_mismatch": an attacker may send different data
 * to the sensor and to the receiver that way. Bytes still held are compared
 * in full. Delivered bytes are compared against the last REASM_TAIL_BYTES of
 * the direction only.
 */
#ifndef WA_REASM_H
#define WA_REASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../dissectors/proto.h"

/* Out-of-order bytes held at once by all connections together. */
#define REASM_POOL_MAX (64u << 20)

/* Receives the in-order byte stream of one direction. */
struct reasm_output {
    void (*data)(void *ctx, bool from_client, const uint8_t *data, size_t len,
                 const struct pkt_meta *pm);
    void (*gap)(void *ctx, bool from_client);
    void *ctx;
};

struct reasm_segment;

/* Delivered bytes kept per direction to compare retransmissions with. */
#define REASM_TAIL_BYTES 64

/* One direction's reassembly state; zero-initialised means "no segment seen yet". */
struct reasm_dir {
    bool started;               /* next_seq is valid */
    bool from_client;           /* passed to the output callbacks */
    uint32_t next_seq;          /* sequence number of the next byte to deliver */
    struct reasm_segment *held; /* out-of-order segments, sorted by sequence number */
    size_t held_bytes;
    uint32_t tail_len;              /* valid bytes in tail, ending at next_seq */
    uint8_t tail[REASM_TAIL_BYTES]; /* the last delivered bytes */
};

/*
 * Adds one captured segment: seq and flags from its TCP header, len payload
 * bytes present in the capture out of wire_len sent. Delivers whatever
 * becomes in order. The first segment seen sets the starting point, so a
 * capture that begins mid-connection delivers from there.
 */
void reasm_add(struct reasm_dir *dir, uint32_t seq, uint8_t flags, const uint8_t *payload,
               size_t len, size_t wire_len, const struct pkt_meta *pm,
               const struct reasm_output *out);

/*
 * Tells the direction that its peer acknowledged everything before ack. When
 * held segments wait behind a hole that the acknowledgement covers, the hole
 * was lost from the capture: reports a gap and delivers the held bytes.
 */
void reasm_ack(struct reasm_dir *dir, uint32_t ack, const struct reasm_output *out);

/* Delivers every held segment, reporting a gap before each hole; used when the flow ends. */
void reasm_flush(struct reasm_dir *dir, const struct reasm_output *out);

/* Frees held segments without delivering them. */
void reasm_clear(struct reasm_dir *dir);

/* Returns the out-of-order bytes currently held by all directions together. */
size_t reasm_pool_bytes(void);

#endif
