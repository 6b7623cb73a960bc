/* Progress of long reads on standard error, shown only when it is a terminal. */
#ifndef WA_PROGRESS_H
#define WA_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "input.h"

/* Totals at one moment, for one progress line. */
struct progress_snapshot {
    uint64_t bytes_read;  /* sum of offset_bytes over the inputs */
    uint64_t bytes_total; /* sum of size_bytes; 0 when unknown (live capture) */
    uint64_t events;
    uint64_t alerts;
    double elapsed_s; /* since progress_new() */
};

struct progress;

/*
 * Returns a progress display writing to out, or NULL when out is not a
 * terminal or an allocation fails. Every function below accepts NULL and then
 * does nothing, so callers need not check the result.
 */
struct progress *progress_new(FILE *out);

/* Frees the display; accepts NULL. */
void progress_free(struct progress *pg);

/* Adds an input whose size_bytes and offset_bytes are read at each update; borrowed. */
void progress_add_input(struct progress *pg, const struct input *in);

/*
 * Redraws the line when at least 250 ms have passed since the last redraw.
 * Cheap enough to call after every pipeline step.
 */
void progress_update(struct progress *pg);

/* Erases the line, so the run summary starts on a clean line. */
void progress_finish(struct progress *pg);

/*
 * Formats one progress line without a line ending, for example
 * "1.2 GiB of 4.0 GiB (30%), 120345 events, 12 alerts, 85.1 MiB/s".
 * Returns buf.
 */
char *progress_format(const struct progress_snapshot *snap, char *buf, size_t size);

#endif
