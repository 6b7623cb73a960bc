/* Merges every input into one time-ordered event stream and feeds the consumers. */
#ifndef WA_PIPELINE_H
#define WA_PIPELINE_H

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>

#include "../patterns/corr.h"
#include "input.h"
#include "link.h"
#include "report.h"
#include "validate.h"

/* The consumers of released events; any of them may be NULL. */
struct pipeline_consumers {
    FILE *events_out;            /* --events: one JSON object per line */
    const char *events_name;     /* events_out's path, for the message when a write fails */
    struct linker *linker;
    struct validator *validator;
    struct report *report;
    struct corr_engine *corr;
};

struct pipeline;

/* Returns an empty pipeline, or NULL when out of memory. The consumers are borrowed. */
struct pipeline *pipeline_new(const struct pipeline_consumers *consumers);

/* Closes every input still open and frees the held events; accepts NULL. */
void pipeline_free(struct pipeline *pl);

/* Adds an opened input; the pipeline owns it from here and sets its sink. */
void pipeline_add_input(struct pipeline *pl, struct input *in);

/*
 * Reads all inputs to their end, always stepping the one that is furthest
 * behind, and releases events in (TimeCreated, arrival) order once no input
 * can still produce an earlier one, allowing wa_opts.reorder_window_us of
 * disorder inside one input. Returns early, after draining what is held, when
 * *stop becomes nonzero. Calls on_tick (if not NULL) after each step so the
 * caller can serve signals. While it runs, the consumers may run on a second
 * thread (wa_opts.helper_threads); on_tick calls pipeline_sync() before it
 * uses them. They are back with the caller when pipeline_run() returns.
 */
void pipeline_run(struct pipeline *pl, volatile sig_atomic_t *stop,
                  void (*on_tick)(void *arg), void *tick_arg);

/*
 * Waits until every event released so far has been consumed. Between this
 * call and the next step of pipeline_run(), the calling thread may use the
 * consumers (from on_tick, say). Returns at once when the consumers run on the
 * calling thread.
 */
void pipeline_sync(struct pipeline *pl);

/*
 * Writes one line per input that was not read to its end ("FILE: interrupted
 * at byte N of M"). Returns whether there was any.
 */
bool pipeline_write_unfinished(const struct pipeline *pl, FILE *out);

/*
 * Returns the errno of the first failed write to events_out, or 0. The
 * failure is reported on standard error once, when it happens, and the run
 * goes on for the other consumers. Read it after pipeline_run() returns.
 */
int pipeline_events_error(const struct pipeline *pl);

/* Returns the number of events released so far. */
unsigned long long pipeline_event_count(const struct pipeline *pl);

#endif
