/* Links a host event to the rebuilt wire event that describes the same access. */
#ifndef WA_LINK_H
#define WA_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"

/*
 * Matching key: the fields two events of different origins share when they
 * describe the same action. Per EventID the key fields are:
 *   5140: Computer, ShareName, AccessMask, IpAddress
 *   5145: Computer, ShareName, RelativeTargetName, AccessMask, IpAddress
 *   4624, 4625: Computer, TargetUserName, IpAddress
 *   7045: Computer, ImagePath;  4697: Computer, ServiceFileName
 *   4698: Computer, TaskName;   5712: Computer, InterfaceUuid, OpNum
 * Text compares case-insensitively, AccessMask as a number, and IpAddress
 * without an IPv4-mapped "::ffff:" prefix. Computer compares up to its first
 * dot when either side has no dot, so "WS6" matches "ws6.corp.local".
 */
struct link_key {
    uint64_t hash;          /* EventID and key fields, Computer cut at its first dot */
    uint64_t computer_hash; /* the whole Computer, lower case */
    bool computer_has_dot;
};

/* Fills key for ev. Returns false when ev's EventID has no key fields listed above. */
bool link_event_key(const struct event *ev, struct link_key *key);

/* True when two keys describe the same action (hash and Computer rule). */
bool link_keys_match(const struct link_key *a, const struct link_key *b);

/* Returns the key field names of event_id (Computer first) and their count, or NULL. */
const char *const *link_key_fields(uint32_t event_id, size_t *count);

struct linker;

/* Maximum unlinked events a linker remembers. Past it the oldest are forgotten
 * ("link.window_full"). */
#define LINK_WINDOW_MAX 65536u

/* Returns a linker with window wa_opts.link_skew_us, or NULL when out of memory. */
struct linker *linker_new(void);

/* Frees; accepts NULL. */
void linker_free(struct linker *lk);

/*
 * Sets ev->link to the seq of an earlier event of the other origin with the
 * same key (see struct link_key) within the skew, and remembers ev for later
 * ones. Events arrive in time order. Each event links at most once, and only
 * the later event of a pair carries the link, because the earlier one has
 * already been released.
 */
void linker_process(struct linker *lk, struct event *ev);

#endif
