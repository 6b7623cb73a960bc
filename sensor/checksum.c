/* IPv4 header and TCP checksums: the ones' complement sum of RFC 1071. */
#include "checksum.h"

#include <stddef.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/*
 * Returns the ones' complement sum of data as 16-bit words in host byte order,
 * not yet folded. RFC 1071 section 2 shows the sum is independent of byte
 * order and that 32-bit words may be added and folded later, so words are
 * added as 32-bit halves into 64-bit sums: sixteen bytes at a time with SSE2
 * (part of every x86-64 processor), eight at a time elsewhere. An odd last
 * byte is padded with a zero byte. Packets of up to 64 KiB cannot carry a
 * 64-bit sum over.
 */
static uint64_t sum_bytes(const uint8_t *data, size_t len)
{
    uint64_t sum = 0;
    size_t i = 0;
#ifdef __SSE2__
    __m128i zero = _mm_setzero_si128();
    __m128i acc = zero;
    for (; i + 16 <= len; i += 16) {
        __m128i words = _mm_loadu_si128((const __m128i *)(const void *)(data + i));
        acc = _mm_add_epi64(acc, _mm_unpacklo_epi32(words, zero));
        acc = _mm_add_epi64(acc, _mm_unpackhi_epi32(words, zero));
    }
    uint64_t lanes[2];
    _mm_storeu_si128((__m128i *)(void *)lanes, acc);
    sum = lanes[0] + lanes[1];
#endif
    for (; i + 8 <= len; i += 8) {
        uint64_t words;
        memcpy(&words, data + i, sizeof(words));
        sum += (words & 0xffffffffu) + (words >> 32);
    }
    for (; i + 4 <= len; i += 4) {
        uint32_t word;
        memcpy(&word, data + i, sizeof(word));
        sum += word;
    }
    for (; i + 2 <= len; i += 2) {
        uint16_t word;
        memcpy(&word, data + i, sizeof(word));
        sum += word;
    }
    if (i < len) {
        uint8_t last[2] = {data[i], 0};
        uint16_t word;
        memcpy(&word, last, sizeof(word));
        sum += word;
    }
    return sum;
}

/* Folds the carries into 16 bits. Data with a correct checksum folds to 0xffff in either byte
 * order. */
static uint16_t fold(uint64_t sum)
{
    while (sum >> 16 != 0) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return (uint16_t)sum;
}

/* Returns the sum of the TCP pseudo-header: addresses, protocol 6 and TCP length. */
static uint64_t sum_pseudo_header(const struct tcp_segment *seg)
{
    uint8_t pseudo[40];
    size_t address_len = seg->ip_version == 4 ? 4 : 16;
    memcpy(pseudo, seg->src, address_len);
    memcpy(pseudo + address_len, seg->dst, address_len);
    uint8_t *tail = pseudo + 2 * address_len;
    uint32_t tcp_len = (uint32_t)seg->tcp_wire_len;
    /* IPv4: zero, protocol, 16-bit length. IPv6: 32-bit length, three zeros, next header. */
    if (seg->ip_version == 4) {
        tail[0] = 0;
        tail[1] = 6;
        tail[2] = (uint8_t)(tcp_len >> 8);
        tail[3] = (uint8_t)tcp_len;
        return sum_bytes(pseudo, 12);
    }
    tail[0] = (uint8_t)(tcp_len >> 24);
    tail[1] = (uint8_t)(tcp_len >> 16);
    tail[2] = (uint8_t)(tcp_len >> 8);
    tail[3] = (uint8_t)tcp_len;
    tail[4] = 0;
    tail[5] = 0;
    tail[6] = 0;
    tail[7] = 6;
    return sum_bytes(pseudo, 40);
}

enum checksum_result checksum_verify(const struct tcp_segment *seg)
{
    /*
     * With an IPv6 routing header the pseudo-header contains the final destination
     * from that header (RFC 8200 section 8.1), which is not decoded here.
     */
    if (seg->ip_len_from_capture || seg->ipv6_routing_header ||
        seg->payload_len != seg->payload_wire_len || seg->tcp == NULL) {
        return CHECKSUM_UNVERIFIABLE;
    }
    if (seg->ip_version == 4 && fold(sum_bytes(seg->ip, seg->ip_header_len)) != 0xffff) {
        return CHECKSUM_BAD_IP;
    }
    uint64_t sum = sum_pseudo_header(seg) + sum_bytes(seg->tcp, seg->tcp_wire_len);
    if (fold(sum) != 0xffff) {
        return CHECKSUM_BAD_TCP;
    }
    return CHECKSUM_GOOD;
}

void checksum_sample_add(struct checksum_sample *sample, enum checksum_result result)
{
    if (result == CHECKSUM_UNVERIFIABLE || checksum_sample_full(sample)) {
        return;
    }
    sample->packets++;
    if (result != CHECKSUM_GOOD) {
        sample->bad++;
    }
}

bool checksum_sample_full(const struct checksum_sample *sample)
{
    return sample->packets >= CHECKSUM_SAMPLE_PACKETS;
}

bool checksum_sample_offloaded(const struct checksum_sample *sample)
{
    return (uint64_t)sample->bad * CHECKSUM_BAD_RATIO > sample->packets;
}
