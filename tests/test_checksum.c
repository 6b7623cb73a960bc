/* Unit tests for IPv4 header and TCP checksum verification and the offload sample. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../sensor/checksum.h"
#include "../sensor/decode.h"

/*
 * IPv4 packet 4 of the public capture smb2.pcap: an SMB1 NEGOTIATE request
 * from 10.0.0.11 to 10.0.0.12, 148 payload bytes. tshark 4.0 reports its IPv4
 * header and TCP checksums as good.
 */
static const uint8_t ipv4_negotiate[] = {
    0x45, 0x00, 0x00, 0xbc, 0x02, 0x73, 0x40, 0x00, 0x80, 0x06, 0xe3, 0xb2, 0x0a, 0x00, 0x00, 0x0b,
    0x0a, 0x00, 0x00, 0x0c, 0xc0, 0x38, 0x01, 0xbd, 0x9b, 0x7e, 0x13, 0x04, 0xc8, 0xea, 0x79, 0xf3,
    0x50, 0x18, 0x01, 0x00, 0xf4, 0xb0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x90, 0xff, 0x53, 0x4d, 0x42,
    0x72, 0x00, 0x00, 0x00, 0x00, 0x18, 0x53, 0xc8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xfe, 0x00, 0x00, 0x00, 0x00, 0x00, 0x6d, 0x00, 0x02,
    0x50, 0x43, 0x20, 0x4e, 0x45, 0x54, 0x57, 0x4f, 0x52, 0x4b, 0x20, 0x50, 0x52, 0x4f, 0x47, 0x52,
    0x41, 0x4d, 0x20, 0x31, 0x2e, 0x30, 0x00, 0x02, 0x4c, 0x41, 0x4e, 0x4d, 0x41, 0x4e, 0x31, 0x2e,
    0x30, 0x00, 0x02, 0x57, 0x69, 0x6e, 0x64, 0x6f, 0x77, 0x73, 0x20, 0x66, 0x6f, 0x72, 0x20, 0x57,
    0x6f, 0x72, 0x6b, 0x67, 0x72, 0x6f, 0x75, 0x70, 0x73, 0x20, 0x33, 0x2e, 0x31, 0x61, 0x00, 0x02,
    0x4c, 0x4d, 0x31, 0x2e, 0x32, 0x58, 0x30, 0x30, 0x32, 0x00, 0x02, 0x4c, 0x41, 0x4e, 0x4d, 0x41,
    0x4e, 0x32, 0x2e, 0x31, 0x00, 0x02, 0x4e, 0x54, 0x20, 0x4c, 0x4d, 0x20, 0x30, 0x2e, 0x31, 0x32,
    0x00, 0x02, 0x53, 0x4d, 0x42, 0x20, 0x32, 0x2e, 0x30, 0x30, 0x32, 0x00};

/*
 * IPv6 2001:db8::1 -> 2001:db8::2, TCP 49152 -> 445 with the odd-length
 * payload "SMB!x". The TCP checksum 0x796e was computed outside wireaudit
 * with a Python ones' complement sum over the RFC 8200 pseudo-header.
 */
static const uint8_t ipv6_odd_payload[] = {
    0x60, 0x00, 0x00, 0x00, 0x00, 0x19, 0x06, 0x40, /* payload length 25, next header TCP */
    0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x02, 0xc0, 0x00, 0x01, 0xbd, 0x00, 0x00, 0x03, 0xe8, 0x00, 0x00, 0x07, 0xd0, /* ports,
                                                                                           seq, ack
                                                                                         */
    0x50, 0x18, 0xff, 0xff, 0x79, 0x6e, 0x00, 0x00, /* offset 5, PSH|ACK, window, checksum */
    'S',  'M',  'B',  '!',  'x'};

/* Decodes data as raw IP and verifies it. */
static enum checksum_result verify_raw(const uint8_t *data, size_t len)
{
    struct tcp_segment seg;
    assert_int_equal(decode_packet(DECODE_LINKTYPE_RAW, data, len, &seg), WA_OK);
    return checksum_verify(&seg);
}

static void test_checksum_ipv4_good(void **state)
{
    (void)state;
    assert_int_equal(verify_raw(ipv4_negotiate, sizeof(ipv4_negotiate)), CHECKSUM_GOOD);
}

static void test_checksum_ipv4_payload_flip_is_bad_tcp(void **state)
{
    (void)state;
    uint8_t packet[sizeof(ipv4_negotiate)];
    memcpy(packet, ipv4_negotiate, sizeof(packet));
    packet[sizeof(packet) - 2] ^= 0x01;
    assert_int_equal(verify_raw(packet, sizeof(packet)), CHECKSUM_BAD_TCP);
}

static void test_checksum_ipv4_header_change_is_bad_ip(void **state)
{
    (void)state;
    uint8_t packet[sizeof(ipv4_negotiate)];
    memcpy(packet, ipv4_negotiate, sizeof(packet));
    packet[8] = 0x7f; /* TTL, which only the IPv4 header checksum covers */
    assert_int_equal(verify_raw(packet, sizeof(packet)), CHECKSUM_BAD_IP);
}

static void test_checksum_snapped_is_unverifiable(void **state)
{
    (void)state;
    uint8_t packet[sizeof(ipv4_negotiate)];
    memcpy(packet, ipv4_negotiate, sizeof(packet));
    packet[sizeof(packet) - 2] ^= 0x01; /* wrong, but in bytes the snap length cut off */
    assert_int_equal(verify_raw(packet, 100), CHECKSUM_UNVERIFIABLE);
}

static void test_checksum_zero_total_length_is_unverifiable(void **state)
{
    (void)state;
    uint8_t packet[sizeof(ipv4_negotiate)];
    memcpy(packet, ipv4_negotiate, sizeof(packet));
    packet[2] = 0; /* total length 0, as in captures of TCP segmentation offload */
    packet[3] = 0;
    assert_int_equal(verify_raw(packet, sizeof(packet)), CHECKSUM_UNVERIFIABLE);
}

static void test_checksum_ipv6_odd_payload_good(void **state)
{
    (void)state;
    assert_int_equal(verify_raw(ipv6_odd_payload, sizeof(ipv6_odd_payload)), CHECKSUM_GOOD);
}

static void test_checksum_ipv6_last_byte_flip_is_bad_tcp(void **state)
{
    (void)state;
    uint8_t packet[sizeof(ipv6_odd_payload)];
    memcpy(packet, ipv6_odd_payload, sizeof(packet));
    packet[sizeof(packet) - 1] ^= 0x01; /* the padded odd byte */
    assert_int_equal(verify_raw(packet, sizeof(packet)), CHECKSUM_BAD_TCP);
}

static void test_checksum_ipv6_address_change_is_bad_tcp(void **state)
{
    (void)state;
    uint8_t packet[sizeof(ipv6_odd_payload)];
    memcpy(packet, ipv6_odd_payload, sizeof(packet));
    packet[39] = 3; /* destination 2001:db8::3, covered by the pseudo-header */
    assert_int_equal(verify_raw(packet, sizeof(packet)), CHECKSUM_BAD_TCP);
}

static void test_checksum_ipv6_routing_header_is_unverifiable(void **state)
{
    (void)state;
    uint8_t packet[sizeof(ipv6_odd_payload) + 8];
    memcpy(packet, ipv6_odd_payload, 40);
    packet[5] = 25 + 8; /* payload length now includes the routing header */
    packet[6] = 43;     /* next header: routing */
    uint8_t routing[8] = {6, 0, 4, 0, 0, 0, 0, 0}; /* next header TCP, 8 bytes, type 4 */
    memcpy(packet + 40, routing, sizeof(routing));
    memcpy(packet + 48, ipv6_odd_payload + 40, sizeof(ipv6_odd_payload) - 40);
    assert_int_equal(verify_raw(packet, sizeof(packet)), CHECKSUM_UNVERIFIABLE);
}

/* Returns a sample of `packets` results: the first `bad` of them bad, the rest good. */
static struct checksum_sample sample_of(uint32_t packets, uint32_t bad)
{
    struct checksum_sample sample = {0};
    for (uint32_t i = 0; i < packets; i++) {
        checksum_sample_add(&sample, i < bad ? CHECKSUM_BAD_TCP : CHECKSUM_GOOD);
    }
    return sample;
}

static void test_checksum_sample_ratio_threshold(void **state)
{
    (void)state;
    struct checksum_sample tenth = sample_of(1000, 100);
    assert_false(checksum_sample_offloaded(&tenth));
    struct checksum_sample over_tenth = sample_of(1000, 101);
    assert_true(checksum_sample_offloaded(&over_tenth));
    struct checksum_sample one_decoy = sample_of(12, 1);
    assert_false(checksum_sample_offloaded(&one_decoy));
    struct checksum_sample none = sample_of(0, 0);
    assert_false(checksum_sample_offloaded(&none));
}

static void test_checksum_sample_stops_when_full(void **state)
{
    (void)state;
    struct checksum_sample sample = sample_of(CHECKSUM_SAMPLE_PACKETS, 0);
    assert_true(checksum_sample_full(&sample));
    checksum_sample_add(&sample, CHECKSUM_BAD_IP);
    assert_int_equal(sample.packets, CHECKSUM_SAMPLE_PACKETS);
    assert_int_equal(sample.bad, 0);
}

static void test_checksum_sample_skips_unverifiable(void **state)
{
    (void)state;
    struct checksum_sample sample = {0};
    checksum_sample_add(&sample, CHECKSUM_UNVERIFIABLE);
    assert_int_equal(sample.packets, 0);
    checksum_sample_add(&sample, CHECKSUM_BAD_IP);
    assert_int_equal(sample.packets, 1);
    assert_int_equal(sample.bad, 1);
}

/* RFC 1071 sum of data as big-endian 16-bit words, one word at a time: the reference. */
static uint32_t reference_sum(const uint8_t *data, size_t len, uint32_t sum)
{
    for (size_t i = 0; i < len; i += 2) {
        sum += (uint32_t)(data[i] << 8) | (i + 1 < len ? data[i + 1] : 0);
    }
    return sum;
}

static uint16_t reference_checksum(uint32_t sum)
{
    while (sum >> 16 != 0) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return (uint16_t)~sum;
}

/*
 * Builds an IPv4 TCP packet with payload_len bytes of payload at offset skew in
 * buf (so the sum runs over every alignment), with both checksums computed by
 * the reference. Returns the packet's start.
 */
static uint8_t *build_ipv4_tcp(uint8_t *buf, size_t skew, size_t payload_len)
{
    uint8_t *p = buf + skew;
    size_t total = 40 + payload_len;
    memset(p, 0, 40);
    p[0] = 0x45;
    p[2] = (uint8_t)(total >> 8);
    p[3] = (uint8_t)total;
    p[8] = 64;
    p[9] = 6;
    memcpy(p + 12, (const uint8_t[]){192, 0, 2, 66, 192, 0, 2, 10}, 8);
    uint16_t ip_sum = reference_checksum(reference_sum(p, 20, 0));
    p[10] = (uint8_t)(ip_sum >> 8);
    p[11] = (uint8_t)ip_sum;
    uint8_t *tcp = p + 20;
    tcp[0] = 0xc0;
    tcp[2] = 0x01;
    tcp[3] = 0xbd;
    tcp[12] = 0x50;
    tcp[13] = 0x18;
    for (size_t i = 0; i < payload_len; i++) {
        tcp[20 + i] = (uint8_t)(i * 37 + 11);
    }
    uint8_t pseudo[12] = {192,
                          0,
                          2,
                          66,
                          192,
                          0,
                          2,
                          10,
                          0,
                          6,
                          (uint8_t)((20 + payload_len) >> 8),
                          (uint8_t)(20 + payload_len)};
    uint16_t tcp_sum =
        reference_checksum(reference_sum(tcp, 20 + payload_len, reference_sum(pseudo, 12, 0)));
    tcp[16] = (uint8_t)(tcp_sum >> 8);
    tcp[17] = (uint8_t)tcp_sum;
    return p;
}

/* Every payload length up to 300 bytes at every alignment mod 16: good, and bad after a flip. */
static void test_checksum_agrees_with_reference_sum(void **state)
{
    (void)state;
    static uint8_t buf[16 + 40 + 300];
    for (size_t skew = 0; skew < 16; skew++) {
        for (size_t len = 0; len <= 300; len++) {
            uint8_t *p = build_ipv4_tcp(buf, skew, len);
            assert_int_equal(verify_raw(p, 40 + len), CHECKSUM_GOOD);
            if (len > 0) {
                p[40 + len - 1] ^= 0x01;
                assert_int_equal(verify_raw(p, 40 + len), CHECKSUM_BAD_TCP);
                p[40 + len / 2] ^= 0x80;
                p[40 + len - 1] ^= 0x01;
                assert_int_equal(verify_raw(p, 40 + len), CHECKSUM_BAD_TCP);
            }
        }
    }
}

static void test_checksum_linktype_support(void **state)
{
    (void)state;
    assert_true(decode_linktype_supported(DECODE_LINKTYPE_ETHERNET));
    assert_true(decode_linktype_supported(DECODE_LINKTYPE_LINUX_SLL2));
    assert_true(decode_linktype_supported(DECODE_LINKTYPE_NULL));
    assert_false(decode_linktype_supported(65535));
    assert_false(decode_linktype_supported(105)); /* IEEE 802.11 */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checksum_ipv4_good),
        cmocka_unit_test(test_checksum_ipv4_payload_flip_is_bad_tcp),
        cmocka_unit_test(test_checksum_ipv4_header_change_is_bad_ip),
        cmocka_unit_test(test_checksum_snapped_is_unverifiable),
        cmocka_unit_test(test_checksum_zero_total_length_is_unverifiable),
        cmocka_unit_test(test_checksum_ipv6_odd_payload_good),
        cmocka_unit_test(test_checksum_ipv6_last_byte_flip_is_bad_tcp),
        cmocka_unit_test(test_checksum_ipv6_address_change_is_bad_tcp),
        cmocka_unit_test(test_checksum_ipv6_routing_header_is_unverifiable),
        cmocka_unit_test(test_checksum_sample_ratio_threshold),
        cmocka_unit_test(test_checksum_sample_stops_when_full),
        cmocka_unit_test(test_checksum_sample_skips_unverifiable),
        cmocka_unit_test(test_checksum_agrees_with_reference_sum),
        cmocka_unit_test(test_checksum_linktype_support),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
