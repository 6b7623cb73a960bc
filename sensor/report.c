/* Placeholder until the HTML report lands. */
#include "report.h"

#include <stdio.h>
#include <stdlib.h>

struct report {
    const char *path;
};

struct report *report_new(const char *path)
{
    struct report *rep = calloc(1, sizeof(*rep));
    if (rep != NULL) {
        rep->path = path;
    }
    return rep;
}

void report_free(struct report *rep)
{
    free(rep);
}

void report_add_input(struct report *rep, const char *path, const char *kind)
{
    (void)rep;
    (void)path;
    (void)kind;
}

void report_add_event(struct report *rep, const struct event *ev)
{
    (void)rep;
    (void)ev;
}

void report_add_alert(struct report *rep, json_t *alert)
{
    (void)rep;
    (void)alert;
}

bool report_write(struct report *rep)
{
    fprintf(stderr, "wireaudit: %s: the HTML report is not built yet\n", rep->path);
    return false;
}
