/* The self-contained HTML report of a run. */
#ifndef WA_REPORT_H
#define WA_REPORT_H

#include <stdbool.h>

#include <jansson.h>

#include "event.h"

struct report;

/* Returns a report that will be written to path, or NULL when out of memory. */
struct report *report_new(const char *path);

/* Frees the report; accepts NULL. Does not write it. */
void report_free(struct report *rep);

/* Records one input name and its kind for the header. The string is copied. */
void report_add_input(struct report *rep, const char *path, const char *kind);

/* Records an event (borrowed; copied as needed, within the embed cap). */
void report_add_event(struct report *rep, const struct event *ev);

/* Records an alert (borrowed; the report takes its own reference). */
void report_add_alert(struct report *rep, json_t *alert);

/* Writes the HTML file. Returns false and prints the reason naming the path on failure. */
bool report_write(struct report *rep);

#endif
