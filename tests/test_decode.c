/* Unit tests for link-layer, IP and TCP decoding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../sensor/counters.h"
#include "../sensor/decode.h"

/* TCP payload used by every frame: "SMB!" */
static const uint8_t tcp_payload[] = {'S', 'M', 'B', '!'};

/* Writes an IPv4 header for 10.0.0.1 -> 10.0.0.2 carrying protocol, then the TCP segment. */
static size_t put_ipv4(uint8_t *p, uint8_t protocol, uint16_t fragment)
{
    static const uint8_t header[20] = {
        0x45, 0x00, 0x00, 0x00, /* version 4, IHL 5, total length patched below */
        0x12, 0x34, 0x00, 0x00, /* id, flags and fragment offset patched below */
        0x40, 0x06, 0x00, 0x00, /* TTL 64, protocol patched below, checksum */
        10, 0, 0, 1, 10, 0, 0, 2};
    memcpy(p, header, sizeof(header));
    p[9] = protocol;
    p[6] = (uint8_t)(fragment >> 8);
    p[7] = (uint8_t)fragment;
    return sizeof(header);
}

/* Writes a TCP header 49152 -> 445, seq 1000, ack 2000, flags PSH|ACK, then the payload. */
static size_t put_tcp(uint8_t *p)
{
    static const uint8_t header[20] = {
        0xc0, 0x00, 0x01, 0xbd, /* ports 49152 -> 445 */
        0x00, 0x00, 0x03, 0xe8, /* seq 1000 */
        0x00, 0x00, 0x07, 0xd0, /* ack 2000 */
        0x50, 0x18, 0xff, 0xff, /* data offset 5, PSH|ACK, window */
        0x00, 0x00, 0x00, 0x00};
    memcpy(p, header, sizeof(header));
    memcpy(p + sizeof(header), tcp_payload, sizeof(tcp_payload));
    return sizeof(header) + sizeof(tcp_payload);
}

static size_t put_ipv4_tcp(uint8_t *p)
{
    size_t n = put_ipv4(p, 6, 0);
    n += put_tcp(p + n);
    p[2] = (uint8_t)(n >> 8);
    p[3] = (uint8_t)n;
    return n;
}

/* IPv6 2001:db8::1 -> 2001:db8::2 with a hop-by-hop options header before TCP. */
static size_t put_ipv6_tcp(uint8_t *p)
{
    memset(p, 0, 40);
    p[0] = 0x60;
    p[6] = 0; /* next header: hop-by-hop */
    p[7] = 64;
    p[8] = 0x20;
    p[9] = 0x01;
    p[10] = 0x0d;
    p[11] = 0xb8;
    memcpy(p + 24, p + 8, 16);
    p[23] = 1;
    p[39] = 2;
    uint8_t *hop = p + 40;
    memset(hop, 0, 8);
    hop[0] = 6; /* next header TCP, length 0 means 8 bytes */
    hop[2] = 1; /* PadN option filling the rest */
    hop[3] = 4;
    size_t n = 48 + put_tcp(p + 48);
    p[4] = (uint8_t)((n - 40) >> 8);
    p[5] = (uint8_t)(n - 40);
    return n;
}

static void check_segment(const struct tcp_segment *seg, uint8_t ip_version)
{
    assert_int_equal(seg->ip_version, ip_version);
    assert_int_equal(seg->src_port, 49152);
    assert_int_equal(seg->dst_port, 445);
    assert_int_equal(seg->seq, 1000);
    assert_int_equal(seg->ack, 2000);
    assert_int_equal(seg->flags, 0x18);
    assert_int_equal(seg->payload_len, sizeof(tcp_payload));
    assert_int_equal(seg->payload_wire_len, sizeof(tcp_payload));
    assert_memory_equal(seg->payload, tcp_payload, sizeof(tcp_payload));
}

static size_t put_ethernet(uint8_t *p, const uint16_t *types, size_t type_count)
{
    memset(p, 0x11, 12); /* destination and source MAC */
    size_t n = 12;
    for (size_t i = 0; i < type_count; i++) {
        p[n++] = (uint8_t)(types[i] >> 8);
        p[n++] = (uint8_t)types[i];
        if (i + 1 < type_count) {
            p[n++] = 0x00; /* tag control: VLAN 7 */
            p[n++] = 0x07;
        }
    }
    return n;
}

static void test_decode_ethernet_vlan_stacks(void **state)
{
    (void)state;
    static const uint16_t plain[] = {0x0800};
    static const uint16_t dot1q[] = {0x8100, 0x0800};
    static const uint16_t qinq[] = {0x88a8, 0x8100, 0x0800};
    static const uint16_t qinq_old[] = {0x9100, 0x8100, 0x0800};
    const uint16_t *stacks[] = {plain, dot1q, qinq, qinq_old};
    size_t counts[] = {1, 2, 3, 3};
    for (size_t i = 0; i < 4; i++) {
        uint8_t frame[256];
        size_t n = put_ethernet(frame, stacks[i], counts[i]);
        n += put_ipv4_tcp(frame + n);
        memset(frame + n, 0, 6); /* Ethernet padding after the IP packet is ignored */
        struct tcp_segment seg;
        assert_int_equal(decode_packet(1, frame, n + 6, &seg), WA_OK);
        check_segment(&seg, 4);
        assert_int_equal(seg.src[0], 10);
        assert_int_equal(seg.dst[3], 2);
    }
}

static void test_decode_linux_sll_and_sll2(void **state)
{
    (void)state;
    uint8_t frame[256];
    memset(frame, 0, 16); /* SLL: packet type, ARPHRD, address length, address */
    frame[14] = 0x08;
    size_t n = 16 + put_ipv4_tcp(frame + 16);
    struct tcp_segment seg;
    assert_int_equal(decode_packet(113, frame, n, &seg), WA_OK);
    check_segment(&seg, 4);

    memset(frame, 0, 20); /* SLL2: protocol first */
    frame[0] = 0x86;
    frame[1] = 0xdd;
    n = 20 + put_ipv6_tcp(frame + 20);
    assert_int_equal(decode_packet(276, frame, n, &seg), WA_OK);
    check_segment(&seg, 6);
    assert_int_equal(seg.src[15], 1);
    assert_int_equal(seg.dst[15], 2);
}

static void test_decode_raw_ip_linktypes(void **state)
{
    (void)state;
    static const int linktypes[] = {12, 14, 101, 228, 229};
    for (size_t i = 0; i < WA_ARRAY_LEN(linktypes); i++) {
        uint8_t frame[256];
        bool v6 = linktypes[i] == 229;
        size_t n = v6 ? put_ipv6_tcp(frame) : put_ipv4_tcp(frame);
        struct tcp_segment seg;
        assert_int_equal(decode_packet(linktypes[i], frame, n, &seg), WA_OK);
        check_segment(&seg, v6 ? 6 : 4);
    }
}

static void test_decode_bsd_loopback_both_byte_orders(void **state)
{
    (void)state;
    /* DLT_NULL little-endian AF_INET, DLT_NULL big-endian AF_INET6 (30), DLT_LOOP AF_INET */
    static const uint8_t headers[3][4] = {{2, 0, 0, 0}, {0, 0, 0, 30}, {0, 0, 0, 2}};
    static const int linktypes[3] = {0, 0, 108};
    for (size_t i = 0; i < 3; i++) {
        uint8_t frame[256];
        memcpy(frame, headers[i], 4);
        bool v6 = i == 1;
        size_t n = 4 + (v6 ? put_ipv6_tcp(frame + 4) : put_ipv4_tcp(frame + 4));
        struct tcp_segment seg;
        assert_int_equal(decode_packet(linktypes[i], frame, n, &seg), WA_OK);
        check_segment(&seg, v6 ? 6 : 4);
    }
}

static void test_decode_ip_fragments_counted_and_skipped(void **state)
{
    (void)state;
    ctr_reset_all();
    uint8_t frame[256];
    size_t n = put_ipv4(frame, 6, 0x2000); /* more fragments */
    n += put_tcp(frame + n);
    frame[3] = (uint8_t)n;
    struct tcp_segment seg;
    assert_int_equal(decode_packet(101, frame, n, &seg), WA_UNSUPPORTED);
    assert_int_equal(ctr_value("ip.fragments"), 1);

    n = put_ipv6_tcp(frame);
    frame[40] = 44; /* turn the hop-by-hop header into a fragment header, offset 8 */
    frame[6] = 44;
    frame[40] = 6;
    frame[42] = 0x00;
    frame[43] = 0x08;
    assert_int_equal(decode_packet(229, frame, n, &seg), WA_UNSUPPORTED);
    assert_int_equal(ctr_value("ip.fragments"), 2);
}

static void test_decode_non_tcp_is_unsupported(void **state)
{
    (void)state;
    uint8_t frame[256];
    size_t n = put_ipv4(frame, 17, 0); /* UDP */
    n += put_tcp(frame + n);
    frame[3] = (uint8_t)n;
    struct tcp_segment seg;
    assert_int_equal(decode_packet(101, frame, n, &seg), WA_UNSUPPORTED);
    static const uint16_t arp[] = {0x0806};
    n = put_ethernet(frame, arp, 1);
    memset(frame + n, 0, 28);
    assert_int_equal(decode_packet(1, frame, n + 28, &seg), WA_UNSUPPORTED);
    assert_int_equal(decode_packet(147, frame, n, &seg), WA_UNSUPPORTED); /* unknown link type */
}

static void test_decode_snapped_payload_keeps_wire_length(void **state)
{
    (void)state;
    uint8_t frame[256];
    size_t n = put_ipv4_tcp(frame);
    struct tcp_segment seg;
    assert_int_equal(decode_packet(101, frame, n - 3, &seg), WA_OK);
    assert_int_equal(seg.payload_len, 1);
    assert_int_equal(seg.payload_wire_len, 4);
}

static void test_decode_rejects_impossible_headers(void **state)
{
    (void)state;
    uint8_t frame[256];
    size_t n = put_ipv4_tcp(frame);
    struct tcp_segment seg;
    frame[0] = 0x44; /* IHL 4: shorter than the fixed header */
    assert_int_equal(decode_packet(101, frame, n, &seg), WA_MALFORMED);
    n = put_ipv4_tcp(frame);
    frame[20 + 12] = 0x40; /* TCP data offset 4 */
    assert_int_equal(decode_packet(101, frame, n, &seg), WA_MALFORMED);
    n = put_ipv4_tcp(frame);
    frame[20 + 12] = 0xf0; /* TCP header of 60 bytes in a 44-byte packet */
    assert_int_equal(decode_packet(101, frame, n, &seg), WA_MALFORMED);
}

/* Every prefix of each frame decodes to a status without reading past the prefix. */
static void test_decode_truncation_sweep(void **state)
{
    (void)state;
    static const uint16_t qinq[] = {0x88a8, 0x8100, 0x86dd};
    uint8_t frame[256];
    size_t n = put_ethernet(frame, qinq, 3);
    n += put_ipv6_tcp(frame + n);
    for (size_t cut = 0; cut <= n; cut++) {
        uint8_t copy[256];
        memcpy(copy, frame, cut);
        struct tcp_segment seg;
        enum wa_status status = decode_packet(1, copy, cut, &seg);
        if (cut < n - sizeof(tcp_payload)) {
            assert_int_not_equal(status, WA_OK);
        } else {
            assert_int_equal(status, WA_OK);
            assert_int_equal(seg.payload_len, cut - (n - sizeof(tcp_payload)));
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode_ethernet_vlan_stacks),
        cmocka_unit_test(test_decode_linux_sll_and_sll2),
        cmocka_unit_test(test_decode_raw_ip_linktypes),
        cmocka_unit_test(test_decode_bsd_loopback_both_byte_orders),
        cmocka_unit_test(test_decode_ip_fragments_counted_and_skipped),
        cmocka_unit_test(test_decode_non_tcp_is_unsupported),
        cmocka_unit_test(test_decode_snapped_payload_keeps_wire_length),
        cmocka_unit_test(test_decode_rejects_impossible_headers),
        cmocka_unit_test(test_decode_truncation_sweep),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
