/* Unit tests for rule loading: errors with file, line and column, and partial loads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "corr_test_util.h"

static const char header[] = "title: t\nlogsource:\n    product: windows\n    service: security\n";

/* Loads yaml into a fresh engine. Returns the error count, with the error text in err. */
static unsigned load_errors(const char *yaml, char *err, size_t size, unsigned *rules)
{
    struct corr_engine *engine = corr_engine_new(NULL, NULL);
    assert_non_null(engine);
    unsigned errors = load_yaml(engine, yaml, err, size);
    if (rules != NULL) {
        *rules = corr_engine_rule_count(engine);
    }
    corr_engine_free(engine);
    return errors;
}

/* Asserts that err contains ":line:column: " and the given text. */
static void assert_error_at(const char *err, unsigned line, unsigned column, const char *text)
{
    char where[32];
    snprintf(where, sizeof(where), ":%u:%u: ", line, column);
    if (strstr(err, where) == NULL || strstr(err, text) == NULL) {
        fail_msg("expected '%s' and '%s' in: %s", where, text, err);
    }
}

static void test_sigma_load_malformed_yaml_reports_position(void **state)
{
    (void)state;
    char err[1024];
    const char yaml[] = "title: t\ndetection: [unclosed\n";
    assert_int_equal(load_errors(yaml, err, sizeof(err), NULL), 1);
    assert_non_null(strstr(err, "invalid YAML"));
    assert_non_null(strstr(err, ".yml:3:1: "));
}

static void test_sigma_load_unknown_key_rejected(void **state)
{
    (void)state;
    char yaml[512];
    char err[1024];
    snprintf(yaml, sizeof(yaml),
             "%sdetection:\n    sel:\n        A: 1\n    condition: sel\n"
             "colour: red\n",
             header);
    assert_int_equal(load_errors(yaml, err, sizeof(err), NULL), 1);
    assert_error_at(err, 9, 1, "unknown key 'colour'");
}

static void test_sigma_load_unknown_modifier_rejected(void **state)
{
    (void)state;
    char yaml[512];
    char err[1024];
    snprintf(yaml, sizeof(yaml),
             "%sdetection:\n    sel:\n        A|expand: '%%x%%'\n"
             "    condition: sel\n",
             header);
    assert_int_equal(load_errors(yaml, err, sizeof(err), NULL), 1);
    assert_error_at(err, 7, 9, "unsupported modifier 'expand'");
}

static void test_sigma_load_bad_regex_rejected(void **state)
{
    (void)state;
    char yaml[512];
    char err[1024];
    snprintf(yaml, sizeof(yaml),
             "%sdetection:\n    sel:\n        A|re: '(open'\n"
             "    condition: sel\n",
             header);
    assert_int_equal(load_errors(yaml, err, sizeof(err), NULL), 1);
    assert_error_at(err, 7, 15, "invalid regular expression '(open'");
}

static void test_sigma_load_aggregation_condition_rejected(void **state)
{
    (void)state;
    char yaml[512];
    char err[1024];
    snprintf(yaml, sizeof(yaml),
             "%sdetection:\n    sel:\n        A: 1\n"
             "    condition: sel | count() > 5\n",
             header);
    assert_int_equal(load_errors(yaml, err, sizeof(err), NULL), 1);
    assert_error_at(err, 8, 16, "aggregation after '|'");
}

static void test_sigma_load_timeframe_rejected(void **state)
{
    (void)state;
    char yaml[512];
    char err[1024];
    snprintf(yaml, sizeof(yaml),
             "%sdetection:\n    sel:\n        A: 1\n    timeframe: 15s\n"
             "    condition: sel\n",
             header);
    assert_int_equal(load_errors(yaml, err, sizeof(err), NULL), 1);
    assert_error_at(err, 8, 5, "detection.timeframe");
}

static void test_sigma_load_unknown_reference_rejected(void **state)
{
    (void)state;
    char err[1024];
    const char yaml[] = "title: c\ncorrelation:\n    type: event_count\n    rules:\n"
                        "        - no_such_rule\n    group-by:\n        - User\n"
                        "    timespan: 5m\n    condition:\n        gte: 2\n";
    assert_int_equal(load_errors(yaml, err, sizeof(err), NULL), 1);
    assert_error_at(err, 5, 11, "unknown rule 'no_such_rule'");
}

static void test_sigma_load_correlation_cycle_rejected(void **state)
{
    (void)state;
    char err[1024];
    const char yaml[] = "title: one\nname: one\ncorrelation:\n    type: temporal\n"
                        "    rules:\n        - two\n    timespan: 5m\n---\n"
                        "title: two\nname: two\ncorrelation:\n    type: temporal\n"
                        "    rules:\n        - one\n    timespan: 5m\n";
    unsigned rules = 0;
    assert_int_equal(load_errors(yaml, err, sizeof(err), &rules), 1);
    assert_non_null(strstr(err, "cycle (one -> two -> one)"));
    assert_null(strstr(err, "unknown rule"));
    assert_int_equal(rules, 0);
}

static void test_sigma_load_other_rules_still_load(void **state)
{
    (void)state;
    char yaml[1024];
    char err[1024];
    snprintf(yaml, sizeof(yaml),
             "%sdetection:\n    sel:\n        A|nosuch: 1\n    condition: sel\n---\n"
             "%sdetection:\n    sel:\n        A: 1\n    condition: sel\n",
             header, header);
    unsigned rules = 0;
    assert_int_equal(load_errors(yaml, err, sizeof(err), &rules), 1);
    assert_int_equal(rules, 1);
}

static void test_sigma_load_unsupported_logsource_rejected(void **state)
{
    (void)state;
    char err[1024];
    const char yaml[] = "title: t\nlogsource:\n    category: process_creation\n"
                        "    product: windows\ndetection:\n    sel:\n        A: 1\n"
                        "    condition: sel\n";
    assert_int_equal(load_errors(yaml, err, sizeof(err), NULL), 1);
    assert_error_at(err, 3, 5, "unsupported logsource");
}

static void test_sigma_load_duplicate_id_rejected(void **state)
{
    (void)state;
    char yaml[1024];
    char err[1024];
    snprintf(yaml, sizeof(yaml),
             "id: x1\n%sdetection:\n    sel:\n        A: 1\n    condition: sel\n---\n"
             "id: x1\n%sdetection:\n    sel:\n        A: 1\n    condition: sel\n",
             header, header);
    assert_int_equal(load_errors(yaml, err, sizeof(err), NULL), 1);
    assert_non_null(strstr(err, "duplicate rule id 'x1'"));
}

static void test_sigma_load_bad_timespan_rejected(void **state)
{
    (void)state;
    char yaml[1024];
    char err[1024];
    snprintf(yaml, sizeof(yaml),
             "name: base\n%sdetection:\n    sel:\n        A: 1\n    condition: sel\n---\n"
             "title: c\ncorrelation:\n    type: event_count\n    rules:\n        - base\n"
             "    timespan: 5 minutes\n    condition:\n        gte: 2\n",
             header);
    assert_int_equal(load_errors(yaml, err, sizeof(err), NULL), 1);
    assert_error_at(err, 16, 15, "invalid 'timespan'");
}

/* An empty folder once reached qsort() with a null array, which UBSan reports. */
static void test_sigma_load_empty_folder_loads_nothing(void **state)
{
    (void)state;
    char dir[] = "/tmp/wa-corr-empty-XXXXXX";
    assert_non_null(mkdtemp(dir));
    struct corr_engine *engine = corr_engine_new(NULL, NULL);
    assert_non_null(engine);
    assert_int_equal(corr_engine_load(engine, dir, stderr), 0);
    assert_int_equal(corr_engine_rule_count(engine), 0);
    corr_engine_free(engine);
    rmdir(dir);
}

/* A file that cannot be opened has no line or column to point at. */
static void test_sigma_load_missing_file_message(void **state)
{
    (void)state;
    struct corr_engine *engine = corr_engine_new(NULL, NULL);
    assert_non_null(engine);
    FILE *errf = tmpfile();
    assert_non_null(errf);
    assert_int_equal(corr_engine_load(engine, "/nonexistent", errf), 1);
    char err[512];
    rewind(errf);
    size_t n = fread(err, 1, sizeof(err) - 1, errf);
    err[n] = '\0';
    fclose(errf);
    corr_engine_free(engine);
    assert_string_equal(err, "wireaudit: /nonexistent: cannot open rule file: No such file or "
                             "directory\n");
}

static void test_sigma_load_empty_condition_message(void **state)
{
    (void)state;
    char yaml[512];
    char err[1024];
    snprintf(yaml, sizeof(yaml),
             "%sdetection:\n    sel:\n        EventID: 5145\n    condition: ''\n", header);
    assert_int_equal(load_errors(yaml, err, sizeof(err), NULL), 1);
    assert_error_at(err, 8, 16, "invalid condition: condition is empty");
    snprintf(yaml, sizeof(yaml),
             "%sdetection:\n    sel:\n        EventID: 5145\n    condition: 'sel and'\n", header);
    assert_int_equal(load_errors(yaml, err, sizeof(err), NULL), 1);
    assert_error_at(err, 8, 16, "'sel and' ends where a selection name is expected");
}

/* A rule that references a cycle member is rejected, but not as unknown. */
static void test_sigma_load_reference_to_cycle_named(void **state)
{
    (void)state;
    char err[2048];
    const char yaml[] = "title: one\nname: corr_a\ncorrelation:\n    type: temporal\n"
                        "    rules:\n        - corr_b\n    timespan: 5m\n---\n"
                        "title: two\nname: corr_b\ncorrelation:\n    type: temporal\n"
                        "    rules:\n        - corr_a\n    timespan: 5m\n---\n"
                        "title: three\nname: corr_c\ncorrelation:\n    type: temporal\n"
                        "    rules:\n        - corr_a\n    timespan: 5m\n";
    assert_int_equal(load_errors(yaml, err, sizeof(err), NULL), 2);
    assert_non_null(strstr(err, "cycle (corr_a -> corr_b -> corr_a)"));
    assert_null(strstr(err, "unknown rule"));
    assert_error_at(err, 22, 11, "rule 'corr_a' in 'correlation.rules' was rejected");
}

/* A misspelled field loads with a warning, which is not an error. */
static void test_sigma_load_unknown_field_warns(void **state)
{
    (void)state;
    char yaml[512];
    char err[1024];
    unsigned rules = 0;
    snprintf(yaml, sizeof(yaml),
             "%sdetection:\n    sel:\n        EventID: 5145\n        ShareNmae|endswith: C$\n"
             "        Share_Name: x\n        ShareName: y\n    condition: sel\n",
             header);
    assert_int_equal(load_errors(yaml, err, sizeof(err), &rules), 0);
    assert_int_equal(rules, 1);
    assert_error_at(err, 8, 9, "warning: unknown field 'ShareNmae'");
    assert_null(strstr(err, "'Share_Name'"));
    assert_null(strstr(err, "'ShareName'"));
}

/* Zeek columns are known only under their own log source. */
static void test_sigma_load_zeek_field_per_logsource(void **state)
{
    (void)state;
    char err[1024];
    unsigned rules = 0;
    const char zeek[] = "title: z\nlogsource:\n    product: zeek\n    service: dce_rpc\n"
                        "detection:\n    sel:\n        endpoint: svcctl\n        rtt|gt: 1\n"
                        "    condition: sel\n";
    assert_int_equal(load_errors(zeek, err, sizeof(err), &rules), 0);
    assert_null(strstr(err, "warning"));
    char yaml[512];
    snprintf(yaml, sizeof(yaml), "%sdetection:\n    sel:\n        rtt|gt: 1\n    condition: sel\n",
             header);
    assert_int_equal(load_errors(yaml, err, sizeof(err), &rules), 0);
    assert_non_null(strstr(err, "warning: unknown field 'rtt'"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sigma_load_malformed_yaml_reports_position),
        cmocka_unit_test(test_sigma_load_empty_folder_loads_nothing),
        cmocka_unit_test(test_sigma_load_unknown_key_rejected),
        cmocka_unit_test(test_sigma_load_unknown_modifier_rejected),
        cmocka_unit_test(test_sigma_load_bad_regex_rejected),
        cmocka_unit_test(test_sigma_load_aggregation_condition_rejected),
        cmocka_unit_test(test_sigma_load_timeframe_rejected),
        cmocka_unit_test(test_sigma_load_unknown_reference_rejected),
        cmocka_unit_test(test_sigma_load_correlation_cycle_rejected),
        cmocka_unit_test(test_sigma_load_other_rules_still_load),
        cmocka_unit_test(test_sigma_load_unsupported_logsource_rejected),
        cmocka_unit_test(test_sigma_load_duplicate_id_rejected),
        cmocka_unit_test(test_sigma_load_bad_timespan_rejected),
        cmocka_unit_test(test_sigma_load_missing_file_message),
        cmocka_unit_test(test_sigma_load_empty_condition_message),
        cmocka_unit_test(test_sigma_load_reference_to_cycle_named),
        cmocka_unit_test(test_sigma_load_unknown_field_warns),
        cmocka_unit_test(test_sigma_load_zeek_field_per_logsource),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
