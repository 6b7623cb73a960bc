/* Unit tests for the pcap and pcapng file reader. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../sensor/capfile.h"

/* A file image under construction, in one byte order. */
struct image {
    uint8_t data[4096];
    size_t len;
    bool big_endian;
    size_t block_start;
};

static void put8(struct image *im, uint8_t v)
{
    im->data[im->len++] = v;
}

static void put16(struct image *im, uint16_t v)
{
    if (im->big_endian) {
        put8(im, (uint8_t)(v >> 8));
        put8(im, (uint8_t)v);
    } else {
        put8(im, (uint8_t)v);
        put8(im, (uint8_t)(v >> 8));
    }
}

static void put32(struct image *im, uint32_t v)
{
    if (im->big_endian) {
        put16(im, (uint16_t)(v >> 16));
        put16(im, (uint16_t)v);
    } else {
        put16(im, (uint16_t)v);
        put16(im, (uint16_t)(v >> 16));
    }
}

static void patch32(struct image *im, size_t at, uint32_t v)
{
    size_t saved = im->len;
    im->len = at;
    put32(im, v);
    im->len = saved;
}

static void block_begin(struct image *im, uint32_t type)
{
    im->block_start = im->len;
    put32(im, type);
    put32(im, 0); /* length, patched by block_end */
}

static void block_end(struct image *im)
{
    while (im->len % 4 != 0) {
        put8(im, 0);
    }
    uint32_t length = (uint32_t)(im->len - im->block_start + 4);
    put32(im, length);
    patch32(im, im->block_start + 4, length);
}

static void add_shb(struct image *im, bool big_endian)
{
    im->big_endian = big_endian;
    block_begin(im, 0x0a0d0d0a);
    put32(im, 0x1a2b3c4d);
    put16(im, 1);
    put16(im, 0);
    put32(im, 0xffffffff); /* section length -1: not given */
    put32(im, 0xffffffff);
    block_end(im);
}

/* Adds an interface; tsresol 0 leaves the option out (microseconds). */
static void add_idb(struct image *im, uint16_t linktype, uint32_t snaplen, uint8_t tsresol)
{
    block_begin(im, 1);
    put16(im, linktype);
    put16(im, 0);
    put32(im, snaplen);
    if (tsresol != 0) {
        put16(im, 9); /* if_tsresol */
        put16(im, 1);
        put8(im, tsresol);
        put8(im, 0);
        put8(im, 0);
        put8(im, 0);
        put16(im, 0); /* opt_endofopt */
        put16(im, 0);
    }
    block_end(im);
}

static void add_epb(struct image *im, uint32_t ifid, uint64_t ts, const uint8_t *pkt,
                    uint32_t caplen)
{
    block_begin(im, 6);
    put32(im, ifid);
    put32(im, (uint32_t)(ts >> 32));
    put32(im, (uint32_t)ts);
    put32(im, caplen);
    put32(im, caplen + 10);
    for (uint32_t i = 0; i < caplen; i++) {
        put8(im, pkt[i]);
    }
    block_end(im);
}

/* Opens the image through stdio, as files are read. */
static struct capfile *open_image(const struct image *im, enum input_kind kind, FILE **f)
{
    *f = fmemopen((void *)(uintptr_t)im->data, im->len, "rb");
    assert_non_null(*f);
    char err[256] = "";
    struct capfile *cf = capfile_open(*f, "test.pcapng", kind, err, sizeof(err));
    return cf;
}

static const uint8_t payload_a[] = {0xaa, 0xbb, 0xcc, 0xdd, 0xee};
static const uint8_t payload_b[] = {0x45, 0x00, 0x00, 0x14};

static void build_two_interfaces(struct image *im, bool big_endian)
{
    memset(im, 0, sizeof(*im));
    add_shb(im, big_endian);
    add_idb(im, 1, 65535, 0);   /* Ethernet, microseconds */
    add_idb(im, 101, 128, 9);   /* raw IP, nanoseconds */
    add_epb(im, 0, 1500000000123456ull, payload_a, sizeof(payload_a));
    add_epb(im, 1, 1500000001123456789ull, payload_b, sizeof(payload_b));
}

static void check_two_interfaces(bool big_endian)
{
    struct image im;
    build_two_interfaces(&im, big_endian);
    FILE *f;
    struct capfile *cf = open_image(&im, INPUT_PCAPNG, &f);
    assert_non_null(cf);
    struct cap_packet pkt;
    assert_int_equal(capfile_next(cf, &pkt), CAPFILE_PACKET);
    assert_int_equal(pkt.linktype, 1);
    assert_int_equal(pkt.caplen, sizeof(payload_a));
    assert_int_equal(pkt.origlen, sizeof(payload_a) + 10);
    assert_memory_equal(pkt.data, payload_a, sizeof(payload_a));
    assert_int_equal(pkt.time_us, 1500000000123456ll);
    assert_int_equal(capfile_next(cf, &pkt), CAPFILE_PACKET);
    assert_int_equal(pkt.linktype, 101);
    assert_int_equal(pkt.interface, 1);
    assert_int_equal(pkt.time_us, 1500000001123456ll);
    assert_int_equal(capfile_next(cf, &pkt), CAPFILE_END);
    assert_int_equal(capfile_offset(cf), im.len);
    capfile_close(cf);
    fclose(f);
}

static void test_capfile_pcapng_little_endian_mixed_linktypes(void **state)
{
    (void)state;
    check_two_interfaces(false);
}

static void test_capfile_pcapng_big_endian_mixed_linktypes(void **state)
{
    (void)state;
    check_two_interfaces(true);
}

static void test_capfile_pcapng_second_section_resets_interfaces(void **state)
{
    (void)state;
    struct image im;
    build_two_interfaces(&im, false);
    add_shb(&im, true);
    add_idb(&im, 113, 0, 0x80 | 20); /* Linux SLL, 2^-20 second units */
    add_epb(&im, 0, 3ull << 20, payload_a, 2);
    add_epb(&im, 1, 0, payload_a, 2); /* interface 1 is not described in this section */
    FILE *f;
    struct capfile *cf = open_image(&im, INPUT_PCAPNG, &f);
    struct cap_packet pkt;
    assert_int_equal(capfile_next(cf, &pkt), CAPFILE_PACKET);
    assert_int_equal(capfile_next(cf, &pkt), CAPFILE_PACKET);
    assert_int_equal(capfile_next(cf, &pkt), CAPFILE_PACKET);
    assert_int_equal(pkt.linktype, 113);
    assert_int_equal(pkt.time_us, 3000000);
    assert_int_equal(capfile_next(cf, &pkt), CAPFILE_SKIPPED);
    assert_non_null(strstr(capfile_error(cf), "undescribed interface"));
    assert_int_equal(capfile_next(cf, &pkt), CAPFILE_END);
    capfile_close(cf);
    fclose(f);
}

static void test_capfile_pcapng_skips_unknown_and_reads_spb_opb(void **state)
{
    (void)state;
    struct image im;
    memset(&im, 0, sizeof(im));
    add_shb(&im, false);
    add_idb(&im, 1, 3, 0); /* snap length 3 */
    block_begin(&im, 0x00000bad); /* unknown block with a body */
    put32(&im, 0x12345678);
    block_end(&im);
    block_begin(&im, 3); /* simple packet block: original length 5, capped at the snap length */
    put32(&im, sizeof(payload_a));
    for (size_t i = 0; i < sizeof(payload_a); i++) {
        put8(&im, payload_a[i]);
    }
    block_end(&im);
    block_begin(&im, 2); /* obsolete packet block */
    put16(&im, 0);
    put16(&im, 0);
    put32(&im, 0);
    put32(&im, 7000000);
    put32(&im, 2);
    put32(&im, 2);
    put8(&im, 0x01);
    put8(&im, 0x02);
    block_end(&im);
    FILE *f;
    struct capfile *cf = open_image(&im, INPUT_PCAPNG, &f);
    struct cap_packet pkt;
    assert_int_equal(capfile_next(cf, &pkt), CAPFILE_PACKET);
    assert_int_equal(pkt.caplen, 3);
    assert_int_equal(pkt.origlen, 5);
    assert_int_equal(capfile_next(cf, &pkt), CAPFILE_PACKET);
    assert_int_equal(pkt.caplen, 2);
    assert_int_equal(pkt.time_us, 7000000);
    assert_int_equal(capfile_next(cf, &pkt), CAPFILE_END);
    capfile_close(cf);
    fclose(f);
}

static void test_capfile_pcapng_trailer_mismatch_skips_block(void **state)
{
    (void)state;
    struct image im;
    build_two_interfaces(&im, false);
    size_t first_epb_end = im.len;
    add_epb(&im, 0, 1, payload_a, sizeof(payload_a));
    size_t bad_block = first_epb_end;
    patch32(&im, im.len - 4, 999); /* trailing length differs */
    add_epb(&im, 0, 2, payload_a, sizeof(payload_a));
    FILE *f;
    struct capfile *cf = open_image(&im, INPUT_PCAPNG, &f);
    struct cap_packet pkt;
    assert_int_equal(capfile_next(cf, &pkt), CAPFILE_PACKET);
    assert_int_equal(capfile_next(cf, &pkt), CAPFILE_PACKET);
    assert_int_equal(capfile_next(cf, &pkt), CAPFILE_SKIPPED);
    char expected[64];
    snprintf(expected, sizeof(expected), "at offset %zu", bad_block);
    assert_non_null(strstr(capfile_error(cf), expected));
    assert_int_equal(capfile_next(cf, &pkt), CAPFILE_PACKET);
    assert_int_equal(pkt.time_us, 2);
    capfile_close(cf);
    fclose(f);
}

static void test_capfile_pcapng_invalid_length_is_fatal(void **state)
{
    (void)state;
    struct image im;
    build_two_interfaces(&im, false);
    size_t start = im.len;
    add_epb(&im, 0, 1, payload_a, sizeof(payload_a));
    patch32(&im, start + 4, 7); /* not a multiple of 4 */
    FILE *f;
    struct capfile *cf = open_image(&im, INPUT_PCAPNG, &f);
    struct cap_packet pkt;
    assert_int_equal(capfile_next(cf, &pkt), CAPFILE_PACKET);
    assert_int_equal(capfile_next(cf, &pkt), CAPFILE_PACKET);
    assert_int_equal(capfile_next(cf, &pkt), CAPFILE_FATAL);
    assert_non_null(strstr(capfile_error(cf), "invalid block length"));
    capfile_close(cf);
    fclose(f);
}

/* Every prefix of a valid file reads without crashing, and errors name the file and offset. */
static void test_capfile_pcapng_truncation_sweep(void **state)
{
    (void)state;
    struct image full;
    build_two_interfaces(&full, false);
    for (size_t cut = 0; cut < full.len; cut++) {
        struct image im = full;
        im.len = cut;
        FILE *f = fmemopen((void *)(uintptr_t)im.data, cut > 0 ? cut : 1, "rb");
        assert_non_null(f);
        if (cut == 0) {
            fgetc(f); /* empty stream */
        }
        char err[256];
        struct capfile *cf = capfile_open(f, "cut.pcapng", INPUT_PCAPNG, err, sizeof(err));
        assert_non_null(cf);
        struct cap_packet pkt;
        int packets = 0;
        enum capfile_result result;
        while ((result = capfile_next(cf, &pkt)) == CAPFILE_PACKET ||
               result == CAPFILE_SKIPPED) {
            packets += result == CAPFILE_PACKET;
        }
        assert_true(packets <= 2);
        if (result == CAPFILE_FATAL) {
            assert_non_null(strstr(capfile_error(cf), "cut.pcapng: "));
            assert_non_null(strstr(capfile_error(cf), " at offset "));
        }
        capfile_close(cf);
        fclose(f);
    }
}

static void build_pcap(struct image *im, bool big_endian, bool nanoseconds)
{
    memset(im, 0, sizeof(*im));
    im->big_endian = big_endian;
    put32(im, nanoseconds ? 0xa1b23c4d : 0xa1b2c3d4);
    put16(im, 2);
    put16(im, 4);
    put32(im, 0);
    put32(im, 0);
    put32(im, 65535);
    put32(im, 0x10000000 | 276); /* SLL2, with an FCS length in the high bits */
    put32(im, 1600000000);
    put32(im, nanoseconds ? 123456789 : 123456);
    put32(im, sizeof(payload_a));
    put32(im, 60);
    for (size_t i = 0; i < sizeof(payload_a); i++) {
        put8(im, payload_a[i]);
    }
}

static void test_capfile_pcap_both_byte_orders_and_resolutions(void **state)
{
    (void)state;
    for (int variant = 0; variant < 4; variant++) {
        struct image im;
        build_pcap(&im, (variant & 1) != 0, (variant & 2) != 0);
        FILE *f;
        struct capfile *cf = open_image(&im, INPUT_PCAP, &f);
        assert_non_null(cf);
        struct cap_packet pkt;
        assert_int_equal(capfile_next(cf, &pkt), CAPFILE_PACKET);
        assert_int_equal(pkt.linktype, 276);
        assert_int_equal(pkt.caplen, sizeof(payload_a));
        assert_int_equal(pkt.origlen, 60);
        assert_int_equal(pkt.time_us, 1600000000123456ll);
        assert_int_equal(capfile_next(cf, &pkt), CAPFILE_END);
        capfile_close(cf);
        fclose(f);
    }
}

static void test_capfile_pcap_truncated_record_names_offset(void **state)
{
    (void)state;
    struct image im;
    build_pcap(&im, false, false);
    im.len -= 2; /* cut the packet data short */
    FILE *f;
    struct capfile *cf = open_image(&im, INPUT_PCAP, &f);
    struct cap_packet pkt;
    assert_int_equal(capfile_next(cf, &pkt), CAPFILE_FATAL);
    assert_string_equal(capfile_error(cf), "test.pcapng: truncated packet record at offset 24");
    capfile_close(cf);
    fclose(f);
}

static void test_capfile_pcap_rejects_huge_record(void **state)
{
    (void)state;
    struct image im;
    build_pcap(&im, false, false);
    patch32(&im, 24 + 8, CAPFILE_RECORD_MAX + 1);
    FILE *f;
    struct capfile *cf = open_image(&im, INPUT_PCAP, &f);
    struct cap_packet pkt;
    assert_int_equal(capfile_next(cf, &pkt), CAPFILE_FATAL);
    assert_non_null(strstr(capfile_error(cf), "invalid captured length"));
    capfile_close(cf);
    fclose(f);
}

static void test_capfile_pcap_short_header_fails_open(void **state)
{
    (void)state;
    struct image im;
    build_pcap(&im, false, false);
    im.len = 10;
    FILE *f;
    struct capfile *cf = open_image(&im, INPUT_PCAP, &f);
    assert_null(cf);
    fclose(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_capfile_pcapng_little_endian_mixed_linktypes),
        cmocka_unit_test(test_capfile_pcapng_big_endian_mixed_linktypes),
        cmocka_unit_test(test_capfile_pcapng_second_section_resets_interfaces),
        cmocka_unit_test(test_capfile_pcapng_skips_unknown_and_reads_spb_opb),
        cmocka_unit_test(test_capfile_pcapng_trailer_mismatch_skips_block),
        cmocka_unit_test(test_capfile_pcapng_invalid_length_is_fatal),
        cmocka_unit_test(test_capfile_pcapng_truncation_sweep),
        cmocka_unit_test(test_capfile_pcap_both_byte_orders_and_resolutions),
        cmocka_unit_test(test_capfile_pcap_truncated_record_names_offset),
        cmocka_unit_test(test_capfile_pcap_rejects_huge_record),
        cmocka_unit_test(test_capfile_pcap_short_header_fails_open),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
