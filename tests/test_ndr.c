/* Unit tests for the NDR 2.0 / NDR64 reader, including hostile counts and pointers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../dissectors/ndr.h"

static void test_ndr_string_reads_utf16(void **state)
{
    (void)state;
    /* max 3, offset 0, actual 3, "ab\0" */
    static const uint8_t stub[] = {3, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 'a', 0, 'b', 0, 0, 0};
    struct ndr n;
    char out[16];
    ndr_init(&n, stub, sizeof(stub), false, false);
    ndr_string(&n, true, out, sizeof(out));
    assert_true(ndr_ok(&n));
    assert_string_equal(out, "ab");
    assert_int_equal(cur_left(&n.cur), 0);
}

static void test_ndr_string_ndr64_counts(void **state)
{
    (void)state;
    /* NDR64: 8-byte max 2, offset 0, actual 2, then "hi" as ASCII */
    static const uint8_t stub[] = {2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,   0,
                                   0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 'h', 'i'};
    struct ndr n;
    char out[16];
    ndr_init(&n, stub, sizeof(stub), false, true);
    ndr_string(&n, false, out, sizeof(out));
    assert_true(ndr_ok(&n));
    assert_string_equal(out, "hi");
}

static void test_ndr_string_huge_count_is_malformed(void **state)
{
    (void)state;
    /* max 0xffffffff, offset 0, actual 0xffffffff, two characters present */
    static const uint8_t stub[] = {0xff, 0xff, 0xff, 0xff, 0,   0, 0,   0,
                                   0xff, 0xff, 0xff, 0xff, 'a', 0, 'b', 0};
    struct ndr n;
    char out[16] = "x";
    ndr_init(&n, stub, sizeof(stub), false, false);
    ndr_string(&n, true, out, sizeof(out));
    assert_false(ndr_ok(&n));
    assert_int_equal(n.cur.status, CUR_MALFORMED);
    assert_string_equal(out, "");
}

static void test_ndr_string_offset_past_max_is_malformed(void **state)
{
    (void)state;
    /* max 2, offset 1, actual 2: the varying part does not fit the conformant size */
    static const uint8_t stub[] = {2, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 'a', 0, 'b', 0};
    struct ndr n;
    char out[16];
    ndr_init(&n, stub, sizeof(stub), false, false);
    ndr_string(&n, true, out, sizeof(out));
    assert_int_equal(n.cur.status, CUR_MALFORMED);
}

static void test_ndr_string_past_stub_is_truncated(void **state)
{
    (void)state;
    /* actual 100 characters announced, 2 present */
    static const uint8_t stub[] = {100, 0, 0, 0, 0, 0, 0, 0, 100, 0, 0, 0, 'a', 0, 'b', 0};
    struct ndr n;
    char out[16];
    ndr_init(&n, stub, sizeof(stub), false, false);
    ndr_string(&n, true, out, sizeof(out));
    assert_int_equal(n.cur.status, CUR_TRUNCATED);
    assert_string_equal(out, "");
}

static void test_ndr_string_dup_past_stub_returns_null(void **state)
{
    (void)state;
    static const uint8_t stub[] = {100, 0, 0, 0, 0, 0, 0, 0, 100, 0, 0, 0, 'a', 0, 'b', 0};
    struct ndr n;
    ndr_init(&n, stub, sizeof(stub), false, false);
    assert_null(ndr_string_dup(&n, true, 1024));
    assert_false(ndr_ok(&n));
}

static void test_ndr_string_truncates_to_buffer(void **state)
{
    (void)state;
    static const uint8_t stub[] = {5, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 'h', 'e', 'l', 'l', 'o'};
    struct ndr n;
    char out[4];
    ndr_init(&n, stub, sizeof(stub), false, false);
    ndr_string(&n, false, out, sizeof(out));
    assert_true(ndr_ok(&n));
    assert_string_equal(out, "hel");
    assert_int_equal(n.truncated_strings, 1);
    assert_int_equal(cur_left(&n.cur), 0);
}

static void test_ndr_full_pointer_repeat_has_no_pointee(void **state)
{
    (void)state;
    /* Two full pointers with the same referent id, then a null one. */
    static const uint8_t stub[] = {0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x02, 0x00, 0, 0, 0, 0};
    struct ndr n;
    ndr_init(&n, stub, sizeof(stub), false, false);
    assert_true(ndr_full_pointer(&n));
    assert_false(ndr_full_pointer(&n));
    assert_false(ndr_full_pointer(&n));
    assert_true(ndr_ok(&n));
}

static void test_ndr_u32_big_endian(void **state)
{
    (void)state;
    /* 0x12345678, 4 pad bytes to the 8-byte boundary, then the hyper 1 */
    static const uint8_t stub[] = {0x12, 0x34, 0x56, 0x78, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    struct ndr n;
    ndr_init(&n, stub, sizeof(stub), true, false);
    assert_int_equal(ndr_u32(&n), 0x12345678);
    assert_true(ndr_u64(&n) == 1);
}

static void test_ndr_align_counts_from_stub_start(void **state)
{
    (void)state;
    static const uint8_t stub[] = {1, 0, 0, 0, 2, 0, 0, 0};
    struct ndr n;
    ndr_init(&n, stub, sizeof(stub), false, false);
    assert_int_equal(ndr_u8(&n), 1);
    assert_int_equal(ndr_u32(&n), 2);
    assert_int_equal(cur_offset(&n.cur), 8);
}

static void test_ndr_pointer_width_follows_syntax(void **state)
{
    (void)state;
    static const uint8_t stub[] = {0, 0, 2, 0, 0, 0, 0, 0};
    struct ndr n20;
    struct ndr n64;
    ndr_init(&n20, stub, sizeof(stub), false, false);
    ndr_init(&n64, stub, sizeof(stub), false, true);
    assert_true(ndr_pointer(&n20, NULL));
    assert_int_equal(cur_offset(&n20.cur), 4);
    assert_true(ndr_pointer(&n64, NULL));
    assert_int_equal(cur_offset(&n64.cur), 8);
}

static void test_ndr_utf16_surrogate_pair(void **state)
{
    (void)state;
    /* U+1F600 as D83D DE00, then an unpaired low surrogate */
    static const uint8_t units[] = {0x3d, 0xd8, 0x00, 0xde, 0x00, 0xdc};
    char out[16];
    assert_true(ndr_utf16_to_utf8(units, 3, false, out, sizeof(out)));
    assert_string_equal(out, "\xf0\x9f\x98\x80\xef\xbf\xbd");
}

static void test_ndr_unique_string_null_is_empty(void **state)
{
    (void)state;
    static const uint8_t stub[] = {0, 0, 0, 0};
    struct ndr n;
    char out[8] = "x";
    ndr_init(&n, stub, sizeof(stub), false, false);
    assert_false(ndr_unique_string(&n, true, out, sizeof(out)));
    assert_true(ndr_ok(&n));
    assert_string_equal(out, "");
}

static void test_ndr_count_over_cap_is_malformed(void **state)
{
    (void)state;
    static const uint8_t stub[] = {0x01, 0x00, 0x00, 0x01};
    struct ndr n;
    ndr_init(&n, stub, sizeof(stub), false, false);
    assert_int_equal(ndr_count(&n, NDR_COUNT_MAX), 0);
    assert_int_equal(n.cur.status, CUR_MALFORMED);
}

/* Every prefix of a valid string stub fails cleanly or reads the full string. */
static void test_ndr_string_prefix_sweep(void **state)
{
    (void)state;
    static const uint8_t stub[] = {3, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 'a', 0, 'b', 0, 0, 0};
    for (size_t len = 0; len < sizeof(stub); len++) {
        uint8_t *copy = malloc(len + 1); /* exact-size copy, so ASan reports any overread */
        memcpy(copy, stub, len);
        struct ndr n;
        char out[16];
        ndr_init(&n, copy, len, false, false);
        ndr_string(&n, true, out, sizeof(out));
        assert_false(ndr_ok(&n));
        free(copy);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ndr_string_reads_utf16),
        cmocka_unit_test(test_ndr_string_ndr64_counts),
        cmocka_unit_test(test_ndr_string_huge_count_is_malformed),
        cmocka_unit_test(test_ndr_string_offset_past_max_is_malformed),
        cmocka_unit_test(test_ndr_string_past_stub_is_truncated),
        cmocka_unit_test(test_ndr_string_dup_past_stub_returns_null),
        cmocka_unit_test(test_ndr_string_truncates_to_buffer),
        cmocka_unit_test(test_ndr_full_pointer_repeat_has_no_pointee),
        cmocka_unit_test(test_ndr_u32_big_endian),
        cmocka_unit_test(test_ndr_align_counts_from_stub_start),
        cmocka_unit_test(test_ndr_pointer_width_follows_syntax),
        cmocka_unit_test(test_ndr_utf16_surrogate_pair),
        cmocka_unit_test(test_ndr_unique_string_null_is_empty),
        cmocka_unit_test(test_ndr_count_over_cap_is_malformed),
        cmocka_unit_test(test_ndr_string_prefix_sweep),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
