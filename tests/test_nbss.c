/* Unit tests for NetBIOS session service framing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../dissectors/nbss.h"
#include "../sensor/counters.h"
#include "../sensor/options.h"

#define MESSAGES_MAX 8

/* Messages as delivered: their first bytes, lengths and frames. */
struct delivered {
    size_t count;
    uint8_t first[MESSAGES_MAX][8];
    size_t len[MESSAGES_MAX];
    size_t total_len[MESSAGES_MAX];
    uint64_t frame[MESSAGES_MAX];
};

static void record(void *ctx, bool from_client, const uint8_t *msg, size_t len, size_t total_len,
                   const struct pkt_meta *pm)
{
    struct delivered *d = ctx;
    assert_true(from_client);
    assert_true(d->count < MESSAGES_MAX);
    memcpy(d->first[d->count], msg, WA_MIN(len, (size_t)8));
    d->len[d->count] = len;
    d->total_len[d->count] = total_len;
    d->frame[d->count] = pm->frame;
    d->count++;
}

/* Writes a session message of body_len bytes starting with "\xfeSMB", filled with fill. */
static size_t put_message(uint8_t *p, size_t body_len, uint8_t fill)
{
    p[0] = 0x00;
    p[1] = (uint8_t)(body_len >> 16);
    p[2] = (uint8_t)(body_len >> 8);
    p[3] = (uint8_t)body_len;
    memset(p + 4, fill, body_len);
    memcpy(p + 4, "\xfeSMB", 4);
    return 4 + body_len;
}

static int setup(void **state)
{
    (void)state;
    wa_options_defaults();
    ctr_reset_all();
    return 0;
}

static void feed(struct nbss_dir *dir, const uint8_t *data, size_t len, uint64_t frame,
                 struct delivered *d)
{
    struct pkt_meta pm = {.time_us = 10, .frame = frame};
    struct nbss_output out = {.message = record, .ctx = d};
    nbss_data(dir, data, len, &pm, &out);
}

static void test_nbss_two_messages_in_one_segment(void **state)
{
    (void)state;
    uint8_t stream[256];
    size_t n = put_message(stream, 64, 0x11);
    n += put_message(stream + n, 70, 0x22);
    struct nbss_dir dir;
    nbss_dir_init(&dir, true, true);
    struct delivered d = {0};
    feed(&dir, stream, n, 1, &d);
    assert_int_equal(d.count, 2);
    assert_int_equal(d.len[0], 64);
    assert_int_equal(d.total_len[0], 64);
    assert_int_equal(d.len[1], 70);
    assert_int_equal(d.first[1][4], 0x22);
    assert_null(dir.buf); /* whole messages are delivered without a copy */
    assert_int_equal(ctr_value("nbss.messages"), 2);
    nbss_dir_free(&dir);
}

static void test_nbss_every_split_point(void **state)
{
    (void)state;
    uint8_t stream[256];
    size_t n = put_message(stream, 64, 0x11);
    n += put_message(stream + n, 40, 0x22);
    for (size_t split = 1; split < n; split++) {
        struct nbss_dir dir;
        nbss_dir_init(&dir, true, true);
        struct delivered d = {0};
        feed(&dir, stream, split, 1, &d);
        feed(&dir, stream + split, n - split, 2, &d);
        assert_int_equal(d.count, 2);
        assert_int_equal(d.len[0], 64);
        assert_int_equal(d.len[1], 40);
        assert_int_equal(d.first[0][5], 0x11);
        assert_int_equal(d.first[1][5], 0x22);
        assert_int_equal(d.frame[0], 1);
        assert_int_equal(d.frame[1], split <= 68 ? 2 : 1);
        nbss_dir_free(&dir);
    }
}

/* Every prefix of a two-message stream delivers exactly the messages it completes. */
static void test_nbss_truncation_sweep(void **state)
{
    (void)state;
    uint8_t stream[256];
    size_t first_end = put_message(stream, 64, 0x11);
    size_t n = first_end + put_message(stream + first_end, 40, 0x22);
    for (size_t cut = 0; cut <= n; cut++) {
        struct nbss_dir dir;
        nbss_dir_init(&dir, true, true);
        struct delivered d = {0};
        feed(&dir, stream, cut, 1, &d);
        size_t expected = (cut >= first_end ? 1 : 0) + (cut == n ? 1 : 0);
        assert_int_equal(d.count, expected);
        nbss_dir_free(&dir);
    }
}

static void test_nbss_large_message_delivers_prefix(void **state)
{
    (void)state;
    wa_opts.message_max = 100;
    static uint8_t stream[1024];
    size_t n = put_message(stream, 600, 0x33);
    n += put_message(stream + n, 50, 0x44);
    struct nbss_dir dir;
    nbss_dir_init(&dir, true, true);
    struct delivered d = {0};
    for (size_t off = 0; off < n; off += 37) { /* arbitrary segment boundaries */
        feed(&dir, stream + off, WA_MIN((size_t)37, n - off), off + 1, &d);
    }
    assert_int_equal(d.count, 2);
    assert_int_equal(d.len[0], 100);
    assert_int_equal(d.total_len[0], 600);
    assert_int_equal(d.len[1], 50);
    assert_int_equal(d.first[1][5], 0x44);
    assert_true(dir.buf_size <= 100);
    assert_int_equal(ctr_value("nbss.messages_cut"), 1);
    nbss_dir_free(&dir);
}

/* A dissector that needs only the SMB2 header and a READ response's fixed part. */
static size_t need_header_only(void *ctx, bool from_client, const uint8_t *head, size_t head_len,
                               size_t total_len)
{
    (void)ctx;
    (void)from_client;
    assert_int_equal(head_len, SMB_MESSAGE_HEAD_LEN);
    assert_memory_equal(head, "\xfeSMB", 4);
    assert_int_equal(total_len, 600);
    return 64 + 16;
}

static void test_nbss_need_cuts_split_message(void **state)
{
    (void)state;
    static uint8_t stream[1024];
    size_t n = put_message(stream, 600, 0x33);
    n += put_message(stream + n, 50, 0x44);
    struct nbss_dir dir;
    nbss_dir_init(&dir, true, true);
    struct delivered d = {0};
    struct nbss_output out = {.message = record, .need = need_header_only, .ctx = &d};
    struct pkt_meta pm = {.frame = 1};
    for (size_t off = 0; off < n; off += 100) { /* the 600-byte message spans segments */
        nbss_data(&dir, stream + off, WA_MIN((size_t)100, n - off), &pm, &out);
    }
    assert_int_equal(d.count, 2);
    assert_int_equal(d.len[0], SMB_MESSAGE_HEAD_LEN); /* the head is kept once copied */
    assert_int_equal(d.total_len[0], 600);
    assert_int_equal(dir.buf_size, SMB_MESSAGE_HEAD_LEN); /* the rest was never copied */
    assert_int_equal(d.len[1], 50);
    assert_int_equal(d.first[1][5], 0x44);
    nbss_dir_free(&dir);
}

static void test_nbss_port_139_session_setup_skipped(void **state)
{
    (void)state;
    uint8_t stream[256];
    size_t n = 0;
    static const uint8_t request[] = {0x81, 0x00, 0x00, 0x04, 'n', 'a', 'm', 'e'};
    static const uint8_t positive[] = {0x82, 0x00, 0x00, 0x00};
    static const uint8_t keepalive[] = {0x85, 0x00, 0x00, 0x00};
    memcpy(stream + n, request, sizeof(request));
    n += sizeof(request);
    memcpy(stream + n, positive, sizeof(positive));
    n += sizeof(positive);
    memcpy(stream + n, keepalive, sizeof(keepalive));
    n += sizeof(keepalive);
    n += put_message(stream + n, 40, 0x55);
    struct nbss_dir dir;
    nbss_dir_init(&dir, true, true);
    struct delivered d = {0};
    feed(&dir, stream, n, 1, &d);
    assert_int_equal(d.count, 1);
    assert_int_equal(d.len[0], 40);
    assert_int_equal(ctr_value("nbss.session_requests"), 1);
    assert_int_equal(ctr_value("nbss.session_responses"), 1);
    assert_int_equal(ctr_value("nbss.keepalives"), 1);
    nbss_dir_free(&dir);
}

static void test_nbss_midstream_start_resyncs(void **state)
{
    (void)state;
    uint8_t stream[256];
    size_t n = put_message(stream, 64, 0x11);
    size_t second = n;
    n += put_message(stream + n, 40, 0x00); /* zero fill: plausible header bytes inside */
    struct nbss_dir dir;
    nbss_dir_init(&dir, true, false);
    struct delivered d = {0};
    feed(&dir, stream + 30, n - 30, 1, &d); /* starts inside the first message */
    assert_int_equal(d.count, 1);
    assert_int_equal(d.len[0], n - second - 4);
    assert_memory_equal(d.first[0], "\xfeSMB", 4);
    nbss_dir_free(&dir);
}

/* Resynchronisation finds the header wherever the stream is split, even among zero bytes. */
static void test_nbss_resync_across_every_split(void **state)
{
    (void)state;
    uint8_t stream[256];
    size_t n = put_message(stream, 64, 0x00);
    size_t second = n;
    n += put_message(stream + n, 40, 0x22);
    size_t start = 20; /* inside the zero fill of the first message */
    for (size_t split = start; split <= n; split++) {
        struct nbss_dir dir;
        nbss_dir_init(&dir, true, false);
        struct delivered d = {0};
        feed(&dir, stream + start, split - start, 1, &d);
        feed(&dir, stream + split, n - split, 2, &d);
        assert_int_equal(d.count, 1);
        assert_int_equal(d.len[0], n - second - 4);
        assert_int_equal(d.first[0][5], 0x22);
        nbss_dir_free(&dir);
    }
}

static void test_nbss_gap_drops_partial_message(void **state)
{
    (void)state;
    uint8_t stream[256];
    size_t first_end = put_message(stream, 64, 0x11);
    size_t n = first_end + put_message(stream + first_end, 40, 0x22);
    struct nbss_dir dir;
    nbss_dir_init(&dir, true, true);
    struct delivered d = {0};
    feed(&dir, stream, 20, 1, &d);
    nbss_gap(&dir);
    feed(&dir, stream + 50, n - 50, 2, &d);
    assert_int_equal(d.count, 1);
    assert_int_equal(d.first[0][5], 0x22);
    assert_int_equal(ctr_value("nbss.resyncs"), 1);
    nbss_dir_free(&dir);
}

static void test_nbss_invalid_type_resyncs(void **state)
{
    (void)state;
    uint8_t stream[256] = {0x42, 0x00, 0x00, 0x10};
    size_t n = 4 + 16;
    n += put_message(stream + n, 40, 0x22);
    struct nbss_dir dir;
    nbss_dir_init(&dir, true, true);
    struct delivered d = {0};
    feed(&dir, stream, n, 1, &d);
    assert_int_equal(d.count, 1);
    assert_int_equal(d.first[0][5], 0x22);
    assert_int_equal(ctr_value("nbss.malformed"), 1);
    nbss_dir_free(&dir);
}

static void test_nbss_smb_start_checks_magic_and_length(void **state)
{
    (void)state;
    static const uint8_t cases[][8] = {
        {0x00, 0x00, 0x00, 0x40, 0xfe, 'S', 'M', 'B'}, /* SMB2 */
        {0x00, 0x01, 0xff, 0xff, 0xff, 'S', 'M', 'B'}, /* SMB1 at the 17-bit maximum */
        {0x00, 0x00, 0x00, 0x40, 0xfd, 'S', 'M', 'B'}, /* transform */
        {0x00, 0x00, 0x00, 0x40, 0xfc, 'S', 'M', 'B'}, /* compression transform */
        {0x00, 0x02, 0x00, 0x00, 0xfe, 'S', 'M', 'B'}, /* length over 0x1ffff */
        {0x00, 0x00, 0x00, 0x10, 0xfe, 'S', 'M', 'B'}, /* too short for an SMB header */
        {0x81, 0x00, 0x00, 0x40, 0xfe, 'S', 'M', 'B'}, /* not a session message */
        {0x00, 0x00, 0x00, 0x40, 0xfb, 'S', 'M', 'B'}, /* unknown protocol id */
    };
    static const bool expected[] = {true, true, true, true, false, false, false, false};
    for (size_t i = 0; i < WA_ARRAY_LEN(cases); i++) {
        assert_int_equal(nbss_is_smb_start(cases[i]), expected[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_nbss_two_messages_in_one_segment, setup),
        cmocka_unit_test_setup(test_nbss_every_split_point, setup),
        cmocka_unit_test_setup(test_nbss_truncation_sweep, setup),
        cmocka_unit_test_setup(test_nbss_large_message_delivers_prefix, setup),
        cmocka_unit_test_setup(test_nbss_need_cuts_split_message, setup),
        cmocka_unit_test_setup(test_nbss_port_139_session_setup_skipped, setup),
        cmocka_unit_test_setup(test_nbss_midstream_start_resyncs, setup),
        cmocka_unit_test_setup(test_nbss_resync_across_every_split, setup),
        cmocka_unit_test_setup(test_nbss_gap_drops_partial_message, setup),
        cmocka_unit_test_setup(test_nbss_invalid_type_resyncs, setup),
        cmocka_unit_test_setup(test_nbss_smb_start_checks_magic_and_length, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
