/* Unit tests for the HTML report: escaping of hostile names, caps, evidence and progress. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../sensor/counters.h"
#include "../sensor/html.h"
#include "../sensor/options.h"
#include "../sensor/progress.h"
#include "../sensor/report.h"
#include "../sensor/report_internal.h"

#define HOSTILE_FILE "<script>alert(1)</script>.txt"
#define HOSTILE_USER "o\"brien' onmouseover=alert(2) x=\""
#define HOSTILE_HOST "</svg><script>alert(3)</script>"
/* "a", U+2028 LINE SEPARATOR, "b", U+202E RIGHT-TO-LEFT OVERRIDE, "txt.exe" */
#define HOSTILE_SEPARATORS                                                                         \
    "a\xe2\x80\xa8"                                                                                \
    "b\xe2\x80\xaetxt.exe"

/* 2020-09-22T14:53:02Z in microseconds. */
static const int64_t base_us = 1600786382000000LL;

/* Returns what write() produced for one string, as a heap string. */
static char *capture_output(void (*write)(FILE *, const char *), const char *input)
{
    char *text = NULL;
    size_t size = 0;
    FILE *mem = open_memstream(&text, &size);
    assert_non_null(mem);
    write(mem, input);
    fclose(mem);
    return text;
}

static void test_html_text_escapes_markup(void **state)
{
    (void)state;
    static const struct {
        const char *input;
        const char *expected;
    } cases[] = {
        {"", ""},
        {"plain", "plain"},
        {HOSTILE_FILE, "&lt;script&gt;alert(1)&lt;/script&gt;.txt"},
        {"a&b", "a&amp;b"},
        {"\"'", "&quot;&#39;"},
        {"tab\there", "tab\there"},
        {"esc\x1b[31m", "esc\\x1b[31m"},
        {"bad\xff", "bad\\xff"},
        {"cut\xe2\x80", "cut\\xe2\\x80"},
        {"rlo\xe2\x80\xaetxt", "rlo\\u202etxt"},
        {"zero\xe2\x80\x8bwidth", "zero\\u200bwidth"},
        {"line\xe2\x80\xa8sep", "line\\u2028sep"},
        {"bom\xef\xbb\xbf", "bom\\ufeff"},
        {"c1\xc2\x85", "c1\\u0085"},
        {"caf\xc3\xa9", "caf\xc3\xa9"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *out = capture_output(html_write_text, cases[i].input);
        assert_string_equal(out, cases[i].expected);
        free(out);
    }
}

static void test_html_json_escapes_script_breakers(void **state)
{
    (void)state;
    static const struct {
        const char *input;
        const char *expected;
    } cases[] = {
        {"", "\"\""},
        {"</script>", "\"\\u003c/script\\u003e\""},
        {"a&b'c", "\"a\\u0026b\\u0027c\""},
        {"q\"\\", "\"q\\\"\\\\\""},
        {"line\xe2\x80\xa8para\xe2\x80\xa9", "\"line\\u2028para\\u2029\""},
        {"nl\n\x01", "\"nl\\n\\u0001\""},
        {"bad\xff", "\"bad\\u00ff\""},
        {"caf\xc3\xa9", "\"caf\xc3\xa9\""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *out = capture_output(html_write_json_string, cases[i].input);
        assert_string_equal(out, cases[i].expected);
        free(out);
    }
}

static void write_text_max_3(FILE *out, const char *s)
{
    html_write_text_max(out, s, 3);
}

static void test_html_text_max_cuts_at_character(void **state)
{
    (void)state;
    char *out = capture_output(write_text_max_3, "ab\xc3\xa9xyz");
    /* The cut falls inside the two-byte "é", so it backs up to before it. */
    assert_string_equal(out, "ab \xe2\x80\xa6 (5 more bytes)");
    free(out);
    out = capture_output(write_text_max_3, "abc");
    assert_string_equal(out, "abc");
    free(out);
}

static struct event *make_event(uint32_t event_id, int64_t time_us, uint64_t frame,
                                const char *computer, const char *source)
{
    struct event *ev = event_new(event_id, time_us, EVENT_ORIGIN_WIRE);
    assert_non_null(ev);
    ev->input = "lab.pcap";
    ev->record = frame;
    assert_int_equal(event_set(ev, EVENT_DATA, "Computer", computer), WA_OK);
    if (source != NULL) {
        assert_int_equal(event_set(ev, EVENT_DATA, "IpAddress", source), WA_OK);
    }
    return ev;
}

static struct event *make_hostile_event(uint64_t frame)
{
    struct event *ev = make_event(5145, base_us + 1000, frame, HOSTILE_HOST, "10.0.0.5");
    assert_int_equal(event_set(ev, EVENT_DATA, "SubjectUserName", HOSTILE_USER), WA_OK);
    assert_int_equal(event_set(ev, EVENT_DATA, "ShareName", "\\\\*\\C$"), WA_OK);
    assert_int_equal(event_set(ev, EVENT_DATA, "RelativeTargetName", HOSTILE_FILE), WA_OK);
    assert_int_equal(event_set(ev, EVENT_DATA, "ObjectType", HOSTILE_SEPARATORS), WA_OK);
    assert_int_equal(event_set(ev, EVENT_WIRE, "Frame", "7"), WA_OK);
    return ev;
}

/* Builds an alert object as the correlator emits it, naming events of lab.pcap by frame. */
static json_t *make_alert(const char *rule, const char *level, const uint64_t *frames,
                          size_t frame_count, const char *value)
{
    json_t *events = json_array();
    for (size_t i = 0; i < frame_count; i++) {
        json_array_append_new(events,
                              json_pack("{s:s, s:s, s:I, s:i, s:s}", "origin", "wire", "input",
                                        "lab.pcap", "frame", (json_int_t)frames[i], "EventID", 5145,
                                        "TimeCreated", "2020-09-22T14:53:02.001Z"));
    }
    return json_pack("{s:s, s:s, s:s, s:[s,s,s], s:{s:s}, s:s, s:s, s:I, s:{s:[s]}, s:o}", "rule",
                     rule, "id", "0b0c9f1a-hostile", "level", level, "tags",
                     "attack.lateral_movement", "attack.t1021.002", "attack.s0029", "group",
                     "SubjectUserName", value, "first", "2020-09-22T14:53:02.001Z", "last",
                     "2020-09-22T14:53:04Z", "count", (json_int_t)frame_count, "values",
                     "RelativeTargetName", value, "events", events);
}

/* Writes rep to a fresh temporary path and returns the page as a heap string. */
static char *render_report(struct report *rep, const char *path)
{
    assert_true(report_write(rep));
    FILE *in = fopen(path, "rb");
    assert_non_null(in);
    fseek(in, 0, SEEK_END);
    long size = ftell(in);
    fseek(in, 0, SEEK_SET);
    char *text = malloc((size_t)size + 1);
    assert_non_null(text);
    assert_int_equal(fread(text, 1, (size_t)size, in), (size_t)size);
    text[size] = '\0';
    fclose(in);
    return text;
}

static size_t count_occurrences(const char *haystack, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(haystack, needle); p != NULL; p = strstr(p + 1, needle)) {
        n++;
    }
    return n;
}

static char *temp_report_path(void)
{
    static char path[64];
    snprintf(path, sizeof(path), "/tmp/wa-report-test-%ld.html", (long)getpid());
    return path;
}

static void test_report_page_escapes_hostile_names(void **state)
{
    (void)state;
    wa_options_defaults();
    const char *path =
        getenv("WA_REPORT_SAMPLE") != NULL ? getenv("WA_REPORT_SAMPLE") : temp_report_path();
    struct report *rep = report_new(path);
    assert_non_null(rep);
    report_add_input(rep, HOSTILE_FILE, "pcap");
    struct event *ev = make_hostile_event(7);
    report_add_event(rep, ev);
    struct event *plain = make_event(5145, base_us + 500000, 9, "FS01.corp.local", "10.0.0.5");
    report_add_event(rep, plain);
    uint64_t frames[] = {7, 9, 4242};
    json_t *alert = make_alert(HOSTILE_FILE, "high", frames, 3, HOSTILE_USER);
    report_add_alert(rep, alert);
    json_decref(alert);
    event_free(ev);
    event_free(plain);

    char *page = render_report(rep, path);
    report_free(rep);
    if (getenv("WA_REPORT_SAMPLE") == NULL) {
        unlink(path);
    }

    /* Markup from names never becomes markup: only the page's two script elements exist. */
    assert_null(strstr(page, "<script>alert"));
    assert_null(strstr(page, "</svg><script>"));
    assert_null(strstr(page, "onmouseover=alert(2) x=\"\""));
    assert_int_equal(count_occurrences(page, "<script"), 2);
    assert_non_null(strstr(page, "&lt;script&gt;alert(1)&lt;/script&gt;.txt"));
    assert_non_null(strstr(page, "o&quot;brien&#39; onmouseover=alert(2)"));
    assert_non_null(strstr(page, "&lt;/svg&gt;&lt;script&gt;alert(3)"));
    /* Inside the JSON data block the same names use \u escapes. */
    assert_non_null(strstr(page, "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e.txt"));
    assert_non_null(strstr(page, "a\\u2028b"));
    assert_null(strstr(page, "\xe2\x80\xa8"));
    assert_null(strstr(page, "\xe2\x80\xae"));
    assert_non_null(strstr(page, "\\u202etxt.exe"));
    /* The policy forbids every fetch. */
    assert_non_null(strstr(page, "default-src 'none'"));
    assert_null(strstr(page, "http://"));
    assert_null(strstr(page, "https://"));
    /* Drill-down: frames 7 and 9 were kept; frame 4242 was never seen. */
    assert_non_null(strstr(page, "id=\"alert-1\""));
    assert_non_null(strstr(page, "3 of 3 shown"));
    assert_non_null(strstr(page, "frame <span class=\"ref\">7</span>"));
    assert_non_null(strstr(page, "frame <span class=\"ref\">9</span>"));
    assert_non_null(strstr(page, "frame 4242; EventID 5145;"));
    assert_non_null(strstr(page, "fields not kept"));
    assert_non_null(strstr(page, "class=\"lane\""));
    assert_non_null(strstr(page, "T1021.002"));
    free(page);
}

static void test_report_events_cap_reports_omitted(void **state)
{
    (void)state;
    wa_options_defaults();
    wa_opts.report_max_events = 10;
    const char *path = temp_report_path();
    struct report *rep = report_new(path);
    assert_non_null(rep);
    for (uint64_t i = 0; i < 100; i++) {
        struct event *ev = make_event(5145, base_us + (int64_t)i * 1000, i + 1, "FS01", NULL);
        report_add_event(rep, ev);
        event_free(ev);
    }
    char *page = render_report(rep, path);
    unlink(path);
    assert_int_equal(rep->embedded_count, 10);
    assert_int_equal(rep->embedded_skipped, 90);
    report_free(rep);
    assert_non_null(strstr(page, "10 of 100 events embedded (--report-max-events 10)"));
    assert_non_null(strstr(page, "Left out: 90 events from"));
    free(page);
    wa_options_defaults();
}

static void test_report_alert_evidence_past_cap(void **state)
{
    (void)state;
    wa_options_defaults();
    wa_opts.report_max_events = 1;
    const char *path = temp_report_path();
    struct report *rep = report_new(path);
    assert_non_null(rep);
    /* Frame 1 is embedded; frames 2 to REPORT_RECENT_EVENTS + 10 pass through the recent buffer. */
    uint64_t last = REPORT_RECENT_EVENTS + 10;
    for (uint64_t frame = 1; frame <= last; frame++) {
        struct event *ev = make_event(5145, base_us + (int64_t)frame, frame, "FS01", NULL);
        report_add_event(rep, ev);
        event_free(ev);
    }
    uint64_t frames[] = {1, last, 2};
    json_t *alert = make_alert("Copy to admin share", "medium", frames, 3, "x");
    report_add_alert(rep, alert);
    json_decref(alert);
    const struct report_alert *ra = &rep->alerts[0];
    assert_int_equal(ra->evidence_count, 3);
    assert_non_null(ra->evidence[0].ev);
    assert_null(ra->evidence[0].copy);
    assert_non_null(ra->evidence[1].ev);
    assert_non_null(ra->evidence[1].copy);
    /* Frame 2 left the recent buffer long ago. */
    assert_null(ra->evidence[2].ev);
    assert_int_equal(rep->evidence_missing, 1);
    report_free(rep);
    wa_options_defaults();
}

static void test_report_alerts_cap_counts_rest(void **state)
{
    (void)state;
    wa_options_defaults();
    const char *path = temp_report_path();
    struct report *rep = report_new(path);
    assert_non_null(rep);
    uint64_t frames[] = {1};
    for (int i = 0; i < REPORT_ALERTS_MAX + 5; i++) {
        json_t *alert = make_alert("Burst", i % 2 == 0 ? "low" : "critical", frames, 1, "v");
        report_add_alert(rep, alert);
        json_decref(alert);
    }
    assert_int_equal(rep->alert_count, REPORT_ALERTS_MAX);
    assert_int_equal(rep->alerts_skipped, 5);
    assert_int_equal(rep->alerts_total, REPORT_ALERTS_MAX + 5);
    char *page = render_report(rep, path);
    unlink(path);
    report_free(rep);
    assert_non_null(strstr(page, "Left out: 5 alerts after the first 2000"));
    free(page);
}

static void test_report_hosts_fold_into_other_lane(void **state)
{
    (void)state;
    wa_options_defaults();
    wa_opts.report_max_events = 0;
    const char *path = temp_report_path();
    struct report *rep = report_new(path);
    assert_non_null(rep);
    char name[32];
    for (int i = 0; i < REPORT_HOSTS_MAX + 100; i++) {
        snprintf(name, sizeof(name), "HOST%04d", i);
        struct event *ev = make_event(4624, base_us + i, (uint64_t)i + 1, name, NULL);
        report_add_event(rep, ev);
        event_free(ev);
    }
    assert_int_equal(rep->host_count, REPORT_HOSTS_MAX);
    assert_int_equal(rep->events_folded, 101);
    char *page = render_report(rep, path);
    unlink(path);
    report_free(rep);
    assert_int_equal(count_occurrences(page, "<g class=\"lane\">"), REPORT_LANES_MAX);
    assert_non_null(strstr(page, "other hosts</text>"));
    free(page);
    wa_options_defaults();
}

/* Returns the sum of every timeline bin of every host. */
static uint64_t timeline_total(const struct report *rep)
{
    uint64_t total = 0;
    for (uint32_t h = 0; h < rep->host_count; h++) {
        for (int k = 0; k < REPORT_KIND_COUNT; k++) {
            for (int i = 0; i < REPORT_BINS; i++) {
                total += rep->hosts[h].bins[k][i];
            }
        }
    }
    return total;
}

static void test_report_timeline_widens_keeps_counts(void **state)
{
    (void)state;
    wa_options_defaults();
    wa_opts.report_max_events = 0;
    struct report *rep = report_new("/nonexistent/unused.html");
    assert_non_null(rep);
    /* Times from 1 ms to ten years after the first, and one before it (a late arrival). */
    static const int64_t offsets[] = {0,           1000,     999999,           60000000,
                                      86400000000, -5000000, 315360000000000LL};
    for (size_t i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
        struct event *ev = make_event(5140, base_us + offsets[i], i + 1, "FS01", NULL);
        report_add_event(rep, ev);
        event_free(ev);
        assert_int_equal(timeline_total(rep), i + 1);
        assert_true(base_us + offsets[i] >= rep->origin_us);
        assert_true(base_us + offsets[i] < rep->origin_us + REPORT_BINS * rep->width_us);
    }
    /* A zero timestamp and one from 1601 are counted but not binned. */
    int64_t width = rep->width_us;
    struct event *zero = make_event(5140, 0, 100, "FS01", NULL);
    report_add_event(rep, zero);
    event_free(zero);
    struct event *filetime_zero = make_event(5140, -11644473600LL * 1000000, 101, "FS01", NULL);
    report_add_event(rep, filetime_zero);
    event_free(filetime_zero);
    assert_int_equal(rep->events_untimed, 2);
    assert_int_equal(rep->width_us, width);
    assert_int_equal(rep->events_total, 9);
    report_free(rep);
    wa_options_defaults();
}

static void test_report_large_input_stays_small(void **state)
{
    (void)state;
    wa_options_defaults();
    const char *path = temp_report_path();
    struct report *rep = report_new(path);
    assert_non_null(rep);
    char computer[16];
    char source[16];
    for (uint64_t i = 0; i < 200000; i++) {
        snprintf(computer, sizeof(computer), "FS%02u", (unsigned)(i % 60));
        snprintf(source, sizeof(source), "10.0.%u.%u", (unsigned)(i % 7), (unsigned)(i % 250));
        struct event *ev = make_event(i % 3 == 0 ? 5140 : 5145, base_us + (int64_t)i * 20000, i + 1,
                                      computer, source);
        assert_int_equal(event_set(ev, EVENT_DATA, "RelativeTargetName", "Windows\\Temp\\x.exe"),
                         WA_OK);
        report_add_event(rep, ev);
        event_free(ev);
    }
    char *page = render_report(rep, path);
    unlink(path);
    assert_int_equal(rep->events_total, 200000);
    assert_int_equal(timeline_total(rep), 200000);
    report_free(rep);
    /* The default cap embeds 20000 events; the rest must not grow the page. */
    assert_true(strlen(page) < 12u * 1024 * 1024);
    assert_non_null(strstr(page, "20000 of 200000 events embedded"));
    free(page);
}

static void test_report_empty_run_renders(void **state)
{
    (void)state;
    wa_options_defaults();
    const char *path = temp_report_path();
    struct report *rep = report_new(path);
    assert_non_null(rep);
    char *page = render_report(rep, path);
    unlink(path);
    report_free(rep);
    assert_non_null(strstr(page, "No events to draw."));
    assert_non_null(strstr(page, "No alerts."));
    assert_non_null(strstr(page, "0 of 0 events embedded"));
    assert_non_null(strstr(page, "</html>"));
    free(page);
}

static void test_report_write_fails_on_missing_folder(void **state)
{
    (void)state;
    wa_options_defaults();
    struct report *rep = report_new("/nonexistent-folder/report.html");
    assert_non_null(rep);
    assert_false(report_write(rep));
    report_free(rep);
}

static void test_progress_format_with_total(void **state)
{
    (void)state;
    struct progress_snapshot snap = {
        .bytes_read = 512u * 1024 * 1024,
        .bytes_total = 2048u * 1024 * 1024,
        .events = 1234,
        .alerts = 5,
        .elapsed_s = 2.0,
    };
    char line[160];
    progress_format(&snap, line, sizeof(line));
    assert_string_equal(line, "512.0 MiB of 2.0 GiB (25%), 1234 events, 5 alerts, 256.0 MiB/s");
}

static void test_progress_format_live_has_no_percent(void **state)
{
    (void)state;
    struct progress_snapshot snap = {.bytes_read = 2048, .events = 3, .elapsed_s = 1.0};
    char line[160];
    progress_format(&snap, line, sizeof(line));
    assert_string_equal(line, "2.0 KiB read, 3 events, 0 alerts, 2.0 KiB/s");
}

static void test_progress_quiet_when_not_terminal(void **state)
{
    (void)state;
    FILE *file = tmpfile();
    assert_non_null(file);
    struct progress *pg = progress_new(file);
    assert_null(pg);
    /* The NULL display accepts every call and writes nothing. */
    progress_update(pg);
    progress_finish(pg);
    progress_free(pg);
    assert_int_equal(ftell(file), 0);
    fclose(file);
}

static void test_report_host_lanes_merge_fqdn(void **state)
{
    (void)state;
    struct report *rep = report_new("/tmp/wa-test-lanes.html");
    assert_non_null(rep);
    uint32_t wire = report_host_index(rep, "WORKSTATION6");
    uint32_t host = report_host_index(rep, "workstation6.theshire.local");
    uint32_t other = report_host_index(rep, "WORKSTATION5");
    uint32_t addr_a = report_host_index(rep, "172.18.39.6");
    uint32_t addr_b = report_host_index(rep, "172.18.39.5");
    assert_int_equal(wire, host);
    assert_true(other != wire);
    assert_true(addr_a != addr_b);
    /* The lane shows the fully qualified name once an event carries it. */
    assert_string_equal(rep->hosts[wire].name, "workstation6.theshire.local");
    report_free(rep);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report_host_lanes_merge_fqdn),
        cmocka_unit_test(test_html_text_escapes_markup),
        cmocka_unit_test(test_html_json_escapes_script_breakers),
        cmocka_unit_test(test_html_text_max_cuts_at_character),
        cmocka_unit_test(test_report_page_escapes_hostile_names),
        cmocka_unit_test(test_report_events_cap_reports_omitted),
        cmocka_unit_test(test_report_alert_evidence_past_cap),
        cmocka_unit_test(test_report_alerts_cap_counts_rest),
        cmocka_unit_test(test_report_hosts_fold_into_other_lane),
        cmocka_unit_test(test_report_timeline_widens_keeps_counts),
        cmocka_unit_test(test_report_large_input_stays_small),
        cmocka_unit_test(test_report_empty_run_renders),
        cmocka_unit_test(test_report_write_fails_on_missing_folder),
        cmocka_unit_test(test_progress_format_with_total),
        cmocka_unit_test(test_progress_format_live_has_no_percent),
        cmocka_unit_test(test_progress_quiet_when_not_terminal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
