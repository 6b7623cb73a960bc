/* Unit tests for the time-ordered merge of several inputs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../sensor/options.h"
#include "../sensor/pipeline.h"

/* A scripted input: emits one event per step at the listed times (seconds). */
struct fake_input {
    struct input base;
    const int64_t *times;
    size_t count;
    size_t next;
    uint32_t event_id;
};

static bool fake_step(struct input *in)
{
    struct fake_input *f = (struct fake_input *)in;
    if (f->next == f->count) {
        return false;
    }
    int64_t t = f->times[f->next++] * 1000000;
    struct event *ev = event_new(f->event_id, t, EVENT_ORIGIN_HOST);
    assert_non_null(ev);
    ev->record = f->next;
    if (t > in->clock_us) {
        in->clock_us = t;
    }
    sink_emit(&in->sink, ev);
    return true;
}

static void fake_close(struct input *in)
{
    free(in);
}

static struct input *fake_new(uint32_t event_id, const int64_t *times, size_t count)
{
    struct fake_input *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    f->base.path = "fake";
    f->base.clock_us = INT64_MIN;
    f->base.step = fake_step;
    f->base.close = fake_close;
    f->times = times;
    f->count = count;
    f->event_id = event_id;
    return &f->base;
}

/* Runs the pipeline and returns the EventID/time pairs it wrote, one "id@secs" per line. */
static char *run_and_collect(struct input **inputs, size_t count)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *mem = open_memstream(&buf, &size);
    assert_non_null(mem);
    struct pipeline_consumers consumers = {.events_out = mem};
    struct pipeline *pl = pipeline_new(&consumers);
    assert_non_null(pl);
    for (size_t i = 0; i < count; i++) {
        pipeline_add_input(pl, inputs[i]);
    }
    pipeline_run(pl, NULL, NULL, NULL);
    pipeline_free(pl);
    fclose(mem);
    return buf;
}

/* Extracts "EventID:second" tokens from JSON lines for compact comparison. */
static void summarize(const char *json, char *out, size_t out_size)
{
    out[0] = '\0';
    const char *p = json;
    while ((p = strstr(p, "\"EventID\":")) != NULL) {
        unsigned id = 0;
        int sec = 0;
        sscanf(p, "\"EventID\":%u,\"TimeCreated\":\"1970-01-01T00:00:%d", &id, &sec);
        char item[32];
        snprintf(item, sizeof(item), "%s%u@%d", out[0] != '\0' ? " " : "", id, sec);
        strncat(out, item, out_size - strlen(out) - 1);
        p++;
    }
}

static void test_pipeline_merges_inputs_in_time_order(void **state)
{
    (void)state;
    wa_options_defaults();
    wa_opts.reorder_window_us = 0;
    static const int64_t a[] = {1, 4, 9};
    static const int64_t b[] = {2, 3, 10};
    struct input *inputs[] = {fake_new(1, a, 3), fake_new(2, b, 3)};
    char *json = run_and_collect(inputs, 2);
    char got[256];
    summarize(json, got, sizeof(got));
    assert_string_equal(got, "1@1 2@2 2@3 1@4 1@9 2@10");
    free(json);
}

static void test_pipeline_reorders_within_window(void **state)
{
    (void)state;
    wa_options_defaults();
    wa_opts.reorder_window_us = 5 * 1000000LL;
    /* One input whose events arrive up to three seconds late. */
    static const int64_t a[] = {10, 7, 12, 11, 30, 28};
    struct input *inputs[] = {fake_new(7, a, 6)};
    char *json = run_and_collect(inputs, 1);
    char got[256];
    summarize(json, got, sizeof(got));
    assert_string_equal(got, "7@7 7@10 7@11 7@12 7@28 7@30");
    free(json);
}

static void test_pipeline_keeps_equal_times_in_arrival_order(void **state)
{
    (void)state;
    wa_options_defaults();
    static const int64_t a[] = {5, 5};
    static const int64_t b[] = {5};
    struct input *inputs[] = {fake_new(1, a, 2), fake_new(2, b, 1)};
    char *json = run_and_collect(inputs, 2);
    char got[256];
    summarize(json, got, sizeof(got));
    /* Input 1 steps first (ties go to the lower index), then input 2, then input 1 again. */
    assert_string_equal(got, "1@5 2@5 1@5");
    free(json);
}

static void test_pipeline_forces_release_at_capacity(void **state)
{
    (void)state;
    wa_options_defaults();
    wa_opts.reorder_window_us = 3600 * 1000000LL;
    wa_opts.reorder_max_events = 1024;
    enum { COUNT = 3000 };
    int64_t *times = malloc(COUNT * sizeof(*times));
    assert_non_null(times);
    for (size_t i = 0; i < COUNT; i++) {
        times[i] = (int64_t)i % 50;
    }
    struct input *inputs[] = {fake_new(3, times, COUNT)};
    char *json = run_and_collect(inputs, 1);
    size_t lines = 0;
    for (const char *p = json; *p != '\0'; p++) {
        lines += *p == '\n';
    }
    assert_int_equal(lines, COUNT);
    free(json);
    free(times);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pipeline_merges_inputs_in_time_order),
        cmocka_unit_test(test_pipeline_reorders_within_window),
        cmocka_unit_test(test_pipeline_keeps_equal_times_in_arrival_order),
        cmocka_unit_test(test_pipeline_forces_release_at_capacity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
