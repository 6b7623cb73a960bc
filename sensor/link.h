/* Links a host event to the rebuilt wire event that describes the same access. */
#ifndef WA_LINK_H
#define WA_LINK_H

#include "event.h"

struct linker;

/* Returns a linker with window wa_opts.link_skew_us, or NULL when out of memory. */
struct linker *linker_new(void);

/* Frees; accepts NULL. */
void linker_free(struct linker *lk);

/*
 * Sets ev->link to the seq of an earlier event of the other origin with the
 * same Computer, ShareName, RelativeTargetName, AccessMask and IpAddress
 * within the skew, and remembers ev for later ones. Events arrive in time order.
 */
void linker_process(struct linker *lk, struct event *ev);

#endif
