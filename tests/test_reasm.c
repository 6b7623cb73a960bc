/* Unit tests for per-direction TCP reassembly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../sensor/counters.h"
#include "../sensor/options.h"
#include "../sensor/reasm.h"

/* Delivered bytes, with '|' written where a gap was reported. */
struct capture_log {
    char text[256];
    size_t len;
    uint64_t last_frame;
};

static void log_data(void *ctx, bool from_client, const uint8_t *data, size_t len,
                     const struct pkt_meta *pm)
{
    struct capture_log *log = ctx;
    assert_true(from_client);
    assert_true(log->len + len < sizeof(log->text));
    memcpy(log->text + log->len, data, len);
    log->len += len;
    log->text[log->len] = '\0';
    log->last_frame = pm->frame;
}

static void log_gap(void *ctx, bool from_client)
{
    struct capture_log *log = ctx;
    (void)from_client;
    log->text[log->len++] = '|';
    log->text[log->len] = '\0';
}

struct fixture {
    struct reasm_dir dir;
    struct capture_log log;
    struct reasm_output out;
};

static int setup(void **state)
{
    static struct fixture fx;
    memset(&fx, 0, sizeof(fx));
    fx.dir.from_client = true;
    fx.out = (struct reasm_output){.data = log_data, .gap = log_gap, .ctx = &fx.log};
    wa_options_defaults();
    ctr_reset_all();
    *state = &fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    reasm_clear(&fx->dir);
    assert_int_equal(reasm_pool_bytes(), 0);
    return 0;
}

/* Adds text as a segment at seq, tagged with frame number frame. */
static void add(struct fixture *fx, uint32_t seq, const char *text, uint64_t frame)
{
    struct pkt_meta pm = {.time_us = 1, .frame = frame};
    size_t n = strlen(text);
    reasm_add(&fx->dir, seq, 0x18, (const uint8_t *)text, n, n, &pm, &fx->out);
}

static void test_reasm_in_order_after_syn(void **state)
{
    struct fixture *fx = *state;
    struct pkt_meta pm = {0};
    reasm_add(&fx->dir, 99, 0x02, NULL, 0, 0, &pm, &fx->out); /* SYN at 99: data starts at 100 */
    add(fx, 100, "abc", 2);
    add(fx, 103, "def", 3);
    assert_string_equal(fx->log.text, "abcdef");
    assert_int_equal(fx->log.last_frame, 3);
}

static void test_reasm_out_of_order_is_reordered(void **state)
{
    struct fixture *fx = *state;
    add(fx, 100, "ab", 1);
    add(fx, 106, "gh", 2);
    add(fx, 104, "ef", 3);
    assert_string_equal(fx->log.text, "ab");
    add(fx, 102, "cd", 4);
    assert_string_equal(fx->log.text, "abcdefgh");
    assert_int_equal(fx->log.last_frame, 2);
    assert_int_equal(ctr_value("reasm.out_of_order"), 2);
    assert_int_equal(fx->dir.held_bytes, 0);
}

static void test_reasm_retransmission_dropped(void **state)
{
    struct fixture *fx = *state;
    add(fx, 100, "abcd", 1);
    add(fx, 100, "abcd", 2);
    add(fx, 102, "cd", 3);
    add(fx, 104, "ef", 4);
    assert_string_equal(fx->log.text, "abcdef");
    assert_int_equal(ctr_value("reasm.retransmissions"), 2);
}

static void test_reasm_overlap_keeps_first_copy(void **state)
{
    struct fixture *fx = *state;
    add(fx, 100, "abcd", 1);
    add(fx, 102, "XYef", 2); /* XY overlaps cd: the first copy wins */
    assert_string_equal(fx->log.text, "abcdef");
    assert_int_equal(ctr_value("reasm.overlaps"), 1);
    add(fx, 110, "kl", 3);
    add(fx, 108, "ijKL", 4); /* held "kl" came first: KL is dropped */
    add(fx, 106, "gh", 5);
    assert_string_equal(fx->log.text, "abcdefghijkl");
}

static void test_reasm_buffer_cap_reports_gap(void **state)
{
    struct fixture *fx = *state;
    wa_opts.reasm_buffer_max = 4;
    add(fx, 100, "ab", 1);
    add(fx, 104, "ef", 2); /* "cd" is lost */
    add(fx, 106, "gh", 3);
    add(fx, 108, "ij", 4); /* would hold 6 bytes: the hole is given up */
    assert_string_equal(fx->log.text, "ab|efghij");
    assert_int_equal(ctr_value("reasm.buffer_full"), 1);
    assert_int_equal(ctr_value("reasm.gaps"), 1);
}

static void test_reasm_ack_past_hole_reports_gap(void **state)
{
    struct fixture *fx = *state;
    add(fx, 100, "ab", 1);
    add(fx, 104, "ef", 2);
    reasm_ack(&fx->dir, 103, &fx->out); /* covers part of the hole only: not before 104 */
    assert_string_equal(fx->log.text, "ab");
    reasm_ack(&fx->dir, 106, &fx->out);
    assert_string_equal(fx->log.text, "ab|ef");
    assert_int_equal(ctr_value("reasm.acked_unseen"), 1);
}

static void test_reasm_flush_delivers_held_after_gap(void **state)
{
    struct fixture *fx = *state;
    add(fx, 100, "ab", 1);
    add(fx, 110, "kl", 2);
    add(fx, 104, "ef", 3);
    reasm_flush(&fx->dir, &fx->out);
    assert_string_equal(fx->log.text, "ab|ef|kl");
}

static void test_reasm_snapped_segment_reports_gap(void **state)
{
    struct fixture *fx = *state;
    struct pkt_meta pm = {.frame = 1};
    reasm_add(&fx->dir, 100, 0x18, (const uint8_t *)"abcd", 2, 4, &pm, &fx->out);
    add(fx, 104, "ef", 2);
    assert_string_equal(fx->log.text, "ab|ef");
    assert_int_equal(ctr_value("reasm.snapped"), 1);
}

static void test_reasm_sequence_wraps_around(void **state)
{
    struct fixture *fx = *state;
    add(fx, 0xfffffffe, "ab", 1);
    add(fx, 2, "ef", 2);
    add(fx, 0, "cd", 3);
    assert_string_equal(fx->log.text, "abcdef");
}

static void test_reasm_midstream_start_delivers_from_first_segment(void **state)
{
    struct fixture *fx = *state;
    add(fx, 5000, "xyz", 1);
    add(fx, 4990, "old", 2); /* before the starting point: treated as already seen */
    assert_string_equal(fx->log.text, "xyz");
}

static void test_reasm_mismatch_against_delivered_counted(void **state)
{
    struct fixture *fx = *state;
    add(fx, 100, "abcd", 1);
    add(fx, 100, "abcd", 2); /* identical retransmission */
    add(fx, 102, "cdef", 3); /* identical overlap */
    assert_int_equal(ctr_value("reasm.overlap_mismatch"), 0);
    add(fx, 100, "abXd", 4); /* retransmission with other bytes: the first copy still wins */
    assert_int_equal(ctr_value("reasm.overlap_mismatch"), 1);
    add(fx, 104, "EFgh", 5); /* overlap with other bytes */
    assert_int_equal(ctr_value("reasm.overlap_mismatch"), 2);
    assert_string_equal(fx->log.text, "abcdefgh");
}

static void test_reasm_mismatch_against_held_counted(void **state)
{
    struct fixture *fx = *state;
    add(fx, 100, "ab", 1);
    add(fx, 104, "ef", 2);
    add(fx, 104, "ef", 3); /* identical copy of a held segment */
    assert_int_equal(ctr_value("reasm.overlap_mismatch"), 0);
    add(fx, 104, "EF", 4); /* other bytes for held ones */
    assert_int_equal(ctr_value("reasm.overlap_mismatch"), 1);
    add(fx, 102, "cdef", 5); /* fills the hole, and its "ef" equals the held copy */
    assert_int_equal(ctr_value("reasm.overlap_mismatch"), 1);
    assert_string_equal(fx->log.text, "abcdef");
}

static void test_reasm_mismatch_beyond_tail_not_counted(void **state)
{
    struct fixture *fx = *state;
    char long_text[REASM_TAIL_BYTES + 9];
    memset(long_text, 'a', sizeof(long_text) - 1);
    long_text[sizeof(long_text) - 1] = '\0';
    add(fx, 100, long_text, 1);
    add(fx, 100, "Xa", 2); /* bytes older than the kept tail cannot be compared */
    assert_int_equal(ctr_value("reasm.overlap_mismatch"), 0);
    add(fx, 100 + (uint32_t)sizeof(long_text) - 2, "X", 3); /* inside the tail */
    assert_int_equal(ctr_value("reasm.overlap_mismatch"), 1);
}

static void test_reasm_mismatch_after_gap_not_compared(void **state)
{
    struct fixture *fx = *state;
    wa_opts.reasm_buffer_max = 2;
    add(fx, 100, "ab", 1);
    add(fx, 104, "ef", 2);
    add(fx, 106, "gh", 3); /* no room: the hole before 104 is given up */
    assert_string_equal(fx->log.text, "ab|efgh");
    add(fx, 100, "XY", 4); /* before the gap: nothing delivered there is kept */
    assert_int_equal(ctr_value("reasm.overlap_mismatch"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_reasm_in_order_after_syn, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reasm_out_of_order_is_reordered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reasm_retransmission_dropped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reasm_overlap_keeps_first_copy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reasm_buffer_cap_reports_gap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reasm_ack_past_hole_reports_gap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reasm_flush_delivers_held_after_gap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reasm_snapped_segment_reports_gap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reasm_sequence_wraps_around, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reasm_midstream_start_delivers_from_first_segment,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_reasm_mismatch_against_delivered_counted, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_reasm_mismatch_against_held_counted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reasm_mismatch_beyond_tail_not_counted, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_reasm_mismatch_after_gap_not_compared, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
