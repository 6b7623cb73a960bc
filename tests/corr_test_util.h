/*
 * Helpers shared by the correlator tests: load rules from YAML text, build
 * events, collect alerts. Header-only so each test binary stays one file.
 */
#ifndef WA_CORR_TEST_UTIL_H
#define WA_CORR_TEST_UTIL_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../patterns/corr.h"
#include "../sensor/counters.h"
#include "../sensor/event.h"
#include "../sensor/options.h"

/* Alerts received by a test engine, kept as JSON objects. */
struct alert_log {
    json_t *alerts;
};

static inline void alert_log_add(void *arg, json_t *alert)
{
    struct alert_log *log = arg;
    json_array_append(log->alerts, alert);
}

/* Writes yaml to a temporary file and loads it. Errors go to err when it is not NULL. */
static inline unsigned load_yaml(struct corr_engine *engine, const char *yaml, char *err,
                                 size_t size)
{
    char path[] = "/tmp/wa-corr-test-XXXXXX.yml";
    int fd = mkstemps(path, 4);
    if (fd < 0) {
        return 999;
    }
    FILE *f = fdopen(fd, "w");
    fputs(yaml, f);
    fclose(f);
    FILE *errf = tmpfile();
    unsigned errors = corr_engine_load(engine, path, errf);
    if (err != NULL) {
        rewind(errf);
        size_t n = fread(err, 1, size - 1, errf);
        err[n] = '\0';
    }
    fclose(errf);
    unlink(path);
    return errors;
}

/* Engine with the rules in yaml loaded (asserting no errors) and an alert log. */
static inline struct corr_engine *engine_with(const char *yaml, struct alert_log *log)
{
    log->alerts = json_array();
    struct corr_engine *engine = corr_engine_new(alert_log_add, log);
    char err[2048];
    unsigned errors = load_yaml(engine, yaml, err, sizeof(err));
    if (errors != 0) {
        fprintf(stderr, "unexpected rule errors:\n%s", err);
    }
    return errors == 0 ? engine : NULL;
}

/* Seconds since midnight 2020-09-22 UTC, as event time in microseconds. */
static inline int64_t at(int hour, int minute, int second)
{
    return (1600732800LL + hour * 3600LL + minute * 60LL + second) * 1000000LL;
}

/*
 * Builds an event from "Name=value" pairs ending with NULL. The caller frees
 * it with event_free().
 */
static inline struct event *make_event(uint32_t event_id, int64_t time_us, ...)
{
    struct event *ev = event_new(event_id, time_us, EVENT_ORIGIN_HOST);
    ev->input = "unit-test";
    va_list ap;
    va_start(ap, time_us);
    const char *pair;
    while ((pair = va_arg(ap, const char *)) != NULL) {
        const char *eq = strchr(pair, '=');
        char name[128];
        snprintf(name, sizeof(name), "%.*s", (int)(eq - pair), pair);
        if (event_set(ev, EVENT_DATA, name, eq + 1) != WA_OK) {
            abort();
        }
    }
    va_end(ap);
    return ev;
}

/* Processes ev and frees it. */
static inline void feed(struct corr_engine *engine, struct event *ev)
{
    static uint64_t seq;
    if (ev->seq == 0) {
        ev->seq = ++seq;
    }
    corr_engine_process(engine, ev);
    event_free(ev);
}

static inline size_t alert_count(const struct alert_log *log)
{
    return json_array_size(log->alerts);
}

static inline const char *alert_string(const struct alert_log *log, size_t i, const char *key)
{
    return json_string_value(json_object_get(json_array_get(log->alerts, i), key));
}

static inline void engine_done(struct corr_engine *engine, struct alert_log *log)
{
    corr_engine_free(engine);
    json_decref(log->alerts);
}

#endif
