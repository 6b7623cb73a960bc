/* State of the HTML report, shared by its collector (report_data.c) and renderers. */
#ifndef WA_REPORT_INTERNAL_H
#define WA_REPORT_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "event.h"
#include "report.h"

/* Event kinds, one colour each on the timeline. */
enum report_kind {
    REPORT_KIND_SHARE = 0,     /* 5140 network share connect */
    REPORT_KIND_FILE,          /* 5145 share object access */
    REPORT_KIND_LOGON,         /* 4624 */
    REPORT_KIND_LOGON_FAILURE, /* 4625 */
    REPORT_KIND_SERVICE,       /* 7045, 4697 */
    REPORT_KIND_TASK,          /* 4698 to 4702 */
    REPORT_KIND_RPC,           /* 5712 */
    REPORT_KIND_OTHER,
    REPORT_KIND_COUNT
};

/* Sigma rule levels in rising order. UNKNOWN is for a level the rule did not set or misspelt. */
enum report_level {
    REPORT_LEVEL_INFORMATIONAL = 0,
    REPORT_LEVEL_LOW,
    REPORT_LEVEL_MEDIUM,
    REPORT_LEVEL_HIGH,
    REPORT_LEVEL_CRITICAL,
    REPORT_LEVEL_UNKNOWN,
    REPORT_LEVEL_COUNT
};

/* Timeline bins per host. The bin width doubles whenever the events outgrow the bins. */
#define REPORT_BINS 240
/* Hosts with their own timeline lane data; later hosts are summed into one "other hosts" lane. */
#define REPORT_HOSTS_MAX 512
/* Lanes drawn; hosts beyond the busiest ones are drawn together in the last lane. */
#define REPORT_LANES_MAX 40
/* Source addresses tracked for the per-source view, and hosts and users kept per source. */
#define REPORT_SOURCES_MAX 4096
#define REPORT_SOURCE_HOSTS_MAX 64
#define REPORT_SOURCE_USERS_MAX 8
/* Alerts listed with their evidence; later alerts are only counted. */
#define REPORT_ALERTS_MAX 2000
/* Contributing events shown per alert. */
#define REPORT_ALERT_EVIDENCE_MAX 50
/* Copies of contributing events kept across all alerts (events outside the embedded set). */
#define REPORT_EVIDENCE_COPIES_MAX 20000
/* Recent events kept so that an alert can show events past the embedding cap. */
#define REPORT_RECENT_EVENTS 8192
/* Distinct EventIDs counted one by one; the rest are counted together. */
#define REPORT_EVENT_IDS_MAX 256
/* Distinct ATT&CK technique tags in the host-by-technique matrix. */
#define REPORT_TECHNIQUES_MAX 256
/* Hosts per alert that the timeline and the matrix attribute it to. */
#define REPORT_ALERT_HOSTS_MAX 8

/* Open-addressing map from a string (copied) to a uint32_t value. */
struct report_strmap {
    char **keys;
    uint32_t *values;
    uint32_t cap; /* power of two, or 0 before the first insert */
    uint32_t count;
};

struct report_host {
    char *name;
    uint64_t events;
    uint64_t alerts;
    int64_t first_us;
    int64_t last_us;
    uint32_t bins[REPORT_KIND_COUNT][REPORT_BINS];
};

struct report_source_host {
    uint32_t host; /* index into report.hosts */
    uint64_t events;
};

struct report_source {
    char *address;
    uint64_t events;
    int64_t first_us;
    int64_t last_us;
    uint32_t host_count;
    bool hosts_truncated;
    struct report_source_host hosts[REPORT_SOURCE_HOSTS_MAX];
    uint32_t user_count;
    bool users_truncated;
    char *users[REPORT_SOURCE_USERS_MAX];
};

/* One contributing event of an alert: the full event when it was still kept, else the reference. */
struct report_evidence {
    const struct event *ev; /* NULL when the event was no longer kept */
    struct event *copy;     /* ev when it is a copy that this alert owns, else NULL */
    json_t *ref;            /* the alert's own reference object; borrowed from the alert */
};

struct report_alert {
    json_t *json; /* one reference held */
    enum report_level level;
    int64_t first_us; /* INT64_MIN when the alert carried no readable time */
    int64_t last_us;
    uint32_t hosts[REPORT_ALERT_HOSTS_MAX];
    uint32_t host_count;
    struct report_evidence *evidence;
    uint32_t evidence_count;
    uint32_t refs_total; /* references in the alert, shown or not */
};

struct report_event_id_count {
    uint32_t event_id;
    uint64_t count;
};

struct report_input {
    char *path;
    char *kind;
    uint64_t size_bytes; /* 0 when unknown (live input, unreadable file) */
};

/* An ATT&CK technique tag ("attack.t1021.002") and the tactic tags first seen with it. */
struct report_technique {
    char *tag;
    char *tactics; /* "lateral_movement execution", or "" */
};

/* Matrix cell: alerts of one host under one technique tag. */
struct report_cell {
    uint64_t alerts;
    enum report_level max_level;
};

/*
 * Key of a contributing event as alerts name it: input, frame or record, and
 * EventID. NOTE: one frame can yield two events with the same EventID (a
 * rebuilt 5145 and its synthetic twin), and a reference to them resolves to
 * only one of the two.
 */
struct report_event_key {
    uint32_t input_id; /* number of the input name in report.input_ids */
    uint32_t event_id;
    uint64_t record;
};

/* A recent event flattened into a reusable buffer: "name\0value\0" pairs, EventData first. */
struct report_recent_event {
    struct report_event_key key;
    int64_t time_us;
    enum event_origin origin;
    const char *input; /* borrowed like event.input */
    uint32_t field_count[2];
    char *text;
    uint32_t text_len;
    uint32_t text_cap;
};

/* Half of the recent-event buffer: events in arrival order and a hash index of their keys. */
struct report_recent_half {
    struct report_recent_event events[REPORT_RECENT_EVENTS / 2];
    uint32_t count;
    uint32_t index[REPORT_RECENT_EVENTS]; /* slot number + 1, 0 for empty; linear probing */
};

struct report {
    char *path;
    uint32_t embed_max; /* wa_opts.report_max_events at creation */

    struct report_input *inputs;
    uint32_t input_count;

    /* Totals over every event and alert, embedded or not. */
    uint64_t events_total;
    uint64_t events_by_origin[2];
    uint64_t events_linked;
    int64_t first_us; /* INT64_MAX before the first event */
    int64_t last_us;  /* INT64_MIN before the first event */
    struct report_event_id_count event_ids[REPORT_EVENT_IDS_MAX];
    uint32_t event_id_count;
    uint64_t events_other_ids; /* events whose EventID did not fit the table */
    uint64_t alerts_total;
    uint64_t alerts_by_level[REPORT_LEVEL_COUNT];

    /* Timeline: bin i covers [origin_us + i * width_us, origin_us + (i + 1) * width_us). */
    bool timeline_started;
    int64_t origin_us;
    int64_t width_us;
    uint64_t events_untimed; /* events left off the timeline for an implausible time */

    struct report_host *hosts; /* the last slot, once used, is "other hosts" */
    uint32_t host_count;
    uint32_t host_cap;
    uint32_t other_hosts_index; /* UINT32_MAX until hosts overflow */
    uint64_t events_folded;     /* events counted under "other hosts" */
    struct report_strmap host_index;

    struct report_source *sources;
    uint32_t source_count;
    uint32_t source_cap;
    uint64_t sources_dropped; /* events whose source did not fit the table */
    struct report_strmap source_index;

    struct report_technique techniques[REPORT_TECHNIQUES_MAX];
    uint32_t technique_count;
    uint64_t technique_tags_dropped;
    struct report_strmap technique_index;
    struct report_strmap cell_index; /* "host/technique" to index in cells */
    struct report_cell *cells;
    uint32_t cell_count;
    uint32_t cell_cap;

    /* Embedded events: the first embed_max events, kept whole. */
    struct event **embedded;
    uint32_t embedded_count;
    uint32_t embedded_cap;
    uint64_t embedded_skipped;
    int64_t first_skipped_us;
    struct report_strmap embedded_index;
    struct report_strmap input_ids; /* input name to the number used in event keys */

    /* Recent events past the embedding cap, in two halves that take turns. */
    struct report_recent_half recent[2];
    uint32_t recent_current;

    struct report_alert *alerts;
    uint32_t alert_count;
    uint32_t alert_cap;
    uint64_t alerts_skipped;
    uint32_t evidence_copies;
    uint64_t evidence_missing; /* references whose event was no longer kept */
};

/* report_data.c: the string map. */
bool report_strmap_find(const struct report_strmap *map, const char *key, uint32_t *value);
bool report_strmap_put(struct report_strmap *map, const char *key, uint32_t value);
void report_strmap_clear(struct report_strmap *map);
void report_strmap_free(struct report_strmap *map);

/* report_data.c: classification shared with the renderers. */
enum report_kind report_kind_of(uint32_t event_id);
const char *report_kind_name(enum report_kind kind);
enum report_level report_level_parse(const char *level);
const char *report_level_name(enum report_level level);
const char *report_event_id_title(uint32_t event_id);

/* report_data.c: collection of events and lookups shared with the alert collector. */
void report_collect_event(struct report *rep, const struct event *ev);
uint32_t report_host_index(struct report *rep, const char *name);
bool report_input_id(const struct report *rep, const char *input, uint32_t *id);
bool report_event_key(struct report *rep, const char *input, bool add_input, uint64_t record,
                      uint32_t event_id, struct report_event_key *key);
const struct event *report_find_embedded(const struct report *rep,
                                         const struct report_event_key *key);

/* report_recent.c: the recent events past the embedding cap. */
void report_recent_add(struct report *rep, const struct report_event_key *key,
                       const struct event *ev);
const struct report_recent_event *report_recent_find(const struct report *rep,
                                                     const struct report_event_key *key);
/* Returns the EventData value of name in a recent event, or NULL. */
const char *report_recent_field(const struct report_recent_event *slot, const char *name);
/*
 * Returns a new event with the recent event's fields, or NULL when out of
 * memory. Every value comes back as text: the numeric flag is not kept.
 */
struct event *report_recent_rebuild(const struct report_recent_event *slot);
void report_recent_free(struct report *rep);
void report_data_free(struct report *rep);

/* report_alert_data.c: collection of alerts, their evidence and the matrix cells. */
void report_collect_alert(struct report *rep, json_t *alert);
void report_alerts_free(struct report *rep);

/* report_html.c: the page frame, header and totals. */
void report_render_page(const struct report *rep, FILE *out, const char *nonce);
void report_write_time(FILE *out, int64_t time_us);

/* report_timeline.c */
void report_render_timeline(const struct report *rep, FILE *out);

/* report_alerts.c: alert list, host-by-technique matrix and per-source view. */
void report_render_matrix(const struct report *rep, FILE *out);
void report_render_alerts(const struct report *rep, FILE *out);
void report_render_sources(const struct report *rep, FILE *out);

/* report_events.c: the embedded events as inline JSON and the script that shows them. */
void report_render_events(const struct report *rep, FILE *out, const char *nonce);

#endif
