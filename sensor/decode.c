/* Link-layer, IPv4/IPv6 and TCP header decoding (RFC 791, RFC 8200, RFC 9293). */
#include "decode.h"

#include <string.h>

#include "../dissectors/cursor.h"
#include "counters.h"

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd
#define ETHERTYPE_VLAN 0x8100
#define ETHERTYPE_QINQ 0x88a8
#define ETHERTYPE_QINQ_OLD 0x9100

#define VLAN_TAGS_MAX 8
#define IPV6_EXTENSIONS_MAX 8

#define IPPROTO_NUM_TCP 6
#define IPV6_HOP_BY_HOP 0
#define IPV6_ROUTING 43
#define IPV6_FRAGMENT 44
#define IPV6_AUTH 51
#define IPV6_DEST_OPTS 60

static enum wa_status cursor_status(const struct cursor *c)
{
    return c->status == CUR_TRUNCATED ? WA_NEED_MORE : WA_MALFORMED;
}

static enum wa_status decode_tcp(struct cursor *c, size_t wire_len, struct tcp_segment *seg)
{
    size_t start = cur_offset(c);
    seg->tcp = c->base + start;
    seg->tcp_wire_len = wire_len;
    seg->src_port = cur_be16(c);
    seg->dst_port = cur_be16(c);
    seg->seq = cur_be32(c);
    seg->ack = cur_be32(c);
    uint8_t data_offset = cur_u8(c);
    seg->flags = cur_u8(c);
    if (!cur_ok(c)) {
        return cursor_status(c);
    }
    size_t header_len = (size_t)(data_offset >> 4) * 4;
    if (header_len < 20 || header_len > wire_len) {
        return WA_MALFORMED;
    }
    cur_seek(c, start + header_len);
    if (!cur_ok(c)) {
        return WA_NEED_MORE;
    }
    seg->payload_wire_len = wire_len - header_len;
    seg->payload_len = WA_MIN(cur_left(c), seg->payload_wire_len);
    seg->payload = cur_view(c, seg->payload_len);
    return WA_OK;
}

static enum wa_status decode_ipv4(struct cursor *c, struct tcp_segment *seg)
{
    seg->ip = c->base + cur_offset(c);
    size_t start = cur_offset(c);
    uint8_t version_ihl = cur_u8(c);
    cur_skip(c, 1);
    uint16_t total_len = cur_be16(c);
    cur_skip(c, 2);
    uint16_t fragment = cur_be16(c);
    cur_skip(c, 1);
    uint8_t protocol = cur_u8(c);
    cur_skip(c, 2);
    cur_copy(c, seg->src, sizeof(seg->src), 4);
    cur_copy(c, seg->dst, sizeof(seg->dst), 4);
    if (!cur_ok(c)) {
        return cursor_status(c);
    }
    size_t header_len = (size_t)(version_ihl & 0x0f) * 4;
    size_t present = c->len - start;
    /* A total length of 0 appears in captures of TCP segmentation offload: use what is present. */
    size_t ip_len = total_len != 0 ? total_len : present;
    if ((version_ihl >> 4) != 4 || header_len < 20 || ip_len < header_len) {
        return WA_MALFORMED;
    }
    seg->ip_version = 4;
    seg->ip_len = WA_MIN(ip_len, present);
    seg->ip_header_len = header_len;
    seg->ip_len_from_capture = total_len == 0;
    if ((fragment & 0x3fff) != 0) { /* more-fragments flag or a nonzero offset */
        CTR_INC("ip.fragments");
        return WA_UNSUPPORTED;
    }
    if (protocol != IPPROTO_NUM_TCP) {
        return WA_UNSUPPORTED;
    }
    cur_seek(c, start + header_len);
    struct cursor ip_payload;
    cur_init(&ip_payload, c->base + cur_offset(c), seg->ip_len - WA_MIN(seg->ip_len, header_len));
    if (!cur_ok(c)) {
        return WA_NEED_MORE;
    }
    return decode_tcp(&ip_payload, ip_len - header_len, seg);
}

/* Walks IPv6 extension headers; returns the upper-layer protocol or -1 when not TCP-reachable. */
static int ipv6_skip_extensions(struct cursor *c, uint8_t next, size_t *wire_left,
                                struct tcp_segment *seg)
{
    for (int i = 0; i < IPV6_EXTENSIONS_MAX; i++) {
        size_t start = cur_offset(c);
        size_t ext_len;
        if (next == IPV6_ROUTING) {
            seg->ipv6_routing_header = true;
        }
        if (next == IPV6_HOP_BY_HOP || next == IPV6_ROUTING || next == IPV6_DEST_OPTS) {
            uint8_t following = cur_u8(c);
            ext_len = ((size_t)cur_u8(c) + 1) * 8;
            next = following;
        } else if (next == IPV6_AUTH) {
            uint8_t following = cur_u8(c);
            ext_len = ((size_t)cur_u8(c) + 2) * 4;
            next = following;
        } else if (next == IPV6_FRAGMENT) {
            uint8_t following = cur_u8(c);
            cur_skip(c, 1);
            uint16_t offset_flags = cur_be16(c);
            ext_len = 8;
            next = following;
            if (cur_ok(c) && offset_flags != 0) { /* not an atomic fragment */
                CTR_INC("ip.fragments");
                return -1;
            }
        } else {
            return next;
        }
        if (!cur_ok(c) || ext_len > *wire_left) {
            return -1;
        }
        cur_seek(c, start + ext_len);
        *wire_left -= ext_len;
    }
    return -1;
}

static enum wa_status decode_ipv6(struct cursor *c, struct tcp_segment *seg)
{
    seg->ip = c->base + cur_offset(c);
    size_t start = cur_offset(c);
    uint32_t version_class_label = cur_be32(c);
    uint16_t payload_len = cur_be16(c);
    uint8_t next = cur_u8(c);
    cur_skip(c, 1);
    cur_copy(c, seg->src, sizeof(seg->src), 16);
    cur_copy(c, seg->dst, sizeof(seg->dst), 16);
    if (!cur_ok(c)) {
        return cursor_status(c);
    }
    if ((version_class_label >> 28) != 6) {
        return WA_MALFORMED;
    }
    size_t present = c->len - start;
    /* A payload length of 0 is a jumbogram or offloaded segment: use what is present. */
    size_t wire_left = payload_len != 0 ? payload_len : present - 40;
    seg->ip_version = 6;
    seg->ip_len = WA_MIN(40 + wire_left, present);
    seg->ip_header_len = 40;
    seg->ip_len_from_capture = payload_len == 0;
    struct cursor ip_payload;
    cur_init(&ip_payload, c->base + cur_offset(c), seg->ip_len - 40);
    int protocol = ipv6_skip_extensions(&ip_payload, next, &wire_left, seg);
    if (protocol != IPPROTO_NUM_TCP) {
        return ip_payload.status == CUR_TRUNCATED ? WA_NEED_MORE : WA_UNSUPPORTED;
    }
    struct cursor tcp;
    cur_init(&tcp, ip_payload.base + cur_offset(&ip_payload), cur_left(&ip_payload));
    return decode_tcp(&tcp, wire_left, seg);
}

/* Decodes from an EtherType onwards, stepping over VLAN tags. */
static enum wa_status decode_ethertype(struct cursor *c, uint16_t type, struct tcp_segment *seg)
{
    for (int tags = 0;
         type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ || type == ETHERTYPE_QINQ_OLD; tags++) {
        if (tags == VLAN_TAGS_MAX) {
            return WA_UNSUPPORTED;
        }
        cur_skip(c, 2); /* priority, DEI and VLAN id */
        type = cur_be16(c);
    }
    if (!cur_ok(c)) {
        return cursor_status(c);
    }
    if (type == ETHERTYPE_IPV4) {
        return decode_ipv4(c, seg);
    }
    if (type == ETHERTYPE_IPV6) {
        return decode_ipv6(c, seg);
    }
    return WA_UNSUPPORTED;
}

/* Decodes raw IP, choosing the version from the first nibble. */
static enum wa_status decode_ip(struct cursor *c, struct tcp_segment *seg)
{
    if (cur_left(c) == 0) {
        return WA_NEED_MORE;
    }
    uint8_t version = (uint8_t)(c->base[cur_offset(c)] >> 4);
    if (version == 4) {
        return decode_ipv4(c, seg);
    }
    if (version == 6) {
        return decode_ipv6(c, seg);
    }
    return WA_UNSUPPORTED;
}

/*
 * BSD loopback: a 4-byte address family. DLT_NULL stores it in the capturing
 * host's byte order, so both orders are tried; AF_INET6 is 24, 28 or 30
 * depending on the BSD.
 */
static enum wa_status decode_loopback(struct cursor *c, bool network_order, struct tcp_segment *seg)
{
    uint32_t family = network_order ? cur_be32(c) : cur_le32(c);
    if (!cur_ok(c)) {
        return WA_NEED_MORE;
    }
    if (!network_order && family > 0xffff) {
        family = __builtin_bswap32(family);
    }
    if (family == 2) {
        return decode_ipv4(c, seg);
    }
    if (family == 24 || family == 28 || family == 30) {
        return decode_ipv6(c, seg);
    }
    return WA_UNSUPPORTED;
}

bool decode_linktype_supported(int linktype)
{
    switch (linktype) {
    case DECODE_LINKTYPE_ETHERNET:
    case DECODE_LINKTYPE_LINUX_SLL:
    case DECODE_LINKTYPE_LINUX_SLL2:
    case DECODE_LINKTYPE_RAW_12:
    case DECODE_LINKTYPE_RAW_14:
    case DECODE_LINKTYPE_RAW:
    case DECODE_LINKTYPE_IPV4:
    case DECODE_LINKTYPE_IPV6:
    case DECODE_LINKTYPE_NULL:
    case DECODE_LINKTYPE_LOOP:
        return true;
    default:
        return false;
    }
}

enum wa_status decode_packet(int linktype, const uint8_t *data, size_t len, struct tcp_segment *seg)
{
    memset(seg, 0, sizeof(*seg));
    struct cursor c;
    cur_init(&c, data, len);
    switch (linktype) {
    case DECODE_LINKTYPE_ETHERNET:
        cur_skip(&c, 12);
        return decode_ethertype(&c, cur_be16(&c), seg);
    case DECODE_LINKTYPE_LINUX_SLL:
        cur_skip(&c, 14); /* packet type, ARPHRD type, address length, 8-byte address */
        return decode_ethertype(&c, cur_be16(&c), seg);
    case DECODE_LINKTYPE_LINUX_SLL2: {
        uint16_t protocol = cur_be16(&c);
        cur_skip(&c, 18); /* reserved, interface index, ARPHRD, packet type, address */
        return decode_ethertype(&c, protocol, seg);
    }
    case DECODE_LINKTYPE_RAW_12:
    case DECODE_LINKTYPE_RAW_14:
    case DECODE_LINKTYPE_RAW:
    case DECODE_LINKTYPE_IPV4:
    case DECODE_LINKTYPE_IPV6:
        return decode_ip(&c, seg);
    case DECODE_LINKTYPE_NULL:
        return decode_loopback(&c, false, seg);
    case DECODE_LINKTYPE_LOOP:
        return decode_loopback(&c, true, seg);
    default:
        return WA_UNSUPPORTED;
    }
}
