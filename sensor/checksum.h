/*
 * IPv4 header and TCP checksum verification (RFC 791, RFC 9293, RFC 8200
 * section 8.1), and the automatic mode that stops verifying on captures taken
 * with checksum offload.
 *
 * A host that offloads checksums to its network card captures its own
 * outgoing packets before the card fills the checksum in, so those packets
 * carry wrong checksums although the receiver got correct ones.
 */
#ifndef WA_CHECKSUM_H
#define WA_CHECKSUM_H

#include <stdbool.h>
#include <stdint.h>

#include "decode.h"

/* Packets sampled at the start of an input before the automatic mode decides. */
#define CHECKSUM_SAMPLE_PACKETS 1000

enum checksum_result {
    CHECKSUM_GOOD,
    CHECKSUM_BAD_IP,      /* the IPv4 header checksum is wrong */
    CHECKSUM_BAD_TCP,     /* the TCP checksum is wrong */
    CHECKSUM_UNVERIFIABLE /* snapped, lengths taken from the capture, or IPv6 routing header */
};

/* Verifies the IPv4 header checksum (IPv4 only) and the TCP checksum of a decoded segment. */
enum checksum_result checksum_verify(const struct tcp_segment *seg);

/*
 * Sample of one input's first verifiable packets. The automatic mode stops
 * verifying when more than 1 in CHECKSUM_BAD_RATIO of them is bad. Sample
 * size and ratio are those of Suricata's checksum-validation: auto
 * (CHECKSUM_SAMPLE_COUNT and CHECKSUM_INVALID_RATIO in src/util-checksum.h).
 */
#define CHECKSUM_BAD_RATIO 10

struct checksum_sample {
    uint32_t packets; /* verifiable packets seen */
    uint32_t bad;     /* bad packets among them */
};

/* Adds one verification result to the sample. Unverifiable packets are not counted. */
void checksum_sample_add(struct checksum_sample *sample, enum checksum_result result);

/* Returns true when the sample is full, so the decision is final. */
bool checksum_sample_full(const struct checksum_sample *sample);

/* Returns true when the sampled packets look like a capture with checksum offload. */
bool checksum_sample_offloaded(const struct checksum_sample *sample);

#endif
