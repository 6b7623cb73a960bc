/*
 * Link-layer, IP and TCP header decoding of one captured packet.
 *
 * Link types, numbered as in tcpdump.org/linktypes.html: Ethernet with any
 * stack of 802.1Q/802.1ad/QinQ tags (0x8100, 0x88a8, 0x9100), and Linux cooked
 * SLL and SLL2. Raw IP: DLT_RAW 12 and 14, LINKTYPE_RAW 101, LINKTYPE_IPV4 228
 * and LINKTYPE_IPV6 229. BSD loopback: DLT_NULL with the address family in
 * either byte order, and DLT_LOOP in network order.
 */
#ifndef WA_DECODE_H
#define WA_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"

#define DECODE_LINKTYPE_NULL 0
#define DECODE_LINKTYPE_ETHERNET 1
#define DECODE_LINKTYPE_RAW_12 12
#define DECODE_LINKTYPE_RAW_14 14
#define DECODE_LINKTYPE_RAW 101
#define DECODE_LINKTYPE_LOOP 108
#define DECODE_LINKTYPE_LINUX_SLL 113
#define DECODE_LINKTYPE_IPV4 228
#define DECODE_LINKTYPE_IPV6 229
#define DECODE_LINKTYPE_LINUX_SLL2 276

#define TCP_FLAG_FIN 0x01
#define TCP_FLAG_SYN 0x02
#define TCP_FLAG_RST 0x04
#define TCP_FLAG_ACK 0x10

/* A decoded TCP segment; pointers borrow the packet. */
struct tcp_segment {
    uint8_t ip_version; /* 4 or 6 */
    uint8_t src[16];    /* IPv4 addresses use the first 4 bytes */
    uint8_t dst[16];
    uint16_t src_port;
    uint16_t dst_port;
    uint32_t seq;
    uint32_t ack;
    uint8_t flags;            /* TCP_FLAG_* */
    const uint8_t *ip;        /* start of the IP header, for nDPI */
    size_t ip_len;            /* IP bytes present in the capture */
    size_t ip_header_len;     /* IPv4 header bytes including options; 40 for IPv6 */
    bool ip_len_from_capture; /* total or payload length was 0, so lengths come from caplen */
    bool ipv6_routing_header; /* so the pseudo-header destination is not decoded */
    const uint8_t *tcp;       /* start of the TCP header */
    size_t tcp_wire_len;      /* TCP header plus payload bytes on the wire */
    const uint8_t *payload;
    size_t payload_len;      /* payload bytes present in the capture */
    size_t payload_wire_len; /* payload bytes on the wire; more than payload_len when snapped */
};

/*
 * Decodes packet data of len bytes captured on linktype into seg.
 * Returns WA_OK for a TCP segment, WA_UNSUPPORTED for anything else that is
 * valid (other link types, non-IP, non-TCP, IP fragments: counted as
 * "ip.fragments"), WA_NEED_MORE when a header is cut off by the snap length
 * and WA_MALFORMED for impossible header values.
 */
enum wa_status decode_packet(int linktype, const uint8_t *data, size_t len,
                             struct tcp_segment *seg) WA_WARN_UNUSED;

/* Returns true when decode_packet() decodes packets of linktype. */
bool decode_linktype_supported(int linktype);

#endif
