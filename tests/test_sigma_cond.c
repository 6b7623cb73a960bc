/* Unit tests for Sigma conditions: and, or, not, parentheses and the "of" forms. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "corr_test_util.h"

/* Selections a, b, c_one, c_two and _hidden test fields A, B, C1, C2 and H for "1". */
static const char selections[] = "    a:\n        A: '1'\n"
                                 "    b:\n        B: '1'\n"
                                 "    c_one:\n        C1: '1'\n"
                                 "    c_two:\n        C2: '1'\n"
                                 "    _hidden:\n        H: '1'\n";

/* Returns whether condition holds for an event with the given "Name=1" fields. Frees ev. */
static bool condition_holds(const char *condition, struct event *ev)
{
    char yaml[4096];
    snprintf(yaml, sizeof(yaml),
             "title: t\nlogsource:\n    product: windows\n    service: security\n"
             "detection:\n%s    condition: %s\n",
             selections, condition);
    struct alert_log log;
    struct corr_engine *engine = engine_with(yaml, &log);
    assert_non_null(engine);
    feed(engine, ev);
    bool hit = alert_count(&log) == 1;
    engine_done(engine, &log);
    return hit;
}

static void test_sigma_cond_and_binds_tighter_than_or(void **state)
{
    (void)state;
    /* a or b and c_one == a or (b and c_one) */
    assert_true(condition_holds("a or b and c_one", make_event(1, 0, "A=1", NULL)));
    assert_false(condition_holds("a or b and c_one", make_event(1, 0, "B=1", NULL)));
    assert_false(condition_holds("(a or b) and c_one", make_event(1, 0, "A=1", NULL)));
    assert_true(condition_holds("(a or b) and c_one", make_event(1, 0, "B=1", "C1=1", NULL)));
}

static void test_sigma_cond_not_applies_to_next_term(void **state)
{
    (void)state;
    assert_true(condition_holds("a and not b", make_event(1, 0, "A=1", NULL)));
    assert_false(condition_holds("a and not b", make_event(1, 0, "A=1", "B=1", NULL)));
    assert_true(condition_holds("not (a and b)", make_event(1, 0, "A=1", NULL)));
    assert_false(condition_holds("not not b", make_event(1, 0, "A=1", NULL)));
}

static void test_sigma_cond_one_of_and_all_of_pattern(void **state)
{
    (void)state;
    assert_true(condition_holds("1 of c_*", make_event(1, 0, "C2=1", NULL)));
    assert_false(condition_holds("all of c_*", make_event(1, 0, "C2=1", NULL)));
    assert_true(condition_holds("all of c_*", make_event(1, 0, "C1=1", "C2=1", NULL)));
    assert_false(condition_holds("1 of c_*", make_event(1, 0, "A=1", NULL)));
}

static void test_sigma_cond_them_skips_underscore(void **state)
{
    (void)state;
    assert_false(condition_holds("1 of them", make_event(1, 0, "H=1", NULL)));
    assert_true(condition_holds("1 of them", make_event(1, 0, "B=1", NULL)));
    assert_true(
        condition_holds("all of them", make_event(1, 0, "A=1", "B=1", "C1=1", "C2=1", NULL)));
    assert_false(condition_holds("all of them", make_event(1, 0, "A=1", "B=1", "C1=1", NULL)));
    /* _hidden is still usable by name. */
    assert_true(condition_holds("_hidden", make_event(1, 0, "H=1", NULL)));
}

static void test_sigma_cond_list_is_alternatives(void **state)
{
    (void)state;
    char yaml[1024];
    snprintf(yaml, sizeof(yaml),
             "title: t\nlogsource:\n    product: windows\n    service: security\n"
             "detection:\n%s    condition:\n        - a\n        - b\n",
             selections);
    struct alert_log log;
    struct corr_engine *engine = engine_with(yaml, &log);
    assert_non_null(engine);
    feed(engine, make_event(1, 0, "B=1", NULL));
    assert_int_equal(alert_count(&log), 1);
    engine_done(engine, &log);
}

static void test_sigma_cond_selection_list_of_maps_is_or(void **state)
{
    (void)state;
    const char yaml[] = "title: t\nlogsource:\n    product: windows\n    service: security\n"
                        "detection:\n    sel:\n        - A: '1'\n          B: '1'\n"
                        "        - C1: '1'\n    condition: sel\n";
    struct alert_log log;
    struct corr_engine *engine = engine_with(yaml, &log);
    assert_non_null(engine);
    feed(engine, make_event(1, 0, "A=1", NULL)); /* first map needs A and B */
    feed(engine, make_event(1, 0, "A=1", "B=1", NULL));
    feed(engine, make_event(1, 0, "C1=1", NULL));
    assert_int_equal(alert_count(&log), 2);
    engine_done(engine, &log);
}

static void test_sigma_cond_event_id_index_keeps_other_ids_out(void **state)
{
    (void)state;
    const char yaml[] = "title: t\nlogsource:\n    product: windows\n    service: security\n"
                        "detection:\n    sel:\n        EventID:\n            - 5140\n"
                        "            - 5145\n    condition: sel\n";
    struct alert_log log;
    struct corr_engine *engine = engine_with(yaml, &log);
    assert_non_null(engine);
    feed(engine, make_event(5140, 0, NULL));
    feed(engine, make_event(5145, 0, NULL));
    feed(engine, make_event(4624, 0, NULL));
    assert_int_equal(alert_count(&log), 2);
    engine_done(engine, &log);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sigma_cond_and_binds_tighter_than_or),
        cmocka_unit_test(test_sigma_cond_not_applies_to_next_term),
        cmocka_unit_test(test_sigma_cond_one_of_and_all_of_pattern),
        cmocka_unit_test(test_sigma_cond_them_skips_underscore),
        cmocka_unit_test(test_sigma_cond_list_is_alternatives),
        cmocka_unit_test(test_sigma_cond_selection_list_of_maps_is_or),
        cmocka_unit_test(test_sigma_cond_event_id_index_keeps_other_ids_out),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
