/* Log readers: dispatch by kind and the warning, counting and emit helpers they share. */
#include "logimport.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "counters.h"
#include "log_private.h"

struct input *log_input_open(const char *path, enum input_kind kind, char *err, size_t err_size)
{
    switch (kind) {
    case INPUT_EVTX:
        return log_evtx_open(path, err, err_size);
    case INPUT_XML:
        return log_xml_open(path, err, err_size);
    case INPUT_JSONL:
        return log_jsonl_open(path, err, err_size);
    default:
        break;
    }
    snprintf(err, err_size, "%s: not a log file (kind %s)", path, input_kind_name(kind));
    return NULL;
}

void log_source_init(struct log_source *src, const char *path, enum input_kind kind)
{
    memset(src, 0, sizeof(*src));
    src->in.path = path;
    src->in.kind = kind;
    src->in.clock_us = INT64_MIN;
}

void log_warn(struct log_source *src, const char *fmt, ...)
{
    src->warnings++;
    if (src->warnings > LOG_WARN_MAX) {
        CTR_INC("log.warnings_suppressed");
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "wireaudit: %s: ", src->in.path);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    if (src->warnings == LOG_WARN_MAX) {
        fprintf(stderr, "wireaudit: %s: further warnings for this file are only counted\n",
                src->in.path);
    }
}

void log_mark_damaged(struct log_source *src)
{
    if (!src->damaged) {
        src->damaged = true;
        src->in.errors++;
        CTR_INC("input.errors");
    }
}

void log_skip_record(struct log_source *src)
{
    CTR_INC("log.skipped");
    log_mark_damaged(src);
}

void log_emit(struct log_source *src, struct event *ev, uint64_t record)
{
    ev->origin = EVENT_ORIGIN_HOST;
    ev->input = src->in.path;
    ev->record = record;
    if (ev->time_us > src->in.clock_us) {
        src->in.clock_us = ev->time_us;
    }
    CTR_INC("log.read");
    sink_emit(&src->in.sink, ev);
}
