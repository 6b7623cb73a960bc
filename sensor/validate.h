/* --validate: agreement between host-logged events and events rebuilt from the wire. */
#ifndef WA_VALIDATE_H
#define WA_VALIDATE_H

#include <stdbool.h>
#include <stdio.h>

#include "event.h"

struct validator;

/* Returns an empty validator, or NULL when out of memory. */
struct validator *validator_new(void);

/* Frees; accepts NULL. */
void validator_free(struct validator *val);

/* Records one event of either origin (borrowed). */
void validator_add(struct validator *val, const struct event *ev);

/* Matches the two sides and writes the per-EventID table (text, or JSON when json). */
void validator_write(struct validator *val, FILE *out, bool json);

#endif
