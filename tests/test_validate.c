/* Unit tests for --validate: the time span, matching per EventID and the text and JSON tables. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "../sensor/event.h"
#include "../sensor/options.h"
#include "../sensor/validate.h"

/* Adds a 5145 event (or 5140 when target is NULL) at time_s seconds. */
static void add_share_event(struct validator *val, enum event_origin origin, int64_t time_s,
                            const char *target, const char *mask)
{
    struct event *ev = event_new(target != NULL ? 5145 : 5140, time_s * 1000000, origin);
    assert_non_null(ev);
    ev->input = origin == EVENT_ORIGIN_HOST ? "host.json" : "wire.pcap";
    ev->record = (uint64_t)time_s;
    assert_int_equal(event_set(ev, EVENT_DATA, "Computer", "WS6.corp.local"), WA_OK);
    assert_int_equal(event_set(ev, EVENT_DATA, "ShareName", "\\\\*\\C$"), WA_OK);
    if (target != NULL) {
        assert_int_equal(event_set(ev, EVENT_DATA, "RelativeTargetName", target), WA_OK);
    }
    assert_int_equal(event_set(ev, EVENT_DATA, "AccessMask", mask), WA_OK);
    assert_int_equal(event_set(ev, EVENT_DATA, "IpAddress", "10.0.0.5"), WA_OK);
    validator_add(val, ev);
    event_free(ev);
}

/* Runs validator_write into a string the caller frees. */
static char *write_table(struct validator *val, bool json)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    assert_non_null(out);
    validator_write(val, out, json);
    fclose(out);
    return text;
}

static int setup(void **state)
{
    (void)state;
    wa_options_defaults();
    return 0;
}

/* Host: 5140 and three 5145, one only on the host. Wire: the 5140, two 5145 and one extra. */
static struct validator *sample_validator(void)
{
    struct validator *val = validator_new();
    assert_non_null(val);
    add_share_event(val, EVENT_ORIGIN_HOST, 100, NULL, "0x1");
    add_share_event(val, EVENT_ORIGIN_HOST, 101, "ProgramData", "0x80");
    add_share_event(val, EVENT_ORIGIN_HOST, 101, "ProgramData\\x.exe", "0x17019f");
    add_share_event(val, EVENT_ORIGIN_HOST, 101, "ProgramData\\x.exe", "0x2");
    add_share_event(val, EVENT_ORIGIN_WIRE, 99, NULL, "0x00000001");
    add_share_event(val, EVENT_ORIGIN_WIRE, 102, "programdata", "0x80");
    add_share_event(val, EVENT_ORIGIN_WIRE, 102, "ProgramData\\x.exe", "0x17019f");
    add_share_event(val, EVENT_ORIGIN_WIRE, 103, "ProgramData\\y.exe", "0x2");
    return val;
}

static void test_validate_text_table_rows(void **state)
{
    (void)state;
    struct validator *val = sample_validator();
    char *text = write_table(val, false);
    assert_non_null(strstr(text, "5140            1        1        1          0          0"
                                 "     100.0%"));
    assert_non_null(strstr(text, "5145            3        3        2          1          1"
                                 "      66.7%"));
    /* The unmatched events of each side are listed with their key fields. */
    assert_non_null(strstr(text, "host-only 5145"));
    assert_non_null(strstr(text, "RelativeTargetName=ProgramData\\x.exe AccessMask=0x2"));
    assert_non_null(strstr(text, "wire-only 5145"));
    assert_non_null(strstr(text, "RelativeTargetName=ProgramData\\y.exe"));
    free(text);
    validator_free(val);
}

static void test_validate_json_table_fields(void **state)
{
    (void)state;
    struct validator *val = sample_validator();
    char *text = write_table(val, true);
    json_error_t error;
    json_t *root = json_loads(text, 0, &error);
    assert_non_null(root);
    json_t *rows = json_object_get(root, "event_ids");
    assert_int_equal(json_array_size(rows), 2);
    json_t *row = json_array_get(rows, 1);
    assert_int_equal(json_integer_value(json_object_get(row, "EventID")), 5145);
    assert_int_equal(json_integer_value(json_object_get(row, "host")), 3);
    assert_int_equal(json_integer_value(json_object_get(row, "rebuilt")), 3);
    assert_int_equal(json_integer_value(json_object_get(row, "matched")), 2);
    assert_int_equal(json_integer_value(json_object_get(row, "host_only")), 1);
    assert_int_equal(json_integer_value(json_object_get(row, "wire_only")), 1);
    assert_true(json_real_value(json_object_get(row, "agreement")) > 66.6);
    assert_int_equal(json_array_size(json_object_get(row, "host_unmatched")), 1);
    assert_int_equal(json_integer_value(json_object_get(root, "skew_s")), 3);
    json_decref(root);
    free(text);
    validator_free(val);
}

static void test_validate_events_outside_span_ignored(void **state)
{
    (void)state;
    struct validator *val = validator_new();
    assert_non_null(val);
    /* Both cover 204-205 s, widened to 201-208 s, so the host event at 100 s lies outside. */
    add_share_event(val, EVENT_ORIGIN_HOST, 100, "a", "0x2");
    add_share_event(val, EVENT_ORIGIN_HOST, 205, "b", "0x2");
    add_share_event(val, EVENT_ORIGIN_WIRE, 204, "b", "0x2");
    add_share_event(val, EVENT_ORIGIN_WIRE, 207, "c", "0x2");
    char *text = write_table(val, false);
    assert_non_null(strstr(text, "5145            1        2        1          0          1"));
    free(text);
    validator_free(val);
}

static void test_validate_skew_limits_match(void **state)
{
    (void)state;
    struct validator *val = validator_new();
    assert_non_null(val);
    /* Twins 4 s and 8 s apart, both past the 3 s skew, inside the span 101-111 s. */
    add_share_event(val, EVENT_ORIGIN_HOST, 104, "a", "0x2");
    add_share_event(val, EVENT_ORIGIN_WIRE, 108, "a", "0x2");
    add_share_event(val, EVENT_ORIGIN_HOST, 110, "b", "0x2");
    add_share_event(val, EVENT_ORIGIN_WIRE, 102, "b", "0x2");
    char *text = write_table(val, false);
    assert_non_null(strstr(text, "5145            2        2        0          2          2"));
    free(text);
    validator_free(val);
}

/* Adds a wire 5145 for target seen in capture input with SMB MessageId message_id. */
static void add_wire_copy(struct validator *val, const char *input, const char *message_id,
                          const char *target)
{
    struct event *ev = event_new(5145, 100 * 1000000LL, EVENT_ORIGIN_WIRE);
    assert_non_null(ev);
    ev->input = input;
    assert_int_equal(event_set(ev, EVENT_DATA, "Computer", "WS6"), WA_OK);
    assert_int_equal(event_set(ev, EVENT_DATA, "ShareName", "\\\\*\\IPC$"), WA_OK);
    assert_int_equal(event_set(ev, EVENT_DATA, "RelativeTargetName", target), WA_OK);
    assert_int_equal(event_set(ev, EVENT_DATA, "AccessMask", "0x3"), WA_OK);
    assert_int_equal(event_set(ev, EVENT_DATA, "IpAddress", "10.0.0.5"), WA_OK);
    assert_int_equal(event_set(ev, EVENT_DATA, "IpPort", "50000"), WA_OK);
    assert_int_equal(event_set(ev, EVENT_WIRE, "SessionId", "0x1c0000000015"), WA_OK);
    assert_int_equal(event_set(ev, EVENT_WIRE, "MessageId", message_id), WA_OK);
    validator_add(val, ev);
    event_free(ev);
}

static void test_validate_capture_copies_counted_once(void **state)
{
    (void)state;
    struct validator *val = validator_new();
    assert_non_null(val);
    add_share_event(val, EVENT_ORIGIN_HOST, 100, "a", "0x2");
    /* Both ends of the connection captured the same request (MessageId 7). */
    add_wire_copy(val, "client-side.pcap", "7", "svcctl");
    add_wire_copy(val, "server-side.pcap", "7", "svcctl");
    /* A second request in one capture is a second event, not a copy. */
    add_wire_copy(val, "client-side.pcap", "9", "svcctl");
    char *text = write_table(val, true);
    json_error_t error;
    json_t *root = json_loads(text, 0, &error);
    assert_non_null(root);
    assert_int_equal(json_integer_value(json_object_get(root, "wire_duplicates")), 1);
    json_t *row = json_array_get(json_object_get(root, "event_ids"), 0);
    assert_int_equal(json_integer_value(json_object_get(row, "rebuilt")), 2);
    json_decref(root);
    free(text);
    validator_free(val);
}

static void test_validate_one_side_missing_message(void **state)
{
    (void)state;
    struct validator *val = validator_new();
    assert_non_null(val);
    add_share_event(val, EVENT_ORIGIN_WIRE, 100, "a", "0x2");
    char *text = write_table(val, false);
    assert_non_null(strstr(text, "No events from any host log"));
    free(text);
    validator_free(val);
}

static void test_validate_no_overlap_message(void **state)
{
    (void)state;
    struct validator *val = validator_new();
    assert_non_null(val);
    add_share_event(val, EVENT_ORIGIN_HOST, 100, "a", "0x2");
    add_share_event(val, EVENT_ORIGIN_WIRE, 200, "a", "0x2");
    char *text = write_table(val, true);
    assert_non_null(strstr(text, "do not overlap in time"));
    free(text);
    validator_free(val);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_validate_text_table_rows, setup),
        cmocka_unit_test_setup(test_validate_json_table_fields, setup),
        cmocka_unit_test_setup(test_validate_events_outside_span_ignored, setup),
        cmocka_unit_test_setup(test_validate_skew_limits_match, setup),
        cmocka_unit_test_setup(test_validate_capture_copies_counted_once, setup),
        cmocka_unit_test_setup(test_validate_one_side_missing_message, setup),
        cmocka_unit_test_setup(test_validate_no_overlap_message, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
