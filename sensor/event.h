/* The event record shared by the sensor, the log readers and the correlator. */
#ifndef WA_EVENT_H
#define WA_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common.h"

/*
 * One event as Windows would log it. EventID and TimeCreated are typed
 * members; every other field, Computer included, is a name/value pair under
 * its Windows EventData name (ShareName, RelativeTargetName, AccessMask ...).
 * Facts that only the wire has (server address, dialect, message id, frame)
 * go in the separate "Wire" list so that rules written for host logs never
 * see them by accident.
 *
 * Values are UTF-8 text, rendered the way Windows renders them (AccessMask
 * "0x2", AccessList "%%4417"). All text lives in one arena owned by the event:
 * a pointer returned by event_get() stays valid until the next event_set*()
 * on the same event or event_free().
 */
enum event_origin {
    EVENT_ORIGIN_WIRE = 0, /* rebuilt from a capture */
    EVENT_ORIGIN_HOST      /* imported from a Security/System log */
};

enum event_list {
    EVENT_DATA = 0, /* EventData and System fields under Windows names */
    EVENT_WIRE      /* wire-only facts, written under "Wire" */
};

struct event_field {
    uint32_t name_off;
    uint32_t value_off;
    uint32_t name_hash;     /* event_name_hash() of the name, compared before the text */
    bool numeric;           /* value is written to JSON without quotes */
};

struct event_field_list {
    struct event_field *items;
    uint32_t count;
    uint32_t cap;
};

struct event {
    uint32_t event_id;
    int64_t time_us;            /* TimeCreated, microseconds since 1970-01-01 UTC */
    enum event_origin origin;
    const char *input;          /* file name or interface; borrowed, outlives the event */
    uint64_t record;            /* capture frame number (1-based) or log record id */
    uint64_t seq;               /* arrival order, assigned by the pipeline */
    uint64_t link;              /* seq of the twin event on the other origin, 0 if none */
    struct event_field_list lists[2];
    char *arena;
    uint32_t arena_used;
    uint32_t arena_cap;
    /* The arena and lists start in the event's own allocation; these mark which moved out. */
    bool arena_heap;
    bool items_heap[2];
};

/* Allocates an empty event; returns NULL when out of memory. Free with event_free(). */
struct event *event_new(uint32_t event_id, int64_t time_us, enum event_origin origin);

/* Frees the event and every string it owns; accepts NULL. */
void event_free(struct event *ev);

/*
 * Sets field name to value in list, replacing an earlier value of the same
 * name (names compare case-sensitively). Both strings are copied. Returns
 * WA_NOMEM or WA_LIMIT (more than 16 MiB of text) on failure.
 */
enum wa_status event_set(struct event *ev, enum event_list list, const char *name,
                         const char *value) WA_WARN_UNUSED;

/* Like event_set() but stores value from a length-delimited buffer (no NUL needed). */
enum wa_status event_set_n(struct event *ev, enum event_list list, const char *name,
                           const char *value, size_t value_len) WA_WARN_UNUSED;

/* Like event_set() with a printf-style value. */
enum wa_status event_setf(struct event *ev, enum event_list list, const char *name,
                          const char *fmt, ...) WA_WARN_UNUSED WA_PRINTF(4, 5);

/*
 * Stores value as text the way Windows renders hex fields: "0x", then
 * lowercase digits without leading zeros, padded to at least min_digits
 * ("0x2" with 0, "0x00000000" with 8).
 */
enum wa_status event_set_hex(struct event *ev, enum event_list list, const char *name,
                             uint64_t value, unsigned min_digits) WA_WARN_UNUSED;

/* Stores an unsigned number as decimal text, as Windows writes EventData numbers ("445"). */
enum wa_status event_set_decimal(struct event *ev, enum event_list list, const char *name,
                                 uint64_t value) WA_WARN_UNUSED;

/* Stores an unsigned number written to JSON as a number. */
enum wa_status event_set_u64(struct event *ev, enum event_list list, const char *name,
                             uint64_t value) WA_WARN_UNUSED;

/* Returns the value of name in list (ASCII case-insensitive), or NULL when absent. */
const char *event_get(const struct event *ev, enum event_list list, const char *name);

/* Returns the EventData value of name, or NULL. Shorthand for event_get(ev, EVENT_DATA, name). */
const char *event_field(const struct event *ev, const char *name);

/* Iteration: the i-th name and value in list, i < ev->lists[list].count. */
const char *event_name_at(const struct event *ev, enum event_list list, uint32_t i);
const char *event_value_at(const struct event *ev, enum event_list list, uint32_t i);

/* Returns a deep copy, or NULL when out of memory. */
struct event *event_clone(const struct event *ev);

/*
 * Formats time_us as "2020-09-22T14:53:02.123456Z" into buf (at least 32 bytes).
 * Returns buf.
 */
char *event_format_time(int64_t time_us, char *buf, size_t size);

/*
 * Parses an ISO 8601 UTC time ("2020-09-22T14:53:02.1234567Z", fraction and
 * zone optional, "+hh:mm" offsets applied, a space accepted for "T") into
 * microseconds. Returns false when text is not such a time.
 */
bool event_parse_time(const char *text, int64_t *time_us);

/*
 * Writes the event as one JSON object followed by a newline:
 *   {"EventID":5145,"TimeCreated":"...Z", <EventData fields...>,
 *    "Source":{"origin":"wire","input":"x.pcap","frame":12},"Wire":{...}}
 * Host events write "record" in place of "frame". Returns false on a write error.
 */
bool event_write_json(const struct event *ev, FILE *out);

/*
 * Appends s to out as a JSON string literal (quotes included). Control
 * characters and invalid UTF-8 bytes are escaped (\u00XX), so any text taken
 * from the wire or a log is safe to embed.
 */
void json_write_string(FILE *out, const char *s);

#endif
