/* Unit tests for the bounds-checked byte cursor. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../dissectors/cursor.h"

static void test_cursor_le32_reads_little_endian(void **state)
{
    (void)state;
    /* 0x04030201 little-endian, then one spare byte */
    static const uint8_t data[] = {0x01, 0x02, 0x03, 0x04, 0xff};
    struct cursor c;
    cur_init(&c, data, sizeof(data));
    assert_int_equal(cur_le32(&c), 0x04030201);
    assert_true(cur_ok(&c));
    assert_int_equal(cur_left(&c), 1);
}

static void test_cursor_le32_at_end_sets_truncated(void **state)
{
    (void)state;
    static const uint8_t data[] = {0x01, 0x02, 0x03};
    struct cursor c;
    cur_init(&c, data, sizeof(data));
    assert_int_equal(cur_le32(&c), 0);
    assert_int_equal(c.status, CUR_TRUNCATED);
    assert_int_equal(cur_offset(&c), 0);
    /* Sticky: a read that would fit also fails now. */
    assert_int_equal(cur_u8(&c), 0);
    assert_int_equal(cur_offset(&c), 0);
}

static void test_cursor_be_readers_use_network_order(void **state)
{
    (void)state;
    static const uint8_t data[] = {0x12, 0x34, 0xde, 0xad, 0xbe, 0xef};
    struct cursor c;
    cur_init(&c, data, sizeof(data));
    assert_int_equal(cur_be16(&c), 0x1234);
    assert_int_equal(cur_be32(&c), 0xdeadbeef);
    assert_true(cur_ok(&c));
}

static void test_cursor_le64_reads_eight_bytes(void **state)
{
    (void)state;
    static const uint8_t data[] = {1, 0, 0, 0, 0, 0, 0, 0x80};
    struct cursor c;
    cur_init(&c, data, sizeof(data));
    assert_true(cur_le64(&c) == 0x8000000000000001ULL);
}

static void test_cursor_align_counts_from_base(void **state)
{
    (void)state;
    static const uint8_t data[16] = {0};
    struct cursor c;
    cur_init(&c, data, sizeof(data));
    cur_skip(&c, 3);
    cur_align(&c, 8);
    assert_int_equal(cur_offset(&c), 8);
    cur_align(&c, 8);
    assert_int_equal(cur_offset(&c), 8);
    cur_skip(&c, 7);
    cur_align(&c, 8);
    assert_true(cur_ok(&c));
    assert_int_equal(cur_offset(&c), 16);
}

static void test_cursor_copy_rejects_small_destination(void **state)
{
    (void)state;
    static const uint8_t data[] = {1, 2, 3, 4};
    uint8_t dst[2];
    struct cursor c;
    cur_init(&c, data, sizeof(data));
    cur_copy(&c, dst, sizeof(dst), 4);
    assert_int_equal(c.status, CUR_MALFORMED);
    assert_int_equal(cur_offset(&c), 0);
}

static void test_cursor_sub_limits_child(void **state)
{
    (void)state;
    static const uint8_t data[] = {1, 2, 3, 4, 5};
    struct cursor c;
    struct cursor child;
    cur_init(&c, data, sizeof(data));
    cur_sub(&c, &child, 2);
    assert_int_equal(cur_offset(&c), 2);
    assert_int_equal(cur_le16(&child), 0x0201);
    assert_int_equal(cur_u8(&child), 0);
    assert_int_equal(child.status, CUR_TRUNCATED);
    assert_true(cur_ok(&c));
}

static void test_cursor_at_validates_packet_offsets(void **state)
{
    (void)state;
    static const uint8_t data[8] = {0};
    /* Each row: offset, length, whether cur_at accepts it. */
    static const struct {
        size_t off;
        size_t len;
        bool ok;
    } cases[] = {
        {0, 0, true},  {0, 8, true},         {8, 0, true},        {7, 1, true},
        {7, 2, false}, {9, 0, false},        {SIZE_MAX, 2, false}, {2, SIZE_MAX, false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct cursor c;
        struct cursor child;
        cur_init(&c, data, sizeof(data));
        assert_int_equal(cur_at(&c, &child, cases[i].off, cases[i].len), cases[i].ok);
        assert_int_equal(cur_ok(&c), cases[i].ok);
        if (cases[i].ok) {
            assert_int_equal(child.len, cases[i].len);
        }
    }
}

static void test_cursor_view_returns_null_past_end(void **state)
{
    (void)state;
    static const uint8_t data[] = {'a', 'b'};
    struct cursor c;
    cur_init(&c, data, sizeof(data));
    assert_non_null(cur_view(&c, 2));
    assert_null(cur_view(&c, 1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cursor_le32_reads_little_endian),
        cmocka_unit_test(test_cursor_le32_at_end_sets_truncated),
        cmocka_unit_test(test_cursor_be_readers_use_network_order),
        cmocka_unit_test(test_cursor_le64_reads_eight_bytes),
        cmocka_unit_test(test_cursor_align_counts_from_base),
        cmocka_unit_test(test_cursor_copy_rejects_small_destination),
        cmocka_unit_test(test_cursor_sub_limits_child),
        cmocka_unit_test(test_cursor_at_validates_packet_offsets),
        cmocka_unit_test(test_cursor_view_returns_null_past_end),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
