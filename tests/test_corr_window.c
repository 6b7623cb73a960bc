/* Unit tests for correlation rules: sliding windows, grouping, order, twins and limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "corr_test_util.h"

/* Returns the failed_logon (4625) and success_logon (4624) rules followed by correlation. */
static char *rules_with(const char *correlation)
{
    static char yaml[4096];
    snprintf(yaml, sizeof(yaml),
             "title: failed logon\nname: failed_logon\n"
             "logsource:\n    product: windows\n    service: security\n"
             "detection:\n    sel:\n        EventID: 4625\n    condition: sel\n---\n"
             "title: success logon\nname: success_logon\n"
             "logsource:\n    product: windows\n    service: security\n"
             "detection:\n    sel:\n        EventID: 4624\n    condition: sel\n---\n"
             "title: corr\nid: c-1\nlevel: high\ntags:\n    - attack.t1110\n%s",
             correlation);
    return yaml;
}

static struct event *failed(int64_t t, const char *user)
{
    char pair[64];
    snprintf(pair, sizeof(pair), "TargetUserName=%s", user);
    return make_event(4625, t, pair, NULL);
}

static struct event *success(int64_t t, const char *user)
{
    char pair[64];
    snprintf(pair, sizeof(pair), "TargetUserName=%s", user);
    return make_event(4624, t, pair, NULL);
}

static const char count_5_in_10m[] =
    "correlation:\n    type: event_count\n    rules:\n        - failed_logon\n"
    "    group-by:\n        - TargetUserName\n    timespan: 10m\n"
    "    condition:\n        gte: 5\n";

static void test_corr_event_count_slides_across_bucket_edge(void **state)
{
    (void)state;
    struct alert_log log;
    struct corr_engine *engine = engine_with(rules_with(count_5_in_10m), &log);
    assert_non_null(engine);
    /* 10-minute buckets aligned to the clock would see 3 (10:00-10:10) and 2 (10:10-10:20). */
    feed(engine, failed(at(10, 8, 10), "bob"));
    feed(engine, failed(at(10, 8, 50), "bob"));
    feed(engine, failed(at(10, 9, 40), "bob"));
    feed(engine, failed(at(10, 10, 5), "bob"));
    feed(engine, failed(at(10, 11, 0), "bob"));
    corr_engine_finish(engine);
    assert_int_equal(alert_count(&log), 1);
    json_t *a = json_array_get(log.alerts, 0);
    assert_string_equal(alert_string(&log, 0, "rule"), "corr");
    assert_string_equal(alert_string(&log, 0, "level"), "high");
    assert_string_equal(alert_string(&log, 0, "first"), "2020-09-22T10:08:10.000000Z");
    assert_string_equal(alert_string(&log, 0, "last"), "2020-09-22T10:11:00.000000Z");
    assert_int_equal(json_integer_value(json_object_get(a, "count")), 5);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(a, "group"), "TargetUserName")), "bob");
    assert_int_equal(json_array_size(json_object_get(a, "events")), 5);
    assert_string_equal(json_string_value(json_array_get(json_object_get(a, "tags"), 0)),
                        "attack.t1110");
    engine_done(engine, &log);
}

static void test_corr_event_count_ignores_longer_span(void **state)
{
    (void)state;
    struct alert_log log;
    struct corr_engine *engine = engine_with(rules_with(count_5_in_10m), &log);
    assert_non_null(engine);
    /* Five events over 10 minutes and 1 second: no 10-minute span contains all five. */
    feed(engine, failed(at(10, 0, 0), "bob"));
    feed(engine, failed(at(10, 3, 0), "bob"));
    feed(engine, failed(at(10, 6, 0), "bob"));
    feed(engine, failed(at(10, 9, 0), "bob"));
    feed(engine, failed(at(10, 10, 1), "bob"));
    corr_engine_finish(engine);
    assert_int_equal(alert_count(&log), 0);
    engine_done(engine, &log);
}

static void test_corr_event_count_exact_timespan_counts(void **state)
{
    (void)state;
    struct alert_log log;
    struct corr_engine *engine = engine_with(rules_with(count_5_in_10m), &log);
    assert_non_null(engine);
    feed(engine, failed(at(10, 0, 0), "bob"));
    feed(engine, failed(at(10, 3, 0), "bob"));
    feed(engine, failed(at(10, 6, 0), "bob"));
    feed(engine, failed(at(10, 9, 0), "bob"));
    feed(engine, failed(at(10, 10, 0), "bob"));
    assert_int_equal(alert_count(&log), 1);
    engine_done(engine, &log);
}

static void test_corr_event_count_groups_by_field(void **state)
{
    (void)state;
    struct alert_log log;
    struct corr_engine *engine = engine_with(rules_with(count_5_in_10m), &log);
    assert_non_null(engine);
    for (int i = 0; i < 5; i++) {
        feed(engine, failed(at(10, 0, i), i % 2 == 0 ? "bob" : "alice"));
    }
    assert_int_equal(alert_count(&log), 0);
    /* Group values compare without case, as Windows account names do. */
    feed(engine, failed(at(10, 0, 6), "BOB"));
    feed(engine, failed(at(10, 0, 7), "Bob"));
    assert_int_equal(alert_count(&log), 1);
    engine_done(engine, &log);
}

/*
 * After an alert the group stays quiet for one timespan: nine failures in
 * nine seconds are one burst and raise one alert, not one per five events.
 * Five fresh failures after the quiet time raise the next alert.
 */
static void test_corr_event_count_one_alert_per_burst(void **state)
{
    (void)state;
    struct alert_log log;
    struct corr_engine *engine = engine_with(rules_with(count_5_in_10m), &log);
    assert_non_null(engine);
    for (int i = 0; i < 10; i++) {
        feed(engine, failed(at(10, 0, i), "bob"));
    }
    assert_int_equal(alert_count(&log), 1);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(log.alerts, 0), "count")),
                     5);
    for (int i = 0; i < 4; i++) {
        feed(engine, failed(at(10, 10, 10 + i), "bob"));
    }
    assert_int_equal(alert_count(&log), 1);
    feed(engine, failed(at(10, 10, 20), "bob"));
    assert_int_equal(alert_count(&log), 2);
    engine_done(engine, &log);
}

/*
 * The Windows copy pattern: a value_count of three AccessMask values feeds a
 * temporal correlation with a WriteData detection. The 0x2 event matches
 * both, and the alert must list the three events once each, with all three
 * masks, and fire once although a later read adds more masks.
 */
static const char copy_rules[] =
    "title: share access\nname: share_access\n"
    "logsource:\n    product: windows\n    service: security\n"
    "detection:\n    sel:\n        EventID: 5145\n    condition: sel\n---\n"
    "title: share write\nname: share_write\n"
    "logsource:\n    product: windows\n    service: security\n"
    "detection:\n    sel:\n        EventID: 5145\n        AccessList|contains: WriteData\n"
    "    condition: sel\n---\n"
    "title: three masks\nname: three_masks\n"
    "correlation:\n    type: value_count\n    rules:\n        - share_access\n"
    "    group-by:\n        - IpAddress\n    timespan: 1s\n"
    "    condition:\n        field: AccessMask\n        gte: 3\n---\n"
    "title: copy\nid: copy-1\n"
    "correlation:\n    type: temporal\n    rules:\n        - three_masks\n        - share_write\n"
    "    group-by:\n        - IpAddress\n    timespan: 1s\n"
    "fields:\n    - AccessMask\n    - RelativeTargetName\n";

static struct event *share_access(int64_t t, uint64_t seq, const char *mask, const char *list)
{
    char mask_pair[64];
    char list_pair[128];
    snprintf(mask_pair, sizeof(mask_pair), "AccessMask=%s", mask);
    snprintf(list_pair, sizeof(list_pair), "AccessList=%s", list);
    const char *target =
        seq == 2001 ? "RelativeTargetName=Temp" : "RelativeTargetName=Temp\\svchost.exe";
    struct event *ev =
        make_event(5145, t, "IpAddress=192.0.2.66", mask_pair, list_pair, target, NULL);
    ev->origin = EVENT_ORIGIN_WIRE;
    ev->record = seq == 2001 ? 24 : 28;
    ev->seq = seq;
    return ev;
}

static void test_corr_temporal_lists_child_events_once(void **state)
{
    (void)state;
    struct alert_log log;
    struct corr_engine *engine = engine_with(copy_rules, &log);
    assert_non_null(engine);
    int64_t t0 = at(16, 25, 6);
    feed(engine, share_access(t0, 2001, "0x80", "%%4423"));
    feed(engine, share_access(t0 + 2370, 2003, "0x12019f", "%%4416 %%4417"));
    feed(engine, share_access(t0 + 2370, 2004, "0x2", "%%4417"));
    feed(engine, share_access(t0 + 12000, 2005, "0x120089", "%%4416"));
    feed(engine, share_access(t0 + 13000, 2006, "0x10080", "%%1537"));
    assert_int_equal(alert_count(&log), 1);
    json_t *alert = json_array_get(log.alerts, 0);
    assert_int_equal(json_integer_value(json_object_get(alert, "count")), 3);
    json_t *events = json_object_get(alert, "events");
    assert_int_equal(json_array_size(events), 3);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(events, 0), "frame")), 24);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(events, 1), "frame")), 28);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(events, 2), "frame")), 28);
    json_t *masks = json_object_get(json_object_get(alert, "values"), "AccessMask");
    assert_int_equal(json_array_size(masks), 3);
    json_t *targets = json_object_get(json_object_get(alert, "values"), "RelativeTargetName");
    assert_int_equal(json_array_size(targets), 2);
    assert_string_equal(alert_string(&log, 0, "first"), "2020-09-22T16:25:06.000000Z");
    engine_done(engine, &log);
}

static void test_corr_event_count_twin_counted_once(void **state)
{
    (void)state;
    struct alert_log log;
    const char rule[] = "correlation:\n    type: event_count\n    rules:\n"
                        "        - failed_logon\n    group-by:\n        - TargetUserName\n"
                        "    timespan: 1m\n    condition:\n        gte: 2\n";
    struct corr_engine *engine = engine_with(rules_with(rule), &log);
    assert_non_null(engine);
    struct event *host = failed(at(10, 0, 0), "bob");
    host->seq = 1001;
    struct event *wire = failed(at(10, 0, 1), "bob");
    wire->origin = EVENT_ORIGIN_WIRE;
    wire->seq = 1002;
    wire->link = 1001;
    feed(engine, host);
    feed(engine, wire);
    assert_int_equal(alert_count(&log), 0);
    feed(engine, failed(at(10, 0, 2), "bob"));
    assert_int_equal(alert_count(&log), 1);
    engine_done(engine, &log);
}

static void test_corr_value_count_distinct_values(void **state)
{
    (void)state;
    struct alert_log log;
    const char rule[] = "correlation:\n    type: value_count\n    rules:\n"
                        "        - failed_logon\n    group-by:\n        - IpAddress\n"
                        "    timespan: 1m\n    condition:\n        field: TargetUserName\n"
                        "        gte: 3\n";
    struct corr_engine *engine = engine_with(rules_with(rule), &log);
    assert_non_null(engine);
    const char *users[] = {"a", "a", "b", "B", "a"};
    for (int i = 0; i < 5; i++) {
        char pair[32];
        snprintf(pair, sizeof(pair), "TargetUserName=%s", users[i]);
        feed(engine, make_event(4625, at(10, 0, i), pair, "IpAddress=10.0.0.9", NULL));
    }
    assert_int_equal(alert_count(&log), 0);
    feed(engine, make_event(4625, at(10, 0, 30), "TargetUserName=c", "IpAddress=10.0.0.9", NULL));
    assert_int_equal(alert_count(&log), 1);
    json_t *values = json_object_get(json_array_get(log.alerts, 0), "values");
    assert_non_null(json_object_get(values, "TargetUserName"));
    engine_done(engine, &log);
}

static const char temporal[] = "correlation:\n    type: temporal\n    rules:\n"
                               "        - failed_logon\n        - success_logon\n"
                               "    group-by:\n        - TargetUserName\n    timespan: 5m\n";

static const char ordered[] = "correlation:\n    type: temporal_ordered\n    rules:\n"
                              "        - failed_logon\n        - success_logon\n"
                              "    group-by:\n        - TargetUserName\n    timespan: 5m\n";

static void test_corr_temporal_any_order(void **state)
{
    (void)state;
    struct alert_log log;
    struct corr_engine *engine = engine_with(rules_with(temporal), &log);
    assert_non_null(engine);
    feed(engine, success(at(10, 0, 0), "bob"));
    feed(engine, failed(at(10, 4, 0), "bob"));
    assert_int_equal(alert_count(&log), 1);
    engine_done(engine, &log);
}

static void test_corr_temporal_outside_timespan_silent(void **state)
{
    (void)state;
    struct alert_log log;
    struct corr_engine *engine = engine_with(rules_with(temporal), &log);
    assert_non_null(engine);
    feed(engine, success(at(10, 0, 0), "bob"));
    feed(engine, failed(at(10, 5, 1), "bob"));
    feed(engine, failed(at(10, 6, 0), "alice"));
    assert_int_equal(alert_count(&log), 0);
    engine_done(engine, &log);
}

static void test_corr_temporal_ordered_enforces_order(void **state)
{
    (void)state;
    struct alert_log log;
    struct corr_engine *engine = engine_with(rules_with(ordered), &log);
    assert_non_null(engine);
    feed(engine, success(at(10, 0, 0), "bob"));
    feed(engine, failed(at(10, 1, 0), "bob"));
    assert_int_equal(alert_count(&log), 0);
    feed(engine, success(at(10, 2, 0), "bob"));
    assert_int_equal(alert_count(&log), 1);
    assert_string_equal(alert_string(&log, 0, "first"), "2020-09-22T10:01:00.000000Z");
    engine_done(engine, &log);
}

static void test_corr_base_rules_silent_without_generate(void **state)
{
    (void)state;
    struct alert_log log;
    struct corr_engine *engine = engine_with(rules_with(ordered), &log);
    assert_non_null(engine);
    feed(engine, failed(at(10, 0, 0), "bob"));
    assert_int_equal(alert_count(&log), 0);
    engine_done(engine, &log);

    char with_generate[1024];
    snprintf(with_generate, sizeof(with_generate), "%s    generate: true\n", ordered);
    engine = engine_with(rules_with(with_generate), &log);
    assert_non_null(engine);
    feed(engine, failed(at(10, 0, 0), "bob"));
    assert_int_equal(alert_count(&log), 1);
    assert_string_equal(alert_string(&log, 0, "type"), "detection");
    engine_done(engine, &log);
}

static void test_corr_upper_bound_waits_for_window_end(void **state)
{
    (void)state;
    struct alert_log log;
    const char rule[] = "correlation:\n    type: event_count\n    rules:\n"
                        "        - failed_logon\n    group-by:\n        - TargetUserName\n"
                        "    timespan: 1m\n    condition:\n        lt: 3\n";
    struct corr_engine *engine = engine_with(rules_with(rule), &log);
    assert_non_null(engine);
    feed(engine, failed(at(10, 0, 0), "bob"));
    feed(engine, failed(at(10, 0, 10), "bob"));
    assert_int_equal(alert_count(&log), 0);
    corr_engine_finish(engine);
    assert_int_equal(alert_count(&log), 1);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(log.alerts, 0), "count")),
                     2);
    engine_done(engine, &log);
}

static void test_corr_late_event_within_tolerance(void **state)
{
    (void)state;
    struct alert_log log;
    const char rule[] = "correlation:\n    type: event_count\n    rules:\n"
                        "        - failed_logon\n    group-by:\n        - TargetUserName\n"
                        "    timespan: 10s\n    condition:\n        gte: 3\n";
    wa_options_defaults();
    struct corr_engine *engine = engine_with(rules_with(rule), &log);
    assert_non_null(engine);
    feed(engine, failed(at(10, 0, 0), "bob"));
    feed(engine, failed(at(10, 0, 20), "bob"));
    /* Arrives after 10:00:20 but happened at 10:00:15, within the 5 s tolerance. */
    feed(engine, failed(at(10, 0, 15), "bob"));
    assert_int_equal(alert_count(&log), 0);
    feed(engine, failed(at(10, 0, 21), "bob"));
    assert_int_equal(alert_count(&log), 1);
    engine_done(engine, &log);
}

static void test_corr_group_cap_evicts_and_counts(void **state)
{
    (void)state;
    struct alert_log log;
    wa_options_defaults();
    wa_opts.corr_max_groups = 100;
    ctr_reset_all();
    struct corr_engine *engine = engine_with(rules_with(count_5_in_10m), &log);
    assert_non_null(engine);
    for (int i = 0; i < 10000; i++) {
        char user[32];
        snprintf(user, sizeof(user), "user%d", i);
        feed(engine, failed(at(10, 0, 0) + i, user));
    }
    assert_true(ctr_value("corr.groups_evicted") >= 9900);
    assert_int_equal(alert_count(&log), 0);
    engine_done(engine, &log);
    wa_options_defaults();
}

static void test_corr_chained_correlation(void **state)
{
    (void)state;
    struct alert_log log;
    const char rule[] =
        "correlation:\n    type: temporal_ordered\n    rules:\n        - many_failed\n"
        "        - success_logon\n    group-by:\n        - TargetUserName\n    timespan: 10m\n"
        "---\ntitle: many failed\nname: many_failed\ncorrelation:\n    type: event_count\n"
        "    rules:\n        - failed_logon\n    group-by:\n        - TargetUserName\n"
        "    timespan: 10m\n    condition:\n        gte: 3\n";
    struct corr_engine *engine = engine_with(rules_with(rule), &log);
    assert_non_null(engine);
    feed(engine, failed(at(10, 0, 0), "bob"));
    feed(engine, failed(at(10, 0, 1), "bob"));
    feed(engine, failed(at(10, 0, 2), "bob"));
    assert_int_equal(alert_count(&log), 0);
    feed(engine, success(at(10, 1, 0), "bob"));
    assert_int_equal(alert_count(&log), 1);
    assert_string_equal(alert_string(&log, 0, "rule"), "corr");
    engine_done(engine, &log);
}

static void test_corr_aliases_join_different_fields(void **state)
{
    (void)state;
    struct alert_log log;
    const char rule[] = "correlation:\n    type: temporal\n    rules:\n"
                        "        - failed_logon\n        - success_logon\n"
                        "    group-by:\n        - account\n    timespan: 1m\n"
                        "    aliases:\n        account:\n"
                        "            failed_logon: TargetUserName\n"
                        "            success_logon: SubjectUserName\n";
    struct corr_engine *engine = engine_with(rules_with(rule), &log);
    assert_non_null(engine);
    feed(engine, failed(at(10, 0, 0), "bob"));
    feed(engine, make_event(4624, at(10, 0, 5), "SubjectUserName=bob", NULL));
    assert_int_equal(alert_count(&log), 1);
    engine_done(engine, &log);
}

int main(void)
{
    wa_options_defaults();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_corr_event_count_slides_across_bucket_edge),
        cmocka_unit_test(test_corr_event_count_ignores_longer_span),
        cmocka_unit_test(test_corr_event_count_exact_timespan_counts),
        cmocka_unit_test(test_corr_event_count_groups_by_field),
        cmocka_unit_test(test_corr_event_count_one_alert_per_burst),
        cmocka_unit_test(test_corr_temporal_lists_child_events_once),
        cmocka_unit_test(test_corr_event_count_twin_counted_once),
        cmocka_unit_test(test_corr_value_count_distinct_values),
        cmocka_unit_test(test_corr_temporal_any_order),
        cmocka_unit_test(test_corr_temporal_outside_timespan_silent),
        cmocka_unit_test(test_corr_temporal_ordered_enforces_order),
        cmocka_unit_test(test_corr_base_rules_silent_without_generate),
        cmocka_unit_test(test_corr_upper_bound_waits_for_window_end),
        cmocka_unit_test(test_corr_late_event_within_tolerance),
        cmocka_unit_test(test_corr_group_cap_evicts_and_counts),
        cmocka_unit_test(test_corr_chained_correlation),
        cmocka_unit_test(test_corr_aliases_join_different_fields),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
