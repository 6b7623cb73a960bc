/* Unit tests for the event record, its time helpers and its JSON form. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../sensor/event.h"

/* Returns the JSON line of ev as a heap string; the caller frees it. */
static char *event_json(const struct event *ev)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *mem = open_memstream(&buf, &size);
    assert_non_null(mem);
    assert_true(event_write_json(ev, mem));
    fclose(mem);
    return buf;
}

static void test_event_set_replaces_same_name(void **state)
{
    (void)state;
    struct event *ev = event_new(5145, 0, EVENT_ORIGIN_WIRE);
    assert_int_equal(event_set(ev, EVENT_DATA, "AccessMask", "0x80"), WA_OK);
    assert_int_equal(event_set(ev, EVENT_DATA, "AccessMask", "0x2"), WA_OK);
    assert_int_equal(ev->lists[EVENT_DATA].count, 1);
    assert_string_equal(event_field(ev, "AccessMask"), "0x2");
    event_free(ev);
}

static void test_event_get_ignores_case_of_name(void **state)
{
    (void)state;
    struct event *ev = event_new(5140, 0, EVENT_ORIGIN_HOST);
    assert_int_equal(event_set(ev, EVENT_DATA, "ShareName", "\\\\*\\C$"), WA_OK);
    assert_string_equal(event_field(ev, "sharename"), "\\\\*\\C$");
    assert_null(event_field(ev, "RelativeTargetName"));
    assert_null(event_get(ev, EVENT_WIRE, "ShareName"));
    event_free(ev);
}

static void test_event_set_n_stops_at_length(void **state)
{
    (void)state;
    struct event *ev = event_new(5145, 0, EVENT_ORIGIN_WIRE);
    assert_int_equal(event_set_n(ev, EVENT_DATA, "RelativeTargetName", "svcctlXYZ", 6), WA_OK);
    assert_string_equal(event_field(ev, "RelativeTargetName"), "svcctl");
    event_free(ev);
}

static void test_event_setf_handles_long_values(void **state)
{
    (void)state;
    struct event *ev = event_new(4698, 0, EVENT_ORIGIN_WIRE);
    char *big = malloc(5000);
    assert_non_null(big);
    memset(big, 'x', 4999);
    big[4999] = '\0';
    assert_int_equal(event_setf(ev, EVENT_DATA, "TaskContent", "<Task>%s</Task>", big), WA_OK);
    assert_int_equal(strlen(event_field(ev, "TaskContent")), 4999 + 13);
    free(big);
    event_free(ev);
}

static void test_event_clone_is_independent(void **state)
{
    (void)state;
    struct event *ev = event_new(5145, 42, EVENT_ORIGIN_WIRE);
    assert_int_equal(event_set(ev, EVENT_DATA, "ShareName", "\\\\*\\IPC$"), WA_OK);
    assert_int_equal(event_set_u64(ev, EVENT_WIRE, "MessageId", 7), WA_OK);
    struct event *copy = event_clone(ev);
    assert_non_null(copy);
    assert_int_equal(event_set(ev, EVENT_DATA, "ShareName", "changed"), WA_OK);
    assert_string_equal(event_field(copy, "ShareName"), "\\\\*\\IPC$");
    assert_string_equal(event_get(copy, EVENT_WIRE, "MessageId"), "7");
    assert_int_equal(copy->time_us, 42);
    event_free(ev);
    event_free(copy);
}

/* Events that outgrow their first arena and field lists, before and after cloning. */
static void test_event_grows_past_first_allocation(void **state)
{
    (void)state;
    struct event *ev = event_new(4698, 1, EVENT_ORIGIN_HOST);
    char name[32];
    char value[96];
    for (int i = 0; i < 40; i++) {
        snprintf(name, sizeof(name), "Field%d", i);
        snprintf(value, sizeof(value), "value %d %040d", i, i);
        assert_int_equal(event_set(ev, EVENT_DATA, name, value), WA_OK);
        assert_int_equal(event_set_u64(ev, EVENT_WIRE, name, (uint64_t)i), WA_OK);
    }
    struct event *copy = event_clone(ev);
    assert_non_null(copy);
    event_free(ev);
    assert_int_equal(copy->lists[EVENT_DATA].count, 40);
    assert_string_equal(event_field(copy, "field39"),
                        "value 39 0000000000000000000000000000000000000039");
    assert_string_equal(event_get(copy, EVENT_WIRE, "Field0"), "0");
    assert_int_equal(event_set(copy, EVENT_DATA, "Field40", "more"), WA_OK);
    assert_string_equal(event_field(copy, "Field40"), "more");
    event_free(copy);
}

static void test_event_format_time_writes_microseconds(void **state)
{
    (void)state;
    char buf[40];
    /* 2020-09-22T14:53:02.000123Z */
    assert_string_equal(event_format_time(1600786382000123LL, buf, sizeof(buf)),
                        "2020-09-22T14:53:02.000123Z");
    assert_string_equal(event_format_time(-1, buf, sizeof(buf)), "1969-12-31T23:59:59.999999Z");
}

static void test_event_parse_time_accepts_windows_forms(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int64_t expected;
    } cases[] = {
        {"2020-09-22T14:53:02.1234567Z", 1600786382123456LL},
        {"2020-09-22T14:53:02Z", 1600786382000000LL},
        {"2020-09-22 14:53:02", 1600786382000000LL},
        {"2020-09-22T16:53:02.5+02:00", 1600786382500000LL},
        {"2020-09-22T09:53:02-0500", 1600786382000000LL},
        {"1970-01-01T00:00:00Z", 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int64_t t = -1;
        assert_true(event_parse_time(cases[i].text, &t));
        assert_int_equal(t, cases[i].expected);
    }
}

static void test_event_parse_time_rejects_garbage(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "", "2020-09-22", "2020-13-01T00:00:00Z", "2020-09-22T14:53", "2020-09-22T14:53:02.Z",
        "2020-09-22T14:53:02Zjunk", "yesterday",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int64_t t;
        assert_false(event_parse_time(bad[i], &t));
    }
}

static void test_event_json_escapes_wire_text(void **state)
{
    (void)state;
    struct event *ev = event_new(5145, 0, EVENT_ORIGIN_WIRE);
    ev->input = "a.pcap";
    ev->record = 12;
    /* A quote, a backslash, a newline, a control byte and a byte that is not UTF-8. */
    assert_int_equal(event_set(ev, EVENT_DATA, "RelativeTargetName", "a\"b\\c\nd\x01" "e\xff"),
                     WA_OK);
    assert_int_equal(event_set_u64(ev, EVENT_WIRE, "MessageId", 9), WA_OK);
    char *json = event_json(ev);
    assert_string_equal(json, "{\"EventID\":5145,\"TimeCreated\":\"1970-01-01T00:00:00.000000Z\","
                              "\"RelativeTargetName\":\"a\\\"b\\\\c\\nd\\u0001e\\u00ff\","
                              "\"Source\":{\"origin\":\"wire\",\"input\":\"a.pcap\",\"frame\":12},"
                              "\"Wire\":{\"MessageId\":9}}\n");
    free(json);
    event_free(ev);
}

static void test_event_json_keeps_valid_utf8(void **state)
{
    (void)state;
    struct event *ev = event_new(4624, 0, EVENT_ORIGIN_HOST);
    ev->record = 3;
    assert_int_equal(event_set(ev, EVENT_DATA, "TargetUserName", "J\xc3\xbcrgen"), WA_OK);
    char *json = event_json(ev);
    assert_non_null(strstr(json, "\"TargetUserName\":\"J\xc3\xbcrgen\""));
    assert_non_null(strstr(json, "\"Source\":{\"origin\":\"host\",\"record\":3}"));
    assert_null(strstr(json, "\"Wire\""));
    free(json);
    event_free(ev);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_event_set_replaces_same_name),
        cmocka_unit_test(test_event_get_ignores_case_of_name),
        cmocka_unit_test(test_event_set_n_stops_at_length),
        cmocka_unit_test(test_event_setf_handles_long_values),
        cmocka_unit_test(test_event_clone_is_independent),
        cmocka_unit_test(test_event_grows_past_first_allocation),
        cmocka_unit_test(test_event_format_time_writes_microseconds),
        cmocka_unit_test(test_event_parse_time_accepts_windows_forms),
        cmocka_unit_test(test_event_parse_time_rejects_garbage),
        cmocka_unit_test(test_event_json_escapes_wire_text),
        cmocka_unit_test(test_event_json_keeps_valid_utf8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
